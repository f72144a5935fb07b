package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeGitHub answers the issue-comment part of the GitHub REST API the way api.github.com does
// (status codes, JSON shapes, Link pagination, rate-limit headers, 401 without a token), for the
// coverage workflow's sticky pull-request comment. Check runs are answered 403 as on a fork, so
// the command falls back to annotations.
type fakeGitHub struct {
	mu       sync.Mutex
	nextID   int64
	comments map[int][]fakeComment // by issue number
	creates  int
	edits    int
}

type fakeComment struct {
	ID   int64    `json:"id"`
	Body string   `json:"body"`
	URL  string   `json:"html_url"`
	User fakeUser `json:"user"`
}

// fakeUser is the comment's author: the job's GITHUB_TOKEN acts as the github-actions app.
type fakeUser struct {
	Login string `json:"login"`
	Type  string `json:"type"`
}

func startFakeGitHub(t *testing.T) (*fakeGitHub, string) {
	t.Helper()
	f := &fakeGitHub{nextID: 1000, comments: map[int][]fakeComment{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") && !strings.HasPrefix(r.Header.Get("Authorization"), "token ") {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Requires authentication","documentation_url":"https://docs.github.com/rest"}`)
		return
	}
	// go-github talks to any API URL but api.github.com as GitHub Enterprise Server does, under
	// /api/v3; the fake answers both.
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v3"), "/"), "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	// GET/POST /repos/{owner}/{repo}/issues/{number}/comments
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[5] == "comments":
		n, err := strconv.Atoi(parts[4])
		if err != nil {
			notFound(w)
			return
		}
		switch r.Method {
		case http.MethodGet:
			list := f.comments[n]
			if list == nil {
				list = []fakeComment{}
			}
			_ = json.NewEncoder(w).Encode(list)
		case http.MethodPost:
			var in struct{ Body string }
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
				w.WriteHeader(http.StatusUnprocessableEntity)
				fmt.Fprint(w, `{"message":"Validation Failed"}`)
				return
			}
			f.nextID++
			c := fakeComment{ID: f.nextID, Body: in.Body, URL: fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", parts[1], parts[2], n, f.nextID),
				User: fakeUser{Login: "github-actions[bot]", Type: "Bot"}}
			f.comments[n] = append(f.comments[n], c)
			f.creates++
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(c)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	// PATCH /repos/{owner}/{repo}/issues/comments/{id}
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[4] == "comments" && r.Method == http.MethodPatch:
		id, _ := strconv.ParseInt(parts[5], 10, 64)
		var in struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		for n, list := range f.comments {
			for i := range list {
				if list[i].ID == id {
					list[i].Body = in.Body
					f.comments[n] = list
					f.edits++
					_ = json.NewEncoder(w).Encode(list[i])
					return
				}
			}
		}
		notFound(w)
	// POST /repos/{owner}/{repo}/check-runs: a fork's token may not create check runs.
	case len(parts) == 4 && parts[3] == "check-runs":
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/checks/runs#create-a-check-run"}`)
	default:
		notFound(w)
	}
}

func notFound(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
}
