// Package githubtest is a fake GitHub REST API for tests: issues (list by label with Link
// pagination, create, comment, close), the Git data API (refs, commits, trees, blobs, with
// GitHub's fast-forward rule on ref updates), an organisation's packages, issue search with the
// issue timeline (search.go), and organisations' repositories with branches, commits, contents,
// tarballs, ETags and a rate limit (repos.go). It answers with
// GitHub's status codes, headers and JSON shapes, including its errors, and replies queued with
// Enqueue answer the next requests first (rate limits, permission errors). Only tests import it.
package githubtest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Reply is a queued answer; Path, when set, limits it to requests whose path contains it.
type Reply struct {
	Path   string
	Status int
	Header map[string]string
	Body   string
}

// Issue is an issue as the fake stores it.
type Issue struct {
	Number      int
	Title, Body string
	Labels      []string
	State       string // open or closed
	StateReason string
	Comments    []string
}

type commit struct {
	tree, message string
	parents       []string
}

type treeEntry struct {
	Path string
	SHA  string
	Size int
}

// Fake is the server. Its fields are guarded by its mutex; use the accessor methods.
type Fake struct {
	URL string // the API root, ending in /api/v3 (as GITHUB_API_URL on a GHES)

	srv      *httptest.Server
	mu       sync.Mutex
	issues   []*Issue
	blobs    map[string][]byte
	trees    map[string][]treeEntry
	commits  map[string]commit
	refs     map[string]string
	packages map[string][]string
	queue    []Reply
	requests []string
	search   searchState
	orgs     *orgState  // repos.go
	pulls    *pullState // pulls.go
	// PageSize is how many issues a page lists at most (default 100, GitHub's per_page cap).
	PageSize int
}

// New starts a fake GitHub for the test.
func New(t testing.TB) *Fake {
	f := &Fake{blobs: map[string][]byte{}, trees: map[string][]treeEntry{}, commits: map[string]commit{}, refs: map[string]string{}, packages: map[string][]string{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	f.URL = f.srv.URL + "/api/v3"
	return f
}

// Enqueue makes the next matching requests answer rs, in order.
func (f *Fake) Enqueue(rs ...Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, rs...)
}

// SetPackages sets an organisation's container packages.
func (f *Fake) SetPackages(org string, names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.packages[org] = names
}

// Issues returns a copy of every issue.
func (f *Fake) Issues() []Issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Issue, len(f.issues))
	for i, is := range f.issues {
		out[i] = *is
		out[i].Comments = slices.Clone(is.Comments)
	}
	return out
}

// Requests returns "METHOD path" of every request so far.
func (f *Fake) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// File returns a file's content on a branch, and whether it exists.
func (f *Fake) File(branch, path string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.commits[f.refs["refs/heads/"+branch]]
	if !ok {
		return nil, false
	}
	for _, e := range f.trees[c.tree] {
		if e.Path == path {
			return f.blobs[e.SHA], true
		}
	}
	return nil, false
}

// Commits counts the commits reachable from a branch.
func (f *Fake) Commits(branch string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for sha := f.refs["refs/heads/"+branch]; sha != ""; {
		n++
		c := f.commits[sha]
		if len(c.parents) == 0 {
			break
		}
		sha = c.parents[0]
	}
	return n
}

var (
	reIssues   = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/issues$`)
	reIssue    = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/issues/(\d+)$`)
	reComments = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)
	reGetRef   = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/git/ref/(.+)$`)
	reRefs     = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/git/refs(/.+)?$`)
	reCommit   = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/git/commits(/[0-9a-f]+)?$`)
	reTree     = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/git/trees(/[0-9a-f]+)?$`)
	reBlob     = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/git/blobs/([0-9a-f]+)$`)
	rePackages = regexp.MustCompile(`^/api/v3/orgs/([^/]+)/packages$`)
)

func hashOf(kind string, b []byte) string {
	h := sha1.Sum(append([]byte(kind+" "+strconv.Itoa(len(b))+"\x00"), b...))
	return hex.EncodeToString(h[:])
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-GitHub-Api-Version", "2022-11-28")
	for i, q := range f.queue {
		if q.Path == "" || strings.Contains(r.URL.Path, q.Path) {
			f.queue = slices.Delete(f.queue, i, i+1)
			for k, v := range q.Header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(q.Status)
			io.WriteString(w, q.Body)
			return
		}
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeErr(w, 401, "Requires authentication")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	p := r.URL.Path
	switch {
	case f.servePulls(w, r, body):
	case f.serveOrg(w, r):
	case r.Method == http.MethodGet && reIssues.MatchString(p):
		f.listIssues(w, r)
	case r.Method == http.MethodPost && reIssues.MatchString(p):
		var req struct {
			Title, Body string
			Labels      []string
		}
		if json.Unmarshal(body, &req) != nil || req.Title == "" {
			writeValidation(w, `[{"resource":"Issue","code":"missing_field","field":"title"}]`)
			return
		}
		is := &Issue{Number: len(f.issues) + 1, Title: req.Title, Body: req.Body, Labels: req.Labels, State: "open"}
		f.issues = append(f.issues, is)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(f.issueJSON(r, is))
	case r.Method == http.MethodPost && reComments.MatchString(p):
		m := reComments.FindStringSubmatch(p)
		is := f.issue(m[3])
		if is == nil {
			writeErr(w, 404, "Not Found")
			return
		}
		var req struct{ Body string }
		json.Unmarshal(body, &req)
		is.Comments = append(is.Comments, req.Body)
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"id":%d,"body":%q,"html_url":"https://github.com/o/r/issues/%d#issuecomment-%d"}`, len(is.Comments), req.Body, is.Number, len(is.Comments))
	case r.Method == http.MethodPatch && reIssue.MatchString(p):
		m := reIssue.FindStringSubmatch(p)
		is := f.issue(m[3])
		if is == nil {
			writeErr(w, 404, "Not Found")
			return
		}
		var req struct {
			Title       *string `json:"title"`
			Body        *string `json:"body"`
			State       *string `json:"state"`
			StateReason *string `json:"state_reason"`
		}
		json.Unmarshal(body, &req)
		if req.Title != nil {
			is.Title = *req.Title
		}
		if req.Body != nil {
			is.Body = *req.Body
		}
		if req.State != nil {
			is.State = *req.State
		}
		if req.StateReason != nil {
			is.StateReason = *req.StateReason
		}
		json.NewEncoder(w).Encode(f.issueJSON(r, is))
	case r.Method == http.MethodGet && reGetRef.MatchString(p):
		ref := "refs/" + reGetRef.FindStringSubmatch(p)[3]
		sha, ok := f.refs[ref]
		if !ok {
			writeErr(w, 404, "Not Found")
			return
		}
		fmt.Fprintf(w, `{"ref":%q,"node_id":"REF","url":"%s","object":{"sha":%q,"type":"commit","url":""}}`, ref, r.URL.Path, sha)
	case r.Method == http.MethodPost && reRefs.MatchString(p) && reRefs.FindStringSubmatch(p)[3] == "":
		var req struct{ Ref, SHA string }
		json.Unmarshal(body, &req)
		if _, ok := f.refs[req.Ref]; ok {
			writeValidation(w, "")
			return
		}
		if _, ok := f.commits[req.SHA]; !ok {
			writeValidation(w, "")
			return
		}
		f.refs[req.Ref] = req.SHA
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"ref":%q,"object":{"sha":%q,"type":"commit"}}`, req.Ref, req.SHA)
	case r.Method == http.MethodPatch && reRefs.MatchString(p):
		ref := "refs" + reRefs.FindStringSubmatch(p)[3]
		var req struct {
			SHA   string `json:"sha"`
			Force bool   `json:"force"`
		}
		json.Unmarshal(body, &req)
		cur, ok := f.refs[ref]
		if !ok {
			writeValidation(w, "")
			return
		}
		if !req.Force && !f.descends(req.SHA, cur) {
			w.WriteHeader(422)
			io.WriteString(w, `{"message":"Update is not a fast forward","documentation_url":"https://docs.github.com/rest/git/refs#update-a-reference","status":"422"}`)
			return
		}
		f.refs[ref] = req.SHA
		fmt.Fprintf(w, `{"ref":%q,"object":{"sha":%q,"type":"commit"}}`, ref, req.SHA)
	case r.Method == http.MethodGet && reCommit.MatchString(p) && reCommit.FindStringSubmatch(p)[3] != "":
		sha := strings.TrimPrefix(reCommit.FindStringSubmatch(p)[3], "/")
		c, ok := f.commits[sha]
		if !ok {
			writeErr(w, 404, "Not Found")
			return
		}
		var parents []map[string]string
		for _, ps := range c.parents {
			parents = append(parents, map[string]string{"sha": ps})
		}
		json.NewEncoder(w).Encode(map[string]any{"sha": sha, "message": c.message, "tree": map[string]string{"sha": c.tree}, "parents": parents})
	case r.Method == http.MethodPost && reCommit.MatchString(p):
		var req struct {
			Message string
			Tree    string
			Parents []string
		}
		json.Unmarshal(body, &req)
		if _, ok := f.trees[req.Tree]; !ok {
			writeValidation(w, "")
			return
		}
		for _, ps := range req.Parents {
			if _, ok := f.commits[ps]; !ok {
				writeValidation(w, "")
				return
			}
		}
		sha := hashOf("commit", fmt.Appendf(nil, "%s\n%v\n%s\n%d", req.Tree, req.Parents, req.Message, len(f.commits)))
		f.commits[sha] = commit{tree: req.Tree, message: req.Message, parents: req.Parents}
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"sha":%q,"tree":{"sha":%q},"message":%q}`, sha, req.Tree, req.Message)
	case r.Method == http.MethodGet && reTree.MatchString(p) && reTree.FindStringSubmatch(p)[3] != "":
		sha := strings.TrimPrefix(reTree.FindStringSubmatch(p)[3], "/")
		entries, ok := f.trees[sha]
		if !ok {
			writeErr(w, 404, "Not Found")
			return
		}
		var out []map[string]any
		for _, e := range entries {
			out = append(out, map[string]any{"path": e.Path, "mode": "100644", "type": "blob", "sha": e.SHA, "size": e.Size})
		}
		json.NewEncoder(w).Encode(map[string]any{"sha": sha, "tree": out, "truncated": false})
	case r.Method == http.MethodPost && reTree.MatchString(p):
		var req struct {
			BaseTree string `json:"base_tree"`
			Tree     []struct {
				Path, Mode, Type string
				Content          *string
				SHA              *string
			}
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeErr(w, 400, "Problems parsing JSON")
			return
		}
		entries := slices.Clone(f.trees[req.BaseTree])
		for _, e := range req.Tree {
			if e.Content == nil && e.SHA == nil { // "sha": null deletes the path
				entries = slices.DeleteFunc(entries, func(x treeEntry) bool { return x.Path == e.Path })
				continue
			}
			if e.Content == nil {
				writeValidation(w, "")
				return
			}
			b := []byte(*e.Content)
			sha := hashOf("blob", b)
			f.blobs[sha] = b
			entries = slices.DeleteFunc(entries, func(x treeEntry) bool { return x.Path == e.Path })
			entries = append(entries, treeEntry{Path: e.Path, SHA: sha, Size: len(b)})
		}
		slices.SortFunc(entries, func(a, b treeEntry) int { return strings.Compare(a.Path, b.Path) })
		var key strings.Builder
		for _, e := range entries {
			key.WriteString(e.Path + " " + e.SHA + "\n")
		}
		sha := hashOf("tree", []byte(key.String()))
		f.trees[sha] = entries
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"sha":%q,"truncated":false}`, sha)
	case r.Method == http.MethodGet && reBlob.MatchString(p):
		b, ok := f.blobs[reBlob.FindStringSubmatch(p)[3]]
		if !ok {
			writeErr(w, 404, "Not Found")
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "raw") {
			w.Header().Set("Content-Type", "application/vnd.github.raw")
			w.Write(b)
			return
		}
		fmt.Fprintf(w, `{"content":%q,"encoding":"base64","size":%d}`, base64.StdEncoding.EncodeToString(b), len(b))
	case r.Method == http.MethodGet && rePackages.MatchString(p):
		names, ok := f.packages[rePackages.FindStringSubmatch(p)[1]]
		if !ok {
			writeErr(w, 404, "Not Found")
			return
		}
		var out []map[string]any
		for i, n := range names {
			out = append(out, map[string]any{"id": i + 1, "name": n, "package_type": "container", "visibility": "public"})
		}
		if out == nil {
			out = []map[string]any{}
		}
		json.NewEncoder(w).Encode(out)
	case f.serveSearch(w, r):
	default:
		writeErr(w, 404, "Not Found")
	}
}

// descends reports whether commit sha has ancestor (or is it).
func (f *Fake) descends(sha, ancestor string) bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == ancestor {
			return true
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		stack = append(stack, f.commits[s].parents...)
	}
	return false
}

func (f *Fake) issue(num string) *Issue {
	n, _ := strconv.Atoi(num)
	if n < 1 || n > len(f.issues) {
		return nil
	}
	return f.issues[n-1]
}

func (f *Fake) issueJSON(r *http.Request, is *Issue) map[string]any {
	labels := []map[string]string{}
	for _, l := range is.Labels {
		labels = append(labels, map[string]string{"name": l})
	}
	m := reIssues.FindStringSubmatch(r.URL.Path)
	if m == nil {
		m = reIssue.FindStringSubmatch(r.URL.Path)
	}
	owner, repo := "o", "r"
	if m != nil {
		owner, repo = m[1], m[2]
	}
	return map[string]any{"number": is.Number, "title": is.Title, "body": is.Body, "state": is.State, "labels": labels,
		"html_url": fmt.Sprintf("https://github.com/%s/%s/issues/%d", owner, repo, is.Number)}
}

func (f *Fake) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	want := []string{}
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var match []*Issue
	for _, is := range f.issues {
		if (state != "all" && is.State != state) || !containsAll(is.Labels, want) {
			continue
		}
		match = append(match, is)
	}
	per := f.PageSize
	if per == 0 {
		per = 100
	}
	if pp, err := strconv.Atoi(q.Get("per_page")); err == nil && pp > 0 && pp < per {
		per = pp
	}
	page := max(1, atoi(q.Get("page")))
	start := min(len(match), (page-1)*per)
	end := min(len(match), start+per)
	if end < len(match) {
		next := *r.URL
		qq := next.Query()
		qq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = qq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, next.String()))
	}
	out := []map[string]any{}
	for _, is := range match[start:end] {
		out = append(out, f.issueJSON(r, is))
	}
	json.NewEncoder(w).Encode(out)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q,"documentation_url":"https://docs.github.com/rest","status":"%d"}`, msg, status)
}

func writeValidation(w http.ResponseWriter, errs string) {
	w.WriteHeader(422)
	if errs == "" {
		io.WriteString(w, `{"message":"Reference update failed","documentation_url":"https://docs.github.com/rest/git/refs","status":"422"}`)
		return
	}
	fmt.Fprintf(w, `{"message":"Validation Failed","errors":%s,"documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue","status":"422"}`, errs)
}
