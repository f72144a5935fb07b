package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBin writes executables that stand in for the system's: each logs its name and arguments
// to log and runs body.
func fakeBin(t *testing.T, log string, tools map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range tools {
		src := "#!/bin/sh\necho \"" + name + " $*\" >>" + log + "\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runTestSh runs scripts/test.sh on a machine where the user is not root and no Debian package is
// installed (fake id and dpkg first on PATH); go, apt-get and npm are fakes that only log, so
// nothing is installed, built or started for real. It returns the exit code, the output and the
// log of the fakes called.
func runTestSh(t *testing.T, ci string) (int, string, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "calls.log")
	bin := fakeBin(t, log, map[string]string{
		"id":      `echo 1000`,
		"dpkg":    `exit 1`,
		"apt-get": `exit 0`,
		"go":      `exit 0`,
		"npm":     `exit 0`,
	})
	tmp := t.TempDir()
	cmd := exec.Command("bash", "test.sh")
	cmd.Env = []string{
		"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + tmp, "XDG_CACHE_HOME=" + tmp,
		"MOLECULE_BUILDKIT_RUN=" + filepath.Join(tmp, "bk"), "CI=" + ci,
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(log)
	return code, string(out), string(calls)
}

// In CI a test.sh that cannot install what the tests need fails at once, saying what and why,
// before it builds or runs anything: it used to print a note and return 0 with less tested.
func TestTestShFailsInCIWithoutRoot(t *testing.T) {
	code, out, calls := runTestSh(t, "true")
	want := "test.sh: missing Debian packages shellcheck pyflakes3 (run as root to install them) (CI=true: this fails the run instead of skipping the tests that need it)\n"
	if code != 1 || out != want {
		t.Errorf("exit %d, output:\n%s\nwant exit 1 and:\n%s", code, out, want)
	}
	for _, tool := range []string{"go ", "apt-get ", "npm "} {
		if strings.Contains(calls, tool) {
			t.Errorf("%sran after the failure; calls:\n%s", tool, calls)
		}
	}
}

// Outside CI the same machine runs what it can: test.sh says what is missing and which tests
// will skip, and runs the suite.
func TestTestShOutsideCIRunsWhatItCan(t *testing.T) {
	code, out, calls := runTestSh(t, "")
	if code != 0 {
		t.Fatalf("exit %d, want 0; output:\n%s", code, out)
	}
	for _, want := range []string{
		"test.sh: missing Debian packages shellcheck pyflakes3 (run as root to install them): the tests that need it skip\n",
		"test.sh: missing Debian packages chromium (run as root to install them): the tests that need it skip\n",
		"test.sh: act could not be built (.ci/setup-act.sh): the tests that need it skip\n",
		"test.sh: no BuildKit daemon: BUILDKIT_HOST does not answer and .ci/setup-buildkit.sh (root) could not start one: the tests that need it skip\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(calls, "go test -race -count=1 ./...\n") {
		t.Errorf("the suite did not run last; calls:\n%s", calls)
	}
}
