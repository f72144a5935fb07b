package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
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
