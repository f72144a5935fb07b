package migrate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// TestLintCaller: a repository's own caller of the lint workflow gets the baseline input, in its
// indentation and keeping its comments; one that passes a baseline keeps it and names where the
// baseline goes; a successor without the input adds nothing, and says why.
func TestLintCaller(t *testing.T) {
	const lint = "name: lint\non: push\njobs:\n  lint:\n    uses: Molecule-AI/molecule-ci/.github/workflows/lint.yml@v1 # the release\n"
	for _, tc := range []struct {
		name, src, want, baseline, note string
	}{
		{name: "no with", src: lint,
			want: lint + "    with:\n      baseline: .molecule-ci-baseline.json\n", baseline: BaselineFile},
		{name: "with", src: lint + "    with:\n      fail-on: error # stricter\n      paths: src\n",
			want: lint + "    with:\n      fail-on: error # stricter\n      paths: src\n      baseline: .molecule-ci-baseline.json\n", baseline: BaselineFile},
		{name: "no final newline", src: lint + "    with:\n        paths: src",
			want: lint + "    with:\n        paths: src\n        baseline: .molecule-ci-baseline.json", baseline: BaselineFile},
		{name: "its own baseline", src: lint + "    with:\n      baseline: ci/known.json\n",
			baseline: "ci/known.json", note: ".github/workflows/lint.yml passes its baseline ci/known.json already"},
		{name: "an expression", src: lint + "    with:\n      baseline: ${{ vars.B }}\n",
			note: ".github/workflows/lint.yml passes a baseline that is not a path in the repository: no baseline written"},
		{name: "flow with", src: lint + "    with: {paths: src}\n",
			note: ".github/workflows/lint.yml: with: is not a block mapping this migration can edit: no baseline passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, ".github", "workflows"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, ".github", "workflows", "lint.yml"), []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			ad, err := LintCaller(root, nil, successor(), BaselineFile, "main", 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ad.File != nil {
				got = string(ad.File.New)
				if ad.File.Created || string(ad.File.Old) != tc.src {
					t.Errorf("the file is new or its old text lost: %+v", ad.File)
				}
			}
			if got != tc.want || ad.Baseline != tc.baseline || ad.Note != tc.note {
				t.Errorf("got\n%s\nbaseline %q note %q\nwant\n%s\nbaseline %q note %q", got, ad.Baseline, ad.Note, tc.want, tc.baseline, tc.note)
			}
		})
	}
}

// TestLintCallerOldSuccessor: a successor whose lint workflow has no baseline input (a release
// before baselines) gets no lint workflow; one without a lint workflow neither.
func TestLintCallerOldSuccessor(t *testing.T) {
	s := successor()
	s.Interface = func(p string) (*reusable.Interface, error) {
		return reusable.ParseInterface([]byte("on:\n  workflow_call:\n    inputs:\n      paths: {type: string}\njobs: {}\n"))
	}
	ad, err := LintCaller(t.TempDir(), nil, s, BaselineFile, "main", 1<<20)
	if err != nil || ad.File != nil || ad.Note != `no lint workflow added: the successor .github/workflows/lint.yml at v1 has no "baseline" input for the baseline` {
		t.Errorf("%+v, %v", ad, err)
	}
	s.Interface = DirInterfaces(t.TempDir())
	if ad, err = LintCaller(t.TempDir(), nil, s, "", "main", 1<<20); err != nil || ad.File != nil || ad.Note == "" {
		t.Errorf("%+v, %v", ad, err)
	}
	if _, err := LintCaller(t.TempDir(), nil, successor(), "../x.json", "main", 1<<20); err == nil {
		t.Error("a baseline outside the repository was taken")
	}
}

// TestPassBaseline: every migrated call of a successor workflow with a baseline input gets it,
// several in one file each in its own with: (created or extended); a call not migrated, a call of
// the publish workflow (no such input) and a call passing a baseline already are left; a flow
// with: is named in a note.
func TestPassBaseline(t *testing.T) {
	pin := SuccessorRepo + "/.github/workflows/"
	src := "jobs:\n" +
		"  validate:\n    uses: " + pin + "validate-plugin.yml@" + testPin + " # v1\n" +
		"  scan:\n    uses: " + pin + "secret-scan.yml@" + testPin + " # v1\n    secrets: inherit\n" +
		"  go:\n    uses: " + pin + "validate-go-plugin.yml@" + testPin + " # v1\n    with:\n      packages: ./internal/... # not cmd/\n" +
		"  publish:\n    uses: " + pin + "publish-template-image.yml@" + testPin + " # v1\n" +
		"  own:\n    uses: " + pin + "validate-org-template.yml@" + testPin + " # v1\n    with:\n      baseline: ci/known.json\n" +
		"  flow:\n    uses: " + pin + "validate-plugin.yml@" + testPin + " # v1\n    with: {}\n" +
		"  untouched:\n    uses: " + pin + "validate-plugin.yml@v1\n"
	want := "jobs:\n" +
		"  validate:\n    uses: " + pin + "validate-plugin.yml@" + testPin + " # v1\n    with:\n      baseline: .molecule-ci-baseline.json\n" +
		"  scan:\n    uses: " + pin + "secret-scan.yml@" + testPin + " # v1\n    with:\n      baseline: .molecule-ci-baseline.json\n    secrets: inherit\n" +
		"  go:\n    uses: " + pin + "validate-go-plugin.yml@" + testPin + " # v1\n    with:\n      packages: ./internal/... # not cmd/\n      baseline: .molecule-ci-baseline.json\n" +
		"  publish:\n    uses: " + pin + "publish-template-image.yml@" + testPin + " # v1\n" +
		"  own:\n    uses: " + pin + "validate-org-template.yml@" + testPin + " # v1\n    with:\n      baseline: ci/known.json\n" +
		"  flow:\n    uses: " + pin + "validate-plugin.yml@" + testPin + " # v1\n    with: {}\n" +
		"  untouched:\n    uses: " + pin + "validate-plugin.yml@v1\n"
	const path = ".github/workflows/ci.yml"
	var calls []Call
	for _, job := range []string{"validate", "scan", "go", "publish", "own", "flow"} {
		calls = append(calls, Call{File: path, Job: job, To: "migrated"})
	}
	files := []File{{Path: path, Old: []byte("before"), New: []byte(src)}}
	got, notes, err := PassBaseline(files, calls, successor(), BaselineFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0].New) != want || string(got[0].Old) != "before" {
		t.Errorf("got\n%s\nwant\n%s", got[0].New, want)
	}
	if string(files[0].New) != src {
		t.Error("the files passed in were changed")
	}
	wantNotes := ".github/workflows/ci.yml: job flow: with: is not a block mapping this migration can edit: no baseline passed"
	if len(notes) != 1 || notes[0] != wantNotes {
		t.Errorf("notes %q, want [%q]", notes, wantNotes)
	}
	if same, notes, err := PassBaseline(files, calls, successor(), ""); err != nil || string(same[0].New) != src || notes != nil {
		t.Errorf("no baseline: %q %v %v", same[0].New, notes, err)
	}
}
