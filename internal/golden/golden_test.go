package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that keeps what Check reports instead of failing the real test.
type recorder struct {
	testing.TB
	errors []string
	fatal  string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...); runtime.Goexit() }

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// check runs Check on its own goroutine, so that a Fatal's Goexit ends only that goroutine.
func check(t *testing.T, path string, got []byte) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Check(r, path, got)
	}()
	<-done
	return r
}

func setUpdate(t *testing.T, v bool) {
	old := *update
	*update = v
	t.Cleanup(func() { *update = old })
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.golden")
	if err := os.WriteFile(file, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		path       string
		got        string
		wantErrors []string
		wantFatal  string
	}{
		{name: "match", path: file, got: "one\ntwo\n"},
		{name: "mismatch", path: file, got: "one\nthree\n", wantErrors: []string{
			// cmp varies its diff's spacing from one process to the next, so the diff part is
			// cmp's own for the same pair.
			file + " mismatch (-want +got), go test -update rewrites it:\n" + cmp.Diff("one\ntwo\n", "one\nthree\n"),
		}},
		{name: "missing", path: filepath.Join(dir, "none.golden"), got: "x\n",
			wantFatal: "golden file " + filepath.Join(dir, "none.golden") + " does not exist (run go test -update to create it)"},
		{name: "unreadable", path: dir, got: "x\n", wantFatal: "read " + dir + ": is a directory"},
	}
	setUpdate(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, tt.path, []byte(tt.got))
			if r.fatal != tt.wantFatal {
				t.Errorf("fatal %q, want %q", r.fatal, tt.wantFatal)
			}
			if strings.Join(r.errors, "\x00") != strings.Join(tt.wantErrors, "\x00") {
				t.Errorf("errors:\n%q\nwant:\n%q", r.errors, tt.wantErrors)
			}
		})
	}
}

// With -update, Check writes got (creating directories), reports nothing, and a later compare
// without -update then passes.
func TestCheckUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "dir", "b.golden")
	setUpdate(t, true)
	if !Update() {
		t.Fatal("Update() = false after setting -update")
	}
	if r := check(t, path, []byte("fresh\n")); r.fatal != "" || len(r.errors) != 0 {
		t.Fatalf("update reported fatal %q, errors %q", r.fatal, r.errors)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "fresh\n" {
		t.Errorf("wrote %q, want %q", data, "fresh\n")
	}
	// Under -update a differing golden is rewritten, not reported.
	if r := check(t, path, []byte("changed\n")); r.fatal != "" || len(r.errors) != 0 {
		t.Fatalf("update reported fatal %q, errors %q", r.fatal, r.errors)
	}
	setUpdate(t, false)
	if r := check(t, path, []byte("changed\n")); r.fatal != "" || len(r.errors) != 0 {
		t.Errorf("compare after update reported fatal %q, errors %q", r.fatal, r.errors)
	}
}
