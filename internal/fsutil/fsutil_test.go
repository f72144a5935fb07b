package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadRegular(small, 0); err != nil || string(b) != "hello" {
		t.Fatalf("ReadRegular(small) = %q, %v", b, err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 11)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadRegular(big, 10)
	if want := big + ": 11 bytes is larger than the 10-byte read limit"; err == nil || err.Error() != want {
		t.Fatalf("ReadRegular(big) error = %v, want %q", err, want)
	}
	if !IsLimit(err) {
		t.Errorf("IsLimit(%v) = false", err)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err = ReadRegular(fifo, 0)
	var nr *NotRegularError
	if !errors.As(err, &nr) || err.Error() != fifo+": not a regular file (a named pipe)" {
		t.Fatalf("ReadRegular(fifo) error = %v", err)
	}
	link := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRegular(link, 0); err == nil || err.Error() != link+": not a regular file (a character device)" {
		t.Fatalf("ReadRegular(/dev/zero link) error = %v", err)
	}
	if _, err := ReadRegular(dir, 0); err == nil || err.Error() != dir+": not a regular file (a directory)" {
		t.Fatalf("ReadRegular(dir) error = %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "baseline.json")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("after WriteFile: %q %v", b, st.Mode())
	}
	// A failing write (the target is a directory) leaves no temporary file behind.
	if err := WriteFile(dir, []byte("x"), 0o644); err == nil {
		t.Fatal("WriteFile over a directory succeeded")
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("temporary file %s left in %s after a failed write", e.Name(), d)
			}
		}
	}
}
