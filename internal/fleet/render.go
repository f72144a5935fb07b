package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// The fleet report and its call graph are report.Summary values: this file says what their parts
// are (the members of the JSON document, the tables, which strings are data) and internal/report
// lays them out, escapes the data and encodes the bytes for every format and sink. The one format
// of its own is SARIF with one run per repository, which report's writer (one run per report)
// makes for each repository. The dashboard is site.go's.

// Report is the fleet report as a report.Report: no finding of its own (each repository's are in
// the document), the document as its Summary.
func (d *Document) Report(version string) *report.Report {
	files := 0
	for _, r := range d.Repos {
		files += r.FilesChecked
	}
	return &report.Report{Tool: "molecule-ci", Version: version, Command: "fleet", FilesChecked: files, Summary: d}
}

// JSON lists the members of `fleet --format json` before the report's own findings (none) and
// files_checked: "repos", one repository a line, and "summary".
func (d *Document) JSON() []report.Member {
	repos := d.Repos
	if repos == nil {
		repos = []RepoDoc{}
	}
	return []report.Member{
		{Name: "repos", Value: repos, Layout: report.Rows},
		{Name: "summary", Value: d.Summary, Layout: report.Indented},
	}
}

// WriteJSON writes the JSON report, what shards write and --merge reads.
func (d *Document) WriteJSON(w io.Writer) error {
	return report.Write(w, "json", d.Report(""), report.Options{})
}

// Status is a repository's verdict: ok (no error finding), fail (error findings), unreadable
// (not linted), skipped (nothing to lint).
func (r RepoDoc) Status() string {
	switch {
	case r.Error != "":
		return "unreadable"
	case r.Skipped != "":
		return "skipped"
	case r.Errors > 0:
		return "fail"
	}
	return "ok"
}

var (
	statusMarks = map[string]string{"ok": "✓", "fail": "✗", "unreadable": "!", "skipped": "-"}
	statusTones = map[string]report.Tone{"ok": report.Good, "fail": report.Bad, "unreadable": report.Doubtful}
	statusIcons = map[string]string{"ok": "✅", "fail": "❌", "unreadable": "⚠️", "skipped": "➖"}
)

// Text is the table: per repository its verdict (red, green or yellow on a terminal), contract
// kind, error and warning counts and the shared workflows it calls at which ref; then the
// totals, and why repositories were not read or skipped.
func (d *Document) Text() report.Doc {
	t := report.Table{Columns: []report.Column{{Name: ""}, {Name: "REPOSITORY"}, {Name: "KIND"}, {Name: "ERRORS", Right: true}, {Name: "WARNINGS", Right: true}, {Name: "CALLS"}}}
	for _, r := range d.Repos {
		st := r.Status()
		t.Rows = append(t.Rows, []report.Inline{
			report.Line(report.Verdict(statusMarks[st], statusTones[st])), report.Line(report.Text(r.Name)), report.Line(report.Text(r.Kind)),
			report.Line(report.Markup(strconv.Itoa(r.Errors))), report.Line(report.Markup(strconv.Itoa(r.Warnings))),
			report.Line(report.Text(orDash(strings.Join(r.calledWorkflows(), ", ")))),
		})
	}
	lines := report.Lines{report.Line(), report.Line(report.Markup(d.Headline()))}
	for _, r := range d.Repos {
		switch {
		case r.Error != "":
			lines = append(lines, report.Line(report.Text(r.Path), report.Markup(": "), report.Text(r.Error)))
		case r.Skipped != "":
			lines = append(lines, report.Line(report.Text(r.Path), report.Markup(": skipped: "), report.Text(r.Skipped)))
		}
		for _, n := range r.Notes {
			lines = append(lines, report.Line(report.Text(r.Path), report.Markup(": note: "), report.Text(n)))
		}
	}
	return report.Doc{Blocks: []report.Block{t, lines}, Complete: true}
}

// Headline is the verdict in one sentence, numbers only.
func (d *Document) Headline() string {
	s := d.Summary
	var parts []string
	parts = append(parts, fmt.Sprintf("%s: %d failing, %d clean", plural(s.Repos, "repository", "repositories"), s.Failing, s.Linted-s.Failing))
	if s.Unreadable > 0 {
		parts = append(parts, fmt.Sprintf("%d not read", s.Unreadable))
	}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d with nothing to lint", s.Skipped))
	}
	line := strings.Join(parts, ", ")
	line += fmt.Sprintf("; %s, %s, %s", plural(s.Errors, "error", "errors"), plural(s.Warnings, "warning", "warnings"), plural(s.Infos, "info", "info"))
	line += fmt.Sprintf("; %s (%s)", plural(s.Calls, "reusable-workflow call", "reusable-workflow calls"), plural(len(s.Callees), "shared workflow and ref", "shared workflow and ref pairs"))
	return line
}

// calledWorkflows are the distinct workflows a repository calls, each as REPO/FILE@REF (or
// ./FILE for a local one), sorted.
func (r RepoDoc) calledWorkflows() []string {
	var out []string
	for _, c := range r.Calls {
		s := shortWorkflow(c.Workflow)
		if c.Ref != "" {
			s += "@" + c.Ref
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// shortWorkflow shows OWNER/REPO/.github/workflows/FILE as REPO/FILE, and ./.github/workflows/FILE
// as ./FILE: the table's column is for reading, the JSON has the whole reference.
func shortWorkflow(w string) string {
	if rest, ok := strings.CutPrefix(w, "./"); ok {
		if strings.HasPrefix(rest, ".github/workflows/") {
			return "./" + path.Base(rest)
		}
		return w
	}
	parts := strings.SplitN(w, "/", 3)
	if len(parts) == 3 && strings.HasPrefix(parts[2], ".github/workflows/") && !strings.Contains(strings.TrimPrefix(parts[2], ".github/workflows/"), "/") {
		return parts[1] + "/" + path.Base(parts[2])
	}
	return w
}

// markdownMaxRows is how many repositories the job summary lists; the JSON report has them all.
const markdownMaxRows = 1000

// Markdown is the job summary (and the tracking issue): the verdict, a table of the
// repositories, those failing or not read first, and why each one not read was not.
func (d *Document) Markdown() report.Doc {
	icon := "✅"
	if d.Summary.Failing > 0 || d.Summary.Unreadable > 0 {
		icon = "❌"
	}
	order := slices.Clone(d.Repos)
	rank := map[string]int{"unreadable": 0, "fail": 1, "ok": 2, "skipped": 3}
	slices.SortStableFunc(order, func(a, b RepoDoc) int { return rank[a.Status()] - rank[b.Status()] })
	t := report.Table{
		Columns: []report.Column{{Name: ""}, {Name: "repository"}, {Name: "kind"}, {Name: "errors", Right: true}, {Name: "warnings", Right: true}, {Name: "shared workflows"}},
		MaxRows: markdownMaxRows,
		More: func(n int) report.Inline {
			return report.Line(report.Markup(fmt.Sprintf("_%s not shown: the job summary is limited in size. Every repository is in the JSON report._", plural(n, "more repository", "more repositories"))))
		},
	}
	var notRead report.Lines
	for _, r := range order {
		calls := report.Inline{}
		for i, c := range r.calledWorkflows() {
			if i > 0 {
				calls = append(calls, report.Markup(" "))
			}
			calls = append(calls, report.Code(c))
		}
		if len(calls) == 0 {
			calls = report.Line(report.Markup("-"))
		}
		t.Rows = append(t.Rows, []report.Inline{
			report.Line(report.Markup(statusIcons[r.Status()])), report.Line(report.Code(r.Name)), report.Line(report.Text(r.Kind)),
			report.Line(report.Markup(strconv.Itoa(r.Errors))), report.Line(report.Markup(strconv.Itoa(r.Warnings))), calls,
		})
		if r.Error != "" {
			notRead = append(notRead, report.Line(report.Code(r.Name), report.Markup(": "), report.Text(r.Error)))
		}
	}
	blocks := []report.Block{
		report.Heading{Level: 2, Text: report.Line(report.Markup("molecule-ci fleet"))},
		report.Lines{report.Line(report.Markup(icon + " " + d.Headline()))},
		t,
	}
	if len(notRead) > 0 {
		blocks = append(blocks, report.Details{Summary: report.Line(report.Markup(plural(len(notRead), "repository not read", "repositories not read"))), Blocks: []report.Block{notRead}})
	}
	return report.Doc{Blocks: blocks}
}

// SARIF writes one SARIF 2.1.0 log with one run per repository, each rendered by report's SARIF
// writer and told apart by its automationDetails id (fleet/OWNER/NAME/), which code scanning uses
// as the category. Paths are relative to each repository's root.
func (d *Document) SARIF(w io.Writer, version string) error {
	var runs []json.RawMessage
	var schema, ver string
	for _, r := range d.Repos {
		if r.Error != "" || r.Skipped != "" {
			continue
		}
		rep := r.Report()
		rep.Tool, rep.Version = "molecule-ci", version
		var buf bytes.Buffer
		if err := report.Write(&buf, "sarif", rep, report.Options{}); err != nil {
			return fmt.Errorf("SARIF of %s: %w", r.Name, err)
		}
		var log struct {
			Schema  string                       `json:"$schema"`
			Version string                       `json:"version"`
			Runs    []map[string]json.RawMessage `json:"runs"`
		}
		if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
			return fmt.Errorf("SARIF of %s: %w", r.Name, err)
		}
		schema, ver = log.Schema, log.Version
		for _, run := range log.Runs {
			id, _ := json.Marshal(map[string]string{"id": "fleet/" + r.Owner + "/" + r.Name + "/"})
			run["automationDetails"] = id
			b, err := json.Marshal(run)
			if err != nil {
				return err
			}
			runs = append(runs, b)
		}
	}
	if schema == "" {
		schema, ver = "https://json.schemastore.org/sarif-2.1.0.json", "2.1.0"
	}
	if runs == nil {
		runs = []json.RawMessage{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Schema  string            `json:"$schema"`
		Version string            `json:"version"`
		Runs    []json.RawMessage `json:"runs"`
	}{schema, ver, runs}); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Report is the call graph as a report.Report, the graph its Summary.
func (g *CallGraph) Report() *report.Report {
	return &report.Report{Tool: "molecule-ci", Command: "fleet", Summary: g}
}

// JSON lists the members of `fleet --calls --format json`: every call, one a line, then the
// shared workflows called.
func (g *CallGraph) JSON() []report.Member {
	return []report.Member{
		{Name: "calls", Value: g.Calls, Layout: report.Rows},
		{Name: "callees", Value: g.Callees, Layout: report.Rows},
	}
}

func (g *CallGraph) secrets(c GraphCall) string {
	if c.Secrets.Inherit {
		return "inherit"
	}
	return orDash(strings.Join(c.Secrets.Names, ","))
}

// Text is the calls as a table, then each shared workflow and ref with its callers' count.
func (g *CallGraph) Text() report.Doc {
	calls := report.Table{Columns: []report.Column{{Name: "CALLER"}, {Name: "FILE:LINE"}, {Name: "JOB"}, {Name: "WORKFLOW"}, {Name: "REF"}, {Name: "INPUTS"}, {Name: "SECRETS"}}}
	for _, c := range g.Calls {
		calls.Rows = append(calls.Rows, report.Cells(c.Repo, c.File+":"+strconv.Itoa(c.Line), c.Job, c.Workflow, orDash(c.Ref), orDash(strings.Join(c.Inputs, ",")), g.secrets(c)))
	}
	blocks := []report.Block{calls}
	if len(g.Callees) > 0 {
		callees := report.Table{Columns: []report.Column{{Name: "SHARED WORKFLOW"}, {Name: "REF"}, {Name: "REPOSITORIES", Right: true}, {Name: "CALLS", Right: true}}}
		for _, c := range g.Callees {
			callees.Rows = append(callees.Rows, []report.Inline{report.Line(report.Text(c.Workflow)), report.Line(report.Text(c.Ref)),
				report.Line(report.Markup(strconv.Itoa(c.Repos))), report.Line(report.Markup(strconv.Itoa(c.Calls)))})
		}
		blocks = append(blocks, report.Lines{report.Line()}, callees)
	}
	blocks = append(blocks, report.Lines{report.Line(), report.Line(report.Markup(g.headline()))})
	return report.Doc{Blocks: blocks, Complete: true}
}

func (g *CallGraph) headline() string {
	return fmt.Sprintf("%s from %s into %s", plural(len(g.Calls), "call", "calls"), plural(g.callers(), "repository", "repositories"), plural(len(g.Callees), "shared workflow and ref", "shared workflow and ref pairs"))
}

func (g *CallGraph) callers() int {
	seen := map[string]bool{}
	for _, c := range g.Calls {
		seen[c.Owner+"/"+c.Repo+"\x00"+c.Path] = true
	}
	return len(seen)
}

// Markdown is the call graph for a job summary: the shared workflows, then every call.
func (g *CallGraph) Markdown() report.Doc {
	blocks := []report.Block{
		report.Heading{Level: 2, Text: report.Line(report.Markup("molecule-ci fleet: reusable-workflow calls"))},
		report.Lines{report.Line(report.Markup(g.headline() + "."))},
	}
	if len(g.Callees) > 0 {
		t := report.Table{Columns: []report.Column{{Name: "shared workflow"}, {Name: "ref"}, {Name: "repositories", Right: true}, {Name: "calls", Right: true}}}
		for _, c := range g.Callees {
			t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(c.Workflow)), report.Line(report.Code(c.Ref)),
				report.Line(report.Markup(strconv.Itoa(c.Repos))), report.Line(report.Markup(strconv.Itoa(c.Calls)))})
		}
		blocks = append(blocks, t)
	}
	t := report.Table{
		Columns: []report.Column{{Name: "caller"}, {Name: "file"}, {Name: "job"}, {Name: "workflow"}, {Name: "ref"}, {Name: "inputs"}, {Name: "secrets"}},
		MaxRows: markdownMaxRows,
		More: func(n int) report.Inline {
			return report.Line(report.Markup(fmt.Sprintf("_%s not shown: the job summary is limited in size. Every call is in the JSON report._", plural(n, "more call", "more calls"))))
		},
	}
	for _, c := range g.Calls {
		t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(c.Repo)), report.Line(report.Code(c.File + ":" + strconv.Itoa(c.Line))), report.Line(report.Text(c.Job)),
			report.Line(report.Code(c.Workflow)), report.Line(report.Code(orDash(c.Ref))), report.Line(report.Text(orDash(strings.Join(c.Inputs, ", ")))), report.Line(report.Text(g.secrets(c)))})
	}
	return report.Doc{Blocks: append(blocks, t)}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
