package triage

// The result as report.Summary: its members of the --format json document, the tables of the
// human format and the Markdown of the job summary and the tracking issue. internal/report lays
// them out and escapes every title, label, login and error text the search returned; this file
// only says which parts are data.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Bounds of the renderings: a title is cut in tables (the JSON has it whole).
const (
	humanTitle    = 72
	markdownTitle = 120
)

type jsonItem struct {
	Rank         int        `json:"rank"`
	Group        string     `json:"group"`
	Repo         string     `json:"repo"`
	Number       int        `json:"number"`
	Kind         string     `json:"kind"`
	Title        string     `json:"title"`
	URL          string     `json:"url"`
	Labels       []string   `json:"labels"`
	Priority     string     `json:"priority"`
	Assignees    []string   `json:"assignees"`
	Author       string     `json:"author"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	AgeSeconds   int64      `json:"age_seconds"`
	Stale        bool       `json:"stale"`
	LinkedPRs    []LinkedPR `json:"linked_prs"`
	LinkedStatus string     `json:"linked_prs_status"`
	LinkedError  string     `json:"linked_prs_error,omitempty"`
	Service      string     `json:"service,omitempty"`
	DownSince    *time.Time `json:"down_since,omitempty"`
	DownSeconds  *int64     `json:"down_seconds,omitempty"`
}

type jsonRepo struct {
	Repo       string `json:"repo"`
	Group      string `json:"group"`
	Items      int    `json:"items"`
	Dependents *int   `json:"dependents"`
}

type jsonQuery struct {
	Query   string `json:"query"`
	Total   int    `json:"total"`
	Outcome string `json:"outcome"`
}

// Summary counts the queue.
type Summary struct {
	Items        int `json:"items"`
	Incidents    int `json:"incidents"`
	Home         int `json:"home"`
	Other        int `json:"other"`
	Repositories int `json:"repositories"`
	Stale        int `json:"stale"`
	PullRequests int `json:"pull_requests"`
}

// Summary counts the items by group, the other repositories, the stale items and the pull
// requests.
func (r *Result) Summary() Summary {
	s := Summary{Items: len(r.Items)}
	for _, it := range r.Items {
		switch it.Group {
		case GroupIncident:
			s.Incidents++
		case GroupHome:
			s.Home++
		default:
			s.Other++
		}
		if it.Stale {
			s.Stale++
		}
		if it.PullRequest {
			s.PullRequests++
		}
	}
	for _, rp := range r.Repos {
		if rp.Group == GroupRepo {
			s.Repositories++
		}
	}
	return s
}

// Report is the queue as a report: no findings, the result itself as its Summary, which
// internal/report renders in every format and sink.
func (r *Result) Report() *report.Report {
	return &report.Report{Tool: "molecule-ci", Command: "triage", Summary: r}
}

// JSON lists the members of the --format json document, each indented, before the findings
// (none) and files_checked (0) every command's document ends with:
//
//	{"org","home","labels","incident_label","stale_days","generated_at",
//	 "summary":{"items","incidents","home","other","repositories","stale","pull_requests"},
//	 "items":[{"rank","group","repo","number","kind","title","url","labels","priority","assignees",
//	   "author","created_at","updated_at","age_seconds","stale","linked_prs":[{"repo","number","state","url"}],
//	   "linked_prs_status","linked_prs_error"?,"service"?,"down_since"?,"down_seconds"?}],
//	 "repositories":[{"repo","group","items","dependents"}],
//	 "search":{"queries":[{"query","total","outcome"}],"requests","incomplete","missed"},
//	 "notes":[...],"tracking_issue":{"number","url","action","duplicates"?}|null}
//
// Items are in rank order, rank from 1; group is incident, home or repo.
func (r *Result) JSON() []report.Member {
	items, repos, queries := []jsonItem{}, []jsonRepo{}, []jsonQuery{}
	for _, it := range r.Items {
		ji := jsonItem{Rank: it.Rank, Group: it.Group, Repo: it.Repo, Number: it.Number, Kind: kind(it), Title: it.Title, URL: it.URL,
			Labels: nonNil(it.Labels), Priority: it.Priority, Assignees: nonNil(it.Assignees), Author: it.Author,
			CreatedAt: it.Created, UpdatedAt: it.Updated, AgeSeconds: int64(it.Age / time.Second), Stale: it.Stale,
			LinkedPRs: it.LinkedPRs, LinkedStatus: it.LinkedStatus, LinkedError: it.LinkedError, Service: it.Service}
		if ji.LinkedPRs == nil {
			ji.LinkedPRs = []LinkedPR{}
		}
		if it.Group == GroupIncident {
			since := it.DownSince
			secs := int64(r.Now.Sub(since) / time.Second)
			ji.DownSince, ji.DownSeconds = &since, &secs
		}
		items = append(items, ji)
	}
	for _, rp := range r.Repos {
		jr := jsonRepo{Repo: rp.Name, Group: rp.Group, Items: rp.Items}
		if rp.Dependents >= 0 {
			d := rp.Dependents
			jr.Dependents = &d
		}
		repos = append(repos, jr)
	}
	for _, q := range r.Queries {
		queries = append(queries, jsonQuery(q))
	}
	search := struct {
		Queries    []jsonQuery `json:"queries"`
		Requests   int         `json:"requests"`
		Incomplete bool        `json:"incomplete"`
		Missed     int         `json:"missed"`
	}{queries, r.Requests, r.Incomplete, r.Missed}
	members := []report.Member{
		{Name: "org", Value: r.Org}, {Name: "home", Value: r.Home}, {Name: "labels", Value: nonNil(r.Labels)},
		{Name: "incident_label", Value: r.IncidentLabel}, {Name: "stale_days", Value: r.StaleDays}, {Name: "generated_at", Value: r.Now},
		{Name: "summary", Value: r.Summary()}, {Name: "items", Value: items}, {Name: "repositories", Value: repos},
		{Name: "search", Value: search}, {Name: "notes", Value: nonNil(r.Notes)}, {Name: "tracking_issue", Value: r.Tracked},
	}
	for i := range members {
		members[i].Layout = report.Indented
	}
	return members
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func kind(it Item) string {
	if it.PullRequest {
		return "pull_request"
	}
	return "issue"
}

// headline is the one-line summary: "Molecule-AI: 14 open items (1 incident, 6 in molecule-ci,
// 7 in 4 other repositories; 3 stale)". The organisation and the shared-CI repository are data.
func (r *Result) headline() report.Inline {
	s := r.Summary()
	in := report.Line(report.Text(r.Org), report.Markup(fmt.Sprintf(": %s (%s", plural(s.Items, "open item", "open items"), plural(s.Incidents, "incident", "incidents"))))
	if r.Home != "" {
		in = append(in, report.Markup(fmt.Sprintf(", %d in ", s.Home)), report.Text(r.short(r.Home)))
	}
	return append(in, report.Markup(fmt.Sprintf(", %d in %s; %d stale)", s.Other, plural(s.Repositories, "other repository", "other repositories"), s.Stale)))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// short names a repository of the organisation by its name alone.
func (r *Result) short(repo string) string {
	owner, name, ok := strings.Cut(repo, "/")
	if ok && strings.EqualFold(owner, r.Org) {
		return name
	}
	return repo
}

// ref is how an item is named within its group: #N in a repository's own table, repo#N among
// the incidents.
func (r *Result) ref(it Item) string {
	if it.Group == GroupIncident {
		return fmt.Sprintf("%s#%d", r.short(it.Repo), it.Number)
	}
	return fmt.Sprintf("#%d", it.Number)
}

// fmtAge is a coarse age: 45m, 5h, 3d.
func fmtAge(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", max(int(d/time.Minute), 0))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// fmtDown is how long an incident has lasted: 2h 15m, 3d 4h.
func fmtDown(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", max(int(d/time.Minute), 0))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// linked says why an item has no linked pull requests listed ("" for a pull request, which has
// none, or for one whose look-up listed them), and names those listed (#12, other-repo#7).
func (r *Result) linked(it Item) (why string, prs []prRef) {
	switch it.LinkedStatus {
	case "n/a", "":
		return "", nil
	case "not-looked-up":
		return "not looked up", nil
	case "failed":
		return "look-up failed", nil
	}
	for _, pr := range it.LinkedPRs {
		p := fmt.Sprintf("#%d", pr.Number)
		if !strings.EqualFold(pr.Repo, it.Repo) {
			p = r.short(pr.Repo) + p
		}
		prs = append(prs, prRef{p, pr.State, pr.URL})
	}
	return "", prs
}

// prRef is a linked pull request as a table names it.
type prRef struct{ name, state, url string }

// linkedText is the linked pull requests for a log: "#131 closed, molecule-core#2210".
func (r *Result) linkedText(it Item) string {
	why, prs := r.linked(it)
	parts := make([]string, 0, len(prs))
	for _, pr := range prs {
		if pr.state != "open" {
			pr.name += " " + pr.state
		}
		parts = append(parts, pr.name)
	}
	return why + strings.Join(parts, ", ")
}

// linkedMarkdown is the linked pull requests as links, each with its state when not open.
func (r *Result) linkedMarkdown(it Item) report.Inline {
	why, prs := r.linked(it)
	if why != "" {
		return markup(why)
	}
	var in report.Inline
	for i, pr := range prs {
		if i > 0 {
			in = append(in, report.Markup(", "))
		}
		in = append(in, report.Link(pr.name, pr.url))
		if pr.state != "open" {
			in = append(in, report.Markup(" "), report.Text(pr.state))
		}
	}
	return orDash(in)
}

// groupTitle heads a repository's section.
func (r *Result) groupTitle(rp Repo) report.Inline {
	if rp.Group == GroupHome {
		return report.Line(report.Markup("Shared CI: "), report.Text(r.short(rp.Name)), report.Markup(fmt.Sprintf(" (%d)", rp.Items)))
	}
	t := " (" + plural(rp.Items, "item", "items")
	if rp.Dependents >= 0 {
		t += ", " + plural(rp.Dependents, "dependent", "dependents")
	}
	return report.Line(report.Text(r.short(rp.Name)), report.Markup(t+")"))
}

// groups yields the incidents and then each repository's items, in rank order.
func (r *Result) groups() (incidents []Item, repos []Repo, byRepo map[string][]Item) {
	byRepo = map[string][]Item{}
	for _, it := range r.Items {
		if it.Group == GroupIncident {
			incidents = append(incidents, it)
			continue
		}
		k := strings.ToLower(it.Repo)
		byRepo[k] = append(byRepo[k], it)
	}
	return incidents, r.Repos, byRepo
}

// clip makes hostile text one short line for a table cell: credentials redacted (before the cut,
// which could leave a prefix no longer recognisable as one), blanks collapsed, cut at n
// characters. internal/report escapes what is left for each format.
func clip(s string, n int) report.Inline {
	s = strings.Join(strings.Fields(secrets.Redact(s)), " ")
	if s == "" {
		return nil
	}
	if utf8.RuneCountInString(s) > n {
		i := 0
		for j := range s {
			if i == n-1 {
				s = s[:j] + "…"
				break
			}
			i++
		}
	}
	return report.Line(report.Text(s))
}

// orDash is a cell, or "-" when it is empty.
func orDash(in report.Inline) report.Inline {
	if len(in) == 0 {
		return markup("-")
	}
	return in
}

func number(n int) report.Inline { return report.Line(report.Markup(strconv.Itoa(n))) }

func markup(s string) report.Inline { return report.Line(report.Markup(s)) }

// concat is the spans of ins on one line.
func concat(ins ...report.Inline) report.Inline {
	var out report.Inline
	for _, in := range ins {
		out = append(out, in...)
	}
	return out
}

// labelsLine names the labels searched.
func (r *Result) labelsLine() report.Inline {
	return clip(strings.Join(searchLabels(r.Labels, r.IncidentLabel), ", "), 400)
}

// Text is the queue for a terminal or a log: grouped tables, then what the search did and the
// notes. Cells are cut to fit a line; the JSON has every value whole.
func (r *Result) Text() report.Doc {
	lines := report.Lines{r.headline(), concat(markup("labels: "), r.labelsLine(), markup("; as of "+r.Now.Format("2006-01-02 15:04")+" UTC"))}
	d := report.Doc{Blocks: []report.Block{lines}}
	incidents, repos, byRepo := r.groups()
	if len(incidents) > 0 {
		t := report.Table{KeepTrailingSpace: true, Columns: columns("RANK", "ITEM", "SERVICE", "DOWN FOR", "ASSIGNEES", "TITLE")}
		for _, it := range incidents {
			t.Rows = append(t.Rows, []report.Inline{number(it.Rank), clip(r.ref(it), 80), orDash(clip(it.Service, 40)),
				markup(fmtDown(r.Now.Sub(it.DownSince))), orDash(clip(strings.Join(it.Assignees, ","), 30)), clip(it.Title, humanTitle)})
		}
		d.Blocks = append(d.Blocks, report.Lines{report.Line(), markup(fmt.Sprintf("INCIDENTS (%d)", len(incidents)))}, t)
	}
	for _, rp := range repos {
		t := report.Table{KeepTrailingSpace: true, Columns: columns("RANK", "ITEM", "KIND", "PRIORITY", "AGE", "STALE", "ASSIGNEES", "LINKED PRS", "LABELS", "TITLE")}
		for _, it := range byRepo[strings.ToLower(rp.Name)] {
			k, stale := "issue", "-"
			if it.PullRequest {
				k = "PR"
			}
			if it.Stale {
				stale = "stale"
			}
			t.Rows = append(t.Rows, []report.Inline{number(it.Rank), markup(r.ref(it)), markup(k), orDash(clip(it.Priority, 20)), markup(fmtAge(it.Age)), markup(stale),
				orDash(clip(strings.Join(it.Assignees, ","), 30)), orDash(clip(r.linkedText(it), 40)), orDash(clip(strings.Join(it.Labels, ","), 40)), clip(it.Title, humanTitle)})
		}
		d.Blocks = append(d.Blocks, report.Lines{report.Line(), r.groupTitle(rp)}, t)
	}
	end := report.Lines{report.Line()}
	if len(r.Items) == 0 {
		end = append(end, markup("nothing to do: no open item carries these labels"), report.Line())
	}
	end = append(end, markup(r.searchLine()))
	for _, n := range r.Notes {
		end = append(end, concat(markup("note: "), clip(n, 1000)))
	}
	for _, it := range r.Items {
		if it.LinkedStatus == "failed" {
			end = append(end, concat(report.Line(report.Markup("note: linked pull requests of "), report.Text(r.short(it.Repo)),
				report.Markup(fmt.Sprintf("#%d not known: ", it.Number))), clip(it.LinkedError, 500)))
		}
	}
	if t := r.Tracked; t != nil {
		end = append(end, report.Line(report.Markup("tracking issue "+t.Action+": "), report.Text(t.URL)))
		for _, dup := range t.Duplicates {
			end = append(end, markup(fmt.Sprintf("tracking issue #%d closed as a duplicate of #%d", dup, t.Number)))
		}
	}
	d.Blocks = append(d.Blocks, end)
	return d
}

func columns(names ...string) []report.Column {
	cs := make([]report.Column, len(names))
	for i, n := range names {
		cs[i] = report.Column{Name: n}
	}
	return cs
}

// searchLine says what the search did: "search: 5 queries (1 split by label, 2 split by
// creation date), 12 requests".
func (r *Result) searchLine() string {
	outcomes := map[string]int{}
	var order []string
	for _, q := range r.Queries {
		if q.Outcome != "listed" {
			if outcomes[q.Outcome] == 0 {
				order = append(order, q.Outcome)
			}
			outcomes[q.Outcome]++
		}
	}
	var parts []string
	for _, o := range order {
		parts = append(parts, fmt.Sprintf("%d %s", outcomes[o], o))
	}
	line := "search: " + plural(len(r.Queries), "query", "queries")
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	line += ", " + plural(r.Requests, "request", "requests")
	if r.Missed > 0 {
		line += fmt.Sprintf("; %d items past GitHub's 1,000-result cap could not be listed", r.Missed)
	}
	return line
}

// Markdown is the job summary and the tracking issue's body: the queue as Markdown tables, each
// item a link. Cut for size, it leaves out whole rows and says how many and where the whole list
// is; the stale count, the search and the notes always end it.
func (r *Result) Markdown() report.Doc {
	d := report.Doc{Blocks: []report.Block{
		report.Heading{Level: 2, Text: report.Line(report.Markup("molecule-ci triage: "), report.Text(r.Org))},
		report.Lines{concat(r.headline(), markup(". Labels: "), r.labelsLine(), markup(". As of "+r.Now.Format("2006-01-02 15:04")+" UTC."))},
	}}
	d.Cut = func(n int) report.Inline {
		return markup(fmt.Sprintf("_…and %s not shown (ranks %d to %d): GitHub limits the size of this text. `molecule-ci triage --format json` lists them all._",
			plural(n, "more item", "more items"), len(r.Items)-n+1, len(r.Items)))
	}
	incidents, repos, byRepo := r.groups()
	if len(incidents) > 0 {
		t := report.Table{Columns: columns("#", "item", "service", "down for", "assignees", "title")}
		for _, it := range incidents {
			t.Rows = append(t.Rows, []report.Inline{number(it.Rank), report.Line(report.Link(r.ref(it), it.URL)), orDash(clip(it.Service, 60)),
				markup(fmtDown(r.Now.Sub(it.DownSince))), orDash(clip(strings.Join(it.Assignees, ", "), 60)), clip(it.Title, markdownTitle)})
		}
		d.Blocks = append(d.Blocks, report.Heading{Level: 3, Text: markup(fmt.Sprintf("🔴 Incidents (%d)", len(incidents)))}, t)
	}
	for _, rp := range repos {
		t := report.Table{Columns: columns("#", "item", "priority", "age", "assignees", "linked PRs", "labels", "title")}
		for _, it := range byRepo[strings.ToLower(rp.Name)] {
			title := clip(it.Title, markdownTitle)
			if it.Stale {
				title = concat(markup("💤 "), title)
			}
			ref := r.ref(it)
			if it.PullRequest {
				ref = "PR " + ref
			}
			t.Rows = append(t.Rows, []report.Inline{number(it.Rank), report.Line(report.Link(ref, it.URL)), orDash(clip(it.Priority, 40)), markup(fmtAge(it.Age)),
				orDash(clip(strings.Join(it.Assignees, ", "), 60)), r.linkedMarkdown(it), orDash(clip(strings.Join(it.Labels, ", "), 80)), title})
		}
		d.Blocks = append(d.Blocks, report.Heading{Level: 3, Text: r.groupTitle(rp)}, t)
	}
	if len(r.Items) == 0 {
		d.Blocks = append(d.Blocks, report.Lines{markup("Nothing to do: no open item carries these labels.")})
	}
	if stale := r.Summary().Stale; stale > 0 {
		d.End = append(d.End, report.Lines{markup(fmt.Sprintf("💤 %s: no update in %d days.", plural(stale, "stale item", "stale items"), r.StaleDays))})
	}
	d.End = append(d.End, report.Lines{markup(r.searchLine() + ".")})
	for _, n := range r.Notes {
		d.End = append(d.End, report.Quote{clip(n, 1000)})
	}
	return d
}
