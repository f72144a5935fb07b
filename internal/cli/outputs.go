package cli

import (
	"fmt"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
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
