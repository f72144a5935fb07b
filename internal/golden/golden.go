// Package golden owns the golden-file convention of this repository's tests: the one -update flag
// and the compare-or-rewrite step every package's golden tests share. Only tests import it; it is
// a plain package rather than a _test.go file so that every package's tests can.
package golden

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// update is registered here once: a test binary holds every package it imports, and two packages
// registering the same flag name would panic.
var update = flag.Bool("update", false, "rewrite golden files and other expected outputs instead of comparing")

// Update reports whether -update was given: rewrite golden files instead of comparing.
func Update() bool { return *update }

// Check compares got with the golden file at path; with -update it writes got there (creating
// directories) instead. On a mismatch it reports a -want +got diff (github.com/google/go-cmp/cmp)
// naming the file; a missing file says to run with -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("golden file %s does not exist (run go test -update to create it)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got), go test -update rewrites it:\n%s", path, diff)
	}
}

// CheckSection compares got with the section called name of ar, the txtar archive read from
// file (a scenario whose input and expected output live together); with -update it rewrites
// that section of file instead. A missing section is a failure.
func CheckSection(t testing.TB, file string, ar *txtar.Archive, name string, got []byte) {
	t.Helper()
	i := slices.IndexFunc(ar.Files, func(f txtar.File) bool { return f.Name == name })
	if i < 0 {
		t.Fatalf("%s has no %q section", file, name)
	}
	if *update {
		ar.Files[i].Data = got
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(string(ar.Files[i].Data), string(got)); diff != "" {
		t.Errorf("%s: %s mismatch (-want +got), go test -update rewrites it:\n%s", file, name, diff)
	}
}
