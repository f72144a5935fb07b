package githubtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The organisation part of the fake: repositories of organisations (listed with pagination, with
// their archived and fork flags), each with branches and tags of files, answering the branch,
// commit, contents and tarball endpoints the way GitHub does — ETags on every answer and 304 to a
// matching If-None-Match, a redirect from the tarball endpoint to a download host — and a primary
// rate limit over these endpoints that, like GitHub's, does not count 304 answers nor downloads.

// RepoSpec is a repository the fake serves.
type RepoSpec struct {
	Owner, Name    string
	Archived, Fork bool
	// DefaultBranch defaults to "main".
	DefaultBranch string
	// Branches maps a branch to its files (path → content). A repository without branches is
	// empty: GitHub answers 404 for its branches and 409 for its commits.
	Branches map[string]map[string]string
	// Tags maps a tag to the branch whose head it points at.
	Tags map[string]string
	// SizeKB is the size the listing reports (default: the default branch's bytes / 1024 + 1).
	SizeKB int64
	// Tarball, when set, is served as the download of every ref instead of one built from the
	// files: a hostile archive.
	Tarball []byte
}

type repoState struct {
	spec    RepoSpec
	commits map[string]string // branch or tag → commit
	trees   map[string]string // commit → tree
	files   map[string]map[string]string
}

// RequestCount is how a repository's requests were answered.
type RequestCount struct {
	Counted     int // answers that counted against the rate limit
	NotModified int // 304 answers, which do not
	Downloads   int // tarball downloads from the download host, which do not either
	Refused     int // 403 answers to a request over the budget, which do not either
}

// orgState is the fake's organisation data and its rate limit.
type orgState struct {
	repos    map[string]*repoState // "owner/name" in lower case
	order    []string
	pageSize int
	limit    int
	window   time.Duration
	clock    func() time.Time
	reset    time.Time
	used     int
	counts   map[string]*RequestCount
	listings RequestCount
}

// AddRepos adds repositories to the organisations the fake serves.
func (f *Fake) AddRepos(specs ...RepoSpec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.org()
	for _, s := range specs {
		if s.DefaultBranch == "" {
			s.DefaultBranch = "main"
		}
		st := &repoState{spec: s, commits: map[string]string{}, trees: map[string]string{}, files: map[string]map[string]string{}}
		for _, b := range slices.Sorted(maps.Keys(s.Branches)) {
			files := s.Branches[b]
			tree := treeHash(files)
			commit := hashOf("commit", []byte(s.Owner+"/"+s.Name+"\x00"+b+"\x00"+tree))
			st.commits[b], st.trees[commit], st.files[commit] = commit, tree, files
		}
		for t, b := range s.Tags {
			if c, ok := st.commits[b]; ok {
				st.commits[t] = c
			}
		}
		key := strings.ToLower(s.Owner + "/" + s.Name)
		if _, ok := o.repos[key]; !ok {
			o.order = append(o.order, key)
		}
		o.repos[key] = st
	}
	slices.Sort(o.order)
}

// SetRepoPageSize sets how many repositories a page of an organisation's listing holds at most
// (default 100, GitHub's per_page cap).
func (f *Fake) SetRepoPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.org().pageSize = n
}

// SetRateLimit sets the primary rate limit of the organisation endpoints: limit requests per
// window of clock (GitHub: 5,000 an hour for a token, the default here with the wall clock).
// A request over the budget answers 403 with X-RateLimit-Remaining: 0 and the reset time, as
// GitHub does; 304 answers and downloads are not counted.
func (f *Fake) SetRateLimit(limit int, window time.Duration, clock func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.org()
	o.limit, o.window, o.clock, o.used, o.reset = limit, window, clock, 0, time.Time{}
}

// RepoRequests returns, per "owner/name", how its requests were answered; the organisation
// listings are under "" .
func (f *Fake) RepoRequests() map[string]RequestCount {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.org()
	out := map[string]RequestCount{"": o.listings}
	for k, v := range o.counts {
		out[k] = *v
	}
	return out
}

// SetFile changes a file on a branch (a new commit), or deletes it when content is nil.
func (f *Fake) SetFile(owner, name, branch, path string, content *string) {
	f.mu.Lock()
	spec := f.org().repos[strings.ToLower(owner+"/"+name)].spec
	f.mu.Unlock()
	files := map[string]string{}
	for k, v := range spec.Branches[branch] {
		files[k] = v
	}
	if content == nil {
		delete(files, path)
	} else {
		files[path] = *content
	}
	branches := map[string]map[string]string{}
	for k, v := range spec.Branches {
		branches[k] = v
	}
	branches[branch] = files
	spec.Branches = branches
	f.AddRepos(spec)
}

// org returns the organisation state, made on first use. f.mu is held.
func (f *Fake) org() *orgState {
	if f.orgs == nil {
		f.orgs = &orgState{repos: map[string]*repoState{}, counts: map[string]*RequestCount{}, limit: 5000, window: time.Hour, clock: time.Now}
	}
	return f.orgs
}

var (
	reOrgRepos = regexp.MustCompile(`^/api/v3/orgs/([^/]+)/repos$`)
	reRepoPart = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/(branches|commits|contents|tarball)/(.+)$`)
	reDownload = regexp.MustCompile(`^/codeload/([^/]+)/([^/]+)/legacy\.tar\.gz/([0-9a-f]{40})$`)
)

// answer is a reply computed before the rate limit decides whether it is sent.
type answer struct {
	status int
	header map[string]string
	body   []byte
	etag   string
}

// serveOrg answers the organisation endpoints; it reports whether the request was one. f.mu is held.
func (f *Fake) serveOrg(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	o := f.org()
	p := r.URL.Path
	var a answer
	var count *RequestCount
	switch {
	case reDownload.MatchString(p):
		m := reDownload.FindStringSubmatch(p)
		st := o.repos[strings.ToLower(m[1]+"/"+m[2])]
		key := strings.ToLower(m[1] + "/" + m[2])
		if o.counts[key] == nil {
			o.counts[key] = &RequestCount{}
		}
		o.counts[key].Downloads++
		if st == nil || st.files[m[3]] == nil {
			writeErr(w, 404, "Not Found")
			return true
		}
		w.Header().Set("Content-Type", "application/x-gzip")
		w.Write(st.tarball(m[3]))
		return true
	case reOrgRepos.MatchString(p):
		a = o.listRepos(r, reOrgRepos.FindStringSubmatch(p)[1])
		count = &o.listings
	case reRepoPart.MatchString(p):
		m := reRepoPart.FindStringSubmatch(p)
		key := strings.ToLower(m[1] + "/" + m[2])
		if o.counts[key] == nil {
			o.counts[key] = &RequestCount{}
		}
		count = o.counts[key]
		st := o.repos[key]
		if st == nil {
			a = errAnswer(404, "Not Found")
			break
		}
		a = st.serve(r, m[3], m[4], f.srv.URL)
	default:
		return false
	}
	if a.etag != "" {
		a.header = withHeader(a.header, "ETag", a.etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == a.etag && a.status == http.StatusOK {
			count.NotModified++
			o.rateHeaders(w)
			w.Header().Set("ETag", a.etag)
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	if !o.spend(w) {
		count.Refused++
		return true
	}
	count.Counted++
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
	return true
}

// spend takes one request from the budget and sets the rate-limit headers; when the budget is
// spent it answers 403 as GitHub does and returns false.
func (o *orgState) spend(w http.ResponseWriter) bool {
	now := o.clock()
	if o.reset.IsZero() || !now.Before(o.reset) {
		o.used, o.reset = 0, now.Add(o.window)
	}
	if o.used >= o.limit {
		o.rateHeaders(w)
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"message":"API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}`)
		return false
	}
	o.used++
	o.rateHeaders(w)
	return true
}

func (o *orgState) rateHeaders(w http.ResponseWriter) {
	now := o.clock()
	if o.reset.IsZero() || !now.Before(o.reset) {
		o.used, o.reset = 0, now.Add(o.window)
	}
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(o.limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(o.limit-o.used, 0)))
	w.Header().Set("X-RateLimit-Used", strconv.Itoa(o.used))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(o.reset.Unix(), 10))
	w.Header().Set("X-RateLimit-Resource", "core")
}

func (o *orgState) listRepos(r *http.Request, org string) answer {
	var match []*repoState
	for _, k := range o.order {
		if st := o.repos[k]; strings.EqualFold(st.spec.Owner, org) {
			match = append(match, st)
		}
	}
	if match == nil {
		return errAnswer(404, "Not Found")
	}
	per := o.pageSize
	if per == 0 {
		per = 100
	}
	q := r.URL.Query()
	if pp, err := strconv.Atoi(q.Get("per_page")); err == nil && pp > 0 && pp < per {
		per = pp
	}
	page := max(1, atoi(q.Get("page")))
	start := min(len(match), (page-1)*per)
	end := min(len(match), start+per)
	h := map[string]string{}
	if end < len(match) {
		next := *r.URL
		qq := next.Query()
		qq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = qq.Encode()
		last := *r.URL
		ql := last.Query()
		ql.Set("page", strconv.Itoa((len(match)+per-1)/per))
		last.RawQuery = ql.Encode()
		h["Link"] = fmt.Sprintf(`<http://%s%s>; rel="next", <http://%s%s>; rel="last"`, r.Host, next.String(), r.Host, last.String())
	}
	out := []map[string]any{}
	for _, st := range match[start:end] {
		s := st.spec
		size := s.SizeKB
		if size == 0 {
			n := 0
			for _, c := range s.Branches[s.DefaultBranch] {
				n += len(c)
			}
			size = int64(n/1024 + 1)
		}
		var pushed string
		if c := st.commits[s.DefaultBranch]; c != "" {
			pushed = "2026-12-06T00:00:00Z"
		}
		out = append(out, map[string]any{
			"name": s.Name, "full_name": s.Owner + "/" + s.Name, "owner": map[string]any{"login": s.Owner},
			"private": false, "fork": s.Fork, "archived": s.Archived, "default_branch": s.DefaultBranch,
			"size": size, "pushed_at": pushed, "visibility": "public",
		})
	}
	b, _ := json.Marshal(out)
	return answer{status: 200, header: h, body: b, etag: etagOf(b)}
}

// serve answers the branches, commits, contents and tarball endpoints of one repository.
func (st *repoState) serve(r *http.Request, kind, rest, srvURL string) answer {
	s := st.spec
	switch kind {
	case "branches":
		c, ok := st.commits[rest]
		if !ok || s.Branches[rest] == nil {
			return errAnswer(404, "Branch not found")
		}
		b, _ := json.Marshal(map[string]any{"name": rest, "commit": map[string]any{"sha": c, "commit": map[string]any{"tree": map[string]any{"sha": st.trees[c]}}}, "protected": false})
		return answer{status: 200, body: b, etag: etagOf(b)}
	case "commits":
		if len(s.Branches) == 0 {
			return errAnswer(409, "Git Repository is empty.")
		}
		c, ok := st.commits[rest]
		if !ok && st.files[rest] != nil {
			c, ok = rest, true
		}
		if !ok {
			return answer{status: 422, body: fmt.Appendf(nil, `{"message":"No commit found for SHA: %s","documentation_url":"https://docs.github.com/rest/commits/commits#get-a-commit","status":"422"}`, jsonEscape(rest))}
		}
		if strings.Contains(r.Header.Get("Accept"), "vnd.github.sha") {
			return answer{status: 200, header: map[string]string{"Content-Type": "application/vnd.github.sha"}, body: []byte(c), etag: etagOf([]byte(c))}
		}
		b, _ := json.Marshal(map[string]any{"sha": c, "commit": map[string]any{"tree": map[string]any{"sha": st.trees[c]}}})
		return answer{status: 200, body: b, etag: etagOf(b)}
	case "contents":
		ref := r.URL.Query().Get("ref")
		if ref == "" {
			ref = s.DefaultBranch
		}
		c, ok := st.commits[ref]
		if !ok && st.files[ref] != nil {
			c, ok = ref, true
		}
		if !ok {
			return answer{status: 404, body: fmt.Appendf(nil, `{"message":"No commit found for the ref %s","documentation_url":"https://docs.github.com/rest/repos/contents#get-repository-content","status":"404"}`, jsonEscape(ref))}
		}
		content, ok := st.files[c][rest]
		if !ok {
			return errAnswer(404, "Not Found")
		}
		if strings.Contains(r.Header.Get("Accept"), "vnd.github.raw") {
			return answer{status: 200, header: map[string]string{"Content-Type": "application/vnd.github.raw"}, body: []byte(content), etag: etagOf([]byte(content))}
		}
		b, _ := json.Marshal(map[string]any{"type": "file", "path": rest, "sha": hashOf("blob", []byte(content)), "size": len(content), "encoding": "base64", "content": base64.StdEncoding.EncodeToString([]byte(content))})
		return answer{status: 200, body: b, etag: etagOf(b)}
	case "tarball":
		c, ok := st.commits[rest]
		if !ok && st.files[rest] != nil {
			c, ok = rest, true
		}
		if !ok {
			return errAnswer(404, "Not Found")
		}
		return answer{status: http.StatusFound, header: map[string]string{"Location": fmt.Sprintf("%s/codeload/%s/%s/legacy.tar.gz/%s", srvURL, s.Owner, s.Name, c)}}
	}
	return errAnswer(404, "Not Found")
}

// tarball builds the gzipped archive GitHub's download host serves: every file under a top
// directory OWNER-REPO-SHORTSHA/, as codeload names it.
func (st *repoState) tarball(commit string) []byte {
	if st.spec.Tarball != nil {
		return st.spec.Tarball
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	top := fmt.Sprintf("%s-%s-%s/", st.spec.Owner, st.spec.Name, commit[:7])
	tw.WriteHeader(&tar.Header{Name: "pax_global_header", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": commit}})
	tw.WriteHeader(&tar.Header{Name: top, Typeflag: tar.TypeDir, Mode: 0o775})
	files := st.files[commit]
	dirs := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		for d := dirOf(p); d != ""; d = dirOf(d) {
			if !dirs[d] {
				dirs[d] = true
			}
		}
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		tw.WriteHeader(&tar.Header{Name: top + d + "/", Typeflag: tar.TypeDir, Mode: 0o775})
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		tw.WriteHeader(&tar.Header{Name: top + p, Typeflag: tar.TypeReg, Mode: 0o664, Size: int64(len(files[p]))})
		tw.Write([]byte(files[p]))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func dirOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

func treeHash(files map[string]string) string {
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(files)) {
		b.WriteString(p + " " + hashOf("blob", []byte(files[p])) + "\n")
	}
	return hashOf("tree", []byte(b.String()))
}

func etagOf(b []byte) string {
	h := sha1.Sum(b)
	return `"` + hex.EncodeToString(h[:]) + `"`
}

func errAnswer(status int, msg string) answer {
	return answer{status: status, body: fmt.Appendf(nil, `{"message":%q,"documentation_url":"https://docs.github.com/rest","status":"%d"}`, msg, status)}
}

func withHeader(h map[string]string, k, v string) map[string]string {
	if h == nil {
		h = map[string]string{}
	}
	h[k] = v
	return h
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
