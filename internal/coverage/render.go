package coverage

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// round2 rounds a percentage to two decimals for output; gates are decided on exact values.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

func roundCounts(c Counts) Counts { c.Percent = round2(c.Percent); return c }

func roundPtr(c *Counts) *Counts {
	if c == nil {
		return nil
	}
	r := roundCounts(*c)
	return &r
}

type jsonFinding struct {
	Path     string `json:"path"`
	Line     int    `json:"line,omitempty"`
	EndLine  int    `json:"end_line,omitempty"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Help     string `json:"help,omitempty"`
}

// JSON is `--format json`: the total, the verdict, the gates, the files (with branches,
// functions and uncovered ranges), changed lines and findings. Percentages are 0 to 100, rounded
// to two decimals.
func (r *Result) JSON() ([]byte, error) {
	out := struct {
		Total    Counts        `json:"total"`
		Passed   bool          `json:"passed"`
		Gates    []Gate        `json:"gates"`
		Files    []File        `json:"files"`
		Changed  *Changed      `json:"changed,omitempty"`
		Reports  []ReportInfo  `json:"reports"`
		Excluded int           `json:"excluded"`
		Findings []jsonFinding `json:"findings"`
	}{Total: roundCounts(r.Total), Passed: r.Passed, Reports: r.Reports, Excluded: r.Excluded,
		Gates: make([]Gate, len(r.Gates)), Files: make([]File, len(r.Files)), Findings: make([]jsonFinding, len(r.Findings))}
	for i, g := range r.Gates {
		g.Actual, g.Required = round2(g.Actual), round2(g.Required)
		out.Gates[i] = g
	}
	for i, f := range r.Files {
		f.Counts = roundCounts(f.Counts)
		f.Branches, f.Functions = roundPtr(f.Branches), roundPtr(f.Functions)
		out.Files[i] = f
	}
	if r.Changed != nil {
		c := *r.Changed
		c.Counts = roundCounts(c.Counts)
		c.Files = slices.Clone(c.Files)
		for i := range c.Files {
			c.Files[i].Counts = roundCounts(c.Files[i].Counts)
		}
		out.Changed = &c
	}
	for i, f := range r.Findings {
		out.Findings[i] = jsonFinding{Path: f.Path, Line: f.Line, EndLine: f.EndLine, Rule: f.Rule, Severity: f.Severity.String(), Message: f.Message, Help: f.Help}
	}
	var w jsonWriter
	w.b.WriteString("{\n")
	w.field("total", out.Total)
	w.field("passed", out.Passed)
	list(&w, "gates", out.Gates)
	list(&w, "files", out.Files)
	if out.Changed != nil {
		w.field("changed", out.Changed)
	}
	list(&w, "reports", out.Reports)
	w.field("excluded", out.Excluded)
	list(&w, "findings", out.Findings)
	if w.err != nil {
		return nil, fmt.Errorf("encode coverage result: %w", w.err)
	}
	b := w.b.Bytes()
	b = b[:len(b)-2] // the last field's ",\n"
	return append(b, "\n}\n"...), nil
}

// jsonWriter writes the result object one field per line and one list element per line: the
// shape stays diffable and greppable while a report of thousands of files stays small
// (indenting every nested value multiplied the size several times).
type jsonWriter struct {
	b   bytes.Buffer
	err error
}

func (w *jsonWriter) field(name string, v any) {
	if w.err != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	fmt.Fprintf(&w.b, "  %q: %s,\n", name, data)
}

func list[T any](w *jsonWriter, name string, vs []T) {
	if w.err != nil {
		return
	}
	if len(vs) == 0 {
		fmt.Fprintf(&w.b, "  %q: [],\n", name)
		return
	}
	fmt.Fprintf(&w.b, "  %q: [\n", name)
	for i, v := range vs {
		data, err := json.Marshal(v)
		if err != nil {
			w.err = err
			return
		}
		w.b.WriteString("    ")
		w.b.Write(data)
		if i < len(vs)-1 {
			w.b.WriteByte(',')
		}
		w.b.WriteByte('\n')
	}
	w.b.WriteString("  ],\n")
}

// worstFirst orders files by coverage, lowest first, then by size (bigger gaps first), then path.
func (r *Result) worstFirst() []File {
	fs := slices.Clone(r.Files)
	slices.SortStableFunc(fs, func(a, b File) int {
		return cmp.Or(cmp.Compare(a.Percent, b.Percent), cmp.Compare(b.Total-b.Covered, a.Total-a.Covered), strings.Compare(a.Path, b.Path))
	})
	return fs
}

// maxRanges is how many uncovered ranges a table row shows before "…".
const maxRanges = 8

func rangesText(rs []Range) string {
	parts := make([]string, 0, min(len(rs), maxRanges)+1)
	for i, r := range rs {
		if i == maxRanges {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(rs)-maxRanges))
			break
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}

func verdict(passed bool) string {
	if passed {
		return "PASS"
	}
	return "FAIL"
}

// Human writes the table for a terminal or a CI log: every file worst first with its uncovered
// line ranges, the total, the changed lines, then each gate and the verdict.
func (r *Result) Human(w io.Writer) error {
	files := r.worstFirst()
	cw, pw := len("COVERED"), len("FILE")
	frac := func(c Counts) string { return fmt.Sprintf("%d/%d", c.Covered, c.Total) }
	for _, f := range files {
		cw, pw = max(cw, len(frac(f.Counts))), max(pw, len(f.Path))
	}
	cw = max(cw, len(frac(r.Total)))
	var b strings.Builder
	row := func(p, c, path, ranges string) {
		line := fmt.Sprintf("%8s  %*s  %-*s  %s", p, cw, c, pw, path, ranges)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	row("COVER", "COVERED", "FILE", "UNCOVERED LINES")
	for _, f := range files {
		row(pct(f.Percent), frac(f.Counts), f.Path, rangesText(f.Uncovered))
	}
	row(pct(r.Total.Percent), frac(r.Total), "total", "")
	if c := r.Changed; c != nil {
		fmt.Fprintf(&b, "\nchanged lines since %s: %s (%d/%d)\n", c.Base, pct(c.Percent), c.Covered, c.Total)
		for _, f := range c.Files {
			if len(f.Uncovered) > 0 {
				fmt.Fprintf(&b, "  %s: not covered %s\n", f.Path, rangesText(f.Uncovered))
			}
		}
	}
	failed := 0
	if len(r.Gates) > 0 {
		b.WriteString("\ngates:\n")
		for _, g := range r.Gates {
			op := ">="
			if !passes(g.Actual, g.Required) {
				op = "<"
			}
			if !g.Passed {
				failed++
			}
			if g.Name == gateData {
				fmt.Fprintf(&b, "  %s  %s  (%s)\n", verdict(g.Passed), g.Name, g.Note)
				continue
			}
			fmt.Fprintf(&b, "  %s  %s  %s %s %s", verdict(g.Passed), g.Name, pct(g.Actual), op, pct(g.Required))
			if g.Note != "" {
				fmt.Fprintf(&b, "  (%s)", g.Note)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\ncoverage %s: %s of %d %s", verdict(r.Passed), pct(r.Total.Percent), r.Total.Total, r.unitName())
	if len(r.Gates) > 0 {
		fmt.Fprintf(&b, ", %d of %d gates failed", failed, len(r.Gates))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// unitName says what the total counts: statements, lines, or both when reports mix them.
func (r *Result) unitName() string {
	var units []string
	for _, f := range r.Files {
		if !slices.Contains(units, string(f.Unit)) {
			units = append(units, string(f.Unit))
		}
	}
	slices.Sort(units)
	if len(units) == 0 {
		return "statements"
	}
	return strings.Join(units, " and ")
}

// markdownMaxFiles bounds the file table of the job summary; the JSON has every file.
const markdownMaxFiles = 50

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

func icon(passed bool) string {
	if passed {
		return "✅"
	}
	return "❌"
}

// Markdown is the job summary: the verdict and total, the gates, changed lines, packages, and
// the worst files with their uncovered lines.
func (r *Result) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s Coverage %s\n\n", icon(r.Passed), pct(r.Total.Percent))
	fmt.Fprintf(&b, "%d of %d %s covered in %d files", r.Total.Covered, r.Total.Total, r.unitName(), len(r.Files))
	if r.Excluded > 0 {
		fmt.Fprintf(&b, " (%d excluded)", r.Excluded)
	}
	b.WriteString(".\n")

	if len(r.Gates) > 0 {
		failed := 0
		for _, g := range r.Gates {
			if !g.Passed {
				failed++
			}
		}
		fmt.Fprintf(&b, "\n### Gates: %d passed, %d failed\n\n| | gate | actual | required | note |\n| --- | --- | ---: | ---: | --- |\n", len(r.Gates)-failed, failed)
		gates := slices.Clone(r.Gates)
		slices.SortStableFunc(gates, func(a, b Gate) int {
			if a.Passed != b.Passed {
				if !a.Passed {
					return -1
				}
				return 1
			}
			return 0
		})
		for _, g := range gates {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", icon(g.Passed), mdCell(g.Name), pct(g.Actual), pct(g.Required), mdCell(g.Note))
		}
	}

	var notes []report.Finding
	for _, f := range r.Findings {
		if f.Rule != RuleGate && f.Rule != RuleUncoveredChanged && f.Severity >= report.Warning {
			notes = append(notes, f)
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n### Other problems\n\n| | where | message |\n| --- | --- | --- |\n")
		for i, f := range notes {
			if i == markdownMaxFiles {
				fmt.Fprintf(&b, "\n_%d more in the JSON output._\n", len(notes)-i)
				break
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s |\n", map[bool]string{true: "❌", false: "⚠️"}[f.Severity == report.Error], mdCell(f.Path), mdCell(f.Message))
		}
	}

	if c := r.Changed; c != nil {
		fmt.Fprintf(&b, "\n### Changed lines since `%s`: %s (%d/%d)\n", mdCell(c.Base), pct(c.Percent), c.Covered, c.Total)
		if len(c.Files) > 0 {
			b.WriteString("\n| file | coverage | not covered |\n| --- | ---: | --- |\n")
			for _, f := range c.Files {
				fmt.Fprintf(&b, "| `%s` | %s (%d/%d) | %s |\n", mdCell(f.Path), pct(f.Percent), f.Covered, f.Total, rangesText(f.Uncovered))
			}
		}
	}

	type pkg struct {
		name string
		Counts
	}
	pkgs := map[string]*pkg{}
	for _, f := range r.Files {
		p := pkgs[f.Package]
		if p == nil {
			p = &pkg{name: f.Package}
			pkgs[f.Package] = p
		}
		p.add(f.Counts)
	}
	if len(pkgs) > 1 {
		b.WriteString("\n### Packages\n\n| package | coverage | covered |\n| --- | ---: | ---: |\n")
		for _, name := range sortedKeys(pkgs) {
			p := pkgs[name]
			fmt.Fprintf(&b, "| `%s` | %s | %d/%d |\n", mdCell(name), pct(p.Percent), p.Covered, p.Total)
		}
	}

	if len(r.Files) > 0 {
		fs := r.worstFirst()
		title := "Files, worst first"
		if len(fs) > markdownMaxFiles {
			title = fmt.Sprintf("The %d worst files of %d", markdownMaxFiles, len(fs))
			fs = fs[:markdownMaxFiles]
		}
		fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n\n| file | coverage | covered | not covered |\n| --- | ---: | ---: | --- |\n", title)
		for _, f := range fs {
			fmt.Fprintf(&b, "| `%s` | %s | %d/%d | %s |\n", mdCell(f.Path), pct(f.Percent), f.Covered, f.Total, rangesText(f.Uncovered))
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

// badgeColor follows the usual coverage badge scale.
func badgeColor(p float64) string {
	switch {
	case p >= 90:
		return "brightgreen"
	case p >= 80:
		return "green"
	case p >= 70:
		return "yellowgreen"
	case p >= 60:
		return "yellow"
	case p >= 50:
		return "orange"
	}
	return "red"
}

// Badge is a shields.io endpoint badge (https://shields.io/badges/endpoint-badge) for the total.
func (r *Result) Badge() ([]byte, error) {
	b := struct {
		SchemaVersion int    `json:"schemaVersion"`
		Label         string `json:"label"`
		Message       string `json:"message"`
		Color         string `json:"color"`
	}{1, "coverage", fmt.Sprintf("%.1f%%", math.Floor(r.Total.Percent*10)/10), badgeColor(r.Total.Percent)}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode badge: %w", err)
	}
	return append(data, '\n'), nil
}
