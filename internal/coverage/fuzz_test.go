package coverage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// seeds adds every committed report and a few broken ones to a fuzz corpus.
func seeds(f *testing.F, globs ...string) {
	f.Helper()
	for _, g := range globs {
		matches, _ := filepath.Glob(filepath.Join(fixtures, g))
		for _, m := range matches {
			if data, err := os.ReadFile(m); err == nil && len(data) < 1<<20 {
				f.Add(data)
			}
		}
	}
	for _, s := range []string{"", "mode: set\n", "mode: set\na.go:1.1,2.2 1 1\nmode: count\n", "SF:a\nDA:1,-1\n",
		"<coverage><class filename='a'><lines><line number='1' hits='1' branch='true' condition-coverage='50% (1/2)'/>",
		`{"a":{"statementMap":{"0":{"start":{"line":1},"end":{"line":1}}},"s":{"0":1}}}`, `{"total":{"lines":{"total":1,"covered":1}}}`} {
		f.Add([]byte(s))
	}
}

// checkParse is what every fuzz target asserts: no panic, and either a profile or a
// *ParseError naming the input.
func checkParse(t *testing.T, name string, p *Profile, err error) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Path != name {
			t.Fatalf("error %v is not a *ParseError for %q", err, name)
		}
		return
	}
	if p == nil {
		t.Fatal("nil profile without an error")
	}
	c, tot := p.Totals()
	if c < 0 || tot < 0 || c > tot {
		t.Fatalf("impossible totals %d/%d", c, tot)
	}
	for _, fd := range p.Files {
		a := &acc{path: fd.Name}
		a.add(fd, p.Format, p.Mode == ModeSet)
		f, err := a.file()
		if err != nil {
			continue
		}
		if f.Covered < 0 || f.Covered > f.Total || f.Percent < 0 || f.Percent > 100 {
			t.Fatalf("%s: impossible counts %+v", f.Path, f.Counts)
		}
		for i, s := range f.segs {
			if s.start > s.end || i > 0 && f.segs[i-1].end >= s.start {
				t.Fatalf("%s: bad segments %v", f.Path, f.segs)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds(f, "*/*.out", "*/*/*.out", "*/*.xml", "*/*.info", "edge/*.json", "vitest/reports/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("in", bytes.NewReader(data))
		checkParse(t, "in", p, err)
	})
}

func fuzzOne(f *testing.F, parse func(string, io.Reader) (*Profile, error), globs ...string) {
	seeds(f, globs...)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parse("in", bytes.NewReader(data))
		checkParse(t, "in", p, err)
	})
}

func FuzzParseGo(f *testing.F)        { fuzzOne(f, ParseGo, "*/*.out", "*/*/*.out") }
func FuzzParseLCOV(f *testing.F)      { fuzzOne(f, ParseLCOV, "*/*.info", "vitest/reports/lcov.info") }
func FuzzParseCobertura(f *testing.F) { fuzzOne(f, ParseCobertura, "*/*.xml") }
func FuzzParseIstanbul(f *testing.F) {
	fuzzOne(f, ParseIstanbul, "edge/*.json", "vitest/reports/*.json")
}

func FuzzParseDiff(f *testing.F) {
	f.Add([]byte("+++ b/a.go\n@@ -1,2 +3,4 @@\n"))
	f.Add([]byte("+++ \"b/\\303\\251.go\"\n@@ -1 +1 @@\n+++ /dev/null\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseDiff(data)
		if err != nil {
			return
		}
		for _, lines := range m {
			for i := 1; i < len(lines); i++ {
				if lines[i-1] >= lines[i] {
					t.Fatalf("lines not sorted and unique: %v", lines)
				}
			}
		}
	})
}

func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"version":1,"total":{"covered":1,"total":2},"files":{"a":{"covered":0,"total":0}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline("b", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		if b.Total.Percent < 0 || b.Total.Percent > 100 {
			t.Fatalf("percent %v", b.Total.Percent)
		}
	})
}

// FuzzParseGoParallel: the parallel parser gives the profile, or the error, of the serial one,
// however the input is cut into chunks (size and workers come from the input too).
func FuzzParseGoParallel(f *testing.F) {
	seeds(f, "*/*.out", "*/*/*.out")
	for _, s := range []string{"\xef\xbb\xbfmode: set\r\na.go:1.1,2.2 1 1\r\n\r\nb.go:1.1,1.1 1 0",
		"mode: count\na.go:1.1,2.2 1 1\na.go:3.1,4.2 2 1\nmode: count\na.go:1.1,2.2 1 1\na.go:3.1,4.2 3 1\n",
		"a.go:1.1,2.2 1 1\nmode: set\n", "mode: set\na.go:1.1,2.2 1 1\nmode: atomic\n", "mode: set\nx\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := parseGoSerial("in", bytes.NewReader(data))
		size, workers := 1+len(data)%61, 1+len(data)%3
		got, err := parseGoParallel("in", iotest.HalfReader(bytes.NewReader(data)), workers, size)
		sameParse(t, want, wantErr, got, err)
	})
}

// sameParse fails unless two parses gave the same profile, or the same error.
func sameParse(t *testing.T, want *Profile, wantErr error, got *Profile, err error) {
	t.Helper()
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("parallel error %v, serial %v", err, wantErr)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("parallel profile differs from the serial one (-serial +parallel):\n%s", diff)
	}
}

// FuzzSegments: every line's state from segments (executable, covered) is what the blocks over
// it say — covered when a block of statements over it ran — and the segments are sorted, apart
// and maximal (two neighbours with the same state would be one run).
func FuzzSegments(f *testing.F) {
	f.Add([]byte{1, 3, 1, 1, 2, 2, 0, 1, 5, 5, 1, 0, 4, 9, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var blocks []Block
		for ; len(data) >= 4; data = data[4:] {
			start := int32(data[0]%40) + 1
			blocks = append(blocks, Block{StartLine: start, EndLine: start + int32(data[1]%6), NumStmt: int32(data[2] % 3), Count: int64(data[3] % 2)})
		}
		slices.SortStableFunc(blocks, comparePos)
		f := &File{segs: segments(blocks)}
		for i, s := range f.segs {
			if s.start > s.end || i > 0 && (f.segs[i-1].end >= s.start || f.segs[i-1].end+1 == s.start && f.segs[i-1].covered == s.covered) {
				t.Fatalf("bad segments %v", f.segs)
			}
		}
		for line := int32(0); line <= 50; line++ {
			var exec, cov bool
			for _, b := range blocks {
				if b.NumStmt > 0 && b.StartLine <= line && line <= b.EndLine {
					exec, cov = true, cov || b.Count > 0
				}
			}
			if e, c := f.lineState(int(line)); e != exec || c != cov {
				t.Fatalf("line %d: executable %v covered %v, want %v %v (segments %v, blocks %v)", line, e, c, exec, cov, f.segs, blocks)
			}
		}
	})
}
