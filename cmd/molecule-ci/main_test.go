package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// TestSignalEndsRun builds the binary, starts a lint that is slow today (shellcheck on a script
// of 200 nested $(...), which runs for tens of seconds), sends a real SIGTERM or SIGINT, and
// checks that the process ends with exit 3, "interrupted" on stderr and no partial report on
// stdout. It prints the time from signal to exit; the bound it asserts is only liveness (the run
// would otherwise take well over it).
func TestSignalEndsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.Missing(t, "shellcheck not on PATH: the slow input needs it")
	}
	bin := filepath.Join(t.TempDir(), "molecule-ci")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	repo := t.TempDir()
	script := "echo x"
	for range 200 {
		script = "echo $(" + script + ")"
	}
	wf := "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: |\n          " + script + "\n"
	if err := os.MkdirAll(filepath.Join(repo, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".github", "workflows", "w.yml"), []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "lint", "--no-cache", "--shellcheck", shellcheck, "--format", "human", ".")
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				t.Fatalf("lint ended before the signal (%v): the input is no longer slow, pick a slower one\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			case <-time.After(1500 * time.Millisecond):
			}
			sent := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var werr error
			select {
			case werr = <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("still running 10 s after %v", sig)
			}
			t.Logf("%v: exited %v after the signal", sig, time.Since(sent).Round(time.Millisecond))
			var ee *exec.ExitError
			if !errors.As(werr, &ee) || ee.ExitCode() != 3 {
				t.Errorf("exit: %v, want exit status 3", werr)
			}
			if got := stderr.String(); got != "molecule-ci: interrupted\n" {
				t.Errorf("stderr = %q, want only the interruption", got)
			}
			if stdout.Len() != 0 {
				t.Errorf("a partial report was printed after the signal: %q", stdout.String())
			}
			if strings.Contains(stderr.String(), "panic") {
				t.Error("panicked")
			}
			// A checker the lint started must not outlive it. The lint package runs them, so a
			// leftover is reported here and ended, not fixed here.
			for _, pid := range processesIn(repo) {
				t.Logf("pid %d started for this run is still running after exit; ending it", pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		})
	}
}

// processesIn lists the processes whose working directory is dir (on Linux; none elsewhere).
func processesIn(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}
