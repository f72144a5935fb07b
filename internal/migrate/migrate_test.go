package migrate

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/impact/impacttest"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

const testPin = "0123456789abcdef0123456789abcdef01234567"

// successor is this repository's own workflows, pinned to testPin as v1.
func successor() Successor {
	return Successor{Repo: SuccessorRepo, Ref: "v1", Pin: testPin, Interface: DirInterfaces(filepath.Join("..", ".."))}
}

// TestCorpus migrates every caller of the organisation's corpus: the diffs are golden, apply
// with git apply from each repository's root, and keep every call's inputs and secrets.
func TestCorpus(t *testing.T) {
	corpus := impacttest.CorpusDir(t)
	gittest.Need(t)
	var all strings.Builder
	migrated := 0
	for _, rel := range impacttest.CorpusCallers(t, corpus) {
		repo := filepath.Join(t.TempDir(), filepath.Base(rel))
		fsutiltest.CopyTree(t, filepath.Join(corpus, rel), repo, nil)
		res, err := Repository(repo, successor(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Calls {
			if c.Problem != "" {
				t.Errorf("%s %s:%d: not migrated: %s", rel, c.File, c.Line, c.Problem)
			}
		}
		migrated += res.Migrated()
		diff := res.Diff()
		if diff == "" {
			continue
		}
		all.WriteString("# " + filepath.Base(rel) + "\n" + diff)
		gittest.Init(t, repo)
		gittest.Commit(t, repo, "as it is")
		cmd := exec.Command("git", "apply", "--verbose", "-")
		cmd.Dir, cmd.Stdin = repo, strings.NewReader(diff)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: git apply: %v\n%s\n%s", rel, err, out, diff)
		}
		for _, f := range res.Files {
			got, err := os.ReadFile(filepath.Join(repo, f.Path))
			if err != nil || string(got) != string(f.New) {
				t.Errorf("%s %s: git apply gave\n%s\nwant\n%s", rel, f.Path, got, f.New)
			}
			before, _ := reusable.Calls(f.Path, f.Old)
			after, _ := reusable.Calls(f.Path, got)
			if len(before) != len(after) {
				t.Fatalf("%s %s: %d calls before, %d after", rel, f.Path, len(before), len(after))
			}
			for i := range before {
				if !slices.Equal(before[i].InputNames(), after[i].InputNames()) || before[i].InheritSecrets != after[i].InheritSecrets {
					t.Errorf("%s %s job %s: inputs %q → %q", rel, f.Path, before[i].Job, before[i].InputNames(), after[i].InputNames())
				}
			}
		}
	}
	if migrated != 28 {
		t.Errorf("%d calls migrated, want 28", migrated)
	}
	golden.Check(t, filepath.Join("testdata", "corpus.diff.golden"), []byte(all.String()))
}

// TestEdits: each case is a caller file and the file the migration makes of it (or the
// problem), against a successor whose publish workflow needs packages: write and renames an
// input.
func TestEdits(t *testing.T) {
	publish, err := reusable.ParseInterface([]byte(`on:
  workflow_call:
    inputs:
      runtime-version: {type: string, default: ""}
      image_name: {type: string, default: ""}
    outputs:
      image: {value: x}
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write
    steps: [{run: x}]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := Successor{Repo: SuccessorRepo, Ref: "v1", Pin: testPin, Interface: func(p string) (*reusable.Interface, error) {
		if p == ".github/workflows/publish-template-image.yml" {
			return publish, nil
		}
		return nil, os.ErrNotExist
	}}
	old := Mappings
	t.Cleanup(func() { Mappings = old })
	Mappings = append(slices.Clone(Mappings), Mapping{From: "Acme/ci/.github/workflows/publish.yml", Refs: []string{"main"}, To: ".github/workflows/publish-template-image.yml", Inputs: map[string]string{"name": "image_name"}})
	const pub = "Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml@main"
	const to = "Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml@" + testPin
	tests := []struct{ name, in, want, problem string }{
		{"no permissions anywhere: a block above uses:, in the file's indentation",
			"jobs:\n    publish:\n        uses: " + pub + "\n        secrets: inherit\n",
			"jobs:\n    publish:\n        permissions:\n            contents: read\n            packages: write\n        uses: " + to + " # v1\n        secrets: inherit\n", ""},
		{"top-level permissions that cover: only the ref",
			"permissions:\n  contents: read\n  packages: write\njobs:\n  p:\n    uses: '" + pub + "' # the shared publish\n",
			"permissions:\n  contents: read\n  packages: write\njobs:\n  p:\n    uses: '" + to + "' # v1; the shared publish\n", ""},
		{"the job's permissions raised and extended, no final newline",
			"jobs:\n  p:\n    permissions:\n      packages: read\n    uses: \"" + pub + "\"",
			"jobs:\n  p:\n    permissions:\n      packages: write\n      contents: read\n    uses: \"" + to + "\" # v1", ""},
		{"inputs renamed: computed and by the table; the successor's outputs read",
			"permissions: write-all\njobs:\n  p:\n    uses: Acme/ci/.github/workflows/publish.yml@main\n    with:\n      RUNTIME_VERSION: 1.2\n      name: x # kept\n  q:\n    needs: p\n    runs-on: x\n    steps: [{run: 'echo ${{ needs.p.outputs.image }}'}]\n",
			"permissions: write-all\njobs:\n  p:\n    uses: " + to + " # v1\n    with:\n      runtime-version: 1.2\n      image_name: x # kept\n  q:\n    needs: p\n    runs-on: x\n    steps: [{run: 'echo ${{ needs.p.outputs.image }}'}]\n", ""},
		{"an input the successor does not have: not migrated",
			"jobs:\n  p:\n    uses: " + pub + "\n    with:\n      runtime_versoin: x\n", "",
			`input "runtime_versoin" is not declared by the successor .github/workflows/publish-template-image.yml (it declares: runtime-version, image_name); fix or drop it, then migrate`},
		{"an output the successor does not have",
			"permissions: write-all\njobs:\n  p:\n    uses: " + pub + "\n  q:\n    needs: p\n    runs-on: x\n    steps: [{run: 'echo ${{ needs.p.outputs.sha }}'}]\n", "",
			`the caller reads output "sha" (line 8), which the successor .github/workflows/publish-template-image.yml does not declare`},
		{"a secret by name the successor does not declare",
			"permissions: write-all\njobs:\n  p:\n    uses: " + pub + "\n    secrets:\n      TOKEN: ${{ secrets.T }}\n", "",
			`secret "TOKEN" is not declared by the successor .github/workflows/publish-template-image.yml`},
		{"a flow-style job's permissions",
			"jobs:\n  p:\n    permissions: {contents: read}\n    uses: " + pub + "\n", "",
			"the job's permissions: is not a block mapping this migration can edit; grant packages: write"},
		{"the successor cannot be read",
			"jobs:\n  p:\n    uses: Molecule-AI/molecule-ci/.github/workflows/validate-plugin.yml@main\n", "",
			"the successor Molecule-AI/molecule-ci/.github/workflows/validate-plugin.yml at v1: file does not exist"},
		{"other calls and refs are left alone",
			"jobs:\n  p:\n    uses: " + strings.Replace(pub, "@main", "@v1", 1) + "\n  q:\n    uses: ./.github/workflows/x.yml\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, calls := File1(".github/workflows/w.yml", []byte(tt.in), s)
			if string(out) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out, tt.want)
			}
			var problems []string
			for _, c := range calls {
				if c.Problem != "" {
					problems = append(problems, c.Problem)
				}
			}
			if strings.Join(problems, "\n") != tt.problem {
				t.Errorf("problems %q, want %q", problems, tt.problem)
			}
		})
	}
}
