package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/lint/scriptcheck"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

const okWorkflow = "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: echo ok\n"

// hostileRepo is a repository whose .github/workflows holds every kind of file that must not be
// read whole, or at all: a FIFO, symlinks to endless devices and outside the repository, a 5 GB
// sparse file; and the cases that are fine: a symlink to a regular file inside the repository.
func hostileRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(wf, "ok.yml"), []byte(okWorkflow), 0o644))
	// The linked workflow has a finding, so the golden shows it was linted.
	must(os.WriteFile(filepath.Join(dir, "shared.yml"), []byte(strings.Replace(okWorkflow, "    timeout-minutes: 5\n", "", 1)), 0o644))
	must(os.Symlink("../../shared.yml", filepath.Join(wf, "linked.yml")))
	outside := filepath.Join(t.TempDir(), "outside.yml")
	must(os.WriteFile(outside, []byte(okWorkflow), 0o644))
	must(os.Symlink(outside, filepath.Join(wf, "outside.yml")))
	must(os.Symlink("/dev/zero", filepath.Join(wf, "zero.yml")))
	must(os.Symlink("/dev/urandom", filepath.Join(wf, "urandom.yml")))
	must(os.Symlink("missing.yml", filepath.Join(wf, "dangling.yml")))
	must(syscall.Mkfifo(filepath.Join(wf, "fifo.yml"), 0o644))
	// A symlinked .gitea directory is reported, not silently skipped.
	must(os.MkdirAll(filepath.Join(dir, "ci-src", "workflows"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "ci-src", "workflows", "g.yml"), []byte(okWorkflow), 0o644))
	must(os.Symlink("ci-src", filepath.Join(dir, ".gitea")))
	big, err := os.Create(filepath.Join(wf, "big.yml"))
	must(err)
	must(big.Truncate(5 << 30)) // sparse: 5 GB long, no disk used
	must(big.Close())
	return dir
}

// TestHostileFiles: nothing hangs, nothing is read whole, nothing is skipped without a word.
func TestHostileFiles(t *testing.T) {
	dir := hostileRepo(t)
	done := make(chan struct{})
	var out string
	go func() {
		defer close(done)
		rep, err := Run(context.Background(), Options{WorkDir: dir})
		if err != nil {
			out = "error: " + err.Error()
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "files checked: %d\n", rep.FilesChecked)
		for _, f := range rep.Findings {
			fmt.Fprintln(&b, strings.ReplaceAll(f.String(), filepath.Dir(dir), "$TMP"))
		}
		out = b.String()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("lint did not return: a FIFO or device was read")
	}
	golden.Check(t, "testdata/hostile-files.golden", []byte(out))
}

// TestHostileExplicitFiles: a file named on the command line that cannot be read is an error
// naming it and what was expected.
func TestHostileExplicitFiles(t *testing.T) {
	dir := hostileRepo(t)
	var b strings.Builder
	for _, p := range []string{".github/workflows/fifo.yml", ".github/workflows/zero.yml", ".github/workflows/urandom.yml",
		".github/workflows/big.yml", ".github/workflows/dangling.yml", ".github/workflows/linked.yml", ".gitea", ".gitea/workflows"} {
		_, err := Run(context.Background(), Options{WorkDir: dir, Paths: []string{p}})
		var pe *PathError
		if err != nil {
			fmt.Fprintf(&b, "lint %s: PathError=%v: %v\n", p, errors.As(err, &pe), err)
			continue
		}
		rep, err := Run(context.Background(), Options{WorkDir: dir, Paths: []string{p}})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "lint %s: %d files, %d findings\n", p, rep.FilesChecked, len(rep.Findings))
	}
	// A small limit stands in for a huge file.
	_, err := Run(context.Background(), Options{WorkDir: dir, Paths: []string{".github/workflows/ok.yml"}, MaxFileSize: 16})
	fmt.Fprintf(&b, "lint ok.yml with a 16-byte limit: %v\n", err)
	golden.Check(t, "testdata/hostile-explicit.golden", []byte(b.String()))
}

// TestRunCancelled: a cancelled context ends a large run promptly with context.Canceled and no
// partial report.
func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if err := os.WriteFile(filepath.Join(wf, fmt.Sprintf("w%04d.yml", i)), []byte(okWorkflow), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	rep, err := Run(ctx, Options{WorkDir: dir, Jobs: 1})
	if !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("Run = %v, %v; want nil, context.Canceled", rep, err)
	}
	t.Logf("3000 workflows, cancelled after 100ms: Run returned after %s", time.Since(start))

	// Already cancelled: nothing is linted.
	if _, err := Run(ctx, Options{WorkDir: dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before the start: err = %v", err)
	}
}

// TestRunCancelledWithShellcheck: cancelling a run whose shellcheck processes would take minutes
// kills them and returns context.Canceled promptly.
func TestRunCancelledWithShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.Missing(t, "shellcheck not installed: apt-get install shellcheck")
	}
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		nested := fmt.Sprintf("echo %d ", i) + strings.Repeat("$(echo ", 300) + "x" + strings.Repeat(")", 300)
		if err := os.WriteFile(filepath.Join(wf, fmt.Sprintf("w%03d.yml", i)), []byte(okWorkflow+"      - run: "+nested+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	rep, err := Run(ctx, Options{WorkDir: dir, Scripts: scriptcheck.Options{Shellcheck: sc, Timeout: time.Minute}})
	if !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("Run = %v, %v; want nil, context.Canceled", rep, err)
	}
	t.Logf("200 workflows of minute-long scripts, cancelled after 300ms: Run returned after %s", time.Since(start))
}
