package coverage

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Report is the run as a report: its findings, with the result itself as the report's Summary,
// which internal/report renders in every format (see JSON, Text and Markdown).
func (r *Result) Report() *report.Report {
	return &report.Report{Command: "coverage", Findings: r.Findings, FilesChecked: len(r.Files), Rules: Rules, Summary: r}
}

// round2 rounds a percentage to two decimals for output; gates are decided on exact values.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

func roundCounts(c Counts) Counts { c.Percent = round2(c.Percent); return c }

func roundPtr(c *Counts) *Counts {
	if c == nil {
		return nil
	}
	r := roundCounts(*c)
	return &r
}

// JSON lists the members of `--format json` before the findings: the total, the verdict, the
// gates, the files (with branches, functions and uncovered ranges), changed lines, the reports
// read and how many files were excluded. Percentages are 0 to 100, rounded to two decimals.
// Lists are written one element per line: a report of thousands of files stays small.
func (r *Result) JSON() []report.Member {
	gates := make([]Gate, len(r.Gates))
	for i, g := range r.Gates {
		g.Actual, g.Required = round2(g.Actual), round2(g.Required)
		gates[i] = g
	}
	files := make([]File, len(r.Files))
	for i, f := range r.Files {
		f.Counts = roundCounts(f.Counts)
		f.Branches, f.Functions = roundPtr(f.Branches), roundPtr(f.Functions)
		files[i] = f
	}
	ms := []report.Member{
		{Name: "total", Value: roundCounts(r.Total)},
		{Name: "passed", Value: r.Passed},
		{Name: "gates", Value: gates, Layout: report.Rows},
		{Name: "files", Value: files, Layout: report.Rows},
	}
	if r.Changed != nil {
		c := *r.Changed
		c.Counts = roundCounts(c.Counts)
		c.Files = slices.Clone(c.Files)
		for i := range c.Files {
			c.Files[i].Counts = roundCounts(c.Files[i].Counts)
		}
		ms = append(ms, report.Member{Name: "changed", Value: &c})
	}
	return append(ms,
		report.Member{Name: "reports", Value: r.Reports, Layout: report.Rows},
		report.Member{Name: "excluded", Value: r.Excluded})
}

// worstFirst orders files by coverage, lowest first, then by size (bigger gaps first), then path.
func (r *Result) worstFirst() []File {
	fs := slices.Clone(r.Files)
	slices.SortStableFunc(fs, func(a, b File) int {
		return cmp.Or(cmp.Compare(a.Percent, b.Percent), cmp.Compare(b.Total-b.Covered, a.Total-a.Covered), strings.Compare(a.Path, b.Path))
	})
	return fs
}

// maxRanges is how many uncovered ranges a table row shows before "…".
const maxRanges = 8

func rangesText(rs []Range) string {
	parts := make([]string, 0, min(len(rs), maxRanges)+1)
	for i, r := range rs {
		if i == maxRanges {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(rs)-maxRanges))
			break
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}

func verdict(passed bool) string {
	if passed {
		return "PASS"
	}
	return "FAIL"
}

func frac(c Counts) string { return fmt.Sprintf("%d/%d", c.Covered, c.Total) }

// Text is the table for a terminal or a CI log: every file worst first with its uncovered line
// ranges, the total, the changed lines, then each gate and the verdict.
func (r *Result) Text() report.Doc {
	files := r.worstFirst()
	t := report.Table{Columns: []report.Column{
		{Name: "COVER", Right: true, MinWidth: 8}, {Name: "COVERED", Right: true}, {Name: "FILE"}, {Name: "UNCOVERED LINES"},
	}}
	for _, f := range files {
		t.Rows = append(t.Rows, []report.Inline{cell(pct(f.Percent)), cell(frac(f.Counts)), report.Line(report.Code(f.Path)), cell(rangesText(f.Uncovered))})
	}
	t.Footer = []report.Inline{cell(pct(r.Total.Percent)), cell(frac(r.Total)), cell("total"), cell("")}
	d := report.Doc{Blocks: []report.Block{t}}
	if c := r.Changed; c != nil {
		lines := report.Lines{report.Line(), report.Line(report.Markup("changed lines since "), report.Code(c.Base),
			report.Markup(fmt.Sprintf(": %s (%d/%d)", pct(c.Percent), c.Covered, c.Total)))}
		for _, f := range c.Files {
			if len(f.Uncovered) > 0 {
				lines = append(lines, report.Line(report.Markup("  "), report.Code(f.Path), report.Markup(": not covered "+rangesText(f.Uncovered))))
			}
		}
		d.Blocks = append(d.Blocks, lines)
	}
	failed := 0
	if len(r.Gates) > 0 {
		lines := report.Lines{report.Line(), report.Line(report.Markup("gates:"))}
		for _, g := range r.Gates {
			if !g.Passed {
				failed++
			}
			line := report.Line(report.Markup("  "+verdict(g.Passed)+"  "), report.Code(g.Name))
			switch {
			case g.Name == gateData:
				line = append(line, report.Markup("  ("), report.Text(g.Note), report.Markup(")"))
			default:
				op := ">="
				if !passes(g.Actual, g.Required) {
					op = "<"
				}
				line = append(line, report.Markup(fmt.Sprintf("  %s %s %s", pct(g.Actual), op, pct(g.Required))))
				if g.Note != "" {
					line = append(line, report.Markup("  ("), report.Text(g.Note), report.Markup(")"))
				}
			}
			lines = append(lines, line)
		}
		d.Blocks = append(d.Blocks, lines)
	}
	v := fmt.Sprintf("coverage %s: %s of %d %s", verdict(r.Passed), pct(r.Total.Percent), r.Total.Total, r.unitName())
	if len(r.Gates) > 0 {
		v += fmt.Sprintf(", %d of %d gates failed", failed, len(r.Gates))
	}
	d.Blocks = append(d.Blocks, report.Lines{report.Line(), report.Line(report.Markup(v))})
	return d
}

// cell is a table cell of the command's own text (a number it formatted, a fixed word).
func cell(s string) report.Inline { return report.Line(report.Markup(s)) }

// unitName says what the total counts: statements, lines, or both when reports mix them.
func (r *Result) unitName() string {
	var units []string
	for _, f := range r.Files {
		if !slices.Contains(units, string(f.Unit)) {
			units = append(units, string(f.Unit))
		}
	}
	slices.Sort(units)
	if len(units) == 0 {
		return "statements"
	}
	return strings.Join(units, " and ")
}

// markdownMaxFiles bounds the file tables of the job summary; the JSON has every file.
const markdownMaxFiles = 50

func icon(passed bool) string {
	if passed {
		return "✅"
	}
	return "❌"
}

// Markdown is the job summary and the pull-request comment: the verdict and total, the gates,
// other problems, changed lines, packages, and the worst files with their uncovered lines.
// Paths, packages, gate names and the base ref are code spans; notes and messages are text.
func (r *Result) Markdown() report.Doc {
	summary := fmt.Sprintf("%d of %d %s covered in %d files", r.Total.Covered, r.Total.Total, r.unitName(), len(r.Files))
	if r.Excluded > 0 {
		summary += fmt.Sprintf(" (%d excluded)", r.Excluded)
	}
	d := report.Doc{Blocks: []report.Block{
		report.Heading{Level: 2, Text: report.Line(report.Markup(fmt.Sprintf("%s Coverage %s", icon(r.Passed), pct(r.Total.Percent))))},
		report.Lines{report.Line(report.Markup(summary + "."))},
	}}

	if len(r.Gates) > 0 {
		failed := 0
		for _, g := range r.Gates {
			if !g.Passed {
				failed++
			}
		}
		gates := slices.Clone(r.Gates)
		slices.SortStableFunc(gates, func(a, b Gate) int {
			if a.Passed != b.Passed {
				if !a.Passed {
					return -1
				}
				return 1
			}
			return 0
		})
		t := report.Table{Columns: []report.Column{{}, {Name: "gate"}, {Name: "actual", Right: true}, {Name: "required", Right: true}, {Name: "note"}}}
		for _, g := range gates {
			t.Rows = append(t.Rows, []report.Inline{cell(icon(g.Passed)), report.Line(report.Code(g.Name)), cell(pct(g.Actual)), cell(pct(g.Required)), report.Line(report.Text(g.Note))})
		}
		d.Blocks = append(d.Blocks,
			report.Heading{Level: 3, Text: report.Line(report.Markup(fmt.Sprintf("Gates: %d passed, %d failed", len(r.Gates)-failed, failed)))}, t)
	}

	notes := report.Table{
		Columns: []report.Column{{}, {Name: "where"}, {Name: "message"}},
		MaxRows: markdownMaxFiles,
		More:    func(n int) report.Inline { return cell(fmt.Sprintf("_%d more in the JSON output._", n)) },
	}
	for _, f := range r.Findings {
		if f.Rule != RuleGate && f.Rule != RuleUncoveredChanged && f.Severity >= report.Warning {
			notes.Rows = append(notes.Rows, []report.Inline{cell(map[bool]string{true: "❌", false: "⚠️"}[f.Severity == report.Error]),
				report.Line(report.Code(f.Path)), report.Line(report.Text(f.Message))})
		}
	}
	if len(notes.Rows) > 0 {
		d.Blocks = append(d.Blocks, report.Heading{Level: 3, Text: cell("Other problems")}, notes)
	}

	if c := r.Changed; c != nil {
		d.Blocks = append(d.Blocks, report.Heading{Level: 3, Text: report.Line(report.Markup("Changed lines since "), report.Code(c.Base),
			report.Markup(fmt.Sprintf(": %s (%d/%d)", pct(c.Percent), c.Covered, c.Total)))})
		if len(c.Files) > 0 {
			t := report.Table{Columns: []report.Column{{Name: "file"}, {Name: "coverage", Right: true}, {Name: "not covered"}}}
			for _, f := range c.Files {
				t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(f.Path)),
					cell(fmt.Sprintf("%s (%d/%d)", pct(f.Percent), f.Covered, f.Total)), cell(rangesText(f.Uncovered))})
			}
			d.Blocks = append(d.Blocks, t)
		}
	}

	type pkg struct {
		name string
		Counts
	}
	pkgs := map[string]*pkg{}
	for _, f := range r.Files {
		p := pkgs[f.Package]
		if p == nil {
			p = &pkg{name: f.Package}
			pkgs[f.Package] = p
		}
		p.add(f.Counts)
	}
	if len(pkgs) > 1 {
		t := report.Table{Columns: []report.Column{{Name: "package"}, {Name: "coverage", Right: true}, {Name: "covered", Right: true}}}
		for _, name := range slices.Sorted(maps.Keys(pkgs)) {
			p := pkgs[name]
			t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(name)), cell(pct(p.Percent)), cell(frac(p.Counts))})
		}
		d.Blocks = append(d.Blocks, report.Heading{Level: 3, Text: cell("Packages")}, t)
	}

	if len(r.Files) > 0 {
		fs := r.worstFirst()
		title := "Files, worst first"
		if len(fs) > markdownMaxFiles {
			title = fmt.Sprintf("The %d worst files of %d", markdownMaxFiles, len(fs))
			fs = fs[:markdownMaxFiles]
		}
		t := report.Table{Columns: []report.Column{{Name: "file"}, {Name: "coverage", Right: true}, {Name: "covered", Right: true}, {Name: "not covered"}}}
		for _, f := range fs {
			t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(f.Path)), cell(pct(f.Percent)), cell(frac(f.Counts)), cell(rangesText(f.Uncovered))})
		}
		d.Blocks = append(d.Blocks, report.Details{Summary: cell(title), Blocks: []report.Block{t}})
	}
	return d
}

// badgeColor follows the usual coverage badge scale.
func badgeColor(p float64) string {
	switch {
	case p >= 90:
		return "brightgreen"
	case p >= 80:
		return "green"
	case p >= 70:
		return "yellowgreen"
	case p >= 60:
		return "yellow"
	case p >= 50:
		return "orange"
	}
	return "red"
}

// Badge is the shields.io endpoint badge of the total.
func (r *Result) Badge() report.Badge {
	return report.Badge{Label: "coverage", Message: fmt.Sprintf("%.1f%%", math.Floor(r.Total.Percent*10)/10), Color: badgeColor(r.Total.Percent)}
}
