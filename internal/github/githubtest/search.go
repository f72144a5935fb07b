package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SearchItem is an issue or pull request as the search API and the issue timeline see it.
type SearchItem struct {
	Repo        string // owner/name
	Number      int
	Title, Body string
	PullRequest bool
	State       string // open (the default) or closed
	Labels      []string
	Assignees   []string
	Author      string // default "octocat"
	Created     time.Time
	Updated     time.Time // default Created
	// LinkedPRs are pull requests ("owner/name#N") whose cross-reference events the item's
	// timeline lists.
	LinkedPRs []string
	// TimelineStatus, when set, is the status the item's timeline answers with (500, 404...).
	TimelineStatus int
}

// searchState is the part of the fake that answers GET /search/issues and the issue timeline.
type searchState struct {
	items     []SearchItem
	hidden    map[string]bool // organisations the token cannot see
	perMinute int             // the search budget a minute; 0: unlimited
	clock     func() time.Time
	window    time.Time
	used      int
	requests  int
	// incomplete makes every answer say incomplete_results: true, as after a search timeout.
	incomplete bool
}

// maxSearchResults is GitHub's cap: "the REST API provides up to 1,000 results for each search".
const maxSearchResults = 1000

// maxQueryLength and maxOperators are the documented limits of a search query.
const (
	maxQueryLength = 256
	maxOperators   = 5
)

// AddSearchItems adds issues and pull requests that search (and their timelines) answer with.
// Their organisations become searchable.
func (f *Fake) AddSearchItems(items ...SearchItem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range items {
		if it.State == "" {
			it.State = "open"
		}
		if it.Author == "" {
			it.Author = "octocat"
		}
		if it.Updated.IsZero() {
			it.Updated = it.Created
		}
		f.search.items = append(f.search.items, it)
	}
}

// HideOrg makes org one the token cannot see: a search naming it answers 422, as GitHub does for
// an organisation that does not exist or is not visible.
func (f *Fake) HideOrg(org string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.search.hidden == nil {
		f.search.hidden = map[string]bool{}
	}
	f.search.hidden[strings.ToLower(org)] = true
}

// SetSearchRateLimit gives search a budget of perMinute requests per minute of clock (GitHub's is
// 30): past it, search answers 403 with X-RateLimit-Remaining: 0 and the reset at the end of the
// minute. Successful answers carry the remaining budget, as GitHub's do.
func (f *Fake) SetSearchRateLimit(perMinute int, clock func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.search.perMinute, f.search.clock = perMinute, clock
}

// SetIncompleteResults makes every search answer incomplete_results: true (a search timeout).
func (f *Fake) SetIncompleteResults(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.search.incomplete = v
}

// SearchRequests counts the GET /search/issues requests answered so far.
func (f *Fake) SearchRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.search.requests
}

var reTimeline = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/issues/(\d+)/timeline$`)

// serveSearch answers the endpoints of this file; false when r is not one of them.
func (f *Fake) serveSearch(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v3/search/issues":
		f.searchIssues(w, r)
	case r.Method == http.MethodGet && reTimeline.MatchString(r.URL.Path):
		m := reTimeline.FindStringSubmatch(r.URL.Path)
		f.timeline(w, r, m[1]+"/"+m[2], atoi(m[3]))
	default:
		return false
	}
	return true
}

func writeSearchValidation(w http.ResponseWriter, msg string) {
	w.WriteHeader(http.StatusUnprocessableEntity)
	b, _ := json.Marshal(map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]string{{"message": msg, "resource": "Search", "field": "q", "code": "invalid"}},
		"documentation_url": "https://docs.github.com/v3/search/",
		"status":            "422",
	})
	w.Write(b)
}

func (f *Fake) searchIssues(w http.ResponseWriter, r *http.Request) {
	s := &f.search
	s.requests++
	w.Header().Set("X-RateLimit-Resource", "search")
	w.Header().Set("X-RateLimit-Limit", "30")
	w.Header().Set("X-RateLimit-Remaining", "29")
	if s.perMinute > 0 {
		now := s.clock()
		if start := now.Truncate(time.Minute); !start.Equal(s.window) {
			s.window, s.used = start, 0
		}
		reset := strconv.FormatInt(s.window.Add(time.Minute).Unix(), 10)
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.perMinute))
		w.Header().Set("X-RateLimit-Reset", reset)
		if s.used >= s.perMinute {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits","status":"403"}`)
			return
		}
		s.used++
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(s.perMinute-s.used))
	}
	q := r.URL.Query()
	text := q.Get("q")
	if text == "" {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"message":"Validation Failed","errors":[{"resource":"Search","field":"q","code":"missing"}],"documentation_url":"https://docs.github.com/v3/search","status":"422"}`)
		return
	}
	if len([]rune(text)) > maxQueryLength {
		writeSearchValidation(w, "The search is longer than 256 characters.")
		return
	}
	query, err := parseSearchQuery(text)
	if err != nil {
		writeSearchValidation(w, err.Error())
		return
	}
	if query.operators > maxOperators {
		writeSearchValidation(w, "The search contains more than 5 AND / OR / NOT operators.")
		return
	}
	for _, org := range query.orgs {
		if s.hidden[strings.ToLower(org)] || !f.knownOrg(org) {
			writeSearchValidation(w, "The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.")
			return
		}
	}
	per := 30
	if pp, err := strconv.Atoi(q.Get("per_page")); err == nil && pp > 0 {
		per = min(pp, 100)
	}
	page := max(1, atoi(q.Get("page")))
	if (page-1)*per >= maxSearchResults {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"message":"Only the first 1000 search results are available","documentation_url":"https://docs.github.com/v3/search/","status":"422"}`)
		return
	}
	var match []SearchItem
	for _, it := range s.items {
		if query.matches(it) {
			match = append(match, it)
		}
	}
	sortItems(match, q.Get("sort"), q.Get("order"))
	reachable := min(len(match), maxSearchResults)
	start := min(reachable, (page-1)*per)
	end := min(reachable, start+per)
	last := max(1, (reachable+per-1)/per)
	link := func(p int, rel string) string {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		u.RawQuery = v.Encode()
		return fmt.Sprintf(`<http://%s%s>; rel=%q`, r.Host, u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(page-1, "prev"), link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	out := []map[string]any{}
	for _, it := range match[start:end] {
		out = append(out, f.searchItemJSON(r, it))
	}
	json.NewEncoder(w).Encode(map[string]any{"total_count": len(match), "incomplete_results": s.incomplete, "items": out})
}

func (f *Fake) knownOrg(org string) bool {
	for _, it := range f.search.items {
		if owner, _, _ := strings.Cut(it.Repo, "/"); strings.EqualFold(owner, org) {
			return true
		}
	}
	return false
}

func sortItems(items []SearchItem, sortBy, order string) {
	key := func(it SearchItem) time.Time {
		if sortBy == "updated" {
			return it.Updated
		}
		return it.Created // created, and best match, which the fake ranks by creation
	}
	slices.SortStableFunc(items, func(a, b SearchItem) int {
		c := key(a).Compare(key(b))
		if order != "asc" {
			c = -c
		}
		if c != 0 {
			return c
		}
		if c := strings.Compare(a.Repo, b.Repo); c != 0 {
			return c
		}
		return a.Number - b.Number
	})
}

func (f *Fake) apiBase(r *http.Request) string { return "http://" + r.Host + "/api/v3" }

func (f *Fake) searchItemJSON(r *http.Request, it SearchItem) map[string]any {
	kind := "issues"
	if it.PullRequest {
		kind = "pull"
	}
	labels := []map[string]any{}
	for i, l := range it.Labels {
		labels = append(labels, map[string]any{"id": i + 1, "name": l, "color": "ededed"})
	}
	assignees := []map[string]any{}
	for _, a := range it.Assignees {
		assignees = append(assignees, map[string]any{"login": a, "type": "User"})
	}
	m := map[string]any{
		"url":            fmt.Sprintf("%s/repos/%s/issues/%d", f.apiBase(r), it.Repo, it.Number),
		"repository_url": fmt.Sprintf("%s/repos/%s", f.apiBase(r), it.Repo),
		"html_url":       fmt.Sprintf("https://github.com/%s/%s/%d", it.Repo, kind, it.Number),
		"number":         it.Number,
		"title":          it.Title,
		"body":           it.Body,
		"state":          it.State,
		"labels":         labels,
		"assignees":      assignees,
		"user":           map[string]any{"login": it.Author, "type": "User"},
		"created_at":     it.Created.UTC().Format(time.RFC3339),
		"updated_at":     it.Updated.UTC().Format(time.RFC3339),
		"comments":       0,
		"score":          1.0,
	}
	if len(assignees) > 0 {
		m["assignee"] = assignees[0]
	}
	if it.PullRequest {
		m["pull_request"] = map[string]any{
			"url":      fmt.Sprintf("%s/repos/%s/pulls/%d", f.apiBase(r), it.Repo, it.Number),
			"html_url": fmt.Sprintf("https://github.com/%s/pull/%d", it.Repo, it.Number),
		}
	}
	return m
}

func (f *Fake) findSearchItem(repo string, number int) *SearchItem {
	for i := range f.search.items {
		if strings.EqualFold(f.search.items[i].Repo, repo) && f.search.items[i].Number == number {
			return &f.search.items[i]
		}
	}
	return nil
}

// timeline answers GET /repos/{owner}/{repo}/issues/{number}/timeline: a labeled event, then one
// cross-referenced event per linked pull request, 100 a page at most with Link pagination.
func (f *Fake) timeline(w http.ResponseWriter, r *http.Request, repo string, number int) {
	it := f.findSearchItem(repo, number)
	if it == nil {
		writeErr(w, 404, "Not Found")
		return
	}
	if it.TimelineStatus != 0 {
		writeErr(w, it.TimelineStatus, http.StatusText(it.TimelineStatus))
		return
	}
	events := []map[string]any{{"event": "labeled", "created_at": it.Created.UTC().Format(time.RFC3339), "label": map[string]any{"name": "ci"}}}
	for _, ref := range it.LinkedPRs {
		prRepo, n, _ := strings.Cut(ref, "#")
		num := atoi(n)
		state, title := "open", "pull request "+ref
		if pr := f.findSearchItem(prRepo, num); pr != nil {
			state, title = pr.State, pr.Title
		}
		events = append(events, map[string]any{
			"event":      "cross-referenced",
			"created_at": it.Created.UTC().Format(time.RFC3339),
			"actor":      map[string]any{"login": "octocat", "type": "User"},
			"source": map[string]any{"type": "issue", "issue": map[string]any{
				"number": num, "title": title, "state": state,
				"html_url":     fmt.Sprintf("https://github.com/%s/pull/%d", prRepo, num),
				"pull_request": map[string]any{"url": fmt.Sprintf("%s/repos/%s/pulls/%d", f.apiBase(r), prRepo, num)},
				"repository":   map[string]any{"full_name": prRepo, "name": prRepo[strings.IndexByte(prRepo, '/')+1:]},
			}},
		})
	}
	per := 30
	if pp, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && pp > 0 {
		per = min(pp, 100)
	}
	page := max(1, atoi(r.URL.Query().Get("page")))
	start := min(len(events), (page-1)*per)
	end := min(len(events), start+per)
	if end < len(events) {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(page+1))
		u.RawQuery = v.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, u.String()))
	}
	json.NewEncoder(w).Encode(events[start:end])
}

// searchQuery is a parsed q: every condition must hold (qualifiers are ANDed; "label:a OR
// label:b" and "label:a,b" are one condition met by either label).
type searchQuery struct {
	orgs      []string
	conds     []func(SearchItem) bool
	operators int
}

func (q searchQuery) matches(it SearchItem) bool {
	for _, c := range q.conds {
		if !c(it) {
			return false
		}
	}
	return true
}

// tokenize splits q at blanks outside double quotes.
func tokenize(q string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range q {
		switch {
		case r == '"':
			quoted = !quoted
			b.WriteRune(r)
		case (r == ' ' || r == '\t' || r == '\n') && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// splitValues splits a qualifier value at commas outside quotes and unquotes each part.
func splitValues(v string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range v {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteRune(r)
		}
	}
	return append(out, b.String())
}

func hasAnyLabel(it SearchItem, want []string) bool {
	for _, l := range it.Labels {
		for _, w := range want {
			if strings.EqualFold(l, w) {
				return true
			}
		}
	}
	return false
}

func parseSearchQuery(text string) (searchQuery, error) {
	var q searchQuery
	tokens := tokenize(text)
	var labelOR []string // label alternatives joined by OR so far
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		switch tok {
		case "AND", "OR", "NOT":
			q.operators++
			continue
		}
		neg := strings.HasPrefix(tok, "-")
		key, val, isQual := strings.Cut(strings.TrimPrefix(tok, "-"), ":")
		if !isQual {
			term := strings.ToLower(strings.Trim(tok, `"`))
			q.conds = append(q.conds, func(it SearchItem) bool {
				return strings.Contains(strings.ToLower(it.Title), term) || strings.Contains(strings.ToLower(it.Body), term)
			})
			continue
		}
		var cond func(SearchItem) bool
		switch strings.ToLower(key) {
		case "org", "user":
			org := strings.Trim(val, `"`)
			q.orgs = append(q.orgs, org)
			cond = func(it SearchItem) bool {
				owner, _, _ := strings.Cut(it.Repo, "/")
				return strings.EqualFold(owner, org)
			}
		case "repo":
			repo := strings.Trim(val, `"`)
			cond = func(it SearchItem) bool { return strings.EqualFold(it.Repo, repo) }
		case "label":
			labels := splitValues(val)
			// "label:a OR label:b": one condition met by either.
			if !neg && i+2 < len(tokens) && tokens[i+1] == "OR" && strings.HasPrefix(tokens[i+2], "label:") {
				labelOR = append(labelOR, labels...)
				continue
			}
			if !neg && len(labelOR) > 0 {
				labels = append(labelOR, labels...)
				labelOR = nil
			}
			cond = func(it SearchItem) bool { return hasAnyLabel(it, labels) }
		case "state":
			state := strings.ToLower(val)
			if state != "open" && state != "closed" {
				return q, fmt.Errorf("the fake does not know state:%s", val)
			}
			cond = func(it SearchItem) bool { return it.State == state }
		case "is", "type":
			switch v := strings.ToLower(val); v {
			case "open", "closed":
				cond = func(it SearchItem) bool { return it.State == v }
			case "issue":
				cond = func(it SearchItem) bool { return !it.PullRequest }
			case "pr", "pull-request":
				cond = func(it SearchItem) bool { return it.PullRequest }
			default:
				return q, fmt.Errorf("the fake does not know %s:%s", key, val)
			}
		case "created", "updated":
			in, err := parseDateRange(val)
			if err != nil {
				return q, fmt.Errorf("%s:%s: %v", key, val, err)
			}
			field := strings.ToLower(key)
			cond = func(it SearchItem) bool {
				if field == "created" {
					return in(it.Created)
				}
				return in(it.Updated)
			}
		default:
			return q, fmt.Errorf("the fake does not support the qualifier %q", key)
		}
		if neg {
			c := cond
			cond = func(it SearchItem) bool { return !c(it) }
		}
		q.conds = append(q.conds, cond)
	}
	return q, nil
}

// parseDateRange reads GitHub's date qualifier values: D, >D, >=D, <D, <=D, D..D, D..* and *..D,
// where D is YYYY-MM-DD (the whole day) or an ISO 8601 time to the second.
func parseDateRange(v string) (func(time.Time) bool, error) {
	bound := func(s string) (lo, hi time.Time, err error) {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t, t.Add(24*time.Hour - time.Nanosecond), nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return lo, hi, fmt.Errorf("not a date: %q", s)
		}
		return t, t.Add(time.Second - time.Nanosecond), nil
	}
	in := func(lo, hi time.Time) func(time.Time) bool {
		return func(t time.Time) bool {
			return (lo.IsZero() || !t.Before(lo)) && (hi.IsZero() || !t.After(hi))
		}
	}
	switch {
	case strings.Contains(v, ".."):
		a, b, _ := strings.Cut(v, "..")
		var lo, hi time.Time
		if a != "*" {
			l, _, err := bound(a)
			if err != nil {
				return nil, err
			}
			lo = l
		}
		if b != "*" {
			_, h, err := bound(b)
			if err != nil {
				return nil, err
			}
			hi = h
		}
		return in(lo, hi), nil
	case strings.HasPrefix(v, ">="):
		lo, _, err := bound(v[2:])
		return in(lo, time.Time{}), err
	case strings.HasPrefix(v, "<="):
		_, hi, err := bound(v[2:])
		return in(time.Time{}, hi), err
	case strings.HasPrefix(v, ">"):
		_, hi, err := bound(v[1:])
		return func(t time.Time) bool { return t.After(hi) }, err
	case strings.HasPrefix(v, "<"):
		lo, _, err := bound(v[1:])
		return func(t time.Time) bool { return t.Before(lo) }, err
	}
	lo, hi, err := bound(v)
	return in(lo, hi), err
}
