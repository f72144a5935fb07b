package cli

import (
	"bytes"
	"fmt"
	"io"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// output is one step output, written in the order a command lists them.
type output struct{ name, value string }

// reportToActions appends a command's markdown to the job summary and sets its step outputs, in
// GitHub Actions only: the one place every command hands its result to the workflow. The summary
// is only rendered there (a report of thousands of findings costs tens of milliseconds).
func reportToActions(gha *ghaction.Env, summary func() string, outputs []output) error {
	if gha == nil || !gha.InActions() {
		return nil
	}
	if err := gha.AddSummary(summary()); err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	for _, o := range outputs {
		if err := gha.SetOutput(o.name, o.value); err != nil {
			return fmt.Errorf("step output %s: %w", o.name, err)
		}
	}
	return nil
}

// resultView is a command's own rendering of its result: a JSON document and a table.
type resultView interface {
	JSON() ([]byte, error)
	Human(w io.Writer) error
}

// writeResult renders a command's result (coverage, probe) in format: its JSON document, SARIF of
// rep's findings, or its table followed by the findings — as workflow commands in github format
// (as text when a check run carries them already: checked), and as text in human format when
// textFindings (the table does not say everything they do).
func writeResult(w *bytes.Buffer, format string, res resultView, rep *report.Report, opts report.Options, checked, textFindings bool) error {
	switch format {
	case "json":
		b, err := res.JSON()
		if err != nil {
			return err
		}
		w.Write(b)
		return nil
	case "sarif":
		return report.Write(w, "sarif", rep, report.Options{})
	}
	if err := res.Human(w); err != nil {
		return err
	}
	if len(rep.Findings) == 0 {
		return nil
	}
	switch {
	case format == "github" && !checked:
	case format == "github" || textFindings:
		format = "human"
	default:
		return nil
	}
	w.WriteString("\n")
	return report.Write(w, format, rep, opts)
}
