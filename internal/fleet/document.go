package fleet

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Document is the fleet report as data: what `fleet --format json` writes, what shards write and
// --merge reads, and what every other format is rendered from. Its JSON form is documented in
// docs/fleet.md and stable: keys are only ever added. It is a function of its repositories alone
// (no times, no durations), so merging the shards of a run gives exactly the unsharded report.
type Document struct {
	Repos   []RepoDoc `json:"repos"`
	Summary Summary   `json:"summary"`
}

// RepoDoc is one repository's part of the report.
type RepoDoc struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
	// Path is the checkout's path (--dir, --repo) or OWNER/NAME (--org).
	Path string `json:"path"`
	// Kind is the contract kind: workspace-template, plugin, go-plugin, org-template or none.
	Kind         string `json:"kind"`
	Errors       int    `json:"errors"`
	Warnings     int    `json:"warnings"`
	Infos        int    `json:"infos"`
	FilesChecked int    `json:"files_checked"`
	// Error says why the repository was not linted; Skipped why there was nothing to lint.
	Error    string               `json:"error,omitempty"`
	Skipped  string               `json:"skipped,omitempty"`
	Notes    []string             `json:"notes,omitempty"`
	Findings []report.JSONFinding `json:"findings"`
	Calls    []CallDoc            `json:"calls"`
}

// CallDoc is one call into a reusable workflow.
type CallDoc struct {
	File string `json:"file"` // the caller's workflow, relative to the repository's root
	Line int    `json:"line"` // of uses:
	Job  string `json:"job"`
	// Workflow is the uses: value before "@" (OWNER/REPO/.github/workflows/FILE, or ./PATH);
	// Ref what follows it ("" for a local call).
	Workflow string   `json:"workflow"`
	Ref      string   `json:"ref"`
	Inputs   []string `json:"inputs"`
	Secrets  Secrets  `json:"secrets"`
}

// Secrets is what a call passes as secrets: names, or inherit (every secret of the caller).
// In JSON: a list of names, or the string "inherit".
type Secrets struct {
	Inherit bool
	Names   []string
}

// MarshalJSON writes "inherit" or the list of names.
func (s Secrets) MarshalJSON() ([]byte, error) {
	if s.Inherit {
		return []byte(`"inherit"`), nil
	}
	return json.Marshal(nonNil(s.Names))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Secrets) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		if str != "inherit" {
			return fmt.Errorf(`secrets: want a list of names or "inherit", got %q`, str)
		}
		*s = Secrets{Inherit: true}
		return nil
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf(`secrets: want a list of names or "inherit": %w`, err)
	}
	*s = Secrets{Names: names}
	return nil
}

// Summary totals the fleet.
type Summary struct {
	Repos int `json:"repos"`
	// Linted repositories were read and linted; Failing ones among them have error findings.
	// Unreadable ones could not be read or linted (see each repository's error); Skipped ones
	// had nothing to lint.
	Linted     int `json:"linted"`
	Failing    int `json:"failing"`
	Unreadable int `json:"unreadable"`
	Skipped    int `json:"skipped"`
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
	Infos      int `json:"infos"`
	// Calls counts the calls into reusable workflows; Callees lists each workflow and ref called
	// from another repository, with how many repositories and calls.
	Calls   int         `json:"calls"`
	Callees []CalleeDoc `json:"callees"`
}

// CalleeDoc is a reusable workflow at a ref and who calls it.
type CalleeDoc struct {
	Workflow string `json:"workflow"`
	Ref      string `json:"ref"`
	Repos    int    `json:"repos"`
	Calls    int    `json:"calls"`
}

// Document turns the results into the report.
func (r *Result) Document() *Document {
	d := &Document{Repos: make([]RepoDoc, 0, len(r.Repos))}
	for i := range r.Repos {
		d.Repos = append(d.Repos, repoDoc(&r.Repos[i]))
	}
	d.Summarize()
	return d
}

func repoDoc(rr *RepoResult) RepoDoc {
	e, w, i := rr.Counts()
	doc := RepoDoc{
		Name: rr.Repo.Name, Owner: rr.Repo.Owner, Path: rr.Repo.Path, Kind: rr.Kind,
		Errors: e, Warnings: w, Infos: i, FilesChecked: rr.FilesChecked,
		Error: rr.Error, Skipped: rr.Skipped, Notes: rr.Notes,
		Calls: make([]CallDoc, 0, len(rr.Calls)),
	}
	doc.Findings = report.JSONFindings(rr.Findings)
	for _, c := range rr.Calls {
		doc.Calls = append(doc.Calls, CallDoc{File: c.File, Line: c.UsesPos.Line, Job: c.Job, Workflow: c.Uses.Workflow(), Ref: c.Uses.Ref,
			Inputs: nonNil(c.InputNames()), Secrets: Secrets{Inherit: c.InheritSecrets, Names: c.SecretNames()}})
		if c.UsesErr != "" {
			doc.Calls[len(doc.Calls)-1].Workflow = c.Uses.Raw
		}
	}
	return doc
}

// Summarize sorts the repositories and computes the summary from them.
func (d *Document) Summarize() {
	slices.SortFunc(d.Repos, func(a, b RepoDoc) int {
		return compareRepos(Repo{Name: a.Name, Owner: a.Owner, Path: a.Path}, Repo{Name: b.Name, Owner: b.Owner, Path: b.Path})
	})
	s := Summary{Repos: len(d.Repos), Callees: []CalleeDoc{}}
	type key struct{ workflow, ref string }
	callees := map[key]*CalleeDoc{}
	callers := map[key]map[string]bool{}
	for _, r := range d.Repos {
		switch {
		case r.Error != "":
			s.Unreadable++
		case r.Skipped != "":
			s.Skipped++
		default:
			s.Linted++
			if r.Errors > 0 {
				s.Failing++
			}
		}
		s.Errors += r.Errors
		s.Warnings += r.Warnings
		s.Infos += r.Infos
		s.Calls += len(r.Calls)
		for _, c := range r.Calls {
			if c.Ref == "" || strings.HasPrefix(c.Workflow, "./") {
				continue // a local call: no shared workflow
			}
			k := key{c.Workflow, c.Ref}
			if callees[k] == nil {
				callees[k] = &CalleeDoc{Workflow: c.Workflow, Ref: c.Ref}
				callers[k] = map[string]bool{}
			}
			callees[k].Calls++
			callers[k][r.Owner+"/"+r.Name+"\x00"+r.Path] = true
		}
	}
	for k, c := range callees {
		c.Repos = len(callers[k])
		s.Callees = append(s.Callees, *c)
	}
	slices.SortFunc(s.Callees, func(a, b CalleeDoc) int {
		return cmp.Or(strings.Compare(a.Workflow, b.Workflow), strings.Compare(a.Ref, b.Ref))
	})
	d.Summary = s
}

// maxDocument bounds a report read back (a shard's, a merge's input).
const maxDocument = 1 << 30

// ParseDocument reads a report written by Document.JSON. Unknown keys are refused, so a file
// that is not a fleet report is not taken for an empty one.
func ParseDocument(data []byte) (*Document, error) {
	if len(data) > maxDocument {
		return nil, fmt.Errorf("larger than %d bytes", maxDocument)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	// Every command's JSON document ends with its own findings (the fleet has none: each
	// repository's are in repos) and files_checked, which the summary says again.
	var whole struct {
		Document
		Findings     []json.RawMessage `json:"findings"`
		FilesChecked int               `json:"files_checked"`
	}
	if err := dec.Decode(&whole); err != nil {
		return nil, fmt.Errorf("not a fleet report: %w", err)
	}
	d := whole.Document
	if dec.More() {
		return nil, errors.New("not a fleet report: more than one JSON document")
	}
	if d.Repos == nil {
		return nil, errors.New(`not a fleet report: no "repos"`)
	}
	for i, r := range d.Repos {
		if r.Name == "" {
			return nil, fmt.Errorf("repos[%d]: no name", i)
		}
		for j, f := range r.Findings {
			if _, err := f.Finding(); err != nil {
				return nil, fmt.Errorf("repos[%d] (%s) findings[%d]: %w", i, r.Name, j, err)
			}
		}
		if r.Findings == nil {
			d.Repos[i].Findings = []report.JSONFinding{}
		}
		if r.Calls == nil {
			d.Repos[i].Calls = []CallDoc{}
		}
		for j := range r.Calls {
			d.Repos[i].Calls[j].Inputs = nonNil(r.Calls[j].Inputs)
		}
	}
	return &d, nil
}

// Merge joins the reports of shards into the report of the whole fleet. A repository in two
// shards is an error: the plan gives each to one.
func Merge(docs ...*Document) (*Document, error) {
	out := &Document{Repos: []RepoDoc{}}
	seen := map[string]bool{}
	for _, d := range docs {
		for _, r := range d.Repos {
			k := r.Owner + "/" + r.Name + "\x00" + r.Path
			if seen[k] {
				return nil, fmt.Errorf("repository %s (%s) is in two shards' reports", r.Name, r.Path)
			}
			seen[k] = true
			out.Repos = append(out.Repos, r)
		}
	}
	out.Summarize()
	return out, nil
}

// Report returns a repository's findings as a report.Report, for the formats of internal/report.
func (r RepoDoc) Report() *report.Report {
	rep := &report.Report{Command: "lint", FilesChecked: r.FilesChecked}
	for _, j := range r.Findings {
		f, _ := j.Finding() // ParseDocument refused unknown severities
		rep.Findings = append(rep.Findings, f)
	}
	return rep
}

// Findings are every finding of the fleet, each path prefixed with its repository's path.
func (d *Document) Findings() []report.Finding {
	var out []report.Finding
	for _, r := range d.Repos {
		for _, f := range r.Report().Findings {
			f.Path = r.Path + "/" + f.Path
			out = append(out, f)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
