package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
)

// TestRefsShapedLikeOptions passes a ref that git would obey as an option (write its output to a
// file) to every command that takes one. Each reaches git after --end-of-options, where it can
// only be a revision, and fails as one that names no commit: exit 2, nothing written.
func TestRefsShapedLikeOptions(t *testing.T) {
	dir := gittest.New(t)
	writeFiles(t, dir, map[string]string{
		"Dockerfile":   "FROM scratch\n",
		"coverage.out": "mode: set\nexample.com/svc/a.go:1.1,2.2 1 0\n",
		"README.md":    "x\n",
	})
	gittest.Commit(t, dir, "init")
	target := filepath.Join(t.TempDir(), "written")
	hostile := "--output=" + target
	unreachable := "unix://" + filepath.Join(dir, "no-daemon.sock")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--changed-since=" + hostile, "--addr", unreachable}, `--changed-since ref "$X": not a commit in this repository`},
		{[]string{"coverage", "--base=" + hostile, "coverage.out"}, `--base ref "$X": not a commit in this repository`},
		{[]string{"lint", "--secrets-only", "--diff=" + hostile}, `--diff ref "$X": not a commit in this repository`},
		{[]string{"lint", "--secrets-only", "--diff=HEAD", "--diff-head=" + hostile}, `--diff-head ref "$X": not a commit in this repository`},
	} {
		t.Run(tc.args[0]+" "+strings.Split(tc.args[len(tc.args)-1], "=")[0], func(t *testing.T) {
			code, stdout, stderr := runIn(t, dir, nil, tc.args...)
			if got, want := strings.ReplaceAll(stderr, hostile, "$X"), "molecule-ci: "+tc.want+"\n"; code != 2 || got != want || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and:\n%s", code, stdout, got, want)
			}
			if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("git wrote %s", target)
			}
		})
	}
}
