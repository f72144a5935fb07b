package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

func TestMarkdownGolden(t *testing.T) {
	tests := []struct {
		name string
		rep  *Report
	}{
		{"markdown.golden", trickyReport()},
		{"markdown-clean.golden", &Report{Command: "lint", FilesChecked: 12}},
		{"markdown-warnings.golden", &Report{Tool: "molecule-ci", Command: "coverage", FilesChecked: 1, Findings: []Finding{
			{Path: "internal/x.go", Line: 10, Rule: "coverage/file", Severity: Warning, Message: "71.4% < 80% (allowlisted until 2026-01-31)"},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", tt.name), []byte(Markdown(tt.rep)))
		})
	}
}

func TestMarkdownText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words, 12 of them.", "plain words, 12 of them."},
		{"a|b", `a\|b`},
		{`ends with \`, `ends with \\`},
		{`a\|b`, `a\\\|b`},
		{"one\ntwo\r\nthree\rfour", "one<br>two<br>three<br>four"},
		{"\x1b[31mred\x00", `\\x1b\[31mred\\x00`},
		{"<script>&amp;", "&lt;script&gt;&amp;amp;"},
		{"`code` *stays* _put_ ~gone~ $x$", "\\`code\\` \\*stays\\* \\_put\\_ \\~gone\\~ \\$x\\$"},
		{"[click](https://x.y) ![img](a.png)", `\[click\]\(https\://x.y\) \!\[img\]\(a.png\)`},
		{"@octocat #12 a@b.c", "@\u200doctocat \\#\u200d12 a@\u200db.c"},
		{"see www.example.com or WWW.x.org", `see www\.example.com or WWW\.x.org`},
		{"line\u2028and paragraph\u2029separators", `line\\u2028and paragraph\\u2029separators`},
	}
	for _, tt := range tests {
		if got := markdownText(tt.in); got != tt.want {
			t.Errorf("markdownText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownCode(t *testing.T) {
	tests := []struct {
		in   string
		cell bool
		want string
	}{
		{"src/a.go", false, "`src/a.go`"},
		{"a`b", false, "``a`b``"},
		{"a``b`", false, "``` a``b` ```"},
		{"`", false, "`` ` ``"},
		{" both ", false, "`  both  `"},
		{" left", false, "` left`"},
		{"   ", false, "`   `"},
		{"", false, ""},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"two\nlines", true, "`two lines`"},
	}
	for _, tt := range tests {
		if got := markdownCode(tt.in, tt.cell); got != tt.want {
			t.Errorf("markdownCode(%q, %v) = %q, want %q", tt.in, tt.cell, got, tt.want)
		}
	}
}

func TestMarkdownTruncates(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		message  string
		wantRows int
		wantNote string
	}{
		{"at the row limit", 1000, "m", 1000, ""},
		{"past the row limit", 1005, "m", 1000, "_5 more findings not shown"},
		{"one past", 1001, "m", 1000, "_1 more finding not shown"},
		// 600 rows of long messages reach the byte budget first: 206 rows of 2.5 KiB.
		{"past the byte budget", 600, strings.Repeat("&", 2000), 206, "_394 more findings not shown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{Command: "lint", FilesChecked: tt.n}
			for i := range tt.n {
				rep.Findings = append(rep.Findings, Finding{Path: fmt.Sprintf("f%04d.yml", i), Line: 1, Rule: "r", Severity: Error, Message: tt.message})
			}
			md := Markdown(rep)
			if rows := strings.Count(md, "\n| ❌ error |"); rows != tt.wantRows {
				t.Errorf("%d rows, want %d", rows, tt.wantRows)
			}
			if tt.wantNote == "" && strings.Contains(md, "not shown") {
				t.Errorf("unexpected truncation note")
			}
			if !strings.Contains(md, tt.wantNote) {
				t.Errorf("no note %q in the tail %q", tt.wantNote, md[max(0, len(md)-300):])
			}
			if len(md) > 1<<20 {
				t.Errorf("summary is %d bytes, over GitHub's 1 MiB", len(md))
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"名前です", 2, "名前…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
