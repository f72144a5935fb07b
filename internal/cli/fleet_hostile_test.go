package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/impact/impacttest"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// TestHostileImpactMigrate feeds fleet impact and fleet migrate a fleet whose repository names,
// job ids, input names and values try to start workflow commands or Markdown, in every format
// with the GitHub Actions environment set: the hostile text reaches the report, as data.
func TestHostileImpactMigrate(t *testing.T) {
	gittest.Need(t)
	parent := t.TempDir()
	hostileInput := "x\n::error title=INJECTED::in"
	base := filepath.Join(parent, "molecule-ci")
	writeHostile(t, base, map[string]string{".github/workflows/w.yml": "on:\n  workflow_call:\n    inputs:\n      \"" + strings.ReplaceAll(hostileInput, "\n", `\n`) + "\":\n        type: string\njobs: {}\n"})
	gittest.Init(t, base)
	gittest.Commit(t, base, "base")
	candidate := t.TempDir()
	writeHostile(t, candidate, map[string]string{".github/workflows/w.yml": "on:\n  workflow_call:\njobs: {}\n"})
	caller := `on: push
jobs:
  "j\n::error title=INJECTED::k":
    uses: Molecule-AI/molecule-ci/.github/workflows/w.yml@main
    with:
      "` + strings.ReplaceAll(hostileInput, "\n", `\n`) + `": "<img src=x onerror=alert(1)> @org/team ::error title=INJECTED::v"
  "m ##[set-env name=INJECTED;]x":
    uses: Molecule-AI/molecule-ci/.github/workflows/validate-plugin.yml@main
    with:
      "<b>INJECTED</b>\n::warning file=INJECTED,line=1::": 1
`
	for _, name := range hostileNames[:4] {
		dir := strings.NewReplacer("\n", "_", "\r", "_", "\x1b", "_", "\x07", "_").Replace(strings.TrimSuffix(name, ".yml"))
		if strings.ContainsRune(dir, '/') {
			continue
		}
		writeHostile(t, filepath.Join(parent, dir), map[string]string{".github/workflows/" + name: caller})
	}
	// A repository whose name itself carries a command after a newline.
	writeHostile(t, filepath.Join(parent, "r\n::error title=INJECTED::repo"), map[string]string{".github/workflows/ci.yml": caller})
	for _, format := range []string{"human", "json", "markdown"} {
		t.Run("impact "+format, func(t *testing.T) {
			s := runActionsEnv(t, parent, map[string]string{"GITHUB_REPOSITORY": "Molecule-AI/molecule-ci"},
				"fleet", "impact", "--candidate", candidate, "--dir", parent, "--format", format, "--no-cache")
			if s.code != ExitFindings {
				t.Fatalf("exit %d, want 1\n%s\n%s", s.code, s.stdout, s.stderr)
			}
			if !strings.Contains(s.stdout, "INJECTED") {
				t.Fatalf("the hostile text never reached the report:\n%s", s.stdout)
			}
			checkAllLogs(t, format, s, "")
			markdowntest.Check(t, s.summary)
		})
	}
	successor, _ := impacttest.Successor(t, t.TempDir())
	for _, format := range []string{"human", "json", "markdown"} {
		t.Run("migrate "+format, func(t *testing.T) {
			s := runActionsEnv(t, parent, nil, "fleet", "migrate", "--dry-run", "--dir", parent, "--owner", "Molecule-AI", "--ref", "v1", "--successor", successor, "--format", format)
			if s.code != ExitFindings {
				t.Fatalf("exit %d, want 1 (calls left as they are)\n%s\n%s", s.code, s.stdout, s.stderr)
			}
			if !strings.Contains(s.stdout, "INJECTED") {
				t.Fatalf("the hostile text never reached the report:\n%s", s.stdout)
			}
			checkAllLogs(t, format, s, "")
			markdowntest.Check(t, s.summary)
		})
	}
}
