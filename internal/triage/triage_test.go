package triage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

const day = 24 * time.Hour

// TestOrder states the order rule by rule: each case lists the items and the expected ranks as
// "repo#number".
func TestOrder(t *testing.T) {
	base := OrderOptions{Home: "O/ci", IncidentLabel: "incident", PriorityLabels: []string{"P0", "P1", "P2"}, Now: now, StaleAfter: 14 * day}
	f := func(repo string, n int, created time.Duration, labels ...string) Found {
		return Found{Repo: "O/" + repo, Number: n, Created: ago(created), Updated: ago(created), Labels: labels}
	}
	cases := []struct {
		name  string
		deps  map[string]int
		found []Found
		want  string
	}{
		{"incidents first, newest first, wherever they are; then home", nil, []Found{
			f("ci", 1, day, "ci"), f("status", 5, 3*time.Hour, "incident"), f("core", 9, time.Hour, "incident", "P0"), f("ci", 2, 2*day, "incident"),
		}, "core#9 status#5 ci#2 ci#1"},
		{"an incident-labelled pull request is not an incident", nil, []Found{
			{Repo: "O/status", Number: 3, PullRequest: true, Labels: []string{"incident"}, Created: ago(day)}, f("ci", 1, day, "ci"),
		}, "ci#1 status#3"},
		{"home before busier repositories; others by item count, then name", nil, []Found{
			f("b", 1, day), f("a", 1, day), f("zz", 1, day), f("zz", 2, day), f("ci", 7, day),
		}, "ci#7 zz#1 zz#2 a#1 b#1"},
		{"with a fleet report: by dependents, then item count, then name", map[string]int{"b": 9, "a": 9, "runtime": 30}, []Found{
			f("a", 1, day), f("b", 1, day), f("b", 2, day), f("zz", 1, day), f("zz", 2, day), f("zz", 3, day), f("runtime", 4, day), f("ci", 1, day),
		}, "ci#1 runtime#4 b#1 b#2 a#1 zz#1 zz#2 zz#3"},
		{"within a repository: priorities in order, then the rest, each oldest first", nil, []Found{
			f("ci", 1, day), f("ci", 2, 5*day), f("ci", 3, day, "P1"), f("ci", 4, 9*day, "P2"), f("ci", 5, 2*day, "P1"), f("ci", 6, time.Hour, "P0"),
		}, "ci#6 ci#5 ci#3 ci#4 ci#2 ci#1"},
		{"the highest priority label wins; labels compare without case", nil, []Found{
			f("ci", 1, day, "p2", "P0"), f("ci", 2, 2*day, "p1"),
		}, "ci#1 ci#2"},
		{"same age: by number", nil, []Found{f("ci", 3, day), f("ci", 1, day), f("ci", 2, day)}, "ci#1 ci#2 ci#3"},
		{"nothing", nil, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			o.Dependents = tc.deps
			items, _ := Order(tc.found, o)
			var got []string
			for i, it := range items {
				if it.Rank != i+1 {
					t.Errorf("rank %d at %d", it.Rank, i)
				}
				got = append(got, fmt.Sprintf("%s#%d", strings.TrimPrefix(it.Repo, "O/"), it.Number))
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("order %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}

// TestOrderFields: groups, priority, age, staleness, and what an incident says.
func TestOrderFields(t *testing.T) {
	items, repos := Order([]Found{
		{Repo: "O/status", Number: 1, Title: "🔴 Control plane (production) is down", Labels: []string{"incident", "control-plane"}, Created: ago(time.Hour),
			Body: "**Control plane** (production) is down.\n\n- First failing run: 2026-12-06 07:30:00 UTC\n"},
		{Repo: "O/status", Number: 2, Title: "Docs down", Labels: []string{"Incident", "docs", "web"}, Created: ago(20 * time.Minute), Body: "- First failing run: garbage UTC"},
		{Repo: "O/ci", Number: 3, Labels: []string{"ci", "P1"}, Created: ago(20 * day), Updated: ago(14*day + time.Second)},
		{Repo: "O/ci", Number: 4, Labels: []string{"ci"}, Created: ago(20 * day), Updated: ago(14 * day)},
		{Repo: "O/web", Number: 5, Labels: []string{"infra"}, Created: ago(2 * day), Updated: ago(day)},
	}, OrderOptions{Home: "o/CI", IncidentLabel: "incident", PriorityLabels: []string{"P0", "P1"}, Now: now, StaleAfter: 14 * day})
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%d %s %s#%d pri=%q age=%v stale=%v service=%q since=%s", it.Rank, it.Group, it.Repo, it.Number, it.Priority, it.Age, it.Stale, it.Service, it.DownSince.Format(time.TimeOnly)))
	}
	want := []string{
		`1 incident O/status#2 pri="" age=20m0s stale=false service="docs, web" since=08:40:00`,
		`2 incident O/status#1 pri="" age=1h0m0s stale=false service="Control plane (production)" since=07:30:00`,
		`3 home O/ci#3 pri="P1" age=480h0m0s stale=true service="" since=00:00:00`,
		`4 home O/ci#4 pri="" age=480h0m0s stale=false service="" since=00:00:00`,
		`5 repo O/web#5 pri="" age=48h0m0s stale=false service="" since=00:00:00`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fmt.Sprint(repos) != "[{O/ci home 2 -1} {O/web repo 1 -1}]" {
		t.Errorf("repos: %v", repos)
	}
}

func TestQueryString(t *testing.T) {
	for _, tc := range []struct {
		q    query
		want string
	}{
		{query{labels: []string{"infra", "ci"}}, "org:O state:open label:infra,ci"},
		{query{labels: []string{"good first issue", "area:ci", "P0"}}, `org:O state:open label:"good first issue","area:ci",P0`},
		{query{labels: []string{"ci"}, from: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), to: now}, "org:O state:open label:ci created:2024-01-02T03:04:05Z..2026-12-06T09:00:00Z"},
		{query{labels: []string{"ci"}, to: now}, "org:O state:open label:ci created:*..2026-12-06T09:00:00Z"},
	} {
		if got := tc.q.String("O"); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.q, got, tc.want)
		}
	}
}

// memGitHub answers searches from a list with GitHub's cap, for the search plan's edge cases.
type memGitHub struct {
	items   []Found
	queries []string
	failPR  map[int]error
}

func (m *memGitHub) Search(_ context.Context, q string, splitAbove int) (Page, error) {
	m.queries = append(m.queries, q)
	if len(q) > 256 {
		return Page{Requests: 1}, fmt.Errorf("422: %w", ErrQueryTooComplex)
	}
	var match []Found
	for _, f := range m.items {
		if queryMatches(q, f) {
			match = append(match, f)
		}
	}
	slices.SortStableFunc(match, func(a, b Found) int { return a.Created.Compare(b.Created) })
	p := Page{Total: len(match), Requests: 1}
	if splitAbove > 0 && len(match) > splitAbove {
		p.Capped, p.Items = true, match[:100]
		return p, nil
	}
	p.Items = match[:min(len(match), searchCap)]
	return p, nil
}

// queryMatches understands the queries query.String writes.
func queryMatches(q string, f Found) bool {
	var labelOK bool
	for _, part := range strings.Fields(q) {
		switch {
		case strings.HasPrefix(part, "label:"):
			for _, l := range strings.Split(strings.TrimPrefix(part, "label:"), ",") {
				labelOK = labelOK || hasLabel(f.Labels, strings.Trim(l, `"`))
			}
		case strings.HasPrefix(part, "created:"):
			a, b, _ := strings.Cut(strings.TrimPrefix(part, "created:"), "..")
			lo, _ := time.Parse(time.RFC3339, a)
			hi, err := time.Parse(time.RFC3339, b)
			if f.Created.Before(lo) || (err == nil && f.Created.After(hi)) {
				return false
			}
		}
	}
	return labelOK
}

func (m *memGitHub) LinkedPRs(_ context.Context, repo string, n int) ([]LinkedPR, error) {
	if err := m.failPR[n]; err != nil {
		return nil, err
	}
	return []LinkedPR{{Repo: repo, Number: n + 1000, State: "open"}}, nil
}

// TestRunCutAtTheCap: 1,200 items created in the same second cannot be split by date; the run
// lists the 1,000 GitHub serves and counts the rest as missed, rather than looping or failing.
func TestRunCutAtTheCap(t *testing.T) {
	m := &memGitHub{}
	for i := range 1200 {
		m.items = append(m.items, Found{Repo: "O/ci", Number: i + 1, Labels: []string{"ci"}, Created: ago(day)})
	}
	res, err := Run(context.Background(), Options{Org: "O", Labels: []string{"ci"}, GitHub: m, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, q := range res.Queries {
		outcomes = append(outcomes, q.Outcome)
	}
	if len(res.Items) != 1000 || res.Missed != 200 || strings.Join(outcomes, ",") != "split by creation date,cut at the cap,listed" {
		t.Errorf("%d items, %d missed, outcomes %v", len(res.Items), res.Missed, outcomes)
	}
	if !strings.Contains(res.searchLine(), "; 200 items past GitHub's 1,000-result cap could not be listed") {
		t.Errorf("search line: %s", res.searchLine())
	}
}

// TestRunLinkedPRs: look-ups go to the first issues in rank order, never to pull requests; one
// that fails degrades its item and the run goes on.
func TestRunLinkedPRs(t *testing.T) {
	m := &memGitHub{failPR: map[int]error{2: errors.New("timeline of O/ci#2: 502 Bad Gateway")}}
	m.items = []Found{
		{Repo: "O/ci", Number: 1, Labels: []string{"ci"}, Created: ago(3 * day)},
		{Repo: "O/ci", Number: 2, Labels: []string{"ci"}, Created: ago(2 * day)},
		{Repo: "O/ci", Number: 3, Labels: []string{"ci"}, Created: ago(2 * day), PullRequest: true},
		{Repo: "O/ci", Number: 4, Labels: []string{"ci"}, Created: ago(day)},
	}
	res, err := Run(context.Background(), Options{Org: "O", Home: "O/ci", Labels: []string{"ci"}, LinkedPRs: 2, GitHub: m, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range res.Items {
		got = append(got, fmt.Sprintf("#%d %s %v %s", it.Number, it.LinkedStatus, it.LinkedPRs, it.LinkedError))
	}
	want := "#1 ok [{O/ci 1001 open }] |#2 failed [] timeline of O/ci#2: 502 Bad Gateway|#3 n/a [] |#4 not-looked-up [] "
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{{Labels: []string{"ci"}, GitHub: &memGitHub{}}, {Org: "O", GitHub: &memGitHub{}}, {Org: "O", Labels: []string{"ci"}}} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	// Every part refused, down to one label: an error, not an endless split.
	m := &memGitHub{}
	_, err := Run(context.Background(), Options{Org: "O", Labels: []string{strings.Repeat("x", 250)}, GitHub: m, Now: func() time.Time { return now }})
	if err == nil || !errors.Is(err, ErrQueryTooComplex) {
		t.Errorf("one long label: %v", err)
	}
}
