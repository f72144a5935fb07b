package workflow

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// TestCallerInputs checks that template-injection follows a caller's with: into a local
// composite action and a local reusable workflow: reported at the callee's ${{ inputs.X }} with
// the caller's file, line and trigger, only where the caller's trigger makes the value
// attacker-controlled — never for a constant, the caller's SHA, a pull_request run, a job
// guarded to the repository's own branches, or a callee nobody calls with such a value.
func TestCallerInputs(t *testing.T) {
	root := t.TempDir()
	action := `name: greet
description: greet
runs:
  using: composite
  steps:
    - run: |
        echo "${{ inputs.title }}"
        echo "${{ inputs.label }}"
        echo "${{ inputs.branch }}"
        echo "${{ inputs.guarded }}"
        echo "${{ inputs.Built }}"
        echo "${{ contains(inputs.title, 'x') }}"
      shell: bash
`
	callee := `on:
  workflow_call:
    inputs:
      body: {type: string}
      sha: {type: string}
permissions: {contents: read}
jobs:
  a:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo "${{ inputs.body }} ${{ inputs.sha }}"
`
	dispatched := `on:
  workflow_dispatch:
    inputs:
      body: {type: string}
permissions: {contents: read}
jobs:
  a:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo "${{ inputs.body }}"
`
	writeFiles(t, root, map[string]string{
		"greet/action.yml":                 action,
		".github/workflows/callee.yml":     callee,
		".github/workflows/dispatched.yml": dispatched,
		".github/workflows/target.yml": `on: pull_request_target
permissions: {contents: read}
jobs:
  a:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: ./greet
        with:
          title: ${{ github.event.pull_request.title }}
          label: bug
      - id: meta
        env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "t=$TITLE" >> "$GITHUB_OUTPUT"
      - uses: ./greet/
        with:
          built: ${{ steps.meta.outputs.t }}
  b:
    if: github.event.pull_request.head.repo.fork == false
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: ./greet
        with:
          guarded: ${{ github.event.pull_request.body }}
`,
		".github/workflows/pr.yml": `on: pull_request
permissions: {contents: read}
jobs:
  a:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: ./greet
        with:
          branch: ${{ github.head_ref }}
`,
		".github/workflows/comment.yml": `on: issue_comment
permissions: {contents: read}
jobs:
  call:
    uses: ./.github/workflows/callee.yml
    with:
      body: ${{ github.event.comment.body }}
      sha: ${{ github.sha }}
  dispatch:
    uses: ./.github/workflows/dispatched.yml
    with:
      body: ${{ github.event.comment.body }}
`,
	})
	l, err := New(Options{WorkDir: root})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, c := range []struct {
		path, src string
		kind      Kind
	}{
		{"greet/action.yml", action, KindAction},
		{".github/workflows/callee.yml", callee, KindWorkflow},
		{".github/workflows/dispatched.yml", dispatched, KindWorkflow},
	} {
		fs, err := l.Lint(c.path, []byte(c.src), c.kind)
		if err != nil {
			t.Fatal(err)
		}
		var mine []report.Finding
		for _, f := range fs {
			if f.Rule == RuleInjection {
				mine = append(mine, f)
			}
		}
		got += "== " + c.path + "\n" + render(mine)
	}
	golden.Check(t, filepath.Join("testdata", "caller-inputs.golden"), []byte(got))
}

// TestCallerInputsLinkedDir: a .github/workflows that is a link may lead outside the repository,
// so its files are not read as callers.
func TestCallerInputsLinkedDir(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	action := "name: a\ndescription: a\nruns:\n  using: composite\n  steps:\n    - run: echo \"${{ inputs.title }}\"\n      shell: bash\n"
	writeFiles(t, outside, map[string]string{"target.yml": "on: pull_request_target\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./greet\n        with:\n          title: ${{ github.event.pull_request.title }}\n"})
	writeFiles(t, root, map[string]string{"greet/action.yml": action, ".github/README": ""})
	if err := os.Symlink(outside, filepath.Join(root, ".github", "workflows")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	l, err := New(Options{WorkDir: root})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := l.Lint("greet/action.yml", []byte(action), KindAction)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Rule == RuleInjection {
			t.Errorf("finding from a linked directory's caller: %s", f.Message)
		}
	}
}
