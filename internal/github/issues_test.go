package github_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

func newClient(t *testing.T, f *githubtest.Fake, waits *[]time.Duration) *github.Client {
	t.Helper()
	c, err := github.NewClient("ghs_issuetoken", f.URL, github.WithSleep(func(_ context.Context, d time.Duration) error {
		if waits != nil {
			*waits = append(*waits, d)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIssues files, finds by label (across pages), comments on and closes issues.
func TestIssues(t *testing.T) {
	ctx := context.Background()
	f := githubtest.New(t)
	f.PageSize = 2
	c := newClient(t, f, nil)
	for i := range 5 {
		labels := []string{"incident", "docs"}
		if i%2 == 1 {
			labels = []string{"incident", "api"}
		}
		if _, err := c.CreateIssue(ctx, "o", "r", fmt.Sprintf("outage %d", i), "body", labels); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.FindOpenIssues(ctx, "o", "r", []string{"incident", "docs"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Number != 1 || got[2].Number != 5 || got[0].URL != "https://github.com/o/r/issues/1" {
		t.Fatalf("found %+v, want issues 1, 3 and 5 (two pages)", got)
	}
	if err := c.CommentIssue(ctx, "o", "r", 3, "recovered"); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseIssue(ctx, "o", "r", 3, "completed"); err != nil {
		t.Fatal(err)
	}
	got, _ = c.FindOpenIssues(ctx, "o", "r", []string{"incident", "docs"})
	if len(got) != 2 {
		t.Errorf("after closing #3: %+v", got)
	}
	is := f.Issues()[2]
	if is.State != "closed" || is.StateReason != "completed" || len(is.Comments) != 1 || is.Comments[0] != "recovered" {
		t.Errorf("issue 3: %+v", is)
	}
}

// TestIssuesRateLimitAndPermission: a 429 with Retry-After is waited out and retried; a 403
// that is not a rate limit is a *PermissionError, verbatim, with no retry.
func TestIssuesRateLimitAndPermission(t *testing.T) {
	ctx := context.Background()
	f := githubtest.New(t)
	var waits []time.Duration
	c := newClient(t, f, &waits)
	f.Enqueue(githubtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "3"},
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`})
	if _, err := c.CreateIssue(ctx, "o", "r", "t", "b", []string{"incident"}); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != 3*time.Second || len(f.Issues()) != 1 {
		t.Errorf("waits %v, %d issues: want one 3s wait then the issue", waits, len(f.Issues()))
	}
	f.Enqueue(githubtest.Reply{Status: 403, Body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue","status":"403"}`})
	_, err := c.CreateIssue(ctx, "o", "r", "t", "b", nil)
	var pe *github.PermissionError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "403 Resource not accessible by integration") {
		t.Errorf("403: %v", err)
	}
}

// TestDataBranch: the first save creates the branch, later saves add commits, and a save on a
// stale version is refused with ErrRefMoved and changes nothing.
func TestDataBranch(t *testing.T) {
	ctx := context.Background()
	f := githubtest.New(t)
	c := newClient(t, f, nil)
	d := &github.DataBranch{Client: c, Owner: "o", Repo: "status", Branch: "probe-data"}
	files, _, v0, err := d.Load(ctx, nil)
	if err != nil || v0 != "" || len(files) != 0 {
		t.Fatalf("absent branch: %v %q %v", err, v0, files)
	}
	v1, err := d.Save(ctx, "", map[string][]byte{"state.json": []byte(`{"v":1}`), "history/a.jsonl": []byte("1\n")}, "first")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := d.Save(ctx, v1, map[string][]byte{"state.json": []byte(`{"v":2}`)}, "second")
	if err != nil {
		t.Fatal(err)
	}
	// A run that read v1 and saves after v2 loses.
	_, err = d.Save(ctx, v1, map[string][]byte{"state.json": []byte(`{"v":"stale"}`)}, "stale")
	if !errors.Is(err, github.ErrRefMoved) || !strings.Contains(err.Error(), "Update is not a fast forward") {
		t.Fatalf("stale save: %v", err)
	}
	// Two runs creating the branch at once: the second is refused too.
	d2 := &github.DataBranch{Client: c, Owner: "o", Repo: "status", Branch: "probe-data"}
	if _, err := d2.Save(ctx, "", map[string][]byte{"state.json": []byte(`{}`)}, "again"); !errors.Is(err, github.ErrRefMoved) {
		t.Fatalf("second create: %v", err)
	}
	files, paths, v, err := d.Load(ctx, func(p string) bool { return strings.HasSuffix(p, ".json") })
	if err != nil || v != v2 || string(files["state.json"]) != `{"v":2}` || len(files) != 1 || strings.Join(paths, ",") != "history/a.jsonl,state.json" {
		t.Errorf("after the race: %v %s %q %v", err, v, files, paths)
	}
	// A nil content deletes the file.
	v3, err := d.Save(ctx, v2, map[string][]byte{"history/a.jsonl": nil}, "delete")
	if err != nil {
		t.Fatal(err)
	}
	if _, paths, v, _ := d.Load(ctx, nil); v != v3 || strings.Join(paths, ",") != "state.json" {
		t.Errorf("after deleting: %v", paths)
	}
	if n := f.Commits("probe-data"); n != 3 {
		t.Errorf("%d commits on the branch, want 3", n)
	}
}

func TestListContainerPackages(t *testing.T) {
	f := githubtest.New(t)
	f.SetPackages("Molecule-AI", "workspace-template", "workspace-template-openclaw")
	c := newClient(t, f, nil)
	names, err := c.ListContainerPackages(context.Background(), "Molecule-AI")
	if err != nil || strings.Join(names, ",") != "workspace-template,workspace-template-openclaw" {
		t.Errorf("%v %v", names, err)
	}
	_, err = c.ListContainerPackages(context.Background(), "nobody")
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Errorf("unknown org: %v", err)
	}
}
