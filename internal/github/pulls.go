package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// BranchPR is a pull request a tool keeps for a change it computes (fleet migrate): one branch
// of the repository, rebuilt on every run as one commit on top of the commit the change was
// computed from, and one pull request from it, found by its head branch and edited in place.
type BranchPR struct {
	Owner, Repo string
	// Base is the branch the pull request targets; BaseCommit the commit of it the files were
	// computed from, the new commit's parent.
	Base, BaseCommit string
	// Branch is the pull request's head branch, the tool's own (force-moved on every run).
	Branch string
	// Files are the files the commit changes (path → content); the rest is BaseCommit's.
	Files       map[string][]byte
	Message     string
	Title, Body string
}

// BranchPRResult says what UpsertBranchPR did.
type BranchPRResult struct {
	Number int
	URL    string
	Head   string // the branch's commit
	// Action is created, updated (the branch or the pull request changed) or unchanged.
	Action string
}

// maxPRPages bounds the search for an existing pull request of a branch.
const maxPRPages = 10

// UpsertBranchPR writes the change as one commit on Branch and opens the pull request, or updates
// the branch and the pull request an earlier run opened. A branch whose commit already has the
// same tree on the same parent is not rewritten. A pull request of the branch that a maintainer
// closed is not reopened, nor a second one opened: that is an error naming it.
func (c *Client) UpsertBranchPR(ctx context.Context, p BranchPR) (BranchPRResult, error) {
	where := fmt.Sprintf("%s/%s", p.Owner, p.Repo)
	if !validName(p.Owner) || !validName(p.Repo) || p.Branch == "" || p.Base == "" {
		return BranchPRResult{}, fmt.Errorf("pull request of %q: need owner, repository, base and branch", where)
	}
	prs, err := c.branchPRs(ctx, p.Owner, p.Repo, p.Branch)
	if err != nil {
		return BranchPRResult{}, err
	}
	var open *gh.PullRequest
	for _, pr := range prs {
		if pr.GetState() == "open" {
			open = pr
		}
	}
	if open == nil {
		for _, pr := range prs {
			if pr.GetState() == "closed" && pr.GetMergedAt().IsZero() {
				return BranchPRResult{Number: pr.GetNumber(), URL: pr.GetHTMLURL()}, fmt.Errorf("%s: pull request #%d of branch %s was closed without merging; not reopened (delete the branch to start again)", where, pr.GetNumber(), p.Branch)
			}
		}
	}
	base, _, err := c.gh.Git.GetCommit(ctx, p.Owner, p.Repo, p.BaseCommit)
	if err != nil {
		return BranchPRResult{}, fmt.Errorf("%s: read commit %s: %w", where, p.BaseCommit, c.classify(err))
	}
	var entries []*gh.TreeEntry
	for _, path := range slices.Sorted(maps.Keys(p.Files)) {
		content := string(p.Files[path])
		entries = append(entries, &gh.TreeEntry{Path: gh.String(path), Mode: gh.String("100644"), Type: gh.String("blob"), Content: &content})
	}
	tree, _, err := c.gh.Git.CreateTree(ctx, p.Owner, p.Repo, base.GetTree().GetSHA(), entries)
	if err != nil {
		return BranchPRResult{}, fmt.Errorf("%s: write tree: %w", where, c.classify(err))
	}
	res := BranchPRResult{Action: "unchanged"}
	ref, _, err := c.gh.Git.GetRef(ctx, p.Owner, p.Repo, "heads/"+p.Branch)
	var er *gh.ErrorResponse
	exists := err == nil
	if err != nil && !(errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound) {
		return BranchPRResult{}, fmt.Errorf("%s: read branch %s: %w", where, p.Branch, c.classify(err))
	}
	same := false
	if exists {
		head, _, err := c.gh.Git.GetCommit(ctx, p.Owner, p.Repo, ref.GetObject().GetSHA())
		if err != nil {
			return BranchPRResult{}, fmt.Errorf("%s: read commit %s: %w", where, ref.GetObject().GetSHA(), c.classify(err))
		}
		same = head.GetTree().GetSHA() == tree.GetSHA() && len(head.Parents) == 1 && head.Parents[0].GetSHA() == p.BaseCommit
		res.Head = head.GetSHA()
	}
	if !same {
		commit, _, err := c.gh.Git.CreateCommit(ctx, p.Owner, p.Repo, &gh.Commit{Message: &p.Message, Tree: tree, Parents: []*gh.Commit{{SHA: gh.String(p.BaseCommit)}}}, nil)
		if err != nil {
			return BranchPRResult{}, fmt.Errorf("%s: write commit: %w", where, c.classify(err))
		}
		nref := &gh.Reference{Ref: gh.String("refs/heads/" + p.Branch), Object: &gh.GitObject{SHA: commit.SHA}}
		if exists {
			// The branch is the tool's: rebuilt on the current base every run.
			_, _, err = c.gh.Git.UpdateRef(ctx, p.Owner, p.Repo, nref, true)
		} else {
			_, _, err = c.gh.Git.CreateRef(ctx, p.Owner, p.Repo, nref)
		}
		if err != nil {
			return BranchPRResult{}, fmt.Errorf("%s: move branch %s: %w", where, p.Branch, c.classify(err))
		}
		res.Head, res.Action = commit.GetSHA(), "updated"
	}
	body := c.sign(p.Body)
	if open == nil {
		pr, _, err := c.gh.PullRequests.Create(ctx, p.Owner, p.Repo, &gh.NewPullRequest{Title: &p.Title, Head: &p.Branch, Base: &p.Base, Body: &body})
		if err != nil {
			return BranchPRResult{}, fmt.Errorf("%s: open the pull request: %w", where, c.classify(err))
		}
		res.Number, res.URL, res.Action = pr.GetNumber(), pr.GetHTMLURL(), "created"
		return res, nil
	}
	res.Number, res.URL = open.GetNumber(), open.GetHTMLURL()
	if open.GetTitle() != p.Title || open.GetBody() != body {
		if _, _, err := c.gh.PullRequests.Edit(ctx, p.Owner, p.Repo, open.GetNumber(), &gh.PullRequest{Title: &p.Title, Body: &body}); err != nil {
			return BranchPRResult{}, fmt.Errorf("%s: update pull request #%d: %w", where, open.GetNumber(), c.classify(err))
		}
		res.Action = "updated"
	}
	return res, nil
}

// branchPRs lists the pull requests whose head is owner:branch, open and closed.
func (c *Client) branchPRs(ctx context.Context, owner, repo, branch string) ([]*gh.PullRequest, error) {
	opts := &gh.PullRequestListOptions{Head: owner + ":" + branch, State: "all", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []*gh.PullRequest
	for page := 1; page <= maxPRPages; page++ {
		opts.Page = page
		prs, resp, err := c.gh.PullRequests.List(ctx, owner, repo, opts)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: list the pull requests of %s: %w", owner, repo, branch, c.classify(err))
		}
		for _, pr := range prs {
			// GitHub filters by head already; a pull request of another head is not ours.
			if pr.GetHead().GetRef() == branch {
				out = append(out, pr)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
	}
	return out, nil
}

// Check is one check run of a commit.
type Check struct {
	Name       string
	Status     string // queued, in_progress, completed
	Conclusion string // success, failure, neutral, cancelled, skipped, timed_out, action_required, or "" while running
	URL        string
}

// BranchChecks is a branch's open pull request and the check runs of its head.
type BranchChecks struct {
	Number int
	URL    string
	Head   string
	Checks []Check
}

// maxCheckPages bounds the check runs listed for one commit.
const maxCheckPages = 10

// PRChecks finds the open pull request of branch and lists the check runs of its head commit;
// ok is false when the branch has no open pull request.
func (c *Client) PRChecks(ctx context.Context, owner, repo, branch string) (BranchChecks, bool, error) {
	prs, err := c.branchPRs(ctx, owner, repo, branch)
	if err != nil {
		return BranchChecks{}, false, err
	}
	i := slices.IndexFunc(prs, func(pr *gh.PullRequest) bool { return pr.GetState() == "open" })
	if i < 0 {
		return BranchChecks{}, false, nil
	}
	pr := prs[i]
	out := BranchChecks{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Head: pr.GetHead().GetSHA()}
	opts := &gh.ListCheckRunsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 1; page <= maxCheckPages; page++ {
		opts.Page = page
		runs, resp, err := c.gh.Checks.ListCheckRunsForRef(ctx, owner, repo, out.Head, opts)
		if err != nil {
			return out, true, fmt.Errorf("%s/%s: check runs of %s: %w", owner, repo, out.Head, c.classify(err))
		}
		for _, r := range runs.CheckRuns {
			out.Checks = append(out.Checks, Check{Name: r.GetName(), Status: r.GetStatus(), Conclusion: r.GetConclusion(), URL: r.GetHTMLURL()})
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
	}
	slices.SortStableFunc(out.Checks, func(a, b Check) int { return strings.Compare(a.Name, b.Name) })
	return out, true, nil
}

// PullInfo is what a pull request says of itself: its description and label names.
type PullInfo struct {
	Body   string
	Labels []string
}

// PullRequest reads a pull request's description and labels (a merge queue's event does not
// carry them).
func (c *Client) PullRequest(ctx context.Context, owner, repo string, number int) (PullInfo, error) {
	pr, _, err := c.gh.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return PullInfo{}, fmt.Errorf("%s/%s#%d: %w", owner, repo, number, c.classify(err))
	}
	info := PullInfo{Body: pr.GetBody()}
	for _, l := range pr.Labels {
		info.Labels = append(info.Labels, l.GetName())
	}
	return info, nil
}
