package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// JSONFinding is the one JSON shape of a finding, in every command's document (and in the
// documents that hold findings of many reports, such as the fleet's). The field order here is the
// key order in the output, and scripts depend on it, so it changes only with a new major version.
// Every key is always present: path is "" for a finding about the whole run, line, column and
// end_line are 0 when unknown, help is "" when there is none.
type JSONFinding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	EndLine  int    `json:"end_line"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Help     string `json:"help"`
}

// JSONFindings is fs in their JSON shape, never nil. The caller redacts them first (Redacted),
// as Write does.
func JSONFindings(fs []Finding) []JSONFinding {
	out := make([]JSONFinding, 0, len(fs))
	for _, f := range fs {
		out = append(out, JSONFinding{
			Path:     f.Path,
			Line:     f.Line,
			Column:   f.Col,
			EndLine:  endLine(f),
			Rule:     f.Rule,
			Severity: f.Severity.String(),
			Message:  f.Message,
			Help:     f.Help,
		})
	}
	return out
}

// Finding is the finding a JSONFinding was written from; an unknown severity is an error.
func (j JSONFinding) Finding() (Finding, error) {
	sev, err := ParseSeverity(j.Severity)
	return Finding{Path: j.Path, Line: j.Line, Col: j.Column, EndLine: j.EndLine, Rule: j.Rule, Severity: sev, Message: j.Message, Help: j.Help}, err
}

// writeJSON writes the document every command shares: the command's own members (its Summary's),
// then "findings" and "files_checked".
//
// With a baseline, "baseline", "known" and "stale" come before "findings", which holds the new
// findings.
func writeJSON(w *output, rep *Report, _ Options) error {
	var members []Member
	if rep.Summary != nil {
		members = rep.Summary.JSON()
	}
	members = append(members, baselineMembers(rep)...)
	members = append(members,
		Member{Name: "findings", Value: JSONFindings(rep.Findings), Layout: Indented},
		Member{Name: "files_checked", Value: rep.FilesChecked})
	return writeMembers(w, members)
}

// writeMembers writes a JSON object of members, each laid out as it asks, two spaces in.
func writeMembers(w *output, members []Member) error {
	w.WriteString("{\n")
	for i, m := range members {
		name, err := encodeJSON(m.Name, "")
		if err != nil {
			return err
		}
		w.WriteString("  " + name + ": ")
		if err := writeMember(w, m); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if i < len(members)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("}\n")
	return nil
}

func writeMember(w *output, m Member) error {
	switch m.Layout {
	case Indented:
		b, err := encodeJSON(m.Value, "  ")
		if err != nil {
			return err
		}
		w.WriteString(b)
		return nil
	case Rows:
		list := reflect.ValueOf(m.Value)
		if list.Kind() != reflect.Slice && list.Kind() != reflect.Array {
			return fmt.Errorf("a Rows member must be a list, not %T", m.Value)
		}
		if list.Len() == 0 {
			w.WriteString("[]")
			return nil
		}
		w.WriteString("[\n")
		for i := range list.Len() {
			row, err := encodeJSON(list.Index(i).Interface(), "")
			if err != nil {
				return err
			}
			w.WriteString("    " + row)
			if i < list.Len()-1 {
				w.WriteByte(',')
			}
			w.WriteByte('\n')
		}
		w.WriteString("  ]")
		return nil
	}
	b, err := encodeJSON(m.Value, "")
	if err != nil {
		return err
	}
	w.WriteString(b)
	return nil
}

// encodeJSON encodes v on one line, or indented under prefix when prefix is not "". HTML
// characters are kept as they are: messages quote code ("a && b", "<none>"), and \u0026 would
// only make them harder to read.
func encodeJSON(v any, prefix string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if prefix != "" {
		enc.SetIndent(prefix, "  ")
	}
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// endLine is the last line a finding covers: EndLine when it extends past Line, else Line.
func endLine(f Finding) int {
	return max(f.EndLine, f.Line)
}
