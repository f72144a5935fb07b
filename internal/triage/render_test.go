package triage

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestMarkdownCell: what a title may do in an issue body or a job summary — break the table,
// mention someone, cross-reference an issue, inject a link or HTML — it cannot.
func TestMarkdownCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain title", "plain title"},
		{"a | b", `a \| b`},
		{"cc @everyone and @org/team", "cc @\u200beveryone and @\u200borg/team"},
		{"fixes #12 and org/repo#3", "fixes #\u200b12 and org/repo#\u200b3"},
		{"[click](https://evil.example) ![img](x)", `\[click\](https://evil.example) !\[img\](x)`},
		{"<img src=x onerror=alert(1)> &amp;", "&lt;img src=x onerror=alert(1)&gt; &amp;amp;"},
		{"line\nbreak\r\nand\ttab", "line break and tab"},
		{"*bold* _it_ ~strike~ `code`", "\\*bold\\* \\_it\\_ \\~strike\\~ \\`code\\`"},
		{"esc \x1b[31m red \u202e rtl", `esc \\x1b\[31m red \\u202e rtl`},
		{"token ghp_0123456789abcdefghijABCDEFGHIJ012345 here", `token ghp\_\*\*\* here`},
		{"<!-- molecule-ci:triage -->", "&lt;!-- molecule-ci:triage --&gt;"},
	} {
		if got := md(tc.in, 200); got != tc.want {
			t.Errorf("md(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := md(strings.Repeat("é", 300), 120); utf8.RuneCountInString(got) != 120 || !strings.HasSuffix(got, "…") {
		t.Errorf("cut: %d runes", utf8.RuneCountInString(got))
	}
}

// FuzzMarkdownCell: whatever the text, its cell is one line with no unescaped pipe, no mention,
// no bare issue reference, no HTML tag and no HTML comment.
func FuzzMarkdownCell(f *testing.F) {
	for _, s := range []string{"a|b", "@x #1", "<!-- x -->", "\\|", "\x1b]0;t\x07", "[a](b)", "\u2028", "\\@x"} {
		f.Add(s)
	}
	mention := regexp.MustCompile(`@[A-Za-z0-9]`)
	ref := regexp.MustCompile(`#[0-9]`)
	f.Fuzz(func(t *testing.T, s string) {
		got := md(s, 500)
		if strings.ContainsAny(got, "\n\r<>") || mention.MatchString(got) || ref.MatchString(got) {
			t.Fatalf("md(%q) = %q", s, got)
		}
		// Every pipe is escaped: preceded by an odd number of backslashes.
		for i := strings.IndexByte(got, '|'); i >= 0; i = indexFrom(got, '|', i+1) {
			n := 0
			for j := i - 1; j >= 0 && got[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				t.Fatalf("md(%q) = %q: unescaped pipe at %d", s, got, i)
			}
		}
	})
}

func indexFrom(s string, c byte, from int) int {
	if from >= len(s) {
		return -1
	}
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// TestMarkdownBodyLimit: whatever the limit, the body fits, keeps whole rows, and counts what it
// left out; the job summary of an empty queue says there is nothing to do.
func TestMarkdownBodyLimit(t *testing.T) {
	res := &Result{Org: "O", Home: "O/ci", Labels: []string{"ci"}, Now: now, StaleDays: 14}
	for i := range 400 {
		res.Items = append(res.Items, Item{Rank: i + 1, Group: GroupHome, Repo: "O/ci", Number: i + 1, Title: fmt.Sprintf("item %d %s", i, strings.Repeat("x", 100)),
			URL: fmt.Sprintf("https://github.com/O/ci/issues/%d", i+1), Age: time.Duration(i) * time.Hour, LinkedStatus: "not-looked-up"})
	}
	res.Repos = []Repo{{Name: "O/ci", Group: GroupHome, Items: 400, Dependents: -1}}
	for _, limit := range []int{1500, 4000, 20000, 60000, 1 << 20} {
		body := res.MarkdownBody(limit)
		rows := len(regexp.MustCompile(`(?m)^\| \d+ \|`).FindAllString(body, -1))
		if len(body) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(body))
		}
		if rows < 400 && !strings.Contains(body, fmt.Sprintf("_…and %d more items not shown (ranks %d to 400)", 400-rows, rows+1)) {
			t.Errorf("limit %d: %d rows and no count:\n%s", limit, rows, body[max(0, len(body)-400):])
		}
		if limit == 1<<20 && rows != 400 {
			t.Errorf("1 MiB: %d rows", rows)
		}
	}
	empty := &Result{Org: "O", Labels: []string{"ci"}, Now: now}
	if body := empty.MarkdownBody(60000); !strings.Contains(body, "Nothing to do: no open item carries these labels.") {
		t.Errorf("empty:\n%s", body)
	}
}
