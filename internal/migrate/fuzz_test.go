package migrate

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// FuzzFile1 edits hostile workflows: never a panic, and what it writes is YAML with the same
// calls, each at the successor when it was migrated.
func FuzzFile1(f *testing.F) {
	for _, s := range []string{
		"jobs:\n  p:\n    uses: Molecule-AI/molecule-ci/.github/workflows/validate-plugin.yml@main\n",
		"permissions: {}\njobs:\n  p:\n    permissions:\n      contents: none\n    uses: \"Molecule-AI/molecule-core/.github/workflows/secret-scan.yml@staging\" # x\n    with: {a: b}\n",
		"jobs: {p: {uses: 'Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@staging', with: {packages: x}}}",
		"jobs:\n\tp:\n    uses: x",
	} {
		f.Add(s)
	}
	iface, err := reusable.ParseInterface([]byte("on:\n  workflow_call:\n    inputs:\n      packages: {type: string}\njobs:\n  j:\n    runs-on: x\n    permissions: {contents: read, packages: write}\n    steps: [{run: x}]\n"))
	if err != nil {
		f.Fatal(err)
	}
	s := Successor{Repo: SuccessorRepo, Ref: "v1", Pin: testPin, Interface: func(string) (*reusable.Interface, error) { return iface, nil }}
	f.Fuzz(func(t *testing.T, src string) {
		out, _ := File1("w.yml", []byte(src), s)
		if out == nil {
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal(out, &n); err != nil {
			t.Fatalf("the migration wrote a file that is not YAML: %v\n%s", err, out)
		}
		before, _ := reusable.Calls("w.yml", []byte(src))
		after, err := reusable.Calls("w.yml", out)
		if err != nil || len(after) != len(before) {
			t.Fatalf("%d calls before, %d after (%v)\n%s", len(before), len(after), err, out)
		}
	})
}
