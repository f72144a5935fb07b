package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

const baselineBefore = `name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make build
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: Molecule-AI/molecule-ci@main
      - run: make test
`

// baselineAfter is baselineBefore with lines inserted, the jobs reordered, build fixed (a
// timeout) and a new job without one.
const baselineAfter = `# CI of this repository.
name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: Molecule-AI/molecule-ci@main
      - run: make test
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - run: make build
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: make lint
`

// TestLintBaseline is the life of a baseline through the command line: written on adoption
// (every finding known, exit 0), then unrelated edits, a fix and a new finding (only the new one
// fails; the fixed one is stale), every format's view of it, the baseline shrunk (the stale
// entry dropped, the new finding not taken in), from another directory, and in GitHub Actions
// (step outputs, job summary). Then the baselines lint refuses.
func TestLintBaseline(t *testing.T) {
	work := t.TempDir()
	writeLintFiles(t, work, map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".github/workflows/ci.yml": baselineBefore})
	var b strings.Builder
	show := func(name string) {
		data, err := os.ReadFile(filepath.Join(work, name))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("$ cat " + name + "\n" + string(data))
	}
	lint := func(dir string, vars map[string]string, args ...string) {
		b.WriteString(lintIn(t, dir, vars, append([]string{"lint", "--shellcheck", "off"}, args...)...))
	}
	lint(work, nil, "--write-baseline", ".molecule-ci-baseline.json")
	show(".molecule-ci-baseline.json")

	writeLintFiles(t, work, map[string]string{".github/workflows/ci.yml": baselineAfter})
	for _, format := range []string{"human", "json", "github"} {
		lint(work, nil, "--baseline", ".molecule-ci-baseline.json", "--format", format)
	}
	lint(filepath.Join(work, ".github"), nil, "--baseline", "../.molecule-ci-baseline.json", "..")

	summary := filepath.Join(t.TempDir(), "summary.md")
	outputs := filepath.Join(t.TempDir(), "outputs")
	lint(work, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs},
		"--checks", "off", "--baseline", ".molecule-ci-baseline.json")
	for _, f := range []string{outputs, summary} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("$ cat $" + map[string]string{outputs: "GITHUB_OUTPUT", summary: "GITHUB_STEP_SUMMARY"}[f] + "\n" + delimRE.ReplaceAllString(string(data), "ghadelimiter_RANDOM"))
	}

	// Shrink: the stale entry goes, the new finding stays out (and still fails).
	lint(work, nil, "--baseline", ".molecule-ci-baseline.json", "--write-baseline", ".molecule-ci-baseline.json")
	show(".molecule-ci-baseline.json")
	lint(work, nil, "--baseline", ".molecule-ci-baseline.json")
	golden.Check(t, filepath.Join("testdata", "lint-baseline.golden"), []byte(b.String()))
}

// TestLintBaselineRefused: a baseline that is missing, malformed or not a file is a usage error
// (exit 2) naming the file, the line and what was expected; nothing is linted as if it were empty.
func TestLintBaselineRefused(t *testing.T) {
	work := t.TempDir()
	writeLintFiles(t, work, map[string]string{
		".github/workflows/ci.yml": baselineBefore,
		"v2.json":                  "{\n  \"version\": 2,\n  \"findings\": []\n}\n",
		"merge.json":               "{\n  \"version\": 1,\n  \"findings\": []\n}\n<<<<<<< HEAD\n",
		"dir/.keep":                "",
	})
	var b strings.Builder
	for _, args := range [][]string{
		{"--baseline", "missing.json"},
		{"--baseline", "my baseline.json"},
		{"--baseline", "v2.json"},
		{"--baseline", "merge.json"},
		{"--baseline", "dir"},
		{"--write-baseline", "no/such/dir/b.json"},
	} {
		b.WriteString(lintIn(t, work, nil, append([]string{"lint", "--shellcheck", "off", "--format", "json"}, args...)...))
	}
	golden.Check(t, filepath.Join("testdata", "lint-baseline-refused.golden"), []byte(b.String()))
}
