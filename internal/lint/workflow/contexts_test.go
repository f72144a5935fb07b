package workflow

import (
	"strings"
	"testing"
)

// TestJobWorkflowIdentity: the job context's workflow-identity properties are known (molecule-ci's
// reusable workflows check themselves out with them); an unknown job property still is not.
func TestJobWorkflowIdentity(t *testing.T) {
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := `name: self
on: workflow_call
permissions:
  contents: read
jobs:
  a:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          repository: ${{ job.workflow_repository }}
          ref: ${{ job.workflow_sha }}
          path: .molecule-ci-action
          persist-credentials: false
      - run: echo "$REF $FILE"
        env:
          REF: ${{ job.workflow_ref }}
          FILE: ${{ job.workflow_file_path }}
      - run: echo "$X"
        env:
          X: ${{ job.workflow_nope }}
`
	fs, err := l.Lint(".github/workflows/self.yml", []byte(src), KindWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+"@"+strings.Fields(f.Message)[1])
	}
	if len(fs) != 1 || fs[0].Line != 22 || !strings.Contains(fs[0].Message, `property "workflow_nope" is not defined`) {
		t.Errorf("findings %q; want only the unknown job.workflow_nope at line 22", got)
	}
}
