package triage

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// hostileStrings are what a title, a label, a login, a repository name or an error text from
// GitHub (or a server pretending to be it) could try on an issue body or a job summary.
var hostileStrings = []string{
	"cc @everyone and @Molecule-AI/platform-team, fixes #12, GH-3 and Molecule-AI/molecule-ci#7",
	"[click](https://evil.example) ![img](https://evil.example/t.png) <https://evil.example> www.evil.example",
	"<img src=x onerror=alert(1)> <!-- molecule-ci:triage --> &amp; <details>",
	"a | b | c\n| --- |\n# heading\n> quote\n- item",
	"*bold* _it_ ~strike~ `code` ```` fence $x$ \\| \\@x",
	"esc \x1b[31m red \u202e rtl \u2028 sep ghp_0123456789abcdefghijABCDEFGHIJ012345",
}

// hostileQueue puts s in every place of the queue that comes from GitHub.
func hostileQueue(s string) *Result {
	res := &Result{Org: "O", Home: "O/ci", Labels: []string{"ci", s}, IncidentLabel: "incident", Now: now, StaleDays: 14, Notes: []string{s}}
	res.Items = []Item{
		{Rank: 1, Group: GroupIncident, Repo: "O/status", Number: 9, Title: s, URL: "https://github.com/O/status/issues/9", Service: s,
			Assignees: []string{s}, DownSince: now.Add(-time.Hour), LinkedStatus: "n/a"},
		{Rank: 2, Group: GroupHome, Repo: "O/ci", Number: 1, Title: s, URL: "https://github.com/O/ci/issues/1", Labels: []string{s}, Priority: s,
			Assignees: []string{s}, Stale: true, LinkedStatus: "ok", LinkedPRs: []LinkedPR{
				{Repo: "O/" + s, Number: 2, State: s, URL: "https://github.com/O/x/pull/2"},
				{Repo: "O/ci", Number: 3, State: "open", URL: "javascript:alert(1)"},
			}},
		{Rank: 3, Group: GroupRepo, Repo: "O/" + s, Number: 4, Title: s, URL: "https://github.com/O/y/issues/4", LinkedStatus: "failed", LinkedError: s},
	}
	res.Repos = []Repo{{Name: "O/ci", Group: GroupHome, Items: 1, Dependents: -1}, {Name: "O/" + s, Group: GroupRepo, Items: 1, Dependents: 2}}
	return res
}

var queueLinks = []string{"https://github.com/O/status/issues/9", "https://github.com/O/ci/issues/1", "https://github.com/O/x/pull/2", "https://github.com/O/y/issues/4"}

// TestMarkdownHostile: what a title, a label, a login or a repository name may do in the issue
// body or the job summary — mention or notify someone, cross-reference an issue, inject a link,
// an image or HTML, hide the rest behind a comment, break the table — it cannot. Only the
// tool's own links to the items and pull requests are links; and the reader still sees the
// title as it is.
func TestMarkdownHostile(t *testing.T) {
	for _, s := range hostileStrings {
		md := report.Markdown(hostileQueue(s).Report())
		markdowntest.Check(t, md, queueLinks...)
		// Every row keeps its cells: the incident's 6, each item's 8.
		var rows []int
		for _, l := range strings.Split(md, "\n") {
			if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| #") && !strings.HasPrefix(l, "| ---") {
				rows = append(rows, len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(l, -1))-1)
			}
		}
		if fmt.Sprint(rows) != "[6 8 8]" {
			t.Errorf("%q: cells per row %v, want [6 8 8]\n%s", s, rows, md)
		}
		want := strings.Join(strings.Fields(strings.ReplaceAll(s, "ghp_0123456789abcdefghijABCDEFGHIJ012345", "ghp_***")), " ")
		want = strings.NewReplacer("\x1b", `\x1b`, "\u202e", `\u202e`, "\u2028", `\u2028`).Replace(want)
		cells := markdowntest.Elements(md, "td")
		if len(cells) < 6 || cells[5] != want {
			t.Errorf("%q: the incident's title shows as %q, want %q", s, cells[min(5, len(cells)-1)], want)
		}
	}
}

// FuzzMarkdown: whatever a title or a label holds, the Markdown acts on nothing (no link but
// the tool's, no image, HTML, comment, mention or reference) and the tables keep their rows.
func FuzzMarkdown(f *testing.F) {
	for _, s := range append(hostileStrings, "a|b", "\\|", "\x1b]0;t\x07", "\\@x", "`", "") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ToValidUTF8(s, "?")
		res := hostileQueue(s)
		md := report.Markdown(res.Report())
		if problems := markdowntest.Problems(md, queueLinks...); len(problems) > 0 {
			t.Fatalf("%q: %v\n%s", s, problems, md)
		}
		if got := len(markdowntest.Elements(md, "tr")); got != 3+3 {
			t.Fatalf("%q: %d table rows, want 3 headers and 3 items\n%s", s, got, md)
		}
	})
}

// TestMarkdownBodyLimit: whatever the limit, the body fits, keeps whole rows, never leaves a
// heading or a table header without a row, counts what it left out, and still ends with the
// stale count, the search and the notes; the job summary of an empty queue says there is
// nothing to do.
func TestMarkdownBodyLimit(t *testing.T) {
	res := &Result{Org: "O", Home: "O/ci", Labels: []string{"ci"}, Now: now, StaleDays: 14, Notes: []string{"a note"}}
	for i := range 400 {
		g, repo := GroupHome, "O/ci"
		if i >= 200 {
			g, repo = GroupRepo, "O/other"
		}
		res.Items = append(res.Items, Item{Rank: i + 1, Group: g, Repo: repo, Number: i + 1, Title: fmt.Sprintf("item %d %s", i, strings.Repeat("x", 100)),
			URL: fmt.Sprintf("https://github.com/%s/issues/%d", repo, i+1), Age: time.Duration(i) * time.Hour, LinkedStatus: "not-looked-up", Stale: i%3 == 0})
	}
	res.Repos = []Repo{{Name: "O/ci", Group: GroupHome, Items: 200, Dependents: -1}, {Name: "O/other", Group: GroupRepo, Items: 200, Dependents: 2}}
	const end = "\n\n💤 134 stale items: no update in 14 days.\n\nsearch: 0 queries, 0 requests.\n\n> a note\n"
	for _, limit := range []int{1500, 4000, 20000, 30000, 60000, 1 << 20} {
		body := report.MarkdownWithin(res.Report(), limit)
		rows := len(regexp.MustCompile(`(?m)^\| \d+ \|`).FindAllString(body, -1))
		if len(body) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(body))
		}
		if rows < 400 && !strings.Contains(body, fmt.Sprintf("\n\n_…and %d more items not shown (ranks %d to 400): GitHub limits the size of this text. `molecule-ci triage --format json` lists them all._"+end, 400-rows, rows+1)) {
			t.Errorf("limit %d: %d rows and no count before the end:\n%s", limit, rows, body[max(0, len(body)-400):])
		}
		if limit == 1<<20 && (rows != 400 || !strings.HasSuffix(body, "|\n"+end[1:])) {
			t.Errorf("1 MiB: %d rows\n%s", rows, body[max(0, len(body)-400):])
		}
		if regexp.MustCompile(`(?m)^(### .*\n\n)?\| # \|.*\n\| --- .*\n\n`).MatchString(body) || strings.Contains(body, "###") && !strings.Contains(body, "| 1 |") {
			t.Errorf("limit %d: a heading or table header without a row:\n%s", limit, body)
		}
	}
	empty := &Result{Org: "O", Labels: []string{"ci"}, Now: now}
	if body := report.Markdown(empty.Report()); !strings.Contains(body, "\n\nNothing to do: no open item carries these labels.\n\nsearch: 0 queries, 0 requests.\n") {
		t.Errorf("empty:\n%s", body)
	}
	if !utf8.ValidString(report.MarkdownWithin(res.Report(), 1500)) {
		t.Error("a cut left invalid UTF-8")
	}
}
