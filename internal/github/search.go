package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// SearchCap is how many results GitHub's search API returns for one query at most, whatever
// total_count says.
const SearchCap = 1000

// searchPerPage is the largest page search serves.
const searchPerPage = 100

// maxSearchBody bounds the body kept of each found item: an issue body may be 65,536
// characters, and a run lists thousands.
const maxSearchBody = 16 << 10

// maxTimelinePages bounds the timeline read for the pull requests linked to one issue.
const maxTimelinePages = 3

// Errors a search query can meet that its caller may act on (errors.Is on the error
// SearchIssues returns).
var (
	// ErrSearchTooComplex: GitHub refused the query as longer than 256 characters or with more
	// than five AND, OR or NOT operators; a narrower query may pass.
	ErrSearchTooComplex = errors.New("the search query is too long or has too many operators")
	// ErrSearchNotVisible: the query names an organisation, user or repository that does not
	// exist or that the token may not see.
	ErrSearchNotVisible = errors.New("the search names an organisation, user or repository that does not exist or that the token cannot see")
)

// SearchQueryError is a 422 on a search query, with Reason one of the ErrSearch* errors.
type SearchQueryError struct {
	ValidationError
	Reason error
}

func (e *SearchQueryError) Is(target error) bool { return target == e.Reason }
func (e *SearchQueryError) Unwrap() error        { return &e.ValidationError }

// SearchItem is an issue or pull request a search found.
type SearchItem struct {
	Repo        string // owner/name
	Number      int
	Title       string
	URL         string // html_url
	PullRequest bool
	State       string
	Labels      []string
	Assignees   []string
	Author      string
	Body        string // at most maxSearchBody bytes
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SearchOptions shape one search.
type SearchOptions struct {
	// Sort and Order: "created" (default), "updated" or "comments"; "asc" (default) or "desc".
	Sort, Order string
	// SplitAbove, when more than 0, stops after the first page when total_count is above it
	// (SearchResult.Capped), for a caller that will narrow the query rather than read a list
	// GitHub would cut at SearchCap anyway.
	SplitAbove int
}

// SearchResult is what one query found.
type SearchResult struct {
	// Total is GitHub's total_count: every match, also those past SearchCap.
	Total int
	// Incomplete is GitHub's incomplete_results: the search timed out and may have missed items.
	Incomplete bool
	// Capped: Total was above SearchOptions.SplitAbove, and only the first page was read.
	Capped bool
	Items  []SearchItem
	// Requests is how many requests the search took.
	Requests int
}

// SearchIssues runs one issue and pull request search (GET /search/issues) and reads its pages,
// 100 a page, up to GitHub's cap of SearchCap results. A query GitHub refuses is a
// *SearchQueryError (errors.Is ErrSearchTooComplex or ErrSearchNotVisible) or another
// *ValidationError; rate limits are waited for as for every request (see the package doc).
func (c *Client) SearchIssues(ctx context.Context, query string, o SearchOptions) (SearchResult, error) {
	opts := &gh.SearchOptions{Sort: o.Sort, Order: o.Order, ListOptions: gh.ListOptions{PerPage: searchPerPage, Page: 1}}
	if opts.Sort == "" {
		opts.Sort = "created"
	}
	if opts.Order == "" {
		opts.Order = "asc"
	}
	var res SearchResult
	for page := 1; page <= SearchCap/searchPerPage; page++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		opts.Page = page
		r, resp, err := c.gh.Search.Issues(ctx, query, opts)
		res.Requests++
		if err != nil {
			return res, fmt.Errorf("search %q: %w", query, c.classifySearch(err))
		}
		res.Incomplete = res.Incomplete || r.GetIncompleteResults()
		for _, is := range r.Issues {
			res.Items = append(res.Items, searchItem(is))
		}
		if page == 1 {
			res.Total = r.GetTotal()
			if o.SplitAbove > 0 && res.Total > o.SplitAbove {
				res.Capped = true
				return res, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
	}
	return res, nil
}

// classifySearch makes the 422 answers a caller can act on a *SearchQueryError.
func (c *Client) classifySearch(err error) error {
	err = c.classify(err)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var reasons []struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(ve.Errors, &reasons)
	for _, r := range reasons {
		m := strings.ToLower(r.Message)
		switch {
		case strings.Contains(m, "longer than") || strings.Contains(m, "operators"):
			return &SearchQueryError{ValidationError: *ve, Reason: ErrSearchTooComplex}
		case strings.Contains(m, "cannot be searched"):
			return &SearchQueryError{ValidationError: *ve, Reason: ErrSearchNotVisible}
		}
	}
	return err
}

func searchItem(is *gh.Issue) SearchItem {
	it := SearchItem{
		Repo: repoFromURL(is.GetRepositoryURL()), Number: is.GetNumber(), Title: is.GetTitle(), URL: is.GetHTMLURL(),
		PullRequest: is.IsPullRequest(), State: is.GetState(), Author: is.GetUser().GetLogin(),
		Body: truncateBytes(is.GetBody(), maxSearchBody), CreatedAt: is.GetCreatedAt().Time, UpdatedAt: is.GetUpdatedAt().Time,
	}
	for _, l := range is.Labels {
		it.Labels = append(it.Labels, l.GetName())
	}
	for _, a := range is.Assignees {
		it.Assignees = append(it.Assignees, a.GetLogin())
	}
	if len(it.Assignees) == 0 && is.Assignee != nil {
		it.Assignees = []string{is.Assignee.GetLogin()}
	}
	return it
}

// repoFromURL is "owner/name" of a repository_url (".../repos/owner/name").
func repoFromURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	_, rest, ok := strings.Cut(u.Path, "/repos/")
	if !ok {
		return ""
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) != 2 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

// LinkedPR is a pull request that references an issue.
type LinkedPR struct {
	Repo   string // owner/name
	Number int
	State  string // open or closed
	URL    string
}

// LinkedPullRequests lists the pull requests that reference issue number of owner/repo, from its
// timeline's cross-referenced events (the REST API's view of "linked" pull requests), in the
// order they appear, each once.
func (c *Client) LinkedPullRequests(ctx context.Context, owner, repo string, number int) ([]LinkedPR, error) {
	opts := &gh.ListOptions{PerPage: 100}
	var out []LinkedPR
	seen := map[string]bool{}
	for page := 1; page <= maxTimelinePages; page++ {
		opts.Page = page
		events, resp, err := c.gh.Issues.ListIssueTimeline(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, fmt.Errorf("timeline of %s/%s#%d: %w", owner, repo, number, c.classify(err))
		}
		for _, ev := range events {
			src := ev.GetSource().GetIssue()
			if ev.GetEvent() != "cross-referenced" || src == nil || !src.IsPullRequest() {
				continue
			}
			pr := LinkedPR{Repo: src.GetRepository().GetFullName(), Number: src.GetNumber(), State: src.GetState(), URL: src.GetHTMLURL()}
			if pr.Repo == "" {
				pr.Repo = repoFromHTML(pr.URL)
			}
			key := fmt.Sprintf("%s#%d", pr.Repo, pr.Number)
			if !seen[key] {
				seen[key] = true
				out = append(out, pr)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
	}
	return out, nil
}

// repoFromHTML is "owner/name" of a github.com page URL (https://host/owner/name/pull/1).
func repoFromHTML(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}
