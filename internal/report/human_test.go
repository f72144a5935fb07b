package report

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSourceDisplay(t *testing.T) {
	tests := []struct {
		name      string
		line      string
		col       int
		text, pad string
	}{
		{"first column", "abc", 1, "abc", ""},
		{"ascii", "  key: value", 3, "  key: value", "  "},
		{"tabs are kept so the caret lines up", "\tRUN\tx", 6, "\tRUN\tx", "\t   \t"},
		{"wide characters take two cells", "title: 名前 value", 11, "title: 名前 value", strings.Repeat(" ", 12)},
		{"combining-free accents take one", "ünï x", 5, "ünï x", "    "},
		{"column past the end points after it", "ab", 9, "ab", "  "},
		{"column zero has no padding", "ab", 0, "ab", ""},
		{"control characters are escaped and padded", "a\x1b[2Jb", 7, `a\x1b[2Jb`, strings.Repeat(" ", 9)},
		{"bidi overrides are escaped", "x\u202ey", 3, `x\u202ey`, strings.Repeat(" ", 7)},
		{"empty line", "", 1, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, pad := sourceDisplay(tt.line, tt.col)
			if text != tt.text || pad != tt.pad {
				t.Errorf("sourceDisplay(%q, %d) = %q, %q; want %q, %q", tt.line, tt.col, text, pad, tt.text, tt.pad)
			}
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Colour must only decorate: without the escapes the output is the plain output, so the
// canonical lines stay greppable and the problem matcher still matches them.
func TestHumanColorOnlyDecorates(t *testing.T) {
	opts := Options{Source: trickySource}
	plain := writeString(t, "human", trickyReport(), opts)
	opts.Color = true
	colored := writeString(t, "human", trickyReport(), opts)
	if colored == plain {
		t.Fatal("Color: true added no colour")
	}
	if got := ansi.ReplaceAllString(colored, ""); got != plain {
		t.Errorf("colour output without escapes differs from plain output:\n%s\nvs\n%s", got, plain)
	}
	// The only ESC bytes are our own SGR sequences: the one quoted in a message is escaped.
	if strings.Count(ansi.ReplaceAllString(colored, ""), "\x1b") != 0 {
		t.Error("an ESC from a finding reached the terminal")
	}
}

func TestHumanCanonicalLines(t *testing.T) {
	rep := trickyReport()
	out := writeString(t, "human", rep, Options{Source: trickySource})
	for _, f := range rep.Findings {
		if strings.ContainsAny(f.Message, "\x1b") {
			continue // shown escaped, by design
		}
		// A line break in a message is shown as \x0a: a finding is one line, so the problem
		// matcher reads all of it and quoted text cannot start a line of its own.
		f.Message = strings.ReplaceAll(f.Message, "\n", `\x0a`)
		if !strings.Contains(out, f.String()+"\n") {
			t.Errorf("human output lacks the canonical line %q", f.String())
		}
	}
}

func TestHumanReadsEachSourceOnce(t *testing.T) {
	calls := map[string]int{}
	src := func(path string) ([]byte, error) {
		calls[path]++
		if path == "gone.yml" {
			return nil, errors.New("permission denied")
		}
		return []byte("one\ntwo\n"), nil
	}
	rep := &Report{FilesChecked: 2, Findings: []Finding{
		{Path: "a.yml", Line: 1, Col: 1, Rule: "r", Severity: Error, Message: "m1"},
		{Path: "a.yml", Line: 2, Col: 2, Rule: "r", Severity: Error, Message: "m2"},
		{Path: "a.yml", Rule: "r", Severity: Error, Message: "whole file"},
		{Path: "gone.yml", Line: 1, Col: 1, Rule: "r", Severity: Warning, Message: "m3"},
		{Path: "gone.yml", Line: 2, Col: 1, Rule: "r", Severity: Warning, Message: "m4"},
	}}
	got := writeString(t, "human", rep, Options{Source: src})
	want := "a.yml:0:0: whole file [r]\n" +
		"a.yml:1:1: m1 [r]\n" +
		"1 | one\n" +
		"  | ^\n" +
		"a.yml:2:2: m2 [r]\n" +
		"2 | two\n" +
		"  |  ^\n" +
		"gone.yml:1:1: m3 [r]\n" +
		"gone.yml:2:1: m4 [r]\n" +
		"5 findings (3 errors, 2 warnings) in 2 files\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if calls["a.yml"] != 1 || calls["gone.yml"] != 1 {
		t.Errorf("Source calls = %v, want each path once", calls)
	}
}

func TestHumanLineNumberGutter(t *testing.T) {
	src := func(string) ([]byte, error) { return []byte(strings.Repeat("x\n", 120)), nil }
	rep := &Report{Findings: []Finding{{Path: "a", Line: 120, Rule: "r", Severity: Error, Message: "whole line"}}}
	got := writeString(t, "human", rep, Options{Source: src})
	want := "a:120:0: whole line [r]\n120 | x\n1 finding (1 error) in 0 files\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("0123456789", 30) // 300 characters
	wide := strings.Repeat("名", 300)
	tests := []struct {
		name    string
		line    string
		col     int
		text    string
		wantCol int
	}{
		{"short line whole", "abc", 2, "abc", 2},
		{"long line, column at the start", long, 1, long[:excerptWidth] + "…", 1},
		{"long line, column in the middle", long, 151, "…" + long[70:230] + "…", 82},
		{"long line, column at the end", long, 300, "…" + long[140:], 161},
		{"long line, column past the end", long, 400, "…" + long[140:], 261},
		{"long line, no column", long, 0, long[:excerptWidth] + "…", 0},
		{"wide characters are counted as characters", wide, 200, "…" + strings.Repeat("名", excerptWidth) + "…", 82},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := srcLine{text: tt.line, runes: utf8.RuneCountInString(tt.line)}
			l.ascii = l.runes == len(tt.line)
			text, col := excerpt(l, tt.col)
			if text != tt.text || col != tt.wantCol {
				t.Errorf("excerpt(%d) = %q, %d; want %q, %d", tt.col, text, col, tt.text, tt.wantCol)
			}
		})
	}
}

// oneLineFile is the shape that made --format human write 899 MB: a 200 KB single-line file
// with 3,000 findings on it.
func oneLineFile() (*Report, []byte) {
	src := []byte(strings.Repeat("{uses: a/b@main}, ", 200<<10/18))
	rep := &Report{FilesChecked: 1}
	for i := range 3000 {
		rep.Findings = append(rep.Findings, Finding{Path: "w.yml", Line: 1, Col: 1 + i*60, Rule: "r", Severity: Warning, Message: "m"})
	}
	return rep, src
}

// TestHumanLongLineBounded: every finding shows a bounded excerpt, so the output grows with the
// number of findings, not with findings times line length.
func TestHumanLongLineBounded(t *testing.T) {
	rep, src := oneLineFile()
	var buf bytes.Buffer
	if err := Write(&buf, "human", rep, Options{Source: func(string) ([]byte, error) { return src, nil }}); err != nil {
		t.Fatal(err)
	}
	perFinding := buf.Len() / len(rep.Findings)
	t.Logf("200 KB one-line file, 3000 findings: %d bytes written (%d per finding)", buf.Len(), perFinding)
	if perFinding > 2*(excerptWidth+20)+60 {
		t.Errorf("%d bytes per finding: the excerpt is not bounded", perFinding)
	}
}

// BenchmarkHumanLongLine reports the bytes written and the memory allocated for the 200 KB
// one-line file with 3,000 findings (before the excerpt was capped: 899 MB and 5.5 GB RSS).
//
//	go test -run NONE -bench HumanLongLine -benchmem ./internal/report/
func BenchmarkHumanLongLine(b *testing.B) {
	rep, src := oneLineFile()
	opts := Options{Source: func(string) ([]byte, error) { return src, nil }}
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, "human", rep, opts); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "bytes-written")
}

// FuzzExcerpt checks the bounds of what is shown under a finding, for any line and column.
func FuzzExcerpt(f *testing.F) {
	f.Add(strings.Repeat("ab", 200), 150)
	f.Add("名前", 2)
	f.Add("\xff\xfe", 1)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, line string, col int) {
		if col < 0 {
			return // Validate refuses negative columns before any format runs
		}
		l := srcLine{text: line, runes: utf8.RuneCountInString(line)}
		l.ascii = l.runes == len(line)
		text, c := excerpt(l, col)
		if n := utf8.RuneCountInString(text); n > excerptWidth+2 {
			t.Fatalf("excerpt of %d characters", n)
		}
		if col == 0 && c != 0 || col > 0 && c < 1 {
			t.Fatalf("column %d became %d", col, c)
		}
		if l.runes <= excerptWidth && (text != line || c != col) {
			t.Fatalf("short line changed: %q %d -> %q %d", line, col, text, c)
		}
		if core := strings.TrimPrefix(strings.TrimSuffix(text, "…"), "…"); !strings.Contains(line, core) {
			t.Fatalf("excerpt %q is not a part of the line", text)
		}
	})
}
