package config

import (
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// TestLintBounds: the lint bounds decode from the file, and out-of-range values are rejected
// at their line and column.
func TestLintBounds(t *testing.T) {
	ok, err := Parse("ok.yml", []byte("lint:\n  max-file-size: 1048576\n  tool-timeout: 30s\n  tool-memory: 268435456\n  jobs: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l := ok.Lint; l.MaxFileSize != 1<<20 || l.ToolTimeout != 30*time.Second || l.ToolMemory != 256<<20 || l.Jobs != 2 {
		t.Errorf("decoded %+v", l)
	}
	if off, err := Parse("off.yml", []byte("lint:\n  tool-memory: -1\n")); err != nil || off.Lint.ToolMemory != -1 {
		t.Errorf("tool-memory -1 (no limit): %v %v", off, err)
	}
	var b strings.Builder
	for _, src := range []string{
		"lint:\n  jobs: -1\n",
		"lint:\n  max-file-size: -5\n",
		"lint:\n  tool-timeout: -1s\n",
		"lint:\n  tool-timeout: soon\n",
		"lint:\n  tool-memory: 1000\n",
		"lint:\n  tool-memory: -2\n",
		"lint:\n  max-file-size: big\n",
		"lint:\n  cache-dir: 5\n",
		"lint:\n  cache-dir: true\n",
		"lint:\n  cache-dir: 2026-01-01\n",
		"lint:\n  cache-dir: [a]\n",
		"lint:\n  cache-dir: ~\n  pyflakes: \"5\"\n",
		"x: &j 1.5\nlint:\n  shellcheck: *j\n",
		"lint:\n  shellcheck: true\n",
	} {
		_, err := Parse("bad.yml", []byte(src))
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(src), "\n", " | ") + "\n  => " + strings.ReplaceAll(errText(err), "\n", "\n  => ") + "\n")
	}
	golden.Check(t, "testdata/lint-bounds.golden", []byte(b.String()))
}

func errText(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

// TestLintReusableCheckouts: lint.reusable.checkouts maps OWNER/REPO to a checkout; a key that is
// not OWNER/REPO and an empty path are rejected where they are written.
func TestLintReusableCheckouts(t *testing.T) {
	c, err := Parse("ok.yml", []byte("lint:\n  reusable:\n    checkouts:\n      Molecule-AI/molecule-ci: ../molecule-ci\n"))
	if err != nil || c.Lint.Reusable.Checkouts["Molecule-AI/molecule-ci"] != "../molecule-ci" {
		t.Fatalf("%+v, %v", c, err)
	}
	_, err = Parse("bad.yml", []byte("lint:\n  reusable:\n    checkouts:\n      molecule-ci: ../a\n      o/r: \"\"\n      o/a/b: x\n      o/s: [x]\n"))
	want := "bad.yml:4:7: lint.reusable.checkouts.molecule-ci: want OWNER/REPO, the repository a workflow calls into\n" +
		"bad.yml:5:12: lint.reusable.checkouts.o/r: must be the path of a checkout of o/r\n" +
		"bad.yml:6:7: lint.reusable.checkouts.o/a/b: want OWNER/REPO, the repository a workflow calls into\n" +
		"bad.yml:7:12: lint.reusable.checkouts.o/s: expected a string, got a sequence"
	if errText(err) != want {
		t.Errorf("got\n%s\nwant\n%s", errText(err), want)
	}
}
