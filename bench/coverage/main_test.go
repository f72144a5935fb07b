package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/cover"

	"github.com/Molecule-AI/molecule-ci/internal/coverage"
)

// small writes a scaled-down synthetic profile.
func small(tb testing.TB, blocks, repeat int) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := Generate(&buf, blocks, repeat, 100); err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "p.out")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func xtoolsTotals(tb testing.TB, path string) (covered, total int64) {
	ps, err := cover.ParseProfiles(path)
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range ps {
		for _, b := range p.Blocks {
			total += int64(b.NumStmt)
			if b.Count > 0 {
				covered += int64(b.NumStmt)
			}
		}
	}
	return covered, total
}

func oursTotals(tb testing.TB, path string) (covered, total int64) {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	p, err := coverage.ParseGo(path, f)
	if err != nil {
		tb.Fatal(err)
	}
	return p.Totals()
}

// TestSameTotals: both parsers agree on the synthetic profile, which has the merge cases the
// benchmark relies on (repeats with zero and non-zero counts).
func TestSameTotals(t *testing.T) {
	p := small(t, 5000, 4)
	c1, t1 := oursTotals(t, p)
	c2, t2 := xtoolsTotals(t, p)
	if c1 != c2 || t1 != t2 {
		t.Fatalf("ours %d/%d, x/tools %d/%d", c1, t1, c2, t2)
	}
	if c1 == 0 || c1 == t1 {
		t.Fatalf("degenerate profile: %d/%d", c1, t1)
	}
}

func BenchmarkParseGo(b *testing.B) {
	p := small(b, 20000, 10)
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	for b.Loop() {
		oursTotals(b, p)
	}
}

func BenchmarkXToolsParseProfiles(b *testing.B) {
	p := small(b, 20000, 10)
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	for b.Loop() {
		xtoolsTotals(b, p)
	}
}
