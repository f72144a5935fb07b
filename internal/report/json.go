package report

import (
	"encoding/json"
)

// jsonReport is the documented JSON shape; the field order here is the key order in the output,
// and scripts depend on it, so it changes only with a new major version.
type jsonReport struct {
	Findings     []jsonFinding `json:"findings"`
	FilesChecked int           `json:"files_checked"`
}

type jsonFinding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	EndLine  int    `json:"end_line"`
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func writeJSON(w *output, rep *Report, _ Options) error {
	out := jsonReport{Findings: make([]jsonFinding, 0, len(rep.Findings)), FilesChecked: rep.FilesChecked}
	for _, f := range rep.Findings {
		out.Findings = append(out.Findings, jsonFinding{
			Path:     f.Path,
			Line:     f.Line,
			Column:   f.Col,
			EndLine:  endLine(f),
			Rule:     f.Rule,
			Severity: f.Severity.String(),
			Message:  f.Message,
		})
	}
	enc := json.NewEncoder(w)
	// Messages quote code ("a && b", "<none>"); \u0026 would only make them harder to read.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// endLine is the last line a finding covers: EndLine when it extends past Line, else Line.
func endLine(f Finding) int {
	return max(f.EndLine, f.Line)
}
