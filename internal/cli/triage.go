package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/triage"
)

const triageSummary = `List the organisation's open issues and pull requests labelled for the platform team (triage.labels,
default infra, ci, cloud, devops), as one work queue: open incidents first (issues with the probe's
incident label), then the shared-CI repository (triage.home, default GITHUB_REPOSITORY), then the
other repositories, the most depended on first (--fleet) or the busiest; within a repository by
priority label, then oldest first. --issue keeps one tracking issue in the shared-CI repository up
to date.

Tokens come from the environment: TRIAGE_TOKEN reads the organisation's issues (default
GITHUB_TOKEN); GITHUB_TOKEN writes the tracking issue. GITHUB_API_URL points at a GitHub
Enterprise Server.

Exit codes: 0 the queue was listed, 2 bad usage or config (also: an organisation the token cannot
see), 3 the tool failed (an API error, a rate limit that outlasted the waits).`

var triageFormats = []string{"human", "json", "markdown"}

// triageMarker identifies the tracking issue among the repository's issues.
const triageMarker = "<!-- molecule-ci:triage -->"

// triageClientOptions are added to triage's GitHub clients: tests give them the fake's clock and a
// sleep that advances it, so rate-limit waits take no time.
var triageClientOptions []github.Option

// fleetMaxSize bounds a --fleet report.
const fleetMaxSize = 64 << 20

func runTriage(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("triage", "", triageSummary, s.Stderr)
	format := flags.String("format", "human", "output: human, json, markdown")
	configPath := flags.String("config", "", "config file (default: .molecule-ci.yml, if present)")
	org := flags.String("org", "", "organisation to search (default: triage.org, else the owner of GITHUB_REPOSITORY)")
	home := flags.String("home", "", "the shared-CI repository, name or owner/name (default: triage.home, else GITHUB_REPOSITORY)")
	labels := flags.String("labels", "", "comma-separated labels to list (default: triage.labels)")
	fleet := flags.String("fleet", "", "order repositories by their dependents in this `molecule-ci fleet --format json` report")
	issue := flags.Bool("issue", false, "keep the tracking issue in the shared-CI repository up to date (needs GITHUB_TOKEN with issues: write there)")
	linked := flags.Int("linked-prs", 100, "look up the linked pull requests of this many issues, in rank order (one request each; 0: none)")
	nowFlag := flags.String("now", "", "judge ages as of this time, RFC 3339 (default: now)")
	timeout := flags.Duration("timeout", 15*time.Minute, "give up after this long, rate-limit waits included")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("triage: unexpected argument %q", rest[0])
	}
	if !slices.Contains(triageFormats, *format) {
		return usagef("unknown format %q (valid: %s)", *format, strings.Join(triageFormats, ", "))
	}
	if *linked < 0 || *linked > 5000 {
		return usagef("--linked-prs %d: want 0 to 5000", *linked)
	}
	if *timeout <= 0 {
		return usagef("--timeout %v: want a positive duration", *timeout)
	}
	now := time.Now
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usagef("--now %q: want a time like 2026-12-01T14:30:00Z", *nowFlag)
		}
		now = func() time.Time { return t }
	}
	cfg, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	tc := cfg.Triage
	if *labels != "" {
		tc.Labels = strings.Split(*labels, ",")
		for _, l := range tc.Labels {
			if p := config.LabelProblem(l); p != "" {
				return usagef("--labels: %q %s", l, p)
			}
		}
	}
	gha := env.Actions
	gctx, err := gha.Context()
	if err != nil {
		return err
	}
	if *org != "" {
		tc.Org = *org
	}
	if tc.Org == "" {
		tc.Org = gctx.Owner
	}
	if tc.Org == "" {
		return usagef("triage: no organisation: set triage.org, pass --org, or run in GitHub Actions (GITHUB_REPOSITORY)")
	}
	if !config.ValidOrg(tc.Org) {
		return usagef("triage: %q is not a GitHub organisation name", tc.Org)
	}
	if *home != "" {
		tc.Home = *home
	}
	if tc.Home == "" && gctx.Owner != "" {
		tc.Home = gctx.Owner + "/" + gctx.Repo
	}
	if tc.Home != "" && !config.ValidRepoRef(tc.Home) {
		return usagef("triage: home %q: want a repository name or owner/name", tc.Home)
	}
	if tc.Home != "" && !strings.Contains(tc.Home, "/") {
		tc.Home = tc.Org + "/" + tc.Home
	}

	readToken := gha.Getenv("TRIAGE_TOKEN")
	writeToken := gctx.Token
	if readToken == "" {
		readToken = writeToken
	}
	if readToken == "" {
		return usagef("triage: no token: set TRIAGE_TOKEN (or GITHUB_TOKEN) to a token that can read %s's issues", tc.Org)
	}
	if gha.InActions() && *format != "json" {
		gha.AddMask(readToken)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(s.Stderr, "molecule-ci: "+format+"\n", args...) }
	reader, err := github.NewClient(readToken, gctx.APIURL, append([]github.Option{github.WithLogf(logf)}, triageClientOptions...)...)
	if err != nil {
		return err
	}
	opts := triage.Options{
		Org: tc.Org, Home: tc.Home, Labels: tc.Labels, IncidentLabel: cfg.Probe.IncidentLabel,
		PriorityLabels: tc.PriorityLabels, StaleDays: tc.StaleDays, ExcludeLabel: tc.IssueLabel,
		LinkedPRs: *linked, Now: now, GitHub: triageGitHub{reader},
	}
	if *fleet != "" {
		path := absPath(env.WorkDir, *fleet)
		data, err := fsutil.ReadRegular(path, fleetMaxSize)
		if err != nil {
			return usagef("--fleet: %v", err)
		}
		if opts.Dependents, err = triage.ParseFleet(data, tc.Org); err != nil {
			return usagef("%s:%v", relPath(env.WorkDir, path), err)
		}
	}
	if *issue {
		if writeToken == "" {
			return usagef("--issue: needs GITHUB_TOKEN with issues: write on %s", cmp.Or(tc.Home, "the shared-CI repository"))
		}
		if tc.Home == "" {
			return usagef("--issue: no shared-CI repository: set triage.home, pass --home, or run in GitHub Actions")
		}
		writer, err := github.NewClient(writeToken, gctx.APIURL,
			append([]github.Option{github.WithLogf(logf), github.WithIdentity(cfg.Report.Identity)}, triageClientOptions...)...)
		if err != nil {
			return err
		}
		owner, repo, _ := strings.Cut(tc.Home, "/")
		opts.Tracker = triageTracker{writer, owner, repo, tc.IssueLabel}
		opts.TrackingBodyLimit = 65536 - len(cfg.Report.Identity) - len(triageMarker) - 2 - 1024
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := triage.Run(ctx, opts)
	switch {
	case errors.Is(err, triage.ErrOrgNotVisible):
		return &usageError{err}
	case err != nil && res == nil:
		return err
	}
	rep := res.Report()
	rep.Version = Version()
	if *format == "markdown" {
		_, werr := io.WriteString(s.Stdout, report.Markdown(rep))
		if werr != nil {
			return werr
		}
	} else if werr := report.Write(s.Stdout, *format, rep, report.Options{}); werr != nil {
		return werr
	}
	if err != nil {
		// The queue was listed; the tracking issue could not be written.
		return err
	}
	sum := res.Summary()
	tracked := ""
	if res.Tracked != nil {
		tracked = res.Tracked.URL
	}
	return reportToActions(gha, func() string { return report.Markdown(rep) }, []output{
		{"items", strconv.Itoa(sum.Items)}, {"incidents", strconv.Itoa(sum.Incidents)},
		{"stale", strconv.Itoa(sum.Stale)}, {"tracking-issue", tracked},
	})
}

// triageGitHub adapts the GitHub client to triage.GitHub.
type triageGitHub struct{ c *github.Client }

// tagged keeps an error's text and chain and adds a sentinel the capability branches on.
type tagged struct{ tag, err error }

func (t tagged) Error() string   { return t.err.Error() }
func (t tagged) Unwrap() []error { return []error{t.tag, t.err} }

func (a triageGitHub) Search(ctx context.Context, query string, splitAbove int) (triage.Page, error) {
	res, err := a.c.SearchIssues(ctx, query, github.SearchOptions{SplitAbove: splitAbove})
	page := triage.Page{Total: res.Total, Incomplete: res.Incomplete, Capped: res.Capped, Requests: res.Requests}
	for _, it := range res.Items {
		page.Items = append(page.Items, triage.Found{
			Repo: it.Repo, Number: it.Number, Title: it.Title, URL: it.URL, PullRequest: it.PullRequest,
			Labels: it.Labels, Assignees: it.Assignees, Author: it.Author, Body: it.Body, Created: it.CreatedAt, Updated: it.UpdatedAt,
		})
	}
	switch {
	case errors.Is(err, github.ErrSearchTooComplex):
		err = tagged{triage.ErrQueryTooComplex, err}
	case errors.Is(err, github.ErrSearchNotVisible):
		err = tagged{triage.ErrOrgNotVisible, err}
	}
	return page, err
}

func (a triageGitHub) LinkedPRs(ctx context.Context, repo string, number int) ([]triage.LinkedPR, error) {
	owner, name, _ := strings.Cut(repo, "/")
	prs, err := a.c.LinkedPullRequests(ctx, owner, name, number)
	out := make([]triage.LinkedPR, len(prs))
	for i, p := range prs {
		out[i] = triage.LinkedPR{Repo: p.Repo, Number: p.Number, State: p.State, URL: p.URL}
	}
	return out, err
}

// triageTracker adapts the GitHub client to triage.Tracker for the shared-CI repository.
type triageTracker struct {
	c                  *github.Client
	owner, repo, label string
}

func (t triageTracker) Upsert(ctx context.Context, title, body string) (triage.Tracked, error) {
	r, err := t.c.UpsertTrackingIssue(ctx, github.TrackingIssue{Owner: t.owner, Repo: t.repo, Label: t.label, Marker: triageMarker, Title: title, Body: body})
	return triage.Tracked{Number: r.Number, URL: r.URL, Action: r.Action, Duplicates: r.Duplicates}, err
}
