// Package triage owns `molecule-ci triage`: the platform team's work queue across an
// organisation. It searches the organisation's open issues and pull requests carrying any of the
// configured labels (splitting queries that hit GitHub's 1,000-result cap), orders them — open
// incidents first, then the shared-CI repository whose fixes cascade everywhere, then the other
// repositories by how many depend on them — looks up the pull requests linked to the first issues,
// and keeps the tracking issue up to date.
//
// It never prints, exits or reads the environment: GitHub is reached through the GitHub and
// Tracker interfaces (internal/cli adapts internal/github to them), and the result is a
// report.Summary (render.go) that internal/report writes in every format.
package triage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"golang.org/x/sync/errgroup"
)

// Found is an issue or pull request as a search returns it.
type Found struct {
	Repo        string // owner/name
	Number      int
	Title       string
	URL         string
	PullRequest bool
	Labels      []string
	Assignees   []string
	Author      string
	Body        string
	Created     time.Time
	Updated     time.Time
}

// Page is what one search query returned.
type Page struct {
	// Total is every match, also those past GitHub's cap.
	Total int
	// Incomplete: GitHub's search timed out and may have missed items.
	Incomplete bool
	// Capped: Total was above the cap asked for, and only the first page was read.
	Capped   bool
	Items    []Found
	Requests int
}

// LinkedPR is a pull request that references an issue.
type LinkedPR struct {
	Repo   string `json:"repo"`
	Number int    `json:"number"`
	State  string `json:"state"`
	URL    string `json:"url"`
}

// Errors GitHub implementations return (wrapped) for the search answers Run acts on.
var (
	// ErrQueryTooComplex: the query is too long or has too many operators; Run splits it.
	ErrQueryTooComplex = errors.New("GitHub refused the search query as too long or too complex")
	// ErrOrgNotVisible: the organisation does not exist or the token cannot see it.
	ErrOrgNotVisible = errors.New("the organisation does not exist or the token cannot see it")
)

// GitHub is the organisation's issues as Run reads them.
type GitHub interface {
	// Search runs one search of issues and pull requests, oldest first, reading every page up
	// to GitHub's cap; when more than splitAbove match (and splitAbove > 0) it stops after the
	// first page and says Capped.
	Search(ctx context.Context, query string, splitAbove int) (Page, error)
	// LinkedPRs lists the pull requests that reference an issue of repo (owner/name).
	LinkedPRs(ctx context.Context, repo string, number int) ([]LinkedPR, error)
}

// Tracked says what happened to the tracking issue.
type Tracked struct {
	Number     int    `json:"number"`
	URL        string `json:"url"`
	Action     string `json:"action"` // created, updated, reopened, unchanged
	Duplicates []int  `json:"duplicates,omitempty"`
}

// Tracker keeps the one tracking issue of the shared-CI repository.
type Tracker interface {
	Upsert(ctx context.Context, title, body string) (Tracked, error)
}

// Options are one run's inputs.
type Options struct {
	// Org is the organisation searched.
	Org string
	// Home is the shared-CI repository, owner/name.
	Home string
	// Labels select the items (any of them); IncidentLabel marks the probe's incident issues,
	// which are searched for too.
	Labels        []string
	IncidentLabel string
	// PriorityLabels order the items of a repository, first first.
	PriorityLabels []string
	// StaleDays: an item not updated for this long is stale.
	StaleDays int
	// ExcludeLabel keeps items carrying it (the tracking issue) out of the list.
	ExcludeLabel string
	// Dependents maps a repository name (lower case) to how many repositories of the
	// organisation depend on it (from a fleet report); nil when none was given.
	Dependents map[string]int
	// LinkedPRs is how many issues, in rank order, get their linked pull requests looked up.
	LinkedPRs int
	// Concurrency bounds the linked pull request look-ups at once (default 4).
	Concurrency int
	// MaxQueries bounds the searches of a run, splits included (default 200).
	MaxQueries int
	// Now is the time the run judges ages by (default time.Now).
	Now    func() time.Time
	GitHub GitHub
	// Tracker, when set, gets the Markdown of the result as its body.
	Tracker Tracker
	// TrackingBodyLimit is the longest body handed to Tracker, in bytes (default 60,000:
	// GitHub's limit is 65,536 characters, and the identity line and marker come on top).
	TrackingBodyLimit int
}

// Groups, in rank order.
const (
	GroupIncident = "incident"
	GroupHome     = "home"
	GroupRepo     = "repo"
)

// Item is one entry of the queue.
type Item struct {
	Rank        int
	Group       string
	Repo        string // owner/name
	Number      int
	PullRequest bool
	Title       string
	URL         string
	Labels      []string
	Priority    string // the first priority label it carries, as configured; "" for none
	Assignees   []string
	Author      string
	Created     time.Time
	Updated     time.Time
	Age         time.Duration
	Stale       bool
	// LinkedPRs are the pull requests referencing the issue; LinkedStatus says whether they
	// were looked up: "ok", "not-looked-up", "failed" (LinkedError says why) or "n/a" for a
	// pull request.
	LinkedPRs    []LinkedPR
	LinkedStatus string
	LinkedError  string
	// Service and DownSince describe an incident (Group == GroupIncident).
	Service   string
	DownSince time.Time
}

// Repo is one repository of the queue, in rank order.
type Repo struct {
	Name  string // owner/name
	Group string
	Items int
	// Dependents is how many repositories depend on it, -1 when unknown.
	Dependents int
}

// Query is one search of the run and what became of it.
type Query struct {
	Query   string
	Total   int
	Outcome string // listed, split by label, split by creation date, cut at the cap, refused: split by label
}

// Result is the queue.
type Result struct {
	Org, Home     string
	Labels        []string
	IncidentLabel string
	StaleDays     int
	Now           time.Time
	Items         []Item
	Repos         []Repo
	Queries       []Query
	Requests      int
	// Incomplete: a search timed out (incomplete_results) and items may be missing.
	Incomplete bool
	// Missed counts items past GitHub's cap that no split could reach.
	Missed int
	// Notes say, in words, what the run could not do or what looks wrong (a label nothing
	// carries).
	Notes   []string
	Tracked *Tracked
}

// Run searches, orders and returns the queue, and updates the tracking issue when asked. A
// failed linked pull request look-up degrades that item only; a failed search fails the run
// (a queue that silently lacks items would mislead).
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Org == "" {
		return nil, errors.New("triage: no organisation to search")
	}
	if len(opts.Labels) == 0 {
		return nil, errors.New("triage: no labels to search for")
	}
	if opts.GitHub == nil {
		return nil, errors.New("triage: no GitHub client")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.MaxQueries <= 0 {
		opts.MaxQueries = 200
	}
	if opts.StaleDays <= 0 {
		opts.StaleDays = 14
	}
	now := opts.Now().UTC()
	res := &Result{Org: opts.Org, Home: opts.Home, Labels: opts.Labels, IncidentLabel: opts.IncidentLabel, StaleDays: opts.StaleDays, Now: now}

	s := &searcher{gh: opts.GitHub, org: opts.Org, now: now, max: opts.MaxQueries, res: res, seen: map[string]bool{}}
	labels := searchLabels(opts.Labels, opts.IncidentLabel)
	if err := s.run(ctx, query{labels: labels}); err != nil {
		return nil, err
	}
	var found []Found
	outside := 0
	for _, f := range s.found {
		if opts.ExcludeLabel != "" && hasLabel(f.Labels, opts.ExcludeLabel) {
			continue
		}
		// The search is of the organisation; an answer naming another owner (or none) is not
		// listed, but counted.
		owner, _, _ := strings.Cut(f.Repo, "/")
		if !strings.EqualFold(owner, opts.Org) {
			outside++
			continue
		}
		found = append(found, f)
	}
	if outside > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d items the search returned are not in a repository of %s and were left out", outside, opts.Org))
	}
	res.Items, res.Repos = Order(found, OrderOptions{
		Home: opts.Home, IncidentLabel: opts.IncidentLabel, PriorityLabels: opts.PriorityLabels,
		Dependents: opts.Dependents, Now: now, StaleAfter: time.Duration(opts.StaleDays) * 24 * time.Hour,
	})
	for _, l := range labels {
		if !slices.ContainsFunc(found, func(f Found) bool { return hasLabel(f.Labels, l) }) && !strings.EqualFold(l, opts.IncidentLabel) {
			res.Notes = append(res.Notes, fmt.Sprintf("no open item in %s carries the label %q: labels belong to each repository, so check its spelling where it is used", opts.Org, l))
		}
	}
	if res.Incomplete {
		res.Notes = append(res.Notes, "GitHub's search timed out on a query (incomplete_results) and may have missed items: run again to be sure")
	}
	if err := linkPRs(ctx, opts, res.Items); err != nil {
		return nil, err
	}
	if opts.Tracker != nil {
		limit := opts.TrackingBodyLimit
		if limit <= 0 {
			limit = 60000
		}
		t, err := opts.Tracker.Upsert(ctx, res.TrackingTitle(), report.MarkdownWithin(res.Report(), limit))
		if err != nil {
			return res, fmt.Errorf("tracking issue: %w", err)
		}
		res.Tracked = &t
	}
	return res, nil
}

// TrackingTitle is the tracking issue's title.
func (r *Result) TrackingTitle() string {
	return fmt.Sprintf("Triage queue: %s", r.Org)
}

// linkPRs looks up the linked pull requests of the first opts.LinkedPRs issues in rank order,
// a few at a time; a look-up that fails marks its item and the run goes on.
func linkPRs(ctx context.Context, opts Options, items []Item) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	budget := opts.LinkedPRs
	for i := range items {
		it := &items[i]
		switch {
		case it.PullRequest:
			it.LinkedStatus = "n/a"
			continue
		case budget <= 0:
			it.LinkedStatus = "not-looked-up"
			continue
		}
		budget--
		g.Go(func() error {
			prs, err := opts.GitHub.LinkedPRs(gctx, it.Repo, it.Number)
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				it.LinkedStatus, it.LinkedError = "failed", err.Error()
			default:
				it.LinkedStatus, it.LinkedPRs = "ok", prs
			}
			return nil
		})
	}
	return g.Wait()
}

func hasLabel(labels []string, want string) bool {
	return slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, want) })
}

// searchLabels is the labels searched: the configured ones and the incident label, each once
// (GitHub's label names are case-insensitive).
func searchLabels(labels []string, incident string) []string {
	var out []string
	for _, l := range append(slices.Clone(labels), incident) {
		if l != "" && !hasLabel(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// incidentTitle is the title the probe files an incident under.
var incidentTitle = regexp.MustCompile(`^🔴 (.+) is down$`)

// firstFailing is the line of the probe's incident body that says when the outage began.
var firstFailing = regexp.MustCompile(`(?m)^- First failing run: (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC`)

// incidentFacts reads the service and the start of the outage from a probe incident issue; an
// issue filed by hand falls back to its other labels and its creation time.
func incidentFacts(f Found, incidentLabel string) (service string, since time.Time) {
	since = f.Created
	if m := firstFailing.FindStringSubmatch(f.Body); m != nil {
		if t, err := time.Parse(time.DateTime, m[1]); err == nil {
			since = t.UTC()
		}
	}
	if m := incidentTitle.FindStringSubmatch(f.Title); m != nil {
		return m[1], since
	}
	var others []string
	for _, l := range f.Labels {
		if !strings.EqualFold(l, incidentLabel) {
			others = append(others, l)
		}
	}
	return strings.Join(others, ", "), since
}
