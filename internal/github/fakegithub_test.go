package github

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeGitHub answers the Checks API endpoints the way api.github.com (or a GHES under /api/v3)
// does: the same status codes, headers and JSON shapes (trimmed of fields nothing reads). Replies
// queued with enqueue answer the first requests, in order, whatever they are (a zero reply means
// "answer normally"); then the default behaviour applies: POST check-runs creates a run (201),
// PATCH check-runs/{id} updates it (200).
type fakeGitHub struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	reqs   []recorded
	queue  []reply
	nextID int64
	runs   map[int64]map[string]any
}

type recorded struct {
	Method, Path string
	Header       http.Header
	Body         map[string]any
}

type reply struct {
	status int
	header map[string]string
	body   string
}

var (
	createPath = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/check-runs$`)
	updatePath = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/check-runs/(\d+)$`)
)

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, nextID: 4000000001, runs: map[int64]map[string]any{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// apiURL is what GITHUB_API_URL holds on a GHES: the host and /api/v3.
func (f *fakeGitHub) apiURL() string { return f.srv.URL + "/api/v3" }

func (f *fakeGitHub) enqueue(rs ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, rs...)
}

func (f *fakeGitHub) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read request body: %v", err)
	}
	rec := recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &rec.Body); err != nil {
			f.t.Errorf("%s %s: request body is not a JSON object: %v", r.Method, r.URL.Path, err)
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	var queued *reply
	if len(f.queue) > 0 {
		queued = &f.queue[0]
		f.queue = f.queue[1:]
	}
	f.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; param=antiope-preview; format=json")
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4987")
	h.Set("X-RateLimit-Reset", "1717243200")
	h.Set("X-RateLimit-Used", "13")
	h.Set("X-RateLimit-Resource", "core")
	if queued != nil && queued.status != 0 {
		for k, v := range queued.header {
			h.Set(k, v)
		}
		w.WriteHeader(queued.status)
		io.WriteString(w, queued.body)
		return
	}
	switch m := createPath.FindStringSubmatch(r.URL.Path); {
	case r.Method == http.MethodPost && m != nil:
		f.mu.Lock()
		id := f.nextID
		f.nextID++
		run := f.checkRun(m[1], m[2], id, rec.Body)
		f.runs[id] = run
		f.mu.Unlock()
		writeJSON(w, http.StatusCreated, run)
		return
	}
	if m := updatePath.FindStringSubmatch(r.URL.Path); r.Method == http.MethodPatch && m != nil {
		id, _ := strconv.ParseInt(m[3], 10, 64)
		f.mu.Lock()
		run, ok := f.runs[id]
		if ok {
			f.update(run, rec.Body)
		}
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/checks/runs#update-a-check-run", "status": "404"})
			return
		}
		writeJSON(w, http.StatusOK, run)
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
}

// checkRun is the body GitHub returns for a created check run.
func (f *fakeGitHub) checkRun(owner, repo string, id int64, req map[string]any) map[string]any {
	api := fmt.Sprintf("%s/api/v3/repos/%s/%s/check-runs/%d", f.srv.URL, owner, repo, id)
	return map[string]any{
		"id":           id,
		"name":         req["name"],
		"node_id":      "CR_kwDOLmolecule" + strconv.FormatInt(id, 10),
		"head_sha":     req["head_sha"],
		"external_id":  "",
		"url":          api,
		"html_url":     fmt.Sprintf("%s/%s/%s/runs/%d", f.srv.URL, owner, repo, id),
		"details_url":  req["details_url"],
		"status":       req["status"],
		"conclusion":   nil,
		"started_at":   "2024-06-01T12:00:00Z",
		"completed_at": nil,
		"output": map[string]any{
			"title": nil, "summary": nil, "text": nil,
			"annotations_count": 0,
			"annotations_url":   api + "/annotations",
		},
		"check_suite":   map[string]any{"id": 25000000001},
		"app":           map[string]any{"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
		"pull_requests": []any{},
	}
}

// update applies a PATCH the way GitHub does: annotations accumulate, other fields replace.
func (f *fakeGitHub) update(run, req map[string]any) {
	for _, k := range []string{"status", "conclusion", "completed_at", "name"} {
		if v, ok := req[k]; ok {
			run[k] = v
		}
	}
	if out, ok := req["output"].(map[string]any); ok {
		o := run["output"].(map[string]any)
		for _, k := range []string{"title", "summary", "text"} {
			if v, ok := out[k]; ok {
				o[k] = v
			}
		}
		if anns, ok := out["annotations"].([]any); ok {
			o["annotations_count"] = o["annotations_count"].(int) + len(anns)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// sleeper records the waits the client asks for instead of waiting.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}
