// Package gittest makes throwaway git repositories for tests: git runs with a fixed identity,
// without the user's or the system's config (no signing, hooks or aliases of the machine), on a
// branch named main. Only tests import it.
package gittest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// Env is the environment Run gives git: the test's own, without the user's and the system's
// config, with a fixed author and committer.
func Env() []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
}

// Need skips the test when git is not installed (fails it in CI: testenv.Missing).
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		testenv.Missing(t, "git is not installed: apt-get install git")
	}
}

// Run runs git with args in dir (created if missing) and returns its stdout, trimmed; a failure
// ends the test with git's output.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return RunEnv(t, dir, Env(), args...)
}

// RunEnv is Run with the environment env (nil means Env()).
func RunEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = Env()
	}
	cmd := exec.Command("git", append([]string{"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s (in %s): %v\n%s%s", strings.Join(args, " "), dir, err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// New makes a new repository on branch main in a temporary directory and returns the directory;
// the test is skipped when git is not installed.
func New(t testing.TB) string {
	t.Helper()
	Need(t)
	dir := t.TempDir()
	Init(t, dir)
	return dir
}

// Init makes dir a new repository on branch main.
func Init(t testing.TB, dir string) {
	t.Helper()
	Run(t, dir, "init", "-q")
}

// Commit commits every change in dir's working tree (new files included) with message msg and
// returns the commit's id.
func Commit(t testing.TB, dir, msg string) string {
	t.Helper()
	Run(t, dir, "add", "-A")
	Run(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
	return Run(t, dir, "rev-parse", "HEAD")
}
