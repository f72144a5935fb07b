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

// maxPages bounds every paginated listing (100 items a page).
const maxPages = 20

// Issue is an issue as molecule-ci needs it.
type Issue struct {
	Number int
	URL    string // html_url
	Title  string
}

// FindOpenIssues lists the open issues of owner/repo carrying every one of labels (GitHub's
// `labels` filter is an AND), oldest first, pull requests left out.
func (c *Client) FindOpenIssues(ctx context.Context, owner, repo string, labels []string) ([]Issue, error) {
	opts := &gh.IssueListByRepoOptions{State: "open", Labels: labels, Sort: "created", Direction: "asc",
		ListOptions: gh.ListOptions{PerPage: 100}}
	var out []Issue
	for page := 0; page < maxPages; page++ {
		issues, resp, err := c.gh.Issues.ListByRepo(ctx, owner, repo, opts)
		if err != nil {
			return nil, fmt.Errorf("list issues labelled %s: %w", strings.Join(labels, ","), c.classify(err))
		}
		for _, is := range issues {
			if is.IsPullRequest() {
				continue
			}
			out = append(out, Issue{Number: is.GetNumber(), URL: is.GetHTMLURL(), Title: is.GetTitle()})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// CreateIssue files an issue with labels (the client's identity line first in its body) (GitHub creates labels that do not exist yet).
func (c *Client) CreateIssue(ctx context.Context, owner, repo, title, body string, labels []string) (Issue, error) {
	body = c.sign(body)
	is, _, err := c.gh.Issues.Create(ctx, owner, repo, &gh.IssueRequest{Title: &title, Body: &body, Labels: &labels})
	if err != nil {
		return Issue{}, fmt.Errorf("create issue %q: %w", title, c.classify(err))
	}
	return Issue{Number: is.GetNumber(), URL: is.GetHTMLURL(), Title: is.GetTitle()}, nil
}

// CommentIssue adds a comment to issue number (the client's identity line first).
func (c *Client) CommentIssue(ctx context.Context, owner, repo string, number int, body string) error {
	body = c.sign(body)
	if _, _, err := c.gh.Issues.CreateComment(ctx, owner, repo, number, &gh.IssueComment{Body: &body}); err != nil {
		return fmt.Errorf("comment on issue #%d: %w", number, c.classify(err))
	}
	return nil
}

// CloseIssue closes issue number with a state_reason: completed or not_planned.
func (c *Client) CloseIssue(ctx context.Context, owner, repo string, number int, reason string) error {
	state := "closed"
	if _, _, err := c.gh.Issues.Edit(ctx, owner, repo, number, &gh.IssueRequest{State: &state, StateReason: &reason}); err != nil {
		return fmt.Errorf("close issue #%d: %w", number, c.classify(err))
	}
	return nil
}

// ListContainerPackages names the organisation's container packages (what ghcr.io/<org>/*
// serves). The token needs read:packages.
func (c *Client) ListContainerPackages(ctx context.Context, org string) ([]string, error) {
	kind := "container"
	opts := &gh.PackageListOptions{PackageType: &kind, ListOptions: gh.ListOptions{PerPage: 100}}
	var out []string
	for page := 0; page < maxPages; page++ {
		pkgs, resp, err := c.gh.Organizations.ListPackages(ctx, org, opts)
		if err != nil {
			return nil, fmt.Errorf("list container packages of %s: %w", org, c.classify(err))
		}
		for _, p := range pkgs {
			out = append(out, p.GetName())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// ErrRefMoved matches (errors.Is) a data branch update that lost the race: the branch moved
// since it was read.
var ErrRefMoved = errors.New("the branch moved since it was read")

// DataBranch keeps a few files on a branch of a repository through the Git data API, so a
// scheduled workflow can remember state with nothing but the repository and its token. Every
// save is one commit whose parent is the commit that was read, and the branch is moved with a
// non-forced ref update: if another run committed in between, GitHub refuses it as not a fast
// forward, and Save returns ErrRefMoved, which makes it a compare-and-swap.
type DataBranch struct {
	Client      *Client
	Owner, Repo string
	Branch      string
	// MaxFile bounds each file read (default 64 MiB).
	MaxFile int64
}

// Load returns the files on the branch that want selects (all when want is nil), the paths of
// every file on it, and the commit they are at; an absent branch is no files and version "".
func (d *DataBranch) Load(ctx context.Context, want func(path string) bool) (map[string][]byte, []string, string, error) {
	files := map[string][]byte{}
	ref, _, err := d.Client.gh.Git.GetRef(ctx, d.Owner, d.Repo, "heads/"+d.Branch)
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			return files, nil, "", nil
		}
		return nil, nil, "", fmt.Errorf("read branch %s: %w", d.Branch, d.Client.classify(err))
	}
	sha := ref.GetObject().GetSHA()
	commit, _, err := d.Client.gh.Git.GetCommit(ctx, d.Owner, d.Repo, sha)
	if err != nil {
		return nil, nil, "", fmt.Errorf("read commit %s: %w", sha, d.Client.classify(err))
	}
	tree, _, err := d.Client.gh.Git.GetTree(ctx, d.Owner, d.Repo, commit.GetTree().GetSHA(), true)
	if err != nil {
		return nil, nil, "", fmt.Errorf("read tree of %s: %w", sha, d.Client.classify(err))
	}
	if tree.GetTruncated() {
		return nil, nil, "", fmt.Errorf("the tree of branch %s is too large for one listing", d.Branch)
	}
	limit := d.MaxFile
	if limit <= 0 {
		limit = 64 << 20
	}
	var paths []string
	for _, e := range tree.Entries {
		if e.GetType() != "blob" {
			continue
		}
		paths = append(paths, e.GetPath())
		if want != nil && !want(e.GetPath()) {
			continue
		}
		if int64(e.GetSize()) > limit {
			return nil, nil, "", fmt.Errorf("%s on branch %s is %d bytes, more than %d", e.GetPath(), d.Branch, e.GetSize(), limit)
		}
		b, _, err := d.Client.gh.Git.GetBlobRaw(ctx, d.Owner, d.Repo, e.GetSHA())
		if err != nil {
			return nil, nil, "", fmt.Errorf("read %s: %w", e.GetPath(), d.Client.classify(err))
		}
		files[e.GetPath()] = b
	}
	return files, paths, sha, nil
}

// Save commits files (path -> content, nil to delete; other files on the branch are kept) on top
// of base, the version Load returned, and moves the branch to it only if it is still at base.
// base "" creates the branch.
func (d *DataBranch) Save(ctx context.Context, base string, files map[string][]byte, message string) (string, error) {
	var entries []*gh.TreeEntry
	for _, p := range slices.Sorted(maps.Keys(files)) {
		e := &gh.TreeEntry{Path: gh.String(p), Mode: gh.String("100644"), Type: gh.String("blob")}
		if files[p] != nil { // nil: no content and no sha, which deletes the path
			content := string(files[p])
			e.Content = &content
		}
		entries = append(entries, e)
	}
	baseTree := ""
	var parents []*gh.Commit
	if base != "" {
		c, _, err := d.Client.gh.Git.GetCommit(ctx, d.Owner, d.Repo, base)
		if err != nil {
			return "", fmt.Errorf("read commit %s: %w", base, d.Client.classify(err))
		}
		baseTree = c.GetTree().GetSHA()
		parents = []*gh.Commit{{SHA: gh.String(base)}}
	}
	tree, _, err := d.Client.gh.Git.CreateTree(ctx, d.Owner, d.Repo, baseTree, entries)
	if err != nil {
		return "", fmt.Errorf("write tree: %w", d.Client.classify(err))
	}
	commit, _, err := d.Client.gh.Git.CreateCommit(ctx, d.Owner, d.Repo, &gh.Commit{Message: &message, Tree: tree, Parents: parents}, nil)
	if err != nil {
		return "", fmt.Errorf("write commit: %w", d.Client.classify(err))
	}
	ref := &gh.Reference{Ref: gh.String("refs/heads/" + d.Branch), Object: &gh.GitObject{SHA: commit.SHA}}
	if base == "" {
		_, _, err = d.Client.gh.Git.CreateRef(ctx, d.Owner, d.Repo, ref)
	} else {
		_, _, err = d.Client.gh.Git.UpdateRef(ctx, d.Owner, d.Repo, ref, false)
	}
	if err != nil {
		cerr := d.Client.classify(err)
		var ve *ValidationError
		// "Update is not a fast forward" (moved) or "Reference already exists" (created meanwhile).
		if errors.As(cerr, &ve) {
			return "", fmt.Errorf("move branch %s: %w: %v", d.Branch, ErrRefMoved, cerr)
		}
		return "", fmt.Errorf("move branch %s: %w", d.Branch, cerr)
	}
	return commit.GetSHA(), nil
}
