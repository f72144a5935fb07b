package triage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// searchCap is GitHub's 1,000 results per search query.
const searchCap = 1000

// query is one search: the organisation's open items carrying any of labels, created within
// [from, to] when those are set.
type query struct {
	labels   []string
	from, to time.Time
}

// String is the query as GitHub reads it: `label:a,b` is any of the labels (no OR operators, so
// the five-operator limit never applies), quoted where a label has blanks.
func (q query) String(org string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "org:%s state:open label:", org)
	for i, l := range q.labels {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.ContainsAny(l, " \t:") {
			b.WriteString(`"` + l + `"`)
		} else {
			b.WriteString(l)
		}
	}
	if !q.from.IsZero() || !q.to.IsZero() {
		b.WriteString(" created:" + dateBound(q.from) + ".." + dateBound(q.to))
	}
	return b.String()
}

func dateBound(t time.Time) string {
	if t.IsZero() {
		return "*"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// searcher runs a query and, when GitHub cannot answer it whole, the narrower queries that
// together cover it.
type searcher struct {
	gh    GitHub
	org   string
	now   time.Time
	max   int
	res   *Result
	seen  map[string]bool
	found []Found
}

// run searches q. A query with more matches than GitHub serves is split by label (halves of the
// label list), then, for one label, by creation date (halves of the range from the oldest match
// to now) until each part fits; a range of one second that still does not fit is read as far as
// GitHub serves it, and the rest counted as missed. A query GitHub refuses as too long is split
// by label likewise.
func (s *searcher) run(ctx context.Context, q query) error {
	if len(s.res.Queries) >= s.max {
		return fmt.Errorf("triage: more than %d searches needed to list everything (GitHub serves 1,000 results a query); narrow triage.labels", s.max)
	}
	text := q.String(s.org)
	rec := len(s.res.Queries)
	s.res.Queries = append(s.res.Queries, Query{Query: text})
	page, err := s.gh.Search(ctx, text, searchCap)
	s.res.Requests += page.Requests
	switch {
	case errors.Is(err, ErrQueryTooComplex) && len(q.labels) > 1:
		s.res.Queries[rec].Outcome = "refused: split by label"
		return s.splitLabels(ctx, q)
	case errors.Is(err, ErrOrgNotVisible):
		return fmt.Errorf("organisation %q cannot be searched: it does not exist, or the token cannot see it (a token of another account, or an App not installed there): %w", s.org, err)
	case err != nil:
		return err
	}
	s.res.Queries[rec].Total = page.Total
	s.res.Incomplete = s.res.Incomplete || page.Incomplete
	if !page.Capped {
		s.res.Queries[rec].Outcome = "listed"
		s.add(page.Items)
		return nil
	}
	if len(q.labels) > 1 {
		s.res.Queries[rec].Outcome = "split by label"
		return s.splitLabels(ctx, q)
	}
	from, to := q.from, q.to
	if from.IsZero() && len(page.Items) > 0 {
		from = page.Items[0].Created.UTC().Truncate(time.Second) // oldest first
	}
	if to.IsZero() {
		to = s.now.Truncate(time.Second)
	}
	if to.Sub(from) >= 2*time.Second {
		s.res.Queries[rec].Outcome = "split by creation date"
		mid := from.Add(to.Sub(from) / 2).Truncate(time.Second)
		// A first page (the oldest hundred) all created in the range's first second — items
		// filed by a script — splits that second off, rather than halving towards it.
		if n := len(page.Items); n > 0 && page.Items[n-1].Created.UTC().Truncate(time.Second).Equal(from) {
			mid = from
		}
		if err := s.run(ctx, query{labels: q.labels, from: from, to: mid}); err != nil {
			return err
		}
		return s.run(ctx, query{labels: q.labels, from: mid.Add(time.Second), to: to})
	}
	// Nothing narrower to ask: read what GitHub serves.
	page, err = s.gh.Search(ctx, text, 0)
	s.res.Requests += page.Requests
	if err != nil {
		return err
	}
	s.res.Queries[rec].Outcome = "cut at the cap"
	s.res.Missed += max(page.Total-len(page.Items), 0)
	s.res.Incomplete = s.res.Incomplete || page.Incomplete
	s.add(page.Items)
	return nil
}

func (s *searcher) splitLabels(ctx context.Context, q query) error {
	if len(q.labels) < 2 {
		return fmt.Errorf("triage: GitHub refused the search for one label: %s", q.String(s.org))
	}
	half := len(q.labels) / 2
	for _, part := range [][]string{q.labels[:half], q.labels[half:]} {
		if err := s.run(ctx, query{labels: part, from: q.from, to: q.to}); err != nil {
			return err
		}
	}
	return nil
}

// add keeps each item once: the parts of a split overlap where an item carries several labels.
func (s *searcher) add(items []Found) {
	for _, f := range items {
		key := strings.ToLower(f.Repo) + "#" + fmt.Sprint(f.Number)
		if !s.seen[key] {
			s.seen[key] = true
			s.found = append(s.found, f)
		}
	}
}
