package secretscan

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

// classesDir holds the fixtures of the secret classes, shared with the labelled set of
// internal/lint/precision (its testdata: sources).
var classesDir = filepath.Join("..", "..", "..", "testdata", "secrets")

// TestClasses scans ../../../testdata/secrets, one file for each class of issue 15 — documentation
// placeholders cut off with "..." (an API doc, a plugin's SKILL.md), test fixtures in a Go and a
// Python test, an .env.example with empty values and inline comments — next to the true cases
// (tokens in their providers' formats with valid checksums, a whole JWT, generated values). The
// fixtures carry @@kind@@ markers that are replaced with generated tokens here, so the
// repository holds none. testdata/classes.golden is every finding, with its severity.
func TestClasses(t *testing.T) {
	dir := t.TempDir()
	g := secretstest.New(15)
	err := filepath.WalkDir(classesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(classesDir, p)
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		text, err := g.Expand(string(src))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		write(t, dir, filepath.ToSlash(rel), text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Tree(context.Background(), TreeOptions{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := renderFindings(res.Findings)
	golden.Check(t, filepath.Join("testdata", "classes.golden"), []byte(got))

	// A message shows at most four characters of a value, which Redact leaves as they are: the
	// message reaches the user whole, and never carries more.
	for _, f := range res.Findings {
		if r := secrets.Redact(f.Message); r != f.Message {
			t.Errorf("Redact changes the message %q into %q", f.Message, r)
		}
		for _, tok := range g.Made {
			shown := 0 // a provider's public prefix may be shown whole
			if hits := secrets.Find([]byte(tok)); len(hits) == 1 {
				shown = len(hits[0].Shown)
			}
			for i := shown; i+5 <= len(tok); i++ {
				if part := tok[i : i+5]; strings.Contains(f.Message, part) {
					t.Errorf("message %q holds %q, five characters of a token", f.Message, part)
				}
			}
		}
	}
}
