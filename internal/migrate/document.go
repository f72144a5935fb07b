package migrate

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// RepoDoc is one repository's part of the migration report.
type RepoDoc struct {
	Repo string `json:"repo"`
	Path string `json:"path"`
	// Calls are its calls of the old workflows, migrated or not.
	Calls []Call `json:"calls"`
	// Diff is the unified diff of the migration, git-apply-able from the repository's root.
	Diff string `json:"diff"`
	// Lint is what lint says of the migrated repository; nil when it was not run.
	Lint *LintDoc `json:"lint,omitempty"`
	// PR is the pull request opened or updated (not with --dry-run).
	PR *PRDoc `json:"pull_request,omitempty"`
	// Error says why the repository could not be migrated.
	Error string `json:"error,omitempty"`
}

// LintDoc is lint's verdict on the migrated repository.
type LintDoc struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// New are the findings the migration adds (none, when it is right); Baselined counts the
	// findings the repository already had, written to the baseline file Baseline ("" when none
	// was written: no finding to know, or Note says why).
	New       []report.JSONFinding `json:"new"`
	Baselined int                  `json:"baselined"`
	Baseline  string               `json:"baseline,omitempty"`
	Note      string               `json:"note,omitempty"`
}

// PRDoc is a repository's pull request.
type PRDoc struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
	Action string `json:"action"` // created, updated, unchanged
	// Checks are the check runs of its head (--status): "name: conclusion" or "name: status".
	Checks []string `json:"checks,omitempty"`
}

// Document is the migration report of a fleet.
type Document struct {
	// Successor is the successors' repository and Ref the ref called, Pin what uses: names.
	Successor string    `json:"successor"`
	Ref       string    `json:"ref"`
	Pin       string    `json:"pin"`
	Repos     []RepoDoc `json:"repos"`
	// Status says the report lists pull requests' checks (--status) rather than changes.
	Status bool `json:"-"`
}

// Counts are the repositories changed, the calls migrated, those left as they are, and the
// repositories not read.
func (d *Document) Counts() (repos, migrated, problems, unread int) {
	for _, r := range d.Repos {
		if r.Error != "" {
			unread++
		}
		if r.Diff != "" {
			repos++
		}
		for _, c := range r.Calls {
			if c.Problem == "" {
				migrated++
			} else {
				problems++
			}
		}
	}
	return
}

// NewFindings counts the findings migrations add, across the fleet.
func (d *Document) NewFindings() int {
	n := 0
	for _, r := range d.Repos {
		if r.Lint != nil {
			n += len(r.Lint.New)
		}
	}
	return n
}

// Report is the document as a report.Report.
func (d *Document) Report(version string) *report.Report {
	return &report.Report{Tool: "molecule-ci", Version: version, Command: "fleet migrate", Summary: d}
}

// JSON lists the members of `fleet migrate --format json`.
func (d *Document) JSON() []report.Member {
	repos := d.Repos
	if repos == nil {
		repos = []RepoDoc{}
	}
	return []report.Member{
		{Name: "successor", Value: d.Successor}, {Name: "ref", Value: d.Ref}, {Name: "pin", Value: d.Pin},
		{Name: "repos", Value: repos, Layout: report.Rows},
	}
}

// Headline is the report in one sentence.
func (d *Document) Headline() string {
	if d.Status {
		n := 0
		for _, r := range d.Repos {
			if r.PR != nil {
				n++
			}
		}
		return fmt.Sprintf("%s of the migration open", plural(n, "pull request", "pull requests"))
	}
	repos, migrated, problems, unread := d.Counts()
	s := fmt.Sprintf("%s migrated to %s@%s in %s", plural(migrated, "call", "calls"), d.Successor, d.Ref, plural(repos, "repository", "repositories"))
	if problems > 0 {
		s += fmt.Sprintf(", %s left as they are", plural(problems, "call", "calls"))
	}
	if n := d.NewFindings(); n > 0 {
		s += fmt.Sprintf(", %s added by the migration", plural(n, "lint finding", "lint findings"))
	}
	if unread > 0 {
		s += fmt.Sprintf(", %s not read", plural(unread, "repository", "repositories"))
	}
	return s
}

// Text is the dry run's output: per repository, comment lines (# ...) saying what was done and
// what was not, then its diff, so that each repository's part applies with git apply from the
// repository's root; with --status, each pull request and its checks.
func (d *Document) Text() report.Doc {
	var lines report.Lines
	for _, r := range d.Repos {
		head := report.Line(report.Markup("# "), report.Text(r.Repo), report.Markup(" ("), report.Text(r.Path), report.Markup(")"))
		if r.Error != "" {
			lines = append(lines, append(head, report.Markup(": "), report.Text(r.Error)))
			continue
		}
		n := 0
		for _, c := range r.Calls {
			if c.Problem == "" {
				n++
			}
		}
		if !d.Status {
			head = append(head, report.Markup(": "+plural(n, "call", "calls")+" migrated"))
		}
		lines = append(lines, head)
		for _, c := range r.Calls {
			if c.Problem != "" {
				lines = append(lines, report.Line(report.Markup("#   left as it is: "), report.Text(c.File), report.Markup(":"+strconv.Itoa(c.Line)+" job "), report.Text(c.Job), report.Markup(": "), report.Text(c.Problem)))
			}
		}
		if r.Lint != nil {
			l := report.Line(report.Markup(fmt.Sprintf("#   lint after: %s, %s; %s it had",
				plural(r.Lint.Errors, "error", "errors"), plural(r.Lint.Warnings, "warning", "warnings"), plural(r.Lint.Baselined, "finding", "findings"))))
			if r.Lint.Baseline != "" {
				l = append(l, report.Markup(", known by the baseline "), report.Text(r.Lint.Baseline))
			}
			lines = append(lines, append(l, report.Markup(fmt.Sprintf("; %s added by the migration", plural(len(r.Lint.New), "finding", "findings")))))
			if r.Lint.Note != "" {
				lines = append(lines, report.Line(report.Markup("#   "), report.Text(r.Lint.Note)))
			}
			for _, f := range r.Lint.New {
				lines = append(lines, report.Line(report.Markup("#   new: "), report.Text(fmt.Sprintf("%s:%d:%d: %s [%s]", f.Path, f.Line, f.Column, f.Message, f.Rule))))
			}
		}
		if r.PR != nil {
			pr := report.Line(report.Markup("#   pull request "), report.Text(r.PR.URL))
			if r.PR.Action != "" {
				pr = append(pr, report.Markup(": "+r.PR.Action))
			}
			lines = append(lines, pr)
			for _, c := range r.PR.Checks {
				lines = append(lines, report.Line(report.Markup("#     "), report.Text(c)))
			}
		}
		if !d.Status {
			for _, l := range strings.SplitAfter(r.Diff, "\n") {
				if l != "" {
					lines = append(lines, report.Line(report.Text(strings.TrimSuffix(l, "\n"))))
				}
			}
		}
	}
	lines = append(lines, report.Line(report.Markup("# "+d.Headline())))
	return report.Doc{Blocks: []report.Block{lines}, Complete: true}
}

// Markdown is the job summary: a table of the repositories, then each diff.
func (d *Document) Markdown() report.Doc {
	t := report.Table{Columns: []report.Column{{Name: "repository"}, {Name: "migrated", Right: true}, {Name: "left as they are", Right: true}, {Name: "pull request"}}}
	var details []report.Block
	for _, r := range d.Repos {
		migrated, left := 0, 0
		for _, c := range r.Calls {
			if c.Problem == "" {
				migrated++
			} else {
				left++
			}
		}
		pr := report.Inline{report.Markup("-")}
		if r.PR != nil {
			pr = report.Line(report.Link("#"+strconv.Itoa(r.PR.Number), r.PR.URL), report.Markup(" "+r.PR.Action))
		}
		if r.Error != "" {
			pr = report.Line(report.Text(r.Error))
		}
		t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(r.Repo)), report.Line(report.Markup(strconv.Itoa(migrated))), report.Line(report.Markup(strconv.Itoa(left))), pr})
		if r.Diff != "" {
			details = append(details, report.Details{Summary: report.Line(report.Code(r.Repo)), Blocks: []report.Block{report.CodeBlock{Text: r.Diff}}})
		}
	}
	blocks := []report.Block{
		report.Heading{Level: 2, Text: report.Line(report.Markup("molecule-ci fleet migrate"))},
		report.Lines{report.Line(report.Text(d.Headline() + "."))},
		t,
	}
	return report.Doc{Blocks: append(blocks, details...)}
}

// Explain is MIGRATING.md's table of every caller: the change of each call, computed by the
// same code as the migration, rendered by internal/report like every Markdown the tool writes
// (names and paths from the fleet are data, escaped).
func (d *Document) Explain() string {
	type row struct {
		repo, file, job, from, to string
		notes                     []string
	}
	var rows []row
	for _, r := range d.Repos {
		for _, c := range r.Calls {
			to := c.To
			var notes []string
			if len(c.Renamed) > 0 {
				notes = append(notes, "inputs renamed: "+strings.Join(c.Renamed, ", "))
			}
			if len(c.Granted) > 0 {
				notes = append(notes, "permissions granted to the job: "+strings.Join(c.Granted, ", "))
			}
			if c.Problem != "" {
				to, notes = "", []string{"not migrated: " + c.Problem}
			}
			for _, m := range Mappings {
				if strings.HasPrefix(c.From, m.From+"@") && m.Why != "" {
					notes = append(notes, m.Why)
				}
			}
			rows = append(rows, row{r.Repo, c.File, c.Job, c.From, to, notes})
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.repo, b.repo), strings.Compare(a.file, b.file), strings.Compare(a.job, b.job))
	})
	t := report.Table{Columns: []report.Column{{Name: "caller"}, {Name: "job"}, {Name: "today"}, {Name: "after"}, {Name: "also"}}}
	for _, r := range rows {
		after := report.Line(report.Markup("-"))
		if r.to != "" {
			after = report.Line(report.Code(r.to))
		}
		t.Rows = append(t.Rows, []report.Inline{report.Line(report.Code(r.repo + "/" + r.file)), report.Line(report.Code(r.job)),
			report.Line(report.Code(r.from)), after, report.Line(report.Text(cmp.Or(strings.Join(r.notes, "; "), "-")))})
	}
	return report.RenderMarkdown(report.Doc{Blocks: []report.Block{t}}, report.MaxSummaryBytes)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// maxOverlay bounds the files copied for the migrated tree lint reads.
const maxOverlay = 100000

// Overlay copies the checkout at root into a new temporary directory with files written over
// it, for lint to read the migrated repository as it will be; the caller removes the directory.
// .git and the directories lint skips are not copied, nor links (lint does not follow them out
// of a repository either).
func Overlay(root string, files []File, maxFile int64) (string, error) {
	dst, err := os.MkdirTemp("", "molecule-ci-migrate-*")
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real // a fleet directory may link its checkouts
	}
	n := 0
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case e.IsDir() && rel != "." && slices.Contains([]string{".git", "node_modules", "vendor", ".venv", "__pycache__"}, e.Name()):
			return filepath.SkipDir
		case e.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !e.Type().IsRegular():
			return nil
		}
		if n++; n > maxOverlay {
			return fmt.Errorf("more than %d files", maxOverlay)
		}
		b, err := fsutil.ReadRegular(p, maxFile)
		if err != nil {
			return nil // over the limit: lint notes it in the original
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	for _, f := range files {
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, filepath.FromSlash(f.Path)), f.New, 0o644)
		}
	}
	if err != nil {
		os.RemoveAll(dst)
		return "", fmt.Errorf("copy %s: %w", root, err)
	}
	return dst, nil
}
