package workflow

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// TestReusableCallBesideActionlint: in a repository actionlint recognises (.git beside
// .github/workflows) actionlint checks local calls itself, and reusable-call adds only what it
// does not see — each problem is reported once, by one of them — while a local callee that
// cannot be read is reusable-call's on every call, the same in every run.
func TestReusableCallBesideActionlint(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	callee, err := os.ReadFile(filepath.Join("testdata", "reusable", ".github", "workflows", "build.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wf, "build.yaml"), callee, 0o644); err != nil {
		t.Fatal(err)
	}
	caller := []byte(`on: push
permissions: {contents: read}
jobs:
  a:
    uses: ./.github/workflows/build.yaml
    with:
      runtime_versoin: "3.12"
      push: 'true'
      retries: "3"
    secrets:
      OTHER: x
  b:
    needs: a
    uses: ./.github/workflows/build.yaml
    with:
      runtime_version: ${{ needs.a.outputs.imag }}
      gates: x
      python: 3.10
    secrets: inherit
  c:
    uses: ./.github/workflows/missing.yaml
  d:
    uses: ./.github/workflows/missing.yaml
`)
	l, err := New(Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for i := range 3 {
		for _, name := range []string{"ci.yml", "other.yml"} {
			fs, err := l.Lint(".github/workflows/"+name, caller, KindWorkflow)
			if err != nil {
				t.Fatal(err)
			}
			got := render(fs)
			if i == 0 && name == "ci.yml" {
				first = got
				golden.Check(t, filepath.Join("testdata", "reusable-beside-actionlint.golden"), []byte(got))
			} else if name == "ci.yml" && got != first {
				t.Errorf("run %d differs from the first:\n%s", i, got)
			}
		}
	}
}
