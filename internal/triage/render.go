package triage

// The result's three renderings: the --format json document, the human table and the Markdown of
// the job summary and the tracking issue. They live in this one file, behind JSON, Human and
// Markdown methods of the shape internal/cli's writeResult takes, so that moving them into
// internal/report (where every command's rendering is going) is a move, not a rewrite.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/logsafe"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Bounds of the renderings: a title is cut in tables, and the job summary stops well short of
// GitHub's 1 MiB (the summary file is shared by every command of the step).
const (
	humanTitle    = 72
	markdownTitle = 120
	summaryBytes  = 512 << 10
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

// JSON is the --format json document:
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
func (r *Result) JSON() ([]byte, error) {
	doc := struct {
		Org           string     `json:"org"`
		Home          string     `json:"home"`
		Labels        []string   `json:"labels"`
		IncidentLabel string     `json:"incident_label"`
		StaleDays     int        `json:"stale_days"`
		GeneratedAt   time.Time  `json:"generated_at"`
		Summary       Summary    `json:"summary"`
		Items         []jsonItem `json:"items"`
		Repos         []jsonRepo `json:"repositories"`
		Search        any        `json:"search"`
		Notes         []string   `json:"notes"`
		Tracked       *Tracked   `json:"tracking_issue"`
	}{Org: r.Org, Home: r.Home, Labels: nonNil(r.Labels), IncidentLabel: r.IncidentLabel, StaleDays: r.StaleDays,
		GeneratedAt: r.Now, Summary: r.Summary(), Items: []jsonItem{}, Repos: []jsonRepo{}, Notes: nonNil(r.Notes), Tracked: r.Tracked}
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
		doc.Items = append(doc.Items, ji)
	}
	for _, rp := range r.Repos {
		jr := jsonRepo{Repo: rp.Name, Group: rp.Group, Items: rp.Items}
		if rp.Dependents >= 0 {
			d := rp.Dependents
			jr.Dependents = &d
		}
		doc.Repos = append(doc.Repos, jr)
	}
	qs := []jsonQuery{}
	for _, q := range r.Queries {
		qs = append(qs, jsonQuery(q))
	}
	doc.Search = struct {
		Queries    []jsonQuery `json:"queries"`
		Requests   int         `json:"requests"`
		Incomplete bool        `json:"incomplete"`
		Missed     int         `json:"missed"`
	}{qs, r.Requests, r.Incomplete, r.Missed}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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

// Headline is the one-line summary: "Molecule-AI: 14 open items (1 incident, 6 in molecule-ci,
// 7 in 4 other repositories; 3 stale)".
func (r *Result) Headline() string {
	s := r.Summary()
	parts := []string{plural(s.Incidents, "incident", "incidents")}
	if r.Home != "" {
		parts = append(parts, fmt.Sprintf("%d in %s", s.Home, r.short(r.Home)))
	}
	parts = append(parts, fmt.Sprintf("%d in %s", s.Other, plural(s.Repositories, "other repository", "other repositories")))
	return fmt.Sprintf("%s: %s (%s; %d stale)", r.Org, plural(s.Items, "open item", "open items"), strings.Join(parts, ", "), s.Stale)
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

// linked names the linked pull requests (#12, other-repo#7 closed), or says why there are none;
// link, when set, makes each a Markdown link.
func (r *Result) linked(it Item, link bool) string {
	switch it.LinkedStatus {
	case "n/a", "":
		return ""
	case "not-looked-up":
		return "not looked up"
	case "failed":
		return "look-up failed"
	}
	var parts []string
	for _, pr := range it.LinkedPRs {
		p := fmt.Sprintf("#%d", pr.Number)
		if !strings.EqualFold(pr.Repo, it.Repo) {
			p = r.short(pr.Repo) + p
		}
		if link {
			p = fmt.Sprintf("[%s](%s)", mdRef(p), mdURL(pr.URL))
		}
		if pr.State != "open" {
			p += " " + pr.State
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// groupTitle heads a repository's section.
func (r *Result) groupTitle(rp Repo) string {
	if rp.Group == GroupHome {
		return fmt.Sprintf("Shared CI: %s (%d)", r.short(rp.Name), rp.Items)
	}
	t := fmt.Sprintf("%s (%s", r.short(rp.Name), plural(rp.Items, "item", "items"))
	if rp.Dependents >= 0 {
		t += ", " + plural(rp.Dependents, "dependent", "dependents")
	}
	return t + ")"
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

// cell is hostile text made one short line for a terminal or log table: credentials redacted
// (before the cut, which could leave a prefix no longer recognisable as one), blanks collapsed,
// control characters shown as escapes, cut at n characters.
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Human writes the queue as grouped tables, then what the search did and the notes.
func (r *Result) Human(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n", cell(r.Headline(), 400))
	fmt.Fprintf(&b, "labels: %s; as of %s UTC\n", cell(strings.Join(searchLabels(r.Labels, r.IncidentLabel), ", "), 400), r.Now.Format("2006-01-02 15:04"))
	incidents, repos, byRepo := r.groups()
	if len(incidents) > 0 {
		fmt.Fprintf(&b, "\nINCIDENTS (%d)\n", len(incidents))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tITEM\tSERVICE\tDOWN FOR\tASSIGNEES\tTITLE")
		for _, it := range incidents {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", it.Rank, cell(r.ref(it), 80), cell(orDash(it.Service), 40),
				fmtDown(r.Now.Sub(it.DownSince)), cell(orDash(strings.Join(it.Assignees, ",")), 30), cell(it.Title, humanTitle))
		}
		tw.Flush()
	}
	for _, rp := range repos {
		fmt.Fprintf(&b, "\n%s\n", cell(r.groupTitle(rp), 200))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tITEM\tKIND\tPRIORITY\tAGE\tSTALE\tASSIGNEES\tLINKED PRS\tLABELS\tTITLE")
		for _, it := range byRepo[strings.ToLower(rp.Name)] {
			k := "issue"
			if it.PullRequest {
				k = "PR"
			}
			stale := ""
			if it.Stale {
				stale = "stale"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Rank, r.ref(it), k, cell(orDash(it.Priority), 20), fmtAge(it.Age), orDash(stale),
				cell(orDash(strings.Join(it.Assignees, ",")), 30), cell(orDash(r.linked(it, false)), 40), cell(orDash(strings.Join(it.Labels, ",")), 40), cell(it.Title, humanTitle))
		}
		tw.Flush()
	}
	if len(r.Items) == 0 {
		b.WriteString("\nnothing to do: no open item carries these labels\n")
	}
	b.WriteString("\n" + r.searchLine() + "\n")
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", cell(n, 1000))
	}
	for _, it := range r.Items {
		if it.LinkedStatus == "failed" {
			fmt.Fprintf(&b, "note: linked pull requests of %s#%d not known: %s\n", r.short(it.Repo), it.Number, cell(it.LinkedError, 500))
		}
	}
	if t := r.Tracked; t != nil {
		fmt.Fprintf(&b, "tracking issue %s: %s\n", t.Action, t.URL)
		for _, d := range t.Duplicates {
			fmt.Fprintf(&b, "tracking issue #%d closed as a duplicate of #%d\n", d, t.Number)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
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

// mdReplacer makes hostile text inert in a GFM table cell of an issue or a job summary: table
// and Markdown syntax escaped, HTML special characters as entities, line breaks flattened, and a
// zero-width space after @ and # so a title can neither mention (notify) anyone nor
// cross-reference (and so spam) another issue.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"@", "@\u200b", "#", "#\u200b",
	"\r\n", " ", "\n", " ", "\r", " ",
)

func md(s string, n int) string {
	return mdReplacer.Replace(visible(cut(strings.Join(strings.Fields(secrets.Redact(s)), " "), n)))
}

// visible shows the characters a reader would not see, or that reorder what they see, as
// escapes: C0 and C1 controls, DEL, the bidirectional overrides and isolates, and the line and
// paragraph separators.
func visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdRef is md for the tool's own references ("repo#12"), which are link texts: a reference
// inside a link is not autolinked, so its # needs no guard.
func mdRef(s string) string {
	return strings.ReplaceAll(md(s, 200), "#\u200b", "#")
}

// Markdown writes the job summary: the queue as Markdown tables, cut (with a count) well short of
// GitHub's limit on a step summary.
func (r *Result) Markdown(w io.Writer) error {
	_, err := io.WriteString(w, r.MarkdownBody(summaryBytes))
	return err
}

// MarkdownBody renders the queue in at most limit bytes: rows that do not fit are left out, and
// a closing line says how many and where the whole list is.
func (r *Result) MarkdownBody(limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## molecule-ci triage: %s\n\n", md(r.Org, 100))
	fmt.Fprintf(&b, "%s. Labels: %s. As of %s UTC.\n", md(r.Headline(), 400), md(strings.Join(searchLabels(r.Labels, r.IncidentLabel), ", "), 400), r.Now.Format("2006-01-02 15:04"))
	var tail strings.Builder
	tail.WriteString("\n" + md(r.searchLine(), 400) + ".\n")
	for _, n := range r.Notes {
		fmt.Fprintf(&tail, "\n> %s\n", md(n, 1000))
	}
	// Room for the closing lines: rows left out, stale items.
	const reserve = 300
	fits := func(s string) bool { return b.Len()+len(s) <= limit-tail.Len()-reserve }
	shown := 0
	row := func(s string) bool {
		if !fits(s) {
			return false
		}
		b.WriteString(s)
		shown++
		return true
	}
	full := false
	incidents, repos, byRepo := r.groups()
	section := func(head, cols string) bool {
		s := "\n### " + head + "\n\n" + cols
		if !fits(s) {
			return false
		}
		b.WriteString(s)
		return true
	}
	if len(incidents) > 0 && section(fmt.Sprintf("🔴 Incidents (%d)", len(incidents)), "| # | item | service | down for | assignees | title |\n| --- | --- | --- | --- | --- | --- |\n") {
		for _, it := range incidents {
			if !row(fmt.Sprintf("| %d | [%s](%s) | %s | %s | %s | %s |\n", it.Rank, mdRef(r.ref(it)), mdURL(it.URL), md(orDash(it.Service), 60),
				fmtDown(r.Now.Sub(it.DownSince)), md(orDash(strings.Join(it.Assignees, ", ")), 60), md(it.Title, markdownTitle))) {
				full = true
				break
			}
		}
	} else if len(incidents) > 0 {
		full = true
	}
	for _, rp := range repos {
		if full {
			break
		}
		if !section(md(r.groupTitle(rp), 200), "| # | item | priority | age | assignees | linked PRs | labels | title |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n") {
			full = true
			break
		}
		for _, it := range byRepo[strings.ToLower(rp.Name)] {
			title := md(it.Title, markdownTitle)
			if it.Stale {
				title = "💤 " + title
			}
			ref := r.ref(it)
			if it.PullRequest {
				ref = "PR " + ref
			}
			if !row(fmt.Sprintf("| %d | [%s](%s) | %s | %s | %s | %s | %s | %s |\n", it.Rank, mdRef(ref), mdURL(it.URL), md(orDash(it.Priority), 40), fmtAge(it.Age),
				md(orDash(strings.Join(it.Assignees, ", ")), 60), orDash(r.linked(it, true)), md(orDash(strings.Join(it.Labels, ", ")), 80), title)) {
				full = true
				break
			}
		}
	}
	if len(r.Items) == 0 {
		b.WriteString("\nNothing to do: no open item carries these labels.\n")
	}
	if n := len(r.Items) - shown; n > 0 {
		fmt.Fprintf(&b, "\n_…and %s not shown (ranks %d to %d): GitHub limits the size of this text. `molecule-ci triage --format json` lists them all._\n",
			plural(n, "more item", "more items"), shown+1, len(r.Items))
	}
	stale := r.Summary().Stale
	if stale > 0 {
		fmt.Fprintf(&b, "\n💤 %s: no update in %d days.\n", plural(stale, "stale item", "stale items"), r.StaleDays)
	}
	b.WriteString(tail.String())
	return b.String()
}

// mdURL keeps a link target from closing the link: GitHub's URLs have no blanks or parentheses,
// but the fake and a GHES might; they are percent-encoded.
func mdURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(u)
}
