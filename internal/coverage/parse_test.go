package coverage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

var raceEnabled bool

// TestParseErrors: every kind of bad input is a *ParseError naming the file and line, with the
// exact message a user sees.
func TestParseErrors(t *testing.T) {
	size := 50 << 20 // a 50 MB single line
	if raceEnabled {
		size = 4 << 20
		t.Logf("race detector on: the single-line inputs are %d MiB instead of 50", size>>20)
	}
	big := strings.Repeat("x", size)
	tests := []struct {
		name, input, want string
	}{
		{"empty", "", "r: empty file: not a coverage report (valid: Go coverprofile, Cobertura XML, LCOV, Istanbul coverage-final.json or coverage-summary.json)"},
		{"blank", "\n\n  \n", "r: empty file: not a coverage report (valid: Go coverprofile, Cobertura XML, LCOV, Istanbul coverage-final.json or coverage-summary.json)"},
		{"unknown", "\nhello world\n", `r:2: unrecognised coverage format, starting "hello world" (valid: Go coverprofile, Cobertura XML, LCOV, Istanbul coverage-final.json or coverage-summary.json)`},
		{"unknown 50MB line", big, `r:1: unrecognised coverage format, starting "` + strings.Repeat("x", 60) + `…" (valid: Go coverprofile, Cobertura XML, LCOV, Istanbul coverage-final.json or coverage-summary.json)`},

		{"go truncated", "mode: set\na.go:1.2,3", `r:2: malformed block: truncated, or not file:line.col,line.col statements count in "a.go:1.2,3"`},
		{"go truncated count", "mode: set\na.go:1.2,3.4 1 ", `r:2: missing count in "a.go:1.2,3.4 1 "`},
		{"go second mode conflicts", "mode: set\na.go:1.1,2.2 1 1\nmode: count\na.go:1.1,2.2 1 1\n", `r:3: mode "count" conflicts with mode "set" on line 1: merge only profiles of one -covermode`},
		{"go unknown mode", "mode: sometimes\n", `r:1: unknown coverage mode "sometimes" (valid: set, count, atomic)`},
		{"go negative count", "mode: count\na.go:1.1,2.2 1 -4\n", `r:2: negative count in "a.go:1.1,2.2 1 -4"`},
		{"go negative statements", "mode: count\na.go:1.1,2.2 -1 4\n", `r:2: negative statement count in "a.go:1.1,2.2 -1 4"`},
		{"go count overflow", "mode: count\na.go:1.1,2.2 1 99999999999999999999\n", `r:2: count is out of range in "a.go:1.1,2.2 1 99999999999999999999"`},
		{"go line overflow", "mode: count\na.go:1.1,9999999999.2 1 1\n", `r:2: end line is out of range in "a.go:1.1,9999999999.2 1 1"`},
		{"go backwards block", "mode: set\na.go:5.1,2.2 1 1\n", `r:2: block ends before it starts in "a.go:5.1,2.2 1 1"`},
		{"go line zero", "mode: set\na.go:0.1,2.2 1 1\n", `r:2: line numbers start at 1 in "a.go:0.1,2.2 1 1"`},
		{"go no file name", "mode: set\n:1.1,2.2 1 1\n", `r:2: empty file name in ":1.1,2.2 1 1"`},
		{"go statements differ", "mode: set\na.go:1.1,2.2 1 1\na.go:1.1,2.2 2 1\n", `r:3: statement count 2 differs from the 1 reported earlier for the same block in "a.go:1.1,2.2 2 1"`},
		{"go 50MB line", "mode: set\n" + big, "r:2: line is longer than 1 MiB: not a coverage report, or a corrupt one"},

		{"lcov truncated", "TN:\nSF:a.c\nDA:1,1\n", `r:3: truncated: the record for "a.c" started on line 2 has no end_of_record`},
		{"lcov negative", "SF:a.c\nDA:1,-1\nend_of_record\n", "r:2: DA: negative count"},
		{"lcov malformed DA", "SF:a.c\nDA:1\nend_of_record\n", "r:2: DA: want DA:<line>,<count>"},
		{"lcov bad number", "SF:a.c\nDA:x,1\nend_of_record\n", `r:2: DA: malformed line number "x"`},
		{"lcov DA outside", "TN:\nDA:1,1\n", "r:2: DA: outside a record (no SF: before it)"},
		{"lcov nested SF", "SF:a.c\nSF:b.c\n", `r:2: SF: before the end_of_record of "a.c" (line 1)`},
		{"lcov stray end", "TN:\nend_of_record\n", "r:2: end_of_record without a preceding SF:"},
		{"lcov garbage line", "SF:a.c\nwhat\n", `r:2: unrecognised LCOV line "what"`},
		{"lcov FNA without FNL", "SF:a.c\nFNA:0,1,f\nend_of_record\n", "r:2: FNA: function index 0 has no FNL: before it"},
		{"lcov negative BRDA", "SF:a.c\nBRDA:1,0,0,-2\nend_of_record\n", "r:2: BRDA: negative taken count"},
		{"lcov 50MB line", "SF:a.c\n" + big, "r:2: line is longer than 1 MiB: not a coverage report, or a corrupt one"},

		{"xml malformed", "<coverage>\n<packages>\n<class filename=\"a.py\">\n<lines><line number=\"1\" hits=\"1\"></lines>", "r:4: malformed XML: element <line> closed by </lines>"},
		{"xml truncated", "<coverage>\n<packages>\n", "r:3: malformed XML: truncated XML: unexpected EOF"},
		{"xml wrong root", "<?xml version=\"1.0\"?>\n<report name=\"jacoco\"/>", "r:2: not Cobertura XML: the root element is <report>, want <coverage>"},
		{"xml negative hits", "<coverage><packages><package><classes><class filename=\"a.py\"><lines>\n<line number=\"3\" hits=\"-1\"/>", `r:2: <line>: negative hits "-1"`},
		{"xml line outside class", "<coverage>\n<line number=\"3\" hits=\"1\"/>\n</coverage>", "r:2: <line> outside a <class>"},
		{"xml bad condition", "<coverage><class filename=\"a.py\">\n<line number=\"3\" hits=\"1\" branch=\"true\" condition-coverage=\"50% (3/2)\"/></class></coverage>", `r:2: <line>: impossible condition-coverage "50% (3/2)"`},
		{"xml huge condition", "<coverage><class filename=\"a.py\">\n<line number=\"3\" hits=\"1\" branch=\"true\" condition-coverage=\"0% (0/999999999)\"/></class></coverage>", `r:2: <line>: implausible condition-coverage "0% (0/999999999)"`},
		{"xml 50MB line", "<coverage>" + big, "r:1: malformed XML: truncated XML: unexpected EOF"},

		{"json malformed", "{\n\"a.ts\": {\"statementMap\": {},\n}}", "r:3: malformed JSON: invalid character '}' looking for beginning of object key string"},
		{"json truncated", "{\"a.ts\": {\"statementMap\": {", "r:1: truncated JSON"},
		{"json negative", "{\n\"a.ts\":\n {\"statementMap\": {\"0\": {\"start\": {\"line\": 1}, \"end\": {\"line\": 1}}}, \"s\": {\"0\": -3}}}", `r:2: "a.ts": s["0"]: negative count -3`},
		{"json float count", "{\"a.ts\": {\"statementMap\": {\"0\": {\"start\": {\"line\": 1}, \"end\": {\"line\": 1}}}, \"s\": {\"0\": 1.5}}}", `r:1: "a.ts": s["0"]: malformed count "1.5"`},
		{"json unknown statement", "{\"a.ts\": {\"statementMap\": {}, \"s\": {\"7\": 1}}}", `r:1: "a.ts": s["7"] counts a statement statementMap does not have`},
		{"json neither", "{\"a.ts\": {\"x\": 1}}", `r:1: entry "a.ts" is neither Istanbul file coverage (no statementMap) nor a coverage summary (no statements)`},
		{"json mixed", "{\"a.ts\": {\"statementMap\": {}},\n\"b.ts\": {\"lines\": {\"total\": 1, \"covered\": 1}}}", `r:2: entry "b.ts" is istanbul-summary but earlier entries are istanbul`},
		{"json summary impossible", "{\"a.ts\": {\"statements\": {\"total\": 1, \"covered\": 2}}}", `r:1: "a.ts": statements: covered 2 is more than total 1`},
		{"json not an object", "{\"a.ts\": [1]}", "r:1: unexpected JSON: json: cannot unmarshal array into Go value of type coverage.istanbulEntry"},
		{"json trailing", "{}\n{}", "r:2: unexpected data after the JSON object"},
		{"json 50MB line", "{" + big, "r:1: malformed JSON: invalid character 'x' looking for beginning of object key string"},
		{"json bad value", "{\"a.ts\":\n {\"statementMap\": {},\n \"s\": {\"0\": tru}}}", "r:3: malformed JSON: invalid character '}' in literal true (expecting 'e')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof, err := Parse("r", strings.NewReader(tt.input))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, %v; want a *ParseError", prof, err)
			}
			if pe.Path != "r" {
				t.Errorf("Path = %q", pe.Path)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", clip(got, 300), tt.want)
			}
		})
	}
}

// TestParseGoMerge: blocks repeated by -coverpkg and by concatenated profiles are merged as
// `go tool cover` merges them.
func TestParseGoMerge(t *testing.T) {
	tests := []struct {
		name, input string
		want        []Block
	}{
		{"set ORs", "mode: set\na.go:1.1,2.2 2 0\na.go:1.1,2.2 2 1\na.go:1.1,2.2 2 0\n",
			[]Block{{1, 1, 2, 2, 2, 1}}},
		{"count sums", "mode: count\na.go:1.1,2.2 2 3\nb.go:1.1,1.9 1 0\na.go:1.1,2.2 2 4\nmode: count\nb.go:1.1,1.9 1 7\n",
			[]Block{{1, 1, 2, 2, 2, 7}, {1, 1, 1, 9, 1, 7}}},
		{"atomic saturates", "mode: atomic\na.go:1.1,2.2 1 9223372036854775807\na.go:1.1,2.2 1 5\n",
			[]Block{{1, 1, 2, 2, 1, 9223372036854775807}}},
		{"out of order repeats", "mode: count\na.go:1.1,2.2 1 1\na.go:3.1,4.2 1 1\na.go:3.1,4.2 1 1\na.go:1.1,2.2 1 1\n",
			[]Block{{1, 1, 2, 2, 1, 2}, {3, 1, 4, 2, 1, 2}}},
		{"windows path and CRLF", "mode: set\r\nC:\\src\\a.go:1.1,2.2 1 1\r\n",
			[]Block{{1, 1, 2, 2, 1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseGo("p", strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			var got []Block
			for _, f := range p.Files {
				got = append(got, f.Blocks...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunModeConflictAcrossFiles: two profiles of different modes cannot be merged.
func TestRunModeConflictAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.out"), filepath.Join(dir, "b.out")
	os.WriteFile(a, []byte("mode: set\nx/a.go:1.1,2.2 1 1\n"), 0o644)
	os.WriteFile(b, []byte("\nmode: count\nx/a.go:1.1,2.2 1 1\n"), 0o644)
	_, err := Run(context.Background(), Options{Reports: []string{a, b}, RepoRoot: dir})
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ParseError", err)
	}
	want := b + `:2: mode "count" conflicts with mode "set" of ` + a + ": merge only profiles of one -covermode"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(context.Background(), Options{}); err == nil || err.Error() != "no coverage reports given" {
		t.Errorf("no reports: %v", err)
	}
	_, err := Run(context.Background(), Options{Reports: []string{filepath.Join(dir, "nope.out")}})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing report: %v, want fs.ErrNotExist", err)
	}
	_, err = Run(context.Background(), Options{Reports: []string{dir}})
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.HasSuffix(err.Error(), ": is a directory, not a coverage report") {
		t.Errorf("directory: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Reports: []string{"x"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// Two reports that disagree on a block's statement count are different versions of a file.
	a, b := filepath.Join(dir, "a.out"), filepath.Join(dir, "b.out")
	os.WriteFile(a, []byte("mode: set\nx/a.go:1.1,2.2 1 1\n"), 0o644)
	os.WriteFile(b, []byte("mode: set\nx/a.go:1.1,2.2 3 1\n"), 0o644)
	_, err = Run(context.Background(), Options{Reports: []string{a, b}, RepoRoot: dir})
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "x/a.go: the block at 1.1,2.2 has 1 statements in one report and 3 in another") {
		t.Errorf("inconsistent reports: %v", err)
	}
}

// TestParseGoParallel: the parallel parser gives the serial parser's profile, or its error at
// the same line, wherever the chunks are cut and however many workers there are: blocks merged
// across chunks, errors far into the input, lines too long, read errors, a reader that stalls.
func TestParseGoParallel(t *testing.T) {
	var synth strings.Builder
	synth.WriteString("\xef\xbb\xbfmode: count\r\n")
	for r := range 3 {
		for i := range 3000 {
			fmt.Fprintf(&synth, "example.com/m/p%d/f%d.go:%d.%d,%d.%d %d %d\n", i/500, i/50, 10+i%50*3, 2, 11+i%50*3, 4, 1+i%3, (i+r)%4)
			if i%997 == 0 {
				synth.WriteString("\n")
			}
		}
		if r == 1 {
			synth.WriteString("mode: count\n")
		}
	}
	good := synth.String()
	long := strings.Repeat("x", maxLineBytes)
	lines := strings.SplitAfter(good, "\n")
	at := func(n int, s string) string { // good with line n replaced by s
		return strings.Join(lines[:n-1], "") + s + "\n" + strings.Join(lines[n:], "")
	}
	tooLong := "line is longer than 1 MiB: not a coverage report, or a corrupt one"
	inputs := []struct{ name, in, wantErr string }{
		{"good", good, ""},
		{"no final newline", strings.TrimSuffix(good, "\n"), ""},
		{"out of order", good + "example.com/m/p0/f0.go:1.1,1.2 1 1\nexample.com/m/p0/f0.go:10.2,11.4 1 5\n", ""},
		{"huge numbers", good + "example.com/m/p0/f0.go:0000000001.1,2.3 1 000000000000000000009\nexample.com/m/p0/f0.go:1.1,2.3 1 9223372036854775807\n", ""},
		{"bad line late", at(7000, "example.com/m/p0/f0.go:10.2,11.4 1 x"),
			`p:7000: malformed count (want file:line.col,line.col statements count) in "example.com/m/p0/f0.go:10.2,11.4 1 x"`},
		{"statement count late", at(8500, "example.com/m/p0/f0.go:10.2,11.4 7 1"),
			`p:8500: statement count 7 differs from the 1 reported earlier for the same block in "example.com/m/p0/f0.go:10.2,11.4 7 1"`},
		{"mode conflict late", at(5000, "mode: set"), `p:5000: mode "set" conflicts with mode "count" on line 1: merge only profiles of one -covermode`},
		{"unknown mode late", at(5000, "mode: sometimes"), `p:5000: unknown coverage mode "sometimes" (valid: set, count, atomic)`},
		{"truncated late", at(6001, "example.com/m/p0/f0.go:10.2"),
			`p:6001: malformed block: truncated, or not file:line.col,line.col statements count in "example.com/m/p0/f0.go:10.2"`},
		{"long line late", at(4000, long), "p:4000: " + tooLong},
		{"long line first", long + "\n" + good, "p:1: " + tooLong},
		{"long final line", good + long, "p:9015: " + tooLong},
		{"almost long final line", good + long[1:], "p:9015: malformed block: truncated, or not file:line.col,line.col statements count in " + strconv.Quote(clip(long, 120))},
		{"missing mode", strings.Join(lines[1:], ""), `p:1: missing mode line: a Go coverprofile starts with "mode: set", "mode: count" or "mode: atomic"`},
		{"only blank", "\n\n\r\n", "p:3: no mode line: not a Go coverprofile"},
		{"empty", "", "p: no mode line: not a Go coverprofile"},
	}
	for _, tt := range inputs {
		for _, cut := range []struct{ workers, size int }{{1, 1}, {2, 100}, {3, 4096}, {4, 1 << 20}} {
			t.Run(fmt.Sprintf("%s/%d-workers-%d-bytes", tt.name, cut.workers, cut.size), func(t *testing.T) {
				want, wantErr := parseGoSerial("p", strings.NewReader(tt.in))
				if got := fmt.Sprint(wantErr); tt.wantErr == "" && wantErr != nil || tt.wantErr != "" && got != tt.wantErr {
					t.Fatalf("serial parser: error %s, want %q", clip(got, 200), tt.wantErr)
				}
				got, err := parseGoParallel("p", iotest.HalfReader(strings.NewReader(tt.in)), cut.workers, cut.size)
				sameParse(t, want, wantErr, got, err)
			})
		}
	}
	// A read error after some lines, and a reader that returns nothing forever.
	for _, tt := range []struct {
		name    string
		r       func() io.Reader
		wantErr string
	}{
		{"read error", func() io.Reader {
			return io.MultiReader(strings.NewReader(good[:len(good)/2]), iotest.ErrReader(errors.New("disk on fire")))
		}, "p:4514: cannot read report: disk on fire"},
		{"no progress", func() io.Reader { return io.MultiReader(strings.NewReader(good[:4000]), nothingReader{}) },
			"p:108: cannot read report: multiple Read calls return no data or error"},
	} {
		for _, workers := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%s/%d-workers", tt.name, workers), func(t *testing.T) {
				want, wantErr := parseGoSerial("p", tt.r())
				if fmt.Sprint(wantErr) != tt.wantErr {
					t.Fatalf("serial parser: error %v, want %q", wantErr, tt.wantErr)
				}
				got, err := parseGoParallel("p", tt.r(), workers, 1000)
				sameParse(t, want, wantErr, got, err)
			})
		}
	}
}

// nothingReader returns no data and no error, forever.
type nothingReader struct{}

func (nothingReader) Read([]byte) (int, error) { return 0, nil }

// TestParseGoBlocksCapped: files' blocks share memory while they are parsed; appending to one
// file's blocks afterwards (as merging two reports does) must not overwrite the next file's.
func TestParseGoBlocksCapped(t *testing.T) {
	p, err := ParseGo("p", strings.NewReader("mode: set\na.go:1.1,2.2 1 1\nb.go:3.1,4.2 1 0\na.go:5.1,6.2 1 1\nc.go:1.1,1.2 1 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(p.Files[1].Blocks, p.Files[2].Blocks)
	for _, f := range p.Files {
		_ = append(f.Blocks, Block{StartLine: 99, EndLine: 99, NumStmt: 1})
	}
	if after := fmt.Sprint(p.Files[1].Blocks, p.Files[2].Blocks); after != before {
		t.Fatalf("appending to a file's blocks changed another file's: %s, was %s", after, before)
	}
	if want := "[{3 1 4 2 1 0}] [{1 1 1 2 1 1}]"; before != want {
		t.Fatalf("blocks of b.go and c.go = %s, want %s", before, want)
	}
}
