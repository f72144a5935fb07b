package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/git"
	gh "github.com/google/go-github/v62/github"
)

// The reads of repositories the fleet and the reusable-workflow resolver make: an organisation's
// repositories, a branch's head, a tarball, a commit's SHA, a file at a commit. Each is one
// request, conditional where GitHub answers with an ETag (WithCache), so that a run over an
// unchanged organisation costs no rate limit.

var (
	// ErrNotFound matches (errors.Is) a 404: no such repository, branch or file, or a private
	// one the token cannot see (GitHub does not tell them apart).
	ErrNotFound = errors.New("not found")
	// ErrNoCommit matches GitHub's answer that a ref names no commit of an existing repository.
	ErrNoCommit = errors.New("no commit of that name")
)

// maxListing bounds one page of a JSON listing; a page of 100 repositories is about 600 KB.
const maxListing = 16 << 20

// maxRepoPages bounds an organisation's listing: 1,000 pages of 100 repositories.
const maxRepoPages = 1000

// Repository is what the fleet needs to know of an organisation's repository.
type Repository struct {
	Owner         string    `json:"owner"`
	Name          string    `json:"name"`
	DefaultBranch string    `json:"default_branch"`
	Archived      bool      `json:"archived"`
	Fork          bool      `json:"fork"`
	SizeKB        int64     `json:"size"` // GitHub's estimate of the repository's size
	PushedAt      time.Time `json:"pushed_at"`
}

// OrgRepositories lists every repository of org, 100 a page, each page a conditional request.
func (c *Client) OrgRepositories(ctx context.Context, org string) ([]Repository, error) {
	if !validName(org) {
		return nil, fmt.Errorf("organisation %q: not a GitHub name", org)
	}
	next := fmt.Sprintf("orgs/%s/repos?type=all&sort=full_name&per_page=100", url.PathEscape(org))
	var out []Repository
	for page := 0; next != ""; page++ {
		if page == maxRepoPages {
			return nil, fmt.Errorf("organisation %s: more than %d pages of repositories", org, maxRepoPages)
		}
		body, link, err := c.getCached(ctx, next, "application/vnd.github+json", maxListing)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("organisation %s not found, or not visible to the token: %w", org, err)
			}
			return nil, fmt.Errorf("list the repositories of %s: %w", org, err)
		}
		var repos []struct {
			Name  string `json:"name"`
			Owner struct {
				Login string `json:"login"`
			} `json:"owner"`
			DefaultBranch string    `json:"default_branch"`
			Archived      bool      `json:"archived"`
			Fork          bool      `json:"fork"`
			Size          int64     `json:"size"`
			PushedAt      time.Time `json:"pushed_at"`
		}
		if err := json.Unmarshal(body, &repos); err != nil {
			return nil, fmt.Errorf("list the repositories of %s: unreadable answer: %w", org, err)
		}
		for _, r := range repos {
			out = append(out, Repository{Owner: r.Owner.Login, Name: r.Name, DefaultBranch: r.DefaultBranch,
				Archived: r.Archived, Fork: r.Fork, SizeKB: r.Size, PushedAt: r.PushedAt})
		}
		next = nextLink(link)
	}
	return out, nil
}

// Head is a branch's head commit and its tree.
type Head struct {
	Commit, Tree string
}

// BranchHead returns the head commit and tree of a branch, with a conditional request.
func (c *Client) BranchHead(ctx context.Context, owner, repo, branch string) (Head, error) {
	u := fmt.Sprintf("repos/%s/%s/branches/%s", url.PathEscape(owner), url.PathEscape(repo), escapeRef(branch))
	body, _, err := c.getCached(ctx, u, "application/vnd.github+json", maxListing)
	if err != nil {
		return Head{}, fmt.Errorf("branch %s of %s/%s: %w", branch, owner, repo, err)
	}
	var b struct {
		Commit struct {
			SHA    string `json:"sha"`
			Commit struct {
				Tree struct {
					SHA string `json:"sha"`
				} `json:"tree"`
			} `json:"commit"`
		} `json:"commit"`
	}
	if err := json.Unmarshal(body, &b); err != nil || !git.IsObjectID(b.Commit.SHA) || !git.IsObjectID(b.Commit.Commit.Tree.SHA) {
		return Head{}, fmt.Errorf("branch %s of %s/%s: unreadable answer (%v)", branch, owner, repo, err)
	}
	return Head{Commit: b.Commit.SHA, Tree: b.Commit.Commit.Tree.SHA}, nil
}

// CommitSHA resolves a branch, tag or commit SHA of owner/repo to a full commit SHA, with a
// conditional request. A ref that names nothing in an existing repository is ErrNoCommit; a
// repository that does not exist or cannot be seen is ErrNotFound.
func (c *Client) CommitSHA(ctx context.Context, owner, repo, ref string) (string, error) {
	u := fmt.Sprintf("repos/%s/%s/commits/%s", url.PathEscape(owner), url.PathEscape(repo), escapeRef(ref))
	body, _, err := c.getCached(ctx, u, "application/vnd.github.sha", 1024)
	var api *APIError
	switch {
	case errors.As(err, &api) && api.Status == http.StatusUnprocessableEntity && strings.HasPrefix(api.Message, "No commit found"):
		return "", fmt.Errorf("%s/%s@%s: %w: %w", owner, repo, ref, ErrNoCommit, err)
	case err != nil:
		return "", fmt.Errorf("%s/%s@%s: %w", owner, repo, ref, err)
	}
	sha := strings.TrimSpace(string(body))
	if !git.IsObjectID(sha) {
		return "", fmt.Errorf("%s/%s@%s: unreadable answer %q", owner, repo, ref, clipText(sha))
	}
	return sha, nil
}

// FileAt returns the file at path in commit (a full SHA) of owner/repo, at most limit bytes. A
// file read once is kept in the cache and never asked for again: a commit does not change.
func (c *Client) FileAt(ctx context.Context, owner, repo, commit, path string, limit int64) ([]byte, error) {
	if !git.IsObjectID(commit) {
		return nil, fmt.Errorf("%s/%s: %q is not a full commit SHA", owner, repo, clipText(commit))
	}
	key := cacheKey(c.gh.BaseURL.String(), strings.ToLower(owner+"/"+repo), commit, path)
	if b, ok := c.cache.immutable(key); ok && int64(len(b)) <= limit {
		return b, nil
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", url.PathEscape(owner), url.PathEscape(repo), escapePath(path), commit)
	resp, err := c.get(ctx, u, "application/vnd.github.raw", "")
	if err != nil {
		return nil, fmt.Errorf("%s at %s in %s/%s: %w", path, commit[:12], owner, repo, err)
	}
	defer resp.Body.Close()
	b, err := readBounded(resp.Body, limit)
	if err != nil {
		return nil, fmt.Errorf("%s at %s in %s/%s: %w", path, commit[:12], owner, repo, err)
	}
	c.cache.storeImmutable(key, b)
	return b, nil
}

// Tarball streams the gzipped tarball of owner/repo at ref (a commit SHA, for a stable answer)
// to read, at most limit bytes of it. The API answers with a redirect to the download; the
// token goes along only when the download is on the API's own host (codeload's URL carries its
// own short-lived token).
func (c *Client) Tarball(ctx context.Context, owner, repo, ref string, limit int64, read func(io.Reader) error) error {
	where := fmt.Sprintf("tarball of %s/%s at %s", owner, repo, ref)
	req, err := c.gh.NewRequest(http.MethodGet, fmt.Sprintf("repos/%s/%s/tarball/%s", url.PathEscape(owner), url.PathEscape(repo), escapeRef(ref)), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	hc := c.gh.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.send(ctx, hc, req)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	loc := resp.Header.Get("Location")
	switch resp.StatusCode {
	case http.StatusFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect:
		resp.Body.Close()
	default:
		err := gh.CheckResponse(resp)
		resp.Body.Close()
		if err == nil {
			return fmt.Errorf("%s: %d %s, want a redirect to the download", where, resp.StatusCode, http.StatusText(resp.StatusCode))
		}
		return fmt.Errorf("%s: %w", where, c.notFound(c.classify(err)))
	}
	target, err := c.gh.BaseURL.Parse(loc)
	if err != nil || (target.Scheme != "https" && target.Scheme != "http") {
		return fmt.Errorf("%s: the redirect %q is not an http(s) URL", where, clipText(loc))
	}
	dl := c.plain
	if target.Host == c.gh.BaseURL.Host {
		dl = c.gh.Client()
	}
	dreq, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	dresp, err := dl.Do(dreq)
	if err != nil {
		return fmt.Errorf("%s: download %s: %w", where, redactURL(target), redact(err, c.token))
	}
	defer dresp.Body.Close()
	if dresp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(dresp.Body, 512))
		return fmt.Errorf("%s: download %s: %d %s: %s", where, redactURL(target), dresp.StatusCode, http.StatusText(dresp.StatusCode), clipText(strings.ReplaceAll(string(msg), c.token, "***")))
	}
	lr := &limitedReader{r: dresp.Body, n: limit}
	if err := read(lr); err != nil {
		if lr.over {
			return fmt.Errorf("%s: larger than %d bytes", where, limit)
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// limitedReader fails a read past n bytes instead of ending quietly, so a truncated tarball is
// never taken for a whole one.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if k, _ := l.r.Read(one[:]); k > 0 {
			l.over = true
			return 0, errors.New("over the size limit")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// getCached GETs u (relative to the API root), conditionally when the cache holds an earlier
// answer: a 304 returns the stored body and costs no rate limit. It returns the body and the
// Link header.
func (c *Client) getCached(ctx context.Context, u, accept string, limit int64) ([]byte, string, error) {
	key := cacheKey(c.gh.BaseURL.String(), u, accept)
	etag, cached, hit := c.cache.conditional(key)
	if !hit {
		etag = ""
	}
	resp, err := c.get(ctx, u, accept, etag)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		// The stored answer's Link header is kept with it: pagination does not depend on a 304
		// repeating it.
		link, body, _ := strings.Cut(string(cached), "\n")
		return []byte(body), link, nil
	}
	link := resp.Header.Get("Link")
	body, err := readBounded(resp.Body, limit)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", u, err)
	}
	if !strings.ContainsAny(link, "\r\n") {
		c.cache.storeConditional(key, resp.Header.Get("ETag"), append([]byte(link+"\n"), body...))
	}
	return body, link, nil
}

// get sends one GET to the API: through the token's client and the retry transport (which waits
// out rate limits, boundedly), but not through go-github's Do, which remembers a spent budget by
// the wall clock and then refuses requests without asking. It records the rate-limit headers and
// returns a 2xx or 304 answer with its body unread, or the classified error.
func (c *Client) get(ctx context.Context, u, accept, etag string) (*http.Response, error) {
	req, err := c.gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.send(ctx, c.gh.Client(), req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotModified && etag != "" {
		return resp, nil
	}
	if err := gh.CheckResponse(resp); err != nil {
		resp.Body.Close()
		return nil, c.notFound(c.classify(err))
	}
	return resp, nil
}

// notFound makes a 404 match ErrNotFound.
func (c *Client) notFound(err error) error {
	var api *APIError
	if errors.As(err, &api) && api.Status == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// send performs req with hc and records the rate-limit headers of the answer.
func (c *Client) send(ctx context.Context, hc *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, redact(err, c.token)
	}
	if limit, err := strconv.Atoi(resp.Header.Get("X-RateLimit-Limit")); err == nil {
		remaining, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining"))
		reset, _ := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		c.budget.record(limit, remaining, time.Unix(reset, 0))
	}
	return resp, nil
}

func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return b, nil
}

// nextLink is the rel="next" URL of a Link header, or "".
func nextLink(link string) string {
	for _, part := range strings.Split(link, ",") {
		u, params, ok := strings.Cut(part, ";")
		if !ok || !strings.Contains(params, `rel="next"`) {
			continue
		}
		u = strings.TrimSpace(u)
		if strings.HasPrefix(u, "<") && strings.HasSuffix(u, ">") {
			return u[1 : len(u)-1]
		}
	}
	return ""
}

// escapeRef escapes each /-separated part of a ref for a URL path.
func escapeRef(ref string) string { return escapePath(ref) }

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func validName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func clipText(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
