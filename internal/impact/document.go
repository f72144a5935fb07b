package impact

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Verdict states: a repository's lint has error findings (red) or not (green).
const (
	Green = "green"
	Red   = "red"
)

// Verdict is a repository whose verdict the candidate's rules change.
type Verdict struct {
	Repo   string `json:"repo"`
	Before string `json:"before"` // green or red under the base's rules
	After  string `json:"after"`  // under the candidate's
	// Findings are the findings that changed: "new" ones the candidate's rules report and the
	// base's did not, "gone" ones the other way round.
	Findings []ChangedFinding `json:"findings"`
}

// ChangedFinding is a finding one side reports and the other does not, in lint's JSON shape.
type ChangedFinding struct {
	Change string `json:"change"` // new or gone
	report.JSONFinding
}

// RepoError is a repository that could not be read, or whose verdicts could not be computed.
type RepoError struct {
	Repo  string `json:"repo"`
	Error string `json:"error"`
}

// Document is the impact report: what `fleet impact --format json` writes (its schema is in
// docs/impact.md and stable; keys are only ever added) and what every format renders.
type Document struct {
	// Candidate is the candidate's repository, OWNER/NAME.
	Candidate string `json:"-"`
	// Callers counts the call sites into the candidate's repository across the fleet.
	Callers int `json:"callers"`
	// Breaks are the call sites the change breaks (and only those).
	Breaks []Break `json:"breaks"`
	// Verdicts are the repositories whose verdict flips (green to red or red to green).
	Verdicts []Verdict `json:"verdicts"`
	// InterfaceOnly says why verdicts were not compared ("" when they were): the base is not a
	// molecule-ci tree (the first switch from the Python validators), or no rules could run.
	InterfaceOnly string `json:"interface_only"`
	// Compared are the repositories whose verdicts were compared.
	Compared int `json:"compared"`
	// Declared is the pull request's declaration of the break ("" when none).
	Declared string `json:"declared"`
	// Unchecked are call sites whose base could not be read or was already broken.
	Unchecked []Unchecked `json:"unchecked"`
	// Unreadable are repositories of the fleet that could not be read or linted.
	Unreadable []RepoError `json:"unreadable"`
	// Ref is the ref the check was limited to (--ref: the callers pinning it, against the
	// candidate's repository at it), "" for every call; OtherRefs counts the calls into the
	// candidate's repository that pin another ref, by ref, and were not checked.
	Ref       string         `json:"-"`
	OtherRefs map[string]int `json:"-"`
	// Repos counts the repositories of the fleet; Calling those that call the candidate's.
	Repos   int `json:"-"`
	Calling int `json:"-"`
}

// Worsened lists the repositories that go from green to red.
func (d *Document) Worsened() []Verdict {
	var out []Verdict
	for _, v := range d.Verdicts {
		if v.Before == Green && v.After == Red {
			out = append(out, v)
		}
	}
	return out
}

// Breaking reports whether the change breaks a caller or turns a repository red, declared or not.
func (d *Document) Breaking() bool { return len(d.Breaks) > 0 || len(d.Worsened()) > 0 }

// Fails reports whether the check fails: the change breaks and the pull request does not say so.
func (d *Document) Fails() bool { return d.Breaking() && d.Declared == "" }

// Report is the document as a report.Report (no findings of its own: the verdicts hold theirs).
func (d *Document) Report(version string) *report.Report {
	return &report.Report{Tool: "molecule-ci", Version: version, Command: "fleet impact", Summary: d}
}

// JSON lists the members: the schema (callers, breaks, verdicts) first, then what the
// report says besides.
func (d *Document) JSON() []report.Member {
	m := []report.Member{
		{Name: "callers", Value: d.Callers},
		{Name: "breaks", Value: nonNil(d.Breaks), Layout: report.Rows},
		{Name: "verdicts", Value: nonNil(d.Verdicts), Layout: report.Rows},
		{Name: "interface_only", Value: d.InterfaceOnly},
		{Name: "compared", Value: d.Compared},
		{Name: "declared", Value: d.Declared},
		{Name: "unchecked", Value: nonNil(d.Unchecked), Layout: report.Rows},
		{Name: "unreadable", Value: nonNil(d.Unreadable), Layout: report.Rows},
	}
	if d.Ref != "" {
		m = append(m, report.Member{Name: "ref", Value: d.Ref}, report.Member{Name: "other_refs", Value: nonNilMap(d.OtherRefs)})
	}
	return m
}

// refLine says, with --ref, which calls were checked and which were not: "no caller of @v1"
// is a finding of the run (every repository read, none pins it), never an assumption.
func (d *Document) refLine(code func(string) report.Span) report.Inline {
	if d.Ref == "" {
		return nil
	}
	other := 0
	for _, n := range d.OtherRefs {
		other += n
	}
	read := plural(d.Repos-len(d.Unreadable), "repository", "repositories") + " read"
	if len(d.Unreadable) > 0 {
		read += fmt.Sprintf(" (%d not: nothing is proven of them)", len(d.Unreadable))
	}
	var l report.Inline
	if d.Callers == 0 {
		l = report.Line(report.Markup("No caller of "), code("@"+d.Ref), report.Markup(fmt.Sprintf(": %s, %s into its workflows, none pinning ",
			read, plural(other, "call", "calls"))), code(d.Ref))
	} else {
		l = report.Line(report.Markup(fmt.Sprintf("Only the %s pinning ", plural(d.Callers, "call", "calls"))), code("@"+d.Ref),
			report.Markup(" checked, against the tree at "), code(d.Ref), report.Markup(fmt.Sprintf("; %s, %s pinning other refs", read, plural(other, "call", "calls"))))
	}
	refs := slices.Sorted(maps.Keys(d.OtherRefs))
	if len(refs) > 0 {
		l = append(l, report.Markup(" ("))
		for i, r := range refs {
			if i > 0 {
				l = append(l, report.Markup(", "))
			}
			l = append(l, code("@"+r), report.Markup(fmt.Sprintf(" %d", d.OtherRefs[r])))
		}
		l = append(l, report.Markup(")"))
	}
	return append(l, report.Markup("."))
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Unread counts the calls whose base could not be read at all: nothing is known of them.
func (d *Document) Unread() int {
	n := 0
	for _, u := range d.Unchecked {
		if u.Unread {
			n++
		}
	}
	return n
}

// Headline is the verdict in one sentence.
func (d *Document) Headline() string {
	var parts []string
	switch {
	case len(d.Breaks) == 0:
		if n := len(d.Unchecked); n > 0 {
			parts = append(parts, fmt.Sprintf("no call broken (%d of %s checked)", d.Callers-n, plural(d.Callers, "call", "calls")))
		} else {
			parts = append(parts, fmt.Sprintf("no call broken (%s checked)", plural(d.Callers, "call", "calls")))
		}
	default:
		calls, repos := d.broken()
		parts = append(parts, fmt.Sprintf("%d of %s broken in %s (%s)", calls, plural(d.Callers, "call", "calls"), plural(repos, "repository", "repositories"), plural(len(d.Breaks), "break", "breaks")))
	}
	if d.InterfaceOnly == "" {
		parts = append(parts, fmt.Sprintf("%s green → red, %d red → green of %d compared", plural(len(d.Worsened()), "repository", "repositories"), len(d.Verdicts)-len(d.Worsened()), d.Compared))
	} else {
		parts = append(parts, "interface only")
	}
	if len(d.Unchecked) > 0 {
		parts = append(parts, plural(len(d.Unchecked), "call not checked", "calls not checked"))
	}
	if len(d.Unreadable) > 0 {
		parts = append(parts, plural(len(d.Unreadable), "repository not read", "repositories not read"))
	}
	return strings.Join(parts, "; ")
}

// broken counts the calls broken (a job makes one call) and their repositories.
func (d *Document) broken() (calls, repos int) {
	seenCall, seenRepo := map[string]bool{}, map[string]bool{}
	for _, b := range d.Breaks {
		seenCall[b.Caller.Repo+"\x00"+b.Caller.File+"\x00"+b.Caller.Job] = true
		seenRepo[b.Caller.Repo] = true
	}
	return len(seenCall), len(seenRepo)
}

// declaredLine says what the declaration does to the exit code.
func (d *Document) declaredLine() string {
	switch {
	case d.Declared != "" && d.Breaking():
		return "The pull request declares the break, so the check passes: "
	case d.Declared != "":
		return "The pull request declares a break (none found): "
	}
	return ""
}

func (d *Document) interfaceOnlyLine() string {
	return "Verdicts not compared, the report covers the interface only: "
}

// Text is the report for a terminal or a CI log.
func (d *Document) Text() report.Doc {
	var blocks []report.Block
	title := report.Lines{report.Line(report.Markup("fleet impact of "), report.Text(d.Candidate), report.Markup(": "+d.Headline()))}
	blocks = append(blocks, title)
	if l := d.refLine(func(s string) report.Span { return report.Text(s) }); l != nil {
		blocks = append(blocks, report.Lines{l})
	}
	if len(d.Breaks) > 0 {
		t := report.Table{Columns: []report.Column{{Name: ""}, {Name: "CALLER"}, {Name: "FILE:LINE"}, {Name: "JOB"}, {Name: "KIND"}, {Name: "CALLEE:LINE"}, {Name: "WHAT"}}}
		for _, b := range d.Breaks {
			t.Rows = append(t.Rows, []report.Inline{report.Line(report.Verdict("✗", report.Bad)), report.Line(report.Text(b.Caller.Repo)),
				report.Line(report.Text(b.Caller.File), report.Markup(":"+strconv.Itoa(b.Caller.Line))), report.Line(report.Text(b.Caller.Job)),
				report.Line(report.Markup(b.Kind)), report.Line(report.Text(calleeAt(b.Callee))), report.Line(report.Text(b.Message))})
		}
		blocks = append(blocks, report.Lines{report.Line()}, t)
	}
	if len(d.Verdicts) > 0 {
		var lines report.Lines
		lines = append(lines, report.Line())
		for _, v := range d.Verdicts {
			tone := report.Good
			if v.After == Red {
				tone = report.Bad
			}
			lines = append(lines, report.Line(report.Verdict(v.Before+" → "+v.After, tone), report.Markup(" "), report.Text(v.Repo)))
			for _, f := range v.Findings {
				lines = append(lines, report.Line(report.Markup("  "+f.Change+" "), report.Text(findingText(f))))
			}
		}
		blocks = append(blocks, lines)
	}
	var notes report.Lines
	if d.InterfaceOnly != "" {
		notes = append(notes, report.Line(report.Markup(d.interfaceOnlyLine()), report.Text(d.InterfaceOnly)))
	}
	for _, u := range d.Unchecked {
		notes = append(notes, report.Line(report.Text(u.Caller.Repo+"/"+u.Caller.File), report.Markup(":"+strconv.Itoa(u.Caller.Line)+": not checked: "), report.Text(u.Reason)))
	}
	for _, r := range d.Unreadable {
		notes = append(notes, report.Line(report.Text(r.Repo), report.Markup(": "), report.Text(r.Error)))
	}
	if l := d.declaredLine(); l != "" {
		notes = append(notes, report.Line(report.Markup(l), report.Text(d.Declared)))
	}
	if len(notes) > 0 {
		blocks = append(blocks, report.Lines{report.Line()}, notes)
	}
	return report.Doc{Blocks: blocks, Complete: true}
}

func calleeAt(c CalleeRef) string {
	if c.Line > 0 {
		return c.File + ":" + strconv.Itoa(c.Line)
	}
	return c.File
}

func findingText(f ChangedFinding) string {
	loc := f.Path
	if f.Line > 0 {
		loc += ":" + strconv.Itoa(f.Line)
		if f.Column > 0 {
			loc += ":" + strconv.Itoa(f.Column)
		}
	}
	return fmt.Sprintf("%s: %s: %s [%s]", loc, f.Severity, f.Message, f.Rule)
}

// markdownMaxRows bounds the breaks the job summary and the comment list; the JSON has them all.
const markdownMaxRows = 500

// Markdown is the job summary and the pull request's sticky comment.
func (d *Document) Markdown() report.Doc {
	icon := "✅"
	switch {
	case d.Fails():
		icon = "❌"
	case d.Breaking():
		icon = "⚠️"
	}
	blocks := []report.Block{
		report.Heading{Level: 2, Text: report.Line(report.Markup("molecule-ci fleet impact: "), report.Code(d.Candidate))},
		report.Lines{report.Line(report.Markup(icon + " " + d.Headline() + "."))},
	}
	if l := d.refLine(func(s string) report.Span { return report.Code(s) }); l != nil {
		blocks = append(blocks, report.Lines{l})
	}
	if l := d.declaredLine(); l != "" {
		blocks = append(blocks, report.Lines{report.Line(report.Markup(l), report.Text(d.Declared))})
	}
	if len(d.Breaks) > 0 {
		t := report.Table{Columns: []report.Column{{Name: "caller"}, {Name: "file"}, {Name: "job"}, {Name: "kind"}, {Name: "callee"}, {Name: "what breaks"}},
			MaxRows: markdownMaxRows,
			More: func(n int) report.Inline {
				return report.Line(report.Markup(fmt.Sprintf("_%s not shown. Every break is in the JSON report._", plural(n, "more break", "more breaks"))))
			}}
		for _, b := range d.Breaks {
			t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(b.Caller.Repo)), report.Line(report.Code(b.Caller.File + ":" + strconv.Itoa(b.Caller.Line))),
				report.Line(report.Text(b.Caller.Job)), report.Line(report.Markup(b.Kind)), report.Line(report.Code(calleeAt(b.Callee))), report.Line(report.Text(b.Message))})
		}
		blocks = append(blocks, t)
	}
	if len(d.Verdicts) > 0 {
		t := report.Table{Columns: []report.Column{{Name: "repository"}, {Name: "verdict"}, {Name: "findings that changed"}}, MaxRows: markdownMaxRows}
		for _, v := range d.Verdicts {
			cell := report.Inline{}
			for i, f := range v.Findings {
				if i > 0 {
					cell = append(cell, report.Markup("<br>"))
				}
				cell = append(cell, report.Markup(f.Change+" "), report.Code(findingText(f)))
			}
			t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(v.Repo)), report.Line(report.Markup(v.Before + " → " + v.After)), cell})
		}
		blocks = append(blocks, t)
	}
	var notes report.Lines
	if d.InterfaceOnly != "" {
		notes = append(notes, report.Line(report.Markup(d.interfaceOnlyLine()), report.Text(d.InterfaceOnly)))
	}
	if len(notes) > 0 {
		blocks = append(blocks, notes)
	}
	if len(d.Unchecked) > 0 || len(d.Unreadable) > 0 {
		var lines report.Lines
		for _, u := range d.Unchecked {
			lines = append(lines, report.Line(report.Code(u.Caller.Repo+"/"+u.Caller.File+":"+strconv.Itoa(u.Caller.Line)), report.Markup(": "), report.Text(u.Reason)))
		}
		for _, r := range d.Unreadable {
			lines = append(lines, report.Line(report.Code(r.Repo), report.Markup(": "), report.Text(r.Error)))
		}
		blocks = append(blocks, report.Details{Summary: report.Line(report.Markup(plural(len(lines), "call or repository not checked", "calls or repositories not checked"))), Blocks: []report.Block{lines}})
	}
	return report.Doc{Blocks: blocks}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
