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

// contractTemplate is a workspace template with claude-code's real defect (no ARG
// RUNTIME_VERSION: contract/runtime-version-arg) and a caller of the validate workflow at @main
// (lint's floating-ref and friends).
var contractTemplate = map[string]string{
	".git/HEAD": "ref: refs/heads/main\n",
	"Dockerfile": `FROM python:3.11-slim
RUN useradd -u 1000 -m -s /bin/bash agent
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY adapter.py .
ENTRYPOINT ["molecule-runtime"]
`,
	"config.yaml":      "name: Test Agent\ndescription: a template\nruntime: langgraph\ntemplate_schema_version: 1\n",
	"requirements.txt": "molecule-ai-workspace-runtime>=0.1.0\n",
	"adapter.py":       "from molecule_runtime.adapters.base import BaseAdapter\n\n\nclass TestAdapter(BaseAdapter):\n    pass\n",
	".github/workflows/ci.yml": `name: CI
on: [push, pull_request]
jobs:
  validate:
    uses: Molecule-AI/molecule-ci/.github/workflows/validate-workspace-template.yml@main
    with:
      baseline: .molecule-ci-baseline.json
`,
}

// TestLintBaselineSubset: a run that checks part of what the baseline covers — the contract-only
// run of the validate-* workflows, a run over one file — judges only the entries it could have
// found. The full baseline's known contract finding does not fail and the workflow entries are
// not listed as stale; once the contract finding is fixed, its entry (only) is stale, and
// shrinking the baseline from the contract-only run drops it and keeps every other entry.
func TestLintBaselineSubset(t *testing.T) {
	work := t.TempDir()
	writeLintFiles(t, work, contractTemplate)
	var b strings.Builder
	lint := func(args ...string) {
		b.WriteString(lintIn(t, work, nil, append([]string{"lint", "--shellcheck", "off", "--pyflakes", "off"}, args...)...))
	}
	show := func() {
		data, err := os.ReadFile(filepath.Join(work, ".molecule-ci-baseline.json"))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("$ cat .molecule-ci-baseline.json\n" + string(data))
	}
	contractOnly := []string{"--contract-only", "--contract", "workspace-template", "--fail-on", "error", "--baseline", ".molecule-ci-baseline.json"}
	lint("--contract", "workspace-template", "--write-baseline", ".molecule-ci-baseline.json")
	show()
	lint(contractOnly...)
	lint(append(contractOnly, "--format", "json")...)
	lint("--baseline", ".molecule-ci-baseline.json", "Dockerfile")

	// The defect fixed: its entry is stale, the workflow entries still are not.
	writeLintFiles(t, work, map[string]string{"Dockerfile": `FROM python:3.11-slim
RUN useradd -u 1000 -m -s /bin/bash agent
WORKDIR /app
ARG RUNTIME_VERSION=
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt && if [ -n "${RUNTIME_VERSION}" ]; then pip install --no-cache-dir "molecule-ai-workspace-runtime==${RUNTIME_VERSION}"; fi
COPY adapter.py .
ENTRYPOINT ["molecule-runtime"]
`})
	lint(contractOnly...)
	lint(append(contractOnly, "--write-baseline", ".molecule-ci-baseline.json")...)
	show()
	lint("--contract", "workspace-template", "--baseline", ".molecule-ci-baseline.json")
	golden.Check(t, filepath.Join("testdata", "lint-baseline-subset.golden"), []byte(b.String()))
}
