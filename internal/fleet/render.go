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
	"text/tabwriter"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/logsafe"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// The fleet report's formats, in this one file behind Document's methods (JSON, Human, Markdown,
// SARIF) and CallGraph's (JSON, Human, Markdown), so that moving them into internal/report's one
// rendering layer (a report.Summary) is mechanical; the dashboard is site.go's. Every string in a Document comes from a repository or the API and is hostile:
// cells are redacted and made one printable line (logsafe.Line) for a terminal, escaped for
// Markdown, encoded by encoding/json and report's SARIF writer otherwise.

// JSON writes the document, two-space indented, keys in the documented order.
func (d *Document) JSON(w io.Writer) error {
	return writeJSON(w, d)
}

func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Messages quote code ("a && b", "<none>"); \u0026 would only make them harder to read.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Status is a repository's verdict in the table: ok (no error finding), fail (error findings),
// unreadable (not linted), skipped (nothing to lint).
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

var statusMarks = map[string]string{"ok": "✓", "fail": "✗", "unreadable": "!", "skipped": "-"}

const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

var statusColours = map[string]string{"ok": ansiGreen, "fail": ansiRed, "unreadable": ansiYellow}

// Human writes the table: per repository its verdict, contract kind, error and warning counts
// and the shared workflows it calls at which ref; then the totals, and why repositories could
// not be read.
func (d *Document) Human(w io.Writer, colour bool) error {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, " \tREPOSITORY\tKIND\tERRORS\tWARNINGS\tCALLS")
	for _, r := range d.Repos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", statusMarks[r.Status()], cell(r.Name, 60), cell(r.Kind, 20), r.Errors, r.Warnings, cell(orDash(strings.Join(r.calledWorkflows(), ", ")), 300))
	}
	tw.Flush()
	// The marks are coloured after the layout: tabwriter would count the colour sequences as width.
	var b bytes.Buffer
	for i, line := range strings.SplitAfter(table.String(), "\n") {
		if i > 0 && i <= len(d.Repos) && colour {
			st := d.Repos[i-1].Status()
			if c := statusColours[st]; c != "" {
				line = c + statusMarks[st] + ansiReset + strings.TrimPrefix(line, statusMarks[st])
			}
		}
		b.WriteString(line)
	}
	fmt.Fprintf(&b, "\n%s\n", d.Headline())
	for _, r := range d.Repos {
		switch {
		case r.Error != "":
			fmt.Fprintf(&b, "%s: %s\n", cell(r.Path, 200), cell(r.Error, 2000))
		case r.Skipped != "":
			fmt.Fprintf(&b, "%s: skipped: %s\n", cell(r.Path, 200), cell(r.Skipped, 500))
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "%s: note: %s\n", cell(r.Path, 200), cell(n, 2000))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Headline is the verdict in one sentence.
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

// Markdown limits: GitHub refuses a step summary over 1 MiB, shared by every step.
const (
	markdownMaxBytes = 512 << 10
	markdownMaxCell  = 300
)

// Markdown writes the job summary: the verdict and a table of the repositories, failing ones
// first, cut with a count if it would not fit.
func (d *Document) Markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("## molecule-ci fleet\n\n")
	icon := "✅"
	if d.Summary.Failing > 0 || d.Summary.Unreadable > 0 {
		icon = "❌"
	}
	fmt.Fprintf(&b, "%s %s\n\n", icon, mdCell(d.Headline(), 1000))
	b.WriteString("| | repository | kind | errors | warnings | shared workflows |\n| --- | --- | --- | ---: | ---: | --- |\n")
	order := slices.Clone(d.Repos)
	rank := map[string]int{"unreadable": 0, "fail": 1, "ok": 2, "skipped": 3}
	slices.SortStableFunc(order, func(a, b RepoDoc) int { return rank[a.Status()] - rank[b.Status()] })
	icons := map[string]string{"ok": "✅", "fail": "❌", "unreadable": "⚠️", "skipped": "➖"}
	shown := 0
	for _, r := range order {
		if b.Len() > markdownMaxBytes {
			break
		}
		var calls []string
		for _, c := range r.calledWorkflows() {
			calls = append(calls, mdCode(c))
		}
		name := mdCode(r.Name)
		if r.Error != "" {
			name += "<br>" + mdCell(r.Error, markdownMaxCell)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %s |\n", icons[r.Status()], name, mdCell(r.Kind, 40), r.Errors, r.Warnings, orDash(strings.Join(calls, " ")))
		shown++
	}
	if n := len(order) - shown; n > 0 {
		fmt.Fprintf(&b, "\n_%s not shown: the job summary is limited in size. Every repository is in the JSON report._\n", plural(n, "more repository", "more repositories"))
	}
	_, err := io.WriteString(w, b.String())
	return err
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
	return writeJSON(w, struct {
		Schema  string            `json:"$schema"`
		Version string            `json:"version"`
		Runs    []json.RawMessage `json:"runs"`
	}{schema, ver, nonNilRaw(runs)})
}

func nonNilRaw(r []json.RawMessage) []json.RawMessage {
	if r == nil {
		return []json.RawMessage{}
	}
	return r
}

// JSON writes the call graph.
func (g *CallGraph) JSON(w io.Writer) error { return writeJSON(w, g) }

// Human writes the calls as a table, then each shared workflow and ref with its callers' count.
func (g *CallGraph) Human(w io.Writer) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CALLER\tFILE:LINE\tJOB\tWORKFLOW\tREF\tINPUTS\tSECRETS")
	for _, c := range g.Calls {
		secrets := "inherit"
		if !c.Secrets.Inherit {
			secrets = orDash(strings.Join(c.Secrets.Names, ","))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(c.Repo, 60), cell(c.File+":"+strconv.Itoa(c.Line), 120), cell(c.Job, 40),
			cell(c.Workflow, 120), cell(orDash(c.Ref), 60), cell(orDash(strings.Join(c.Inputs, ",")), 200), cell(secrets, 200))
	}
	tw.Flush()
	if len(g.Callees) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SHARED WORKFLOW\tREF\tREPOSITORIES\tCALLS")
		for _, c := range g.Callees {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", cell(c.Workflow, 120), cell(c.Ref, 60), c.Repos, c.Calls)
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "\n%s from %s into %s\n", plural(len(g.Calls), "call", "calls"), plural(g.callers(), "repository", "repositories"), plural(len(g.Callees), "shared workflow and ref", "shared workflow and ref pairs"))
	_, err := w.Write(b.Bytes())
	return err
}

func (g *CallGraph) callers() int {
	seen := map[string]bool{}
	for _, c := range g.Calls {
		seen[c.Owner+"/"+c.Repo+"\x00"+c.Path] = true
	}
	return len(seen)
}

// Markdown writes the call graph for a job summary.
func (g *CallGraph) Markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("## molecule-ci fleet: reusable-workflow calls\n\n")
	fmt.Fprintf(&b, "%s from %s into %s.\n\n", plural(len(g.Calls), "call", "calls"), plural(g.callers(), "repository", "repositories"), plural(len(g.Callees), "shared workflow and ref", "shared workflow and ref pairs"))
	if len(g.Callees) > 0 {
		b.WriteString("| shared workflow | ref | repositories | calls |\n| --- | --- | ---: | ---: |\n")
		for _, c := range g.Callees {
			fmt.Fprintf(&b, "| %s | %s | %d | %d |\n", mdCode(c.Workflow), mdCode(c.Ref), c.Repos, c.Calls)
		}
		b.WriteString("\n")
	}
	b.WriteString("| caller | file | job | workflow | ref | inputs | secrets |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	shown := 0
	for _, c := range g.Calls {
		if b.Len() > markdownMaxBytes {
			break
		}
		secrets := "inherit"
		if !c.Secrets.Inherit {
			secrets = strings.Join(c.Secrets.Names, ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCode(c.Repo), mdCode(c.File+":"+strconv.Itoa(c.Line)), mdCell(c.Job, 100),
			mdCode(c.Workflow), mdCode(orDash(c.Ref)), mdCell(orDash(strings.Join(c.Inputs, ", ")), markdownMaxCell), mdCell(orDash(secrets), markdownMaxCell))
		shown++
	}
	if n := len(g.Calls) - shown; n > 0 {
		fmt.Fprintf(&b, "\n_%s not shown: the job summary is limited in size. Every call is in the JSON report._\n", plural(n, "more call", "more calls"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell is hostile text as one short line of a terminal table: credentials redacted (before the
// cut, which could leave a prefix no longer recognisable), blanks collapsed, control characters
// as escapes.
func cell(s string, n int) string {
	return logsafe.Line(cut(strings.Join(strings.Fields(secrets.Redact(s)), " "), n))
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// mdReplacer makes hostile text inert in a GFM table cell: table and Markdown syntax escaped,
// HTML special characters as entities, line breaks flattened, and a zero-width space after @ and
// # so a repository's text can neither mention anyone nor cross-reference an issue.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;", "@", "@\u200b", "#", "#\u200b",
	"\r\n", " ", "\n", " ", "\r", " ",
)

func mdCell(s string, n int) string {
	return mdReplacer.Replace(logsafe.Line(cut(strings.Join(strings.Fields(secrets.Redact(s)), " "), n)))
}

// mdCode is hostile text as a code span in a table cell: its fence longer than any run of
// backticks inside, pipes escaped (GFM splits cells before it reads code spans).
func mdCode(s string) string {
	s = strings.ReplaceAll(logsafe.Line(cut(strings.Join(strings.Fields(secrets.Redact(s)), " "), markdownMaxCell)), "|", `\|`)
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
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
