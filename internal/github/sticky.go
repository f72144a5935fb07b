package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// maxCommentPages bounds the search for an existing sticky comment: 100 comments a page, so a
// pull request with more than 5,000 comments gets a new comment rather than an endless scan.
const maxCommentPages = 50

// maxCommentBody is GitHub's limit on an issue comment body (65,536 characters); longer bodies
// are cut with a note rather than refused with a 422.
const maxCommentBody = 65536

// StickyComment is one comment a tool keeps up to date on an issue or pull request: Marker (an
// HTML comment such as "<!-- molecule-ci:coverage -->", invisible on the page) identifies it
// among the others, so every run edits the same comment instead of adding one.
type StickyComment struct {
	Owner, Repo string
	Number      int // the issue or pull request number
	Marker      string
	Body        string // markdown; Marker is prepended, and the client's identity line before it
}

// StickyResult says what UpsertStickyComment did.
type StickyResult struct {
	ID  int64
	URL string
	// Action is "created", "updated" or "unchanged" (the comment already had this body).
	Action string
}

// UpsertStickyComment creates the comment, or edits the one an earlier run created. Only
// comments by a bot (the identity of GITHUB_TOKEN or an App) whose body starts with the marker
// (on its first line, or its second after an identity line) are taken for earlier runs'
// comments: a pull request author who pastes the marker into a comment of their own cannot make
// the tool edit it (GitHub would refuse anyway) or hide a result.
func (c *Client) UpsertStickyComment(ctx context.Context, sc StickyComment) (StickyResult, error) {
	if sc.Owner == "" || sc.Repo == "" || sc.Number <= 0 {
		return StickyResult{}, fmt.Errorf("sticky comment: need owner, repo and a positive issue number (got %q/%q #%d)", sc.Owner, sc.Repo, sc.Number)
	}
	if !strings.HasPrefix(sc.Marker, "<!--") || !strings.HasSuffix(sc.Marker, "-->") {
		return StickyResult{}, fmt.Errorf("sticky comment: marker %q must be an HTML comment", sc.Marker)
	}
	body := c.sign(sc.Marker + "\n" + sc.Body)
	if len(body) > maxCommentBody {
		const note = "\n\n…(cut: the full report is in the job summary)"
		body = truncateBytes(body, maxCommentBody-len(note)) + note
	}

	existing, err := c.findSticky(ctx, sc)
	if err != nil {
		return StickyResult{}, err
	}
	if existing != nil {
		if existing.GetBody() == body {
			return StickyResult{ID: existing.GetID(), URL: existing.GetHTMLURL(), Action: "unchanged"}, nil
		}
		got, _, err := c.gh.Issues.EditComment(ctx, sc.Owner, sc.Repo, existing.GetID(), &gh.IssueComment{Body: &body})
		if err != nil {
			return StickyResult{}, fmt.Errorf("update comment %d on %s/%s#%d: %w", existing.GetID(), sc.Owner, sc.Repo, sc.Number, c.classify(err))
		}
		return StickyResult{ID: got.GetID(), URL: got.GetHTMLURL(), Action: "updated"}, nil
	}
	got, _, err := c.gh.Issues.CreateComment(ctx, sc.Owner, sc.Repo, sc.Number, &gh.IssueComment{Body: &body})
	if err != nil {
		return StickyResult{}, fmt.Errorf("comment on %s/%s#%d: %w", sc.Owner, sc.Repo, sc.Number, c.classify(err))
	}
	return StickyResult{ID: got.GetID(), URL: got.GetHTMLURL(), Action: "created"}, nil
}

func (c *Client) findSticky(ctx context.Context, sc StickyComment) (*gh.IssueComment, error) {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 1; page <= maxCommentPages; page++ {
		opts.Page = page
		cs, resp, err := c.gh.Issues.ListComments(ctx, sc.Owner, sc.Repo, sc.Number, opts)
		if err != nil {
			return nil, fmt.Errorf("list comments of %s/%s#%d: %w", sc.Owner, sc.Repo, sc.Number, c.classify(err))
		}
		for _, cm := range cs {
			if hasMarker(cm.GetBody(), sc.Marker) && cm.GetUser().GetType() == "Bot" {
				return cm, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return nil, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
