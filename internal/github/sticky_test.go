package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeComments answers the issue comments endpoints as api.github.com does: list with 100 per
// page and a Link header for the next page, create (201), edit (200), and queued error replies
// (403 for a read-only token, 429 with Retry-After).
type fakeComments struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	comments []map[string]any
	nextID   int64
	calls    []string
	queue    []reply
}

var (
	listCommentsPath = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)
	editCommentPath  = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$`)
)

func newFakeComments(t *testing.T) *fakeComments {
	f := &fakeComments{t: t, nextID: 2000000001}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeComments) add(login, typ, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID
	f.nextID++
	f.comments = append(f.comments, map[string]any{
		"id": id, "body": body, "html_url": fmt.Sprintf("https://github.com/o/r/pull/7#issuecomment-%d", id),
		"user": map[string]any{"login": login, "type": typ},
	})
}

func (f *fakeComments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if len(f.queue) > 0 {
		q := f.queue[0]
		f.queue = f.queue[1:]
		for k, v := range q.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(q.status)
		io.WriteString(w, q.body)
		return
	}
	var req struct {
		Body string `json:"body"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			f.t.Errorf("request body: %v", err)
		}
	}
	switch {
	case r.Method == http.MethodGet && listCommentsPath.MatchString(r.URL.Path):
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if per == 0 {
			per = 30
		}
		if page == 0 {
			page = 1
		}
		from, to := min((page-1)*per, len(f.comments)), min(page*per, len(f.comments))
		if to < len(f.comments) {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d&per_page=%d>; rel="next"`, f.srv.URL, r.URL.Path, page+1, per))
		}
		json.NewEncoder(w).Encode(f.comments[from:to])
	case r.Method == http.MethodPost && listCommentsPath.MatchString(r.URL.Path):
		id := f.nextID
		f.nextID++
		c := map[string]any{"id": id, "body": req.Body, "html_url": fmt.Sprintf("https://github.com/o/r/pull/7#issuecomment-%d", id),
			"user": map[string]any{"login": "github-actions[bot]", "type": "Bot"}}
		f.comments = append(f.comments, c)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(c)
	case r.Method == http.MethodPatch && editCommentPath.MatchString(r.URL.Path):
		id, _ := strconv.ParseInt(editCommentPath.FindStringSubmatch(r.URL.Path)[3], 10, 64)
		for _, c := range f.comments {
			if c["id"].(int64) == id {
				c["body"] = req.Body
				json.NewEncoder(w).Encode(c)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/issues/comments#update-an-issue-comment","status":"404"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)
	}
}

func (f *fakeComments) client(t *testing.T) *Client {
	c, err := NewClient("ghs_"+strings.Repeat("t", 36), f.srv.URL+"/api/v3",
		WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const marker = "<!-- molecule-ci:coverage -->"

func TestStickyCommentCreatedOnceThenUpdated(t *testing.T) {
	f := newFakeComments(t)
	// 150 comments by people and other bots first, one of them quoting the marker: the sticky
	// comment must be found on page 2, and the human's quote never edited.
	for i := range 150 {
		switch {
		case i == 3:
			f.add("mallory", "User", marker+"\nfake green result")
		case i%10 == 0:
			f.add("dependabot[bot]", "Bot", "bump")
		default:
			f.add("alice", "User", "lgtm")
		}
	}
	c := f.client(t)
	sc := StickyComment{Owner: "o", Repo: "r", Number: 7, Marker: marker, Body: "coverage 81.2%"}
	for i, want := range []string{"created", "unchanged", "updated"} {
		if i == 2 {
			sc.Body = "coverage 82.0%"
		}
		res, err := c.UpsertStickyComment(context.Background(), sc)
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if res.Action != want {
			t.Errorf("run %d: action %q, want %q", i+1, res.Action, want)
		}
	}
	var ours []string
	for _, cm := range f.comments {
		if cm["user"].(map[string]any)["type"] == "Bot" && strings.HasPrefix(cm["body"].(string), marker) {
			ours = append(ours, cm["body"].(string))
		}
	}
	if len(ours) != 1 || ours[0] != marker+"\ncoverage 82.0%" {
		t.Errorf("sticky comments after three runs: %q, want exactly one with the last body", ours)
	}
	if got := f.comments[3]["body"]; got != marker+"\nfake green result" {
		t.Errorf("a user's comment quoting the marker was edited: %q", got)
	}
}

func TestStickyCommentErrors(t *testing.T) {
	f := newFakeComments(t)
	f.queue = []reply{{status: http.StatusForbidden, body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/comments#list-issue-comments","status":"403"}`}}
	_, err := f.client(t).UpsertStickyComment(context.Background(), StickyComment{Owner: "o", Repo: "r", Number: 7, Marker: marker, Body: "x"})
	var perm *PermissionError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Fatalf("403: %v", err)
	}
	f.queue = []reply{{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "1"}, body: `{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}}
	res, err := f.client(t).UpsertStickyComment(context.Background(), StickyComment{Owner: "o", Repo: "r", Number: 7, Marker: marker, Body: "x"})
	if err != nil || res.Action != "created" {
		t.Fatalf("429 then success: %+v, %v", res, err)
	}
	if _, err := f.client(t).UpsertStickyComment(context.Background(), StickyComment{Owner: "o", Repo: "r", Number: 7, Marker: "plain", Body: "x"}); err == nil || err.Error() != `sticky comment: marker "plain" must be an HTML comment` {
		t.Errorf("bad marker: %v", err)
	}
}

// TestStickyCommentIdentity: with report.identity the comment's first line is the identity and
// the marker its second; a later run under another identity edits that comment, never adds one.
func TestStickyCommentIdentity(t *testing.T) {
	f := newFakeComments(t)
	ctx := context.Background()
	sc := StickyComment{Owner: "o", Repo: "r", Number: 7, Marker: marker, Body: "coverage 81.2%"}
	for i, tc := range []struct{ identity, body, action string }{
		{"[devops-agent]", "coverage 81.2%", "created"},
		{"[devops-agent]", "coverage 81.2%", "unchanged"},
		{"[platform-bot]", "coverage 82.0%", "updated"},
	} {
		c, err := NewClient("ghs_"+strings.Repeat("t", 36), f.srv.URL+"/api/v3", WithIdentity(tc.identity))
		if err != nil {
			t.Fatal(err)
		}
		sc.Body = tc.body
		res, err := c.UpsertStickyComment(ctx, sc)
		if err != nil || res.Action != tc.action {
			t.Fatalf("run %d: %+v %v, want %s", i+1, res, err, tc.action)
		}
	}
	if len(f.comments) != 1 || f.comments[0]["body"] != "[platform-bot]\n"+marker+"\ncoverage 82.0%" {
		t.Errorf("comments: %v", f.comments)
	}
}
