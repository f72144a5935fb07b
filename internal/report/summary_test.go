package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// sampleSummary is a command's own result with every kind of block and layout, as coverage and
// probe have: a right-aligned table, lines, a collapsed section, members of each layout.
type sampleSummary struct{ complete bool }

type sampleRow struct {
	Path    string  `json:"path"`
	Percent float64 `json:"percent"`
}

var sampleRows = []sampleRow{{"cmd/a b.go", 50}, {"<b>&x</b>.go", 100}}

func (s sampleSummary) JSON() []Member {
	return []Member{
		{Name: "total", Value: map[string]int{"covered": 3, "total": 4}},
		{Name: "passed", Value: false},
		{Name: "files", Value: sampleRows, Layout: Rows},
		{Name: "empty", Value: []sampleRow{}, Layout: Rows},
		{Name: "services", Value: sampleRows[:1], Layout: Indented},
	}
}

func (s sampleSummary) Text() Doc {
	t := Table{Columns: []Column{{Name: "COVER", Right: true, MinWidth: 8}, {Name: "FILE"}, {Name: "NOTE"}}}
	for _, r := range sampleRows {
		t.Rows = append(t.Rows, Cells("50.00%", r.Path, ""))
	}
	return Doc{Complete: s.complete, Blocks: []Block{t, Lines{Line(), Line(Markup("coverage FAIL: "), Text("75.00%"))}}}
}

func (s sampleSummary) Markdown() Doc {
	t := Table{Columns: []Column{{Name: ""}, {Name: "file"}, {Name: "coverage", Right: true}}}
	for _, r := range sampleRows {
		t.Rows = append(t.Rows, []Inline{Line(Markup("❌")), Line(Code(r.Path)), Line(Markup("50.00%"))})
	}
	return Doc{Blocks: []Block{
		Heading{Level: 2, Text: Line(Markup("❌ Coverage 75.00%"))},
		Lines{Line(Markup("3 of 4 statements covered."))},
		Details{Summary: Line(Markup("Files")), Blocks: []Block{t}},
	}}
}

// summaryReport is a command's report with a summary, a finding about the whole run (no path)
// and one about a file.
func summaryReport(complete bool) *Report {
	return &Report{Tool: "molecule-ci", Version: "1.2.3", Command: "coverage", FilesChecked: 2, Summary: sampleSummary{complete},
		Rules: []Rule{{ID: "coverage/gate", Severity: Error, Doc: "A coverage floor failed."}},
		Findings: []Finding{
			{Path: "cmd/a b.go", Rule: "coverage/gate", Severity: Error, Message: "coverage 50.00% is below the 80.00% floor", Help: "add tests"},
			{Rule: "coverage/gate", Severity: Error, Message: "total coverage 75.00% is below the 80.00% floor"},
		}}
}

// TestWriteSummaryGolden: a command's own summary in every format, with its findings after it
// (unless the summary says they are in it), and a finding about the whole run shown with no
// location in each.
func TestWriteSummaryGolden(t *testing.T) {
	for _, format := range Formats() {
		for _, complete := range []bool{false, true} {
			name := "summary-" + format
			if complete {
				if format != "human" {
					continue
				}
				name += "-complete"
			}
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, format, summaryReport(complete), Options{}); err != nil {
					t.Fatal(err)
				}
				if format == "json" || format == "sarif" {
					if !json.Valid(buf.Bytes()) {
						t.Fatalf("invalid JSON:\n%s", buf.Bytes())
					}
				}
				golden.Check(t, filepath.Join("testdata", name+".golden"), buf.Bytes())
			})
		}
	}
	md := Markdown(summaryReport(false))
	markdowntest.Check(t, md)
	golden.Check(t, filepath.Join("testdata", "summary-markdown.golden"), []byte(md))
	// A check run's summary lists the findings, not the command's own table.
	golden.Check(t, filepath.Join("testdata", "summary-findings-markdown.golden"), []byte(FindingsMarkdown(summaryReport(false))))
}

// TestPathlessFinding: a finding about the whole run has no fake location in any format.
func TestPathlessFinding(t *testing.T) {
	f := Finding{Rule: "coverage/no-gate", Severity: Warning, Message: "no gate configured: this step cannot fail"}
	if got, want := f.String(), "no gate configured: this step cannot fail [coverage/no-gate]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	rep := &Report{FilesChecked: 1, Findings: []Finding{f}}
	for format, want := range map[string]string{
		"human":  "no gate configured: this step cannot fail [coverage/no-gate]\n1 finding (1 warning) in 1 file\n",
		"github": "::warning title=coverage/no-gate::no gate configured: this step cannot fail\n1 finding (1 warning) in 1 file\n",
	} {
		if got := writeString(t, format, rep, Options{}); got != want {
			t.Errorf("%s:\n got %q\nwant %q", format, got, want)
		}
	}
	// A position without a path cannot be shown anywhere.
	bad := &Report{Findings: []Finding{{Line: 3, Rule: "r", Severity: Error, Message: "m"}}}
	if err := Write(&bytes.Buffer{}, "json", bad, Options{}); err == nil {
		t.Error("a finding with a line but no path was written")
	}
}

// verdictSummary is a table whose first column is a verdict.
type verdictSummary struct{}

func (verdictSummary) JSON() []Member { return nil }
func (verdictSummary) Markdown() Doc  { return verdictSummary{}.Text() }
func (verdictSummary) Text() Doc {
	t := Table{Columns: []Column{{Name: ""}, {Name: "NAME"}, {Name: "N", Right: true}}}
	t.Rows = [][]Inline{
		{Line(Verdict("✓", Good)), Line(Text("a")), Line(Markup("1"))},
		{Line(Verdict("✗", Bad)), Line(Text("bb")), Line(Markup("22"))},
		{Line(Verdict("!", Doubtful)), Line(Text("ccc")), Line(Markup("3"))},
		{Line(Markup("-")), Line(Text("d")), Line(Markup("4"))},
	}
	return Doc{Blocks: []Block{t}, Complete: true}
}

// TestVerdictColours: a Verdict is coloured by its tone in human output asked for colour, the
// columns stay aligned (colours are not width), and every other format shows the text alone.
func TestVerdictColours(t *testing.T) {
	rep := &Report{Command: "x", Summary: verdictSummary{}}
	var plain, coloured, gh bytes.Buffer
	if err := Write(&plain, "human", rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&coloured, "human", rep, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&gh, "github", rep, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	wantPlain := "   NAME  N\n✓  a     1\n✗  bb    22\n!  ccc   3\n-  d     4\n"
	wantColour := "   NAME  N\n\x1b[32m✓\x1b[0m  a     1\n\x1b[31m✗\x1b[0m  bb    22\n\x1b[33m!\x1b[0m  ccc   3\n-  d     4\n"
	if plain.String() != wantPlain || gh.String() != wantPlain {
		t.Errorf("plain:\n%q\ngithub:\n%q\nwant\n%q", plain.String(), gh.String(), wantPlain)
	}
	if coloured.String() != wantColour {
		t.Errorf("coloured:\n%q\nwant\n%q", coloured.String(), wantColour)
	}
	if md := Markdown(rep); bytes.Contains([]byte(md), []byte("\x1b")) {
		t.Errorf("colour in Markdown: %q", md)
	}
}

// queueDoc is a summary of sections, each a heading over a table, with a cut note and an end,
// as triage writes its queue.
func queueDoc(sections, rows int) Doc {
	d := Doc{
		Blocks: []Block{Heading{Level: 2, Text: Line(Markup("queue"))}, Lines{Line(Markup("a summary line."))}},
		End:    []Block{Lines{Line(Markup("search: 1 query."))}, Quote{Line(Text("a note @octocat #1"))}},
		Cut:    func(n int) Inline { return Line(Markup(fmt.Sprintf("_…and %d more rows not shown._", n))) },
	}
	for s := range sections {
		t := Table{Columns: []Column{{Name: "#"}, {Name: "title"}}}
		for i := range rows {
			t.Rows = append(t.Rows, Cells(fmt.Sprint(s*rows+i+1), strings.Repeat("x", 80)))
		}
		d.Blocks = append(d.Blocks, Heading{Level: 3, Text: Line(Text(fmt.Sprintf("section %d", s)))}, t)
	}
	return d
}

// TestMarkdownCut: whatever the bound, the Markdown fits, leaves out whole rows only, never a
// heading or a table header without a row under it, counts the rows it left out in the Doc's
// note, and ends with the Doc's End.
func TestMarkdownCut(t *testing.T) {
	d := queueDoc(3, 10)
	const end = "\nsearch: 1 query.\n\n> a note @\u200doctocat \\#\u200d1\n"
	full := RenderMarkdown(d, MaxSummaryBytes)
	if !strings.HasSuffix(full, "|\n"+end) || strings.Contains(full, "not shown") {
		t.Fatalf("uncut:\n%s", full)
	}
	for limit := 600; limit <= len(full)+markdownReserve+len(end); limit += 37 {
		md := RenderMarkdown(d, limit)
		if len(md) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(md))
		}
		if !strings.HasSuffix(md, end) {
			t.Errorf("limit %d: does not end with the End:\n%s", limit, md)
		}
		rows := strings.Count(md, "| "+strings.Repeat("x", 80)+" |\n")
		if rows < 30 && !strings.Contains(md, fmt.Sprintf("\n\n_…and %d more rows not shown._\n\n", 30-rows)) {
			t.Errorf("limit %d: %d rows and no count:\n%s", limit, rows, md)
		}
		if regexp.MustCompile(`(### .*\n\n)?\| # \| title \|\n\| --- \| --- \|\n\n|### .*\n\n[^|]`).MatchString(md) {
			t.Errorf("limit %d: a heading or a header without a row:\n%s", limit, md)
		}
		markdowntest.Check(t, md)
	}
	golden.Check(t, filepath.Join("testdata", "markdown-cut.golden"), []byte(RenderMarkdown(d, 1400)))
	// Without a Cut, the generic note.
	d.Cut = nil
	if md := RenderMarkdown(d, 1400); !strings.Contains(md, "\n\n_The rest of this summary is left out: it would exceed the size GitHub accepts._\n\nsearch") {
		t.Errorf("generic note:\n%s", md)
	}
}

// TestTextQuoteAndEnd: in text a Quote is its lines and the End follows the blocks; the line
// and paragraph separators of data are shown as escapes, as the log writer shows them.
func TestTextQuoteAndEnd(t *testing.T) {
	d := Doc{Complete: true, Blocks: []Block{Lines{Line(Markup("3 images"))}, Quote{Line(Text("a\u2028note\u2029"))}},
		End: []Block{Lines{Line(Markup("search: 1 query"))}}}
	want := "3 images\na\\u2028note\\u2029\nsearch: 1 query\n"
	if got := writeString(t, "human", &Report{Summary: fixedSummary{d}}, Options{}); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// fixedSummary is a Summary of one Doc for every sink.
type fixedSummary struct{ d Doc }

func (s fixedSummary) JSON() []Member { return nil }
func (s fixedSummary) Text() Doc      { return s.d }
func (s fixedSummary) Markdown() Doc  { return s.d }
