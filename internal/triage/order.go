package triage

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// OrderOptions are the inputs of Order.
type OrderOptions struct {
	Home           string // owner/name of the shared-CI repository
	IncidentLabel  string
	PriorityLabels []string
	// Dependents maps a repository name (lower case) to its number of dependent repositories;
	// nil orders the other repositories by item count.
	Dependents map[string]int
	Now        time.Time
	StaleAfter time.Duration
}

// Order ranks the items and returns them with their repositories, in this order:
//
//  1. open incidents (issues with the incident label), newest first;
//  2. the shared-CI repository's items, whose fixes cascade to every repository;
//  3. the other repositories, the most depended on first (with Dependents; then by item count),
//     else the most items first, then by name.
//
// Within a repository, items with a priority label come first in the order of the labels, then
// the rest, each oldest first. Ranks count from 1. Order is pure: the same items give the same
// queue.
func Order(found []Found, o OrderOptions) ([]Item, []Repo) {
	var incidents []Item
	byRepo := map[string][]Item{}
	var names []string
	for _, f := range found {
		if f.Updated.IsZero() {
			f.Updated = f.Created
		}
		it := Item{
			Repo: f.Repo, Number: f.Number, PullRequest: f.PullRequest, Title: f.Title, URL: f.URL,
			Labels: f.Labels, Assignees: f.Assignees, Author: f.Author, Created: f.Created.UTC(), Updated: f.Updated.UTC(),
			Age: o.Now.Sub(f.Created), Stale: o.StaleAfter > 0 && o.Now.Sub(f.Updated) > o.StaleAfter,
		}
		it.Priority = priority(f.Labels, o.PriorityLabels)
		if !f.PullRequest && o.IncidentLabel != "" && hasLabel(f.Labels, o.IncidentLabel) {
			it.Group = GroupIncident
			it.Service, it.DownSince = incidentFacts(f, o.IncidentLabel)
			incidents = append(incidents, it)
			continue
		}
		key := strings.ToLower(f.Repo)
		if _, ok := byRepo[key]; !ok {
			names = append(names, f.Repo)
		}
		byRepo[key] = append(byRepo[key], it)
	}
	slices.SortFunc(incidents, func(a, b Item) int {
		return cmp.Or(b.Created.Compare(a.Created), strings.Compare(a.Repo, b.Repo), a.Number-b.Number)
	})

	dependents := func(name string) int {
		if o.Dependents == nil {
			return -1
		}
		_, short, _ := strings.Cut(name, "/")
		return o.Dependents[strings.ToLower(short)]
	}
	var repos []Repo
	for _, n := range names {
		g := GroupRepo
		if strings.EqualFold(n, o.Home) {
			g = GroupHome
		}
		repos = append(repos, Repo{Name: n, Group: g, Items: len(byRepo[strings.ToLower(n)]), Dependents: dependents(n)})
	}
	slices.SortFunc(repos, func(a, b Repo) int {
		return cmp.Or(
			boolRank(a.Group == GroupHome, b.Group == GroupHome),
			b.Dependents-a.Dependents,
			b.Items-a.Items,
			strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)),
		)
	})

	items := incidents
	for i := range items {
		items[i].Group = GroupIncident
	}
	for _, r := range repos {
		list := byRepo[strings.ToLower(r.Name)]
		slices.SortFunc(list, func(a, b Item) int {
			return cmp.Or(
				priorityRank(a.Priority, o.PriorityLabels)-priorityRank(b.Priority, o.PriorityLabels),
				a.Created.Compare(b.Created),
				a.Number-b.Number,
			)
		})
		for _, it := range list {
			it.Group = r.Group
			items = append(items, it)
		}
	}
	for i := range items {
		items[i].Rank = i + 1
	}
	return items, repos
}

// boolRank sorts true before false.
func boolRank(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// priority is the first of the priority labels (in their configured order) that labels carry.
func priority(labels, priorities []string) string {
	for _, p := range priorities {
		if hasLabel(labels, p) {
			return p
		}
	}
	return ""
}

func priorityRank(p string, priorities []string) int {
	if p == "" {
		return len(priorities)
	}
	return slices.Index(priorities, p)
}
