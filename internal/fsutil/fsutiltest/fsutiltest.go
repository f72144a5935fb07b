// Package fsutiltest copies and reads trees of files for tests: a fixture or a corpus
// repository laid out in a temporary directory, a checkout read into the file map a fake serves.
// Only regular files are taken (links and devices are not followed), and .git is left out. Only
// tests import it.
package fsutiltest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// CopyTree copies the regular files under src into dst (made as needed), leaving out .git and
// every path (slash-separated, relative to src) skip reports; skip may be nil.
func CopyTree(t testing.TB, src, dst string, skip func(rel string) bool) {
	t.Helper()
	err := walk(src, skip, func(rel string, data []byte) error {
		out := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ReadTree reads the regular files under dir, leaving out .git: slash-separated path relative
// to dir -> content.
func ReadTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := walk(dir, nil, func(rel string, data []byte) error {
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func walk(root string, skip func(string) bool, visit func(rel string, data []byte) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && (d.Name() == ".git" || rel != "." && skip != nil && skip(rel)) {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || skip != nil && skip(rel) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return visit(rel, data)
	})
}
