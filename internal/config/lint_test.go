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
