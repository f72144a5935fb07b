package github

import (
	"context"
	"fmt"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// TrackingIssue is one issue a tool keeps up to date in a repository (the triage queue): found
// by Label and by Marker (an HTML comment at the start of its body, invisible on the page), edited
// in place on every run, never filed twice.
type TrackingIssue struct {
	Owner, Repo string
	Label       string
	Marker      string
	Title, Body string // Body is markdown; Marker is prepended, and the client's identity before it
}

// TrackingResult says what UpsertTrackingIssue did.
type TrackingResult struct {
	Number int
	URL    string
	// Action is "created", "updated", "reopened" or "unchanged".
	Action string
	// Duplicates are other open tracking issues (two runs that raced) closed as duplicates.
	Duplicates []int
}

// UpsertTrackingIssue files the tracking issue, or edits the one an earlier run filed. Earlier
// issues are those carrying Label whose body starts with Marker (after an identity line, if
// any): labels can only be set by people with triage access to the repository, so an issue
// someone else opens with the marker pasted in is not taken for it. The oldest open one is kept
// and any other open one closed as its duplicate; when all are closed the latest is reopened, so
// closing the issue does not make the next run file a second one.
func (c *Client) UpsertTrackingIssue(ctx context.Context, ti TrackingIssue) (TrackingResult, error) {
	if ti.Owner == "" || ti.Repo == "" || ti.Label == "" || ti.Title == "" {
		return TrackingResult{}, fmt.Errorf("tracking issue: need owner, repo, label and title (got %q/%q, %q, %q)", ti.Owner, ti.Repo, ti.Label, ti.Title)
	}
	if !strings.HasPrefix(ti.Marker, "<!--") || !strings.HasSuffix(ti.Marker, "-->") {
		return TrackingResult{}, fmt.Errorf("tracking issue: marker %q must be an HTML comment", ti.Marker)
	}
	body := c.sign(ti.Marker + "\n" + ti.Body)
	if len(body) > maxCommentBody {
		const note = "\n\n…(cut at GitHub's limit)"
		body = truncateBytes(body, maxCommentBody-len(note)) + note
	}
	found, err := c.findTracking(ctx, ti)
	if err != nil {
		return TrackingResult{}, err
	}
	var open, closed []*gh.Issue
	for _, is := range found {
		if is.GetState() == "open" {
			open = append(open, is)
		} else {
			closed = append(closed, is)
		}
	}
	var res TrackingResult
	var keep *gh.Issue
	switch {
	case len(open) > 0:
		keep = open[0]
		for _, dup := range open[1:] {
			if err := c.closeDuplicate(ctx, ti, dup.GetNumber(), keep.GetNumber()); err != nil {
				return res, err
			}
			res.Duplicates = append(res.Duplicates, dup.GetNumber())
		}
	case len(closed) > 0:
		keep = closed[len(closed)-1]
	default:
		is, _, err := c.gh.Issues.Create(ctx, ti.Owner, ti.Repo, &gh.IssueRequest{Title: &ti.Title, Body: &body, Labels: &[]string{ti.Label}})
		if err != nil {
			return res, fmt.Errorf("create the tracking issue in %s/%s: %w", ti.Owner, ti.Repo, c.classify(err))
		}
		res.Number, res.URL, res.Action = is.GetNumber(), is.GetHTMLURL(), "created"
		if !slices.ContainsFunc(is.Labels, func(l *gh.Label) bool { return strings.EqualFold(l.GetName(), ti.Label) }) {
			return res, fmt.Errorf("the tracking issue %s was filed without its label %q (GitHub drops labels the token may not set): the next run could not find it; give the token issues: write on %s/%s", res.URL, ti.Label, ti.Owner, ti.Repo)
		}
		return res, nil
	}
	res.Number, res.URL = keep.GetNumber(), keep.GetHTMLURL()
	if keep.GetState() == "open" && keep.GetBody() == body && keep.GetTitle() == ti.Title {
		res.Action = "unchanged"
		return res, nil
	}
	req := &gh.IssueRequest{Title: &ti.Title, Body: &body}
	res.Action = "updated"
	if keep.GetState() != "open" {
		req.State = gh.String("open")
		res.Action = "reopened"
	}
	if _, _, err := c.gh.Issues.Edit(ctx, ti.Owner, ti.Repo, keep.GetNumber(), req); err != nil {
		return res, fmt.Errorf("update the tracking issue %s/%s#%d: %w", ti.Owner, ti.Repo, keep.GetNumber(), c.classify(err))
	}
	return res, nil
}

// findTracking lists the issues carrying the label and the marker, open and closed, oldest first.
func (c *Client) findTracking(ctx context.Context, ti TrackingIssue) ([]*gh.Issue, error) {
	opts := &gh.IssueListByRepoOptions{State: "all", Labels: []string{ti.Label}, Sort: "created", Direction: "asc",
		ListOptions: gh.ListOptions{PerPage: 100}}
	var out []*gh.Issue
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.gh.Issues.ListByRepo(ctx, ti.Owner, ti.Repo, opts)
		if err != nil {
			return nil, fmt.Errorf("find the tracking issue in %s/%s (label %s): %w", ti.Owner, ti.Repo, ti.Label, c.classify(err))
		}
		for _, is := range list {
			if !is.IsPullRequest() && hasMarker(is.GetBody(), ti.Marker) {
				out = append(out, is)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.SortFunc(out, func(a, b *gh.Issue) int { return a.GetNumber() - b.GetNumber() })
	return out, nil
}

func (c *Client) closeDuplicate(ctx context.Context, ti TrackingIssue, dup, keep int) error {
	if err := c.CommentIssue(ctx, ti.Owner, ti.Repo, dup, fmt.Sprintf("Duplicate of #%d (two runs filed the tracking issue at once); #%d is kept up to date.", keep, keep)); err != nil {
		return err
	}
	return c.CloseIssue(ctx, ti.Owner, ti.Repo, dup, "not_planned")
}
