package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

// seedImpact serves the organisation Molecule-AI of the impact.yml scenarios: consumer, the
// repository whose pull request act runs (its main branch holds this checkout's
// validate-go-plugin.yml: the base), and plugin, which calls it at main passing packages.
func seedImpact(t *testing.T, f *githubtest.Fake, root string) {
	t.Helper()
	wf, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "validate-go-plugin.yml"))
	if err != nil {
		t.Fatal(err)
	}
	f.AddRepos(
		githubtest.RepoSpec{Owner: "Molecule-AI", Name: "consumer", Branches: map[string]map[string]string{"main": {".github/workflows/validate-go-plugin.yml": string(wf)}}},
		githubtest.RepoSpec{Owner: "Molecule-AI", Name: "plugin", Branches: map[string]map[string]string{"main": {".github/workflows/ci.yml": `name: CI
on: [push, pull_request]
permissions:
  contents: read
jobs:
  validate-go:
    uses: Molecule-AI/consumer/.github/workflows/validate-go-plugin.yml@main
    with:
      packages: ./internal/...
`}}},
	)
}

// copyCheckout copies the tracked files of the checkout at root into dst: the consumer of a
// scenario that runs one of molecule-ci's own workflows on molecule-ci.
func copyCheckout(t *testing.T, root, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, p := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, filepath.FromSlash(p))
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the working tree, or a link
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, filepath.FromSlash(p)), b)
		if fi.Mode()&0o111 != 0 {
			os.Chmod(filepath.Join(dst, filepath.FromSlash(p)), 0o755)
		}
	}
}
