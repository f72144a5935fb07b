package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

// seedFleet serves internal/fleet's fixture fleet (app, lib, shared) and an empty repository as
// the organisation Molecule-AI on the fake, with an archived repository the run leaves out.
func seedFleet(t *testing.T, f *githubtest.Fake) {
	t.Helper()
	root := filepath.Join("..", "fleet", "testdata", "fleet")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files := map[string]string{}
		dir := filepath.Join(root, e.Name())
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: e.Name(), Branches: map[string]map[string]string{"main": files}})
	}
	f.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: "empty", Branches: map[string]map[string]string{"main": {}}},
		githubtest.RepoSpec{Owner: "Molecule-AI", Name: "attic", Archived: true, Branches: map[string]map[string]string{"main": {"README.md": "old"}}})
}
