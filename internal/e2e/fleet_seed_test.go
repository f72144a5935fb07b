package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
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
		files := fsutiltest.ReadTree(t, filepath.Join(root, e.Name()))
		f.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: e.Name(), Branches: map[string]map[string]string{"main": files}})
	}
	f.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: "empty", Branches: map[string]map[string]string{"main": {}}},
		githubtest.RepoSpec{Owner: "Molecule-AI", Name: "attic", Archived: true, Branches: map[string]map[string]string{"main": {"README.md": "old"}}})
}
