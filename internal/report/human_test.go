package report

import (
	"errors"
	"regexp"
	"strings"
	"testing"
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
