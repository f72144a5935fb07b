package github_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

// fakeClock is the time both the client's waits and the fake's rate-limit windows read: a wait
// advances it, as waiting would.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

var t0 = time.Date(2026, 12, 6, 9, 0, 10, 0, time.UTC)

func items(n int, repo string, labels ...string) []githubtest.SearchItem {
	out := make([]githubtest.SearchItem, n)
	for i := range out {
		out[i] = githubtest.SearchItem{Repo: repo, Number: i + 1, Title: fmt.Sprintf("item %d", i+1), Labels: labels,
			Created: t0.Add(-time.Duration(n-i) * time.Hour)}
	}
	return out
}

func searchClient(t *testing.T, f *githubtest.Fake, clk *fakeClock, waits *[]time.Duration, opts ...github.Option) *github.Client {
	t.Helper()
	opts = append([]github.Option{github.WithClock(clk.Now), github.WithSleep(func(ctx context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return clk.Sleep(ctx, d)
	})}, opts...)
	c, err := github.NewClient("ghs_searchtoken", f.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSearchIssuesPages reads every page of a search, and what each item carries.
func TestSearchIssuesPages(t *testing.T) {
	f := githubtest.New(t)
	clk := &fakeClock{t: t0}
	var waits []time.Duration
	f.AddSearchItems(items(249, "Molecule-AI/molecule-ci", "ci")...)
	f.AddSearchItems(githubtest.SearchItem{Repo: "Molecule-AI/molecule-mcp-server", Number: 7, Title: "Bump the base image", PullRequest: true,
		Labels: []string{"infra", "P1"}, Assignees: []string{"hongming"}, Author: "dependabot[bot]", Body: "body",
		Created: t0.Add(-time.Minute), Updated: t0})
	f.AddSearchItems(githubtest.SearchItem{Repo: "Molecule-AI/molecule-ci", Number: 999, Title: "closed", Labels: []string{"ci"}, State: "closed", Created: t0})
	c := searchClient(t, f, clk, &waits)
	res, err := c.SearchIssues(context.Background(), "org:Molecule-AI state:open label:ci,infra", github.SearchOptions{SplitAbove: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 250 || len(res.Items) != 250 || res.Requests != 3 || res.Capped || res.Incomplete {
		t.Fatalf("total %d, %d items in %d requests, capped %v: want 250 in 3 pages", res.Total, len(res.Items), res.Requests, res.Capped)
	}
	if res.Items[0].Number != 1 || res.Items[248].Number != 249 {
		t.Errorf("order: first #%d, 249th #%d (want oldest first)", res.Items[0].Number, res.Items[248].Number)
	}
	got := fmt.Sprintf("%+v", res.Items[249])
	want := "{Repo:Molecule-AI/molecule-mcp-server Number:7 Title:Bump the base image URL:https://github.com/Molecule-AI/molecule-mcp-server/pull/7 PullRequest:true State:open Labels:[infra P1] Assignees:[hongming] Author:dependabot[bot] Body:body CreatedAt:2026-12-06 08:59:10 +0000 UTC UpdatedAt:2026-12-06 09:00:10 +0000 UTC}"
	if got != want {
		t.Errorf("item:\n got %s\nwant %s", got, want)
	}
	if len(waits) != 0 {
		t.Errorf("waits %v", waits)
	}
}

// TestSearchIssuesCap: past 1,000 matches GitHub serves the first 1,000 only; with SplitAbove the
// search stops after one page and says so.
func TestSearchIssuesCap(t *testing.T) {
	f := githubtest.New(t)
	f.AddSearchItems(items(1500, "Molecule-AI/molecule-ci", "ci")...)
	var waits []time.Duration
	c := searchClient(t, f, &fakeClock{t: t0}, &waits)
	res, err := c.SearchIssues(context.Background(), "org:Molecule-AI label:ci", github.SearchOptions{SplitAbove: 1000})
	if err != nil || !res.Capped || res.Total != 1500 || len(res.Items) != 100 || res.Requests != 1 {
		t.Fatalf("split above 1000: %+v %v", res.Requests, err)
	}
	res, err = c.SearchIssues(context.Background(), "org:Molecule-AI label:ci", github.SearchOptions{})
	if err != nil || res.Capped || res.Total != 1500 || len(res.Items) != 1000 || res.Requests != 10 {
		t.Fatalf("no split: total %d, %d items, %d requests, %v", res.Total, len(res.Items), res.Requests, err)
	}
}

// TestSearchIssuesRefused: GitHub's 422s on a query, typed so a caller can split or stop, with
// GitHub's words kept.
func TestSearchIssuesRefused(t *testing.T) {
	f := githubtest.New(t)
	f.AddSearchItems(items(1, "Molecule-AI/molecule-ci", "ci")...)
	f.AddSearchItems(items(1, "Secret-Org/vault", "ci")...)
	f.HideOrg("Secret-Org")
	var waits []time.Duration
	c := searchClient(t, f, &fakeClock{t: t0}, &waits)
	for _, tc := range []struct {
		q    string
		is   error
		want string
	}{
		{"org:Molecule-AI " + strings.Repeat("x", 250), github.ErrSearchTooComplex, `422 Validation Failed [{"code":"invalid","field":"q","message":"The search is longer than 256 characters.","resource":"Search"}]`},
		{"org:Molecule-AI label:a OR label:b OR label:c OR label:d OR label:e OR label:f OR label:g", github.ErrSearchTooComplex, "The search contains more than 5 AND / OR / NOT operators."},
		{"org:Secret-Org label:ci", github.ErrSearchNotVisible, "The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them."},
		{"org:No-Such-Org label:ci", github.ErrSearchNotVisible, "cannot be searched"},
	} {
		_, err := c.SearchIssues(context.Background(), tc.q, github.SearchOptions{})
		var ve *github.ValidationError
		if !errors.Is(err, tc.is) || !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40s: %v", tc.q, err)
		}
	}
	// OR between labels within the operator limit is one condition met by either label.
	res, err := c.SearchIssues(context.Background(), "org:Molecule-AI label:infra OR label:ci OR label:cloud", github.SearchOptions{})
	if err != nil || res.Total != 1 {
		t.Errorf("label OR: %+v %v", res, err)
	}
	if len(waits) != 0 {
		t.Errorf("a refused query was retried: waits %v", waits)
	}
}

// TestSearchRateLimits: the search budget (30 a minute on GitHub, 2 here) is spent on a page that
// succeeds; the next page waits for the reset instead of failing in go-github (which refuses
// requests on its own until the reset) or earning a 403. A secondary limit's Retry-After is
// waited out and the page retried.
func TestSearchRateLimits(t *testing.T) {
	f := githubtest.New(t)
	clk := &fakeClock{t: t0}
	f.SetSearchRateLimit(2, clk.Now)
	f.AddSearchItems(items(350, "Molecule-AI/molecule-ci", "ci")...)
	var waits []time.Duration
	var logs []string
	c := searchClient(t, f, clk, &waits, github.WithLogf(func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) }))
	f.Enqueue(githubtest.Reply{Path: "/search/issues", Status: 403, Header: map[string]string{"Retry-After": "7"},
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`})
	res, err := c.SearchIssues(context.Background(), "org:Molecule-AI label:ci", github.SearchOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(logs, "\n"))
	}
	if len(res.Items) != 350 || res.Requests != 4 {
		t.Errorf("%d items in %d requests", len(res.Items), res.Requests)
	}
	// 7s (secondary), then at 09:00:17 the budget of the 09:00 minute is spent after page 2:
	// wait to 09:01:00 plus a second; page 4 is the second of that minute.
	want := []time.Duration{7 * time.Second, 44 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v\n%s", waits, want, strings.Join(logs, "\n"))
	}
	n := 0
	for _, r := range f.Requests() {
		if r == "GET /api/v3/search/issues" {
			n++
		}
	}
	if n != 5 || f.SearchRequests() != 4 {
		t.Errorf("%d search requests sent, %d answered: want 5 sent (one refused by the secondary limit) and none refused for the budget", n, f.SearchRequests())
	}
	if !strings.Contains(strings.Join(logs, "\n"), "the search rate limit is spent until 09:01:00; waiting 44s") {
		t.Errorf("logs:\n%s", strings.Join(logs, "\n"))
	}
}

// TestLinkedPullRequests reads the cross-referenced pull requests from an issue's timeline; a
// failing timeline is an error for that issue alone.
func TestLinkedPullRequests(t *testing.T) {
	f := githubtest.New(t)
	f.AddSearchItems(
		githubtest.SearchItem{Repo: "Molecule-AI/molecule-ci", Number: 12, Title: "flaky lint", Created: t0,
			LinkedPRs: []string{"Molecule-AI/molecule-ci#40", "Molecule-AI/molecule-core#7", "Molecule-AI/molecule-ci#40"}},
		githubtest.SearchItem{Repo: "Molecule-AI/molecule-ci", Number: 40, Title: "fix lint", PullRequest: true, State: "closed", Created: t0},
		githubtest.SearchItem{Repo: "Molecule-AI/molecule-ci", Number: 13, Title: "broken", Created: t0, TimelineStatus: 404},
	)
	var waits []time.Duration
	c := searchClient(t, f, &fakeClock{t: t0}, &waits)
	prs, err := c.LinkedPullRequests(context.Background(), "Molecule-AI", "molecule-ci", 12)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%+v", prs); got != "[{Repo:Molecule-AI/molecule-ci Number:40 State:closed URL:https://github.com/Molecule-AI/molecule-ci/pull/40} {Repo:Molecule-AI/molecule-core Number:7 State:open URL:https://github.com/Molecule-AI/molecule-core/pull/7}]" {
		t.Errorf("linked: %s", got)
	}
	if _, err := c.LinkedPullRequests(context.Background(), "Molecule-AI", "molecule-ci", 13); err == nil || !strings.Contains(err.Error(), "timeline of Molecule-AI/molecule-ci#13: GET") || !strings.Contains(err.Error(), "404 Not Found") {
		t.Errorf("404 timeline: %v", err)
	}
}

// TestTrackingIssue: two runs file one issue and edit it; an unchanged run edits nothing; a closed
// issue is reopened rather than filed again; two open ones (a race) become one; an issue carrying
// the marker without the label is not taken for it.
func TestTrackingIssue(t *testing.T) {
	ctx := context.Background()
	f := githubtest.New(t)
	var waits []time.Duration
	c := searchClient(t, f, &fakeClock{t: t0}, &waits, github.WithIdentity("[devops-agent]"))
	const marker = "<!-- molecule-ci:triage -->"
	// Someone pasted the marker into an issue without the label: never the tracking issue.
	if _, err := c.CreateIssue(ctx, "Molecule-AI", "molecule-ci", "mine", marker+"\nfake", nil); err != nil {
		t.Fatal(err)
	}
	ti := github.TrackingIssue{Owner: "Molecule-AI", Repo: "molecule-ci", Label: "molecule-ci-triage", Marker: marker, Title: "Triage queue", Body: "one"}
	run := func(body, want string) github.TrackingResult {
		t.Helper()
		ti.Body = body
		res, err := c.UpsertTrackingIssue(ctx, ti)
		if err != nil || res.Action != want {
			t.Fatalf("body %q: %+v %v, want %s", body, res, err, want)
		}
		return res
	}
	first := run("one", "created")
	run("two", "updated")
	run("two", "unchanged")
	issues := f.Issues()
	if len(issues) != 2 || issues[1].Number != first.Number || issues[1].Body != "[devops-agent]\n"+marker+"\ntwo" || issues[0].Body != "[devops-agent]\n"+marker+"\nfake" {
		t.Fatalf("issues: %+v", issues)
	}
	if err := c.CloseIssue(ctx, "Molecule-AI", "molecule-ci", first.Number, "completed"); err != nil {
		t.Fatal(err)
	}
	if res := run("three", "reopened"); res.Number != first.Number || f.Issues()[1].State != "open" {
		t.Errorf("reopen: %+v %+v", res, f.Issues()[1])
	}
	// A racing run filed a second one.
	if _, err := c.CreateIssue(ctx, "Molecule-AI", "molecule-ci", "Triage queue", marker+"\nrace", []string{"molecule-ci-triage"}); err != nil {
		t.Fatal(err)
	}
	res := run("four", "updated")
	if res.Number != first.Number || fmt.Sprint(res.Duplicates) != "[3]" {
		t.Errorf("race: %+v", res)
	}
	dup := f.Issues()[2]
	if dup.State != "closed" || dup.StateReason != "not_planned" || len(dup.Comments) != 1 || dup.Comments[0] != "[devops-agent]\nDuplicate of #2 (two runs filed the tracking issue at once); #2 is kept up to date." {
		t.Errorf("duplicate: %+v", dup)
	}
	if len(f.Issues()) != 3 {
		t.Errorf("%d issues", len(f.Issues()))
	}
}
