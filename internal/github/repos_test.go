package github_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

const repoToken = "ghs_fleetTokenDoNotLeak"

func cachedClient(t *testing.T, f *githubtest.Fake, dir string, opts ...github.Option) *github.Client {
	t.Helper()
	c, err := github.NewClient(repoToken, f.URL, append([]github.Option{github.WithCache(dir),
		github.WithSleep(func(context.Context, time.Duration) error { return nil })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func orgFixture(f *githubtest.Fake) {
	for i := range 5 {
		f.AddRepos(githubtest.RepoSpec{
			Owner: "acme", Name: fmt.Sprintf("repo-%d", i), Archived: i == 3, Fork: i == 4,
			Branches: map[string]map[string]string{
				"main":    {".github/workflows/ci.yml": "on: push\n", "README.md": fmt.Sprint("repo ", i)},
				"staging": {".github/workflows/ci.yml": "on: pull_request\n"},
			},
			Tags: map[string]string{"v1": "main"},
		})
	}
	f.AddRepos(githubtest.RepoSpec{Owner: "other", Name: "x", Branches: map[string]map[string]string{"main": {"a": "b"}}})
}

// TestOrgRepositoriesConditional lists an organisation across pages, then again: every page is a
// 304, which does not count against the rate limit.
func TestOrgRepositoriesConditional(t *testing.T) {
	ctx := context.Background()
	f := githubtest.New(t)
	f.SetRepoPageSize(2)
	orgFixture(f)
	dir := t.TempDir()
	c := cachedClient(t, f, dir)
	for run := range 2 {
		repos, err := c.OrgRepositories(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range repos {
			got = append(got, fmt.Sprintf("%s/%s %s archived=%v fork=%v", r.Owner, r.Name, r.DefaultBranch, r.Archived, r.Fork))
		}
		want := []string{
			"acme/repo-0 main archived=false fork=false", "acme/repo-1 main archived=false fork=false",
			"acme/repo-2 main archived=false fork=false", "acme/repo-3 main archived=true fork=false",
			"acme/repo-4 main archived=false fork=true",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("run %d: %q\nwant %q", run, got, want)
		}
	}
	if got := f.RepoRequests()[""]; got != (githubtest.RequestCount{Counted: 3, NotModified: 3}) {
		t.Errorf("listing requests: %+v, want 3 counted (cold) and 3 not modified (warm)", got)
	}
	// A new client on the same cache directory (the next run) is warm too.
	if _, err := cachedClient(t, f, dir).OrgRepositories(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if got := f.RepoRequests()[""]; got.Counted != 3 {
		t.Errorf("a new run on the same cache counted %d listings, want none more", got.Counted-3)
	}
	if _, err := c.OrgRepositories(ctx, "nobody"); !errors.Is(err, github.ErrNotFound) || !strings.Contains(err.Error(), "organisation nobody not found, or not visible to the token") {
		t.Errorf("unknown organisation: %v", err)
	}
	if _, err := c.OrgRepositories(ctx, "../x"); err == nil {
		t.Error("a hostile organisation name was sent")
	}
}

func TestRepositoryReads(t *testing.T) {
	ctx := context.Background()
	f := githubtest.New(t)
	orgFixture(f)
	c := cachedClient(t, f, t.TempDir())

	head, err := c.BranchHead(ctx, "acme", "repo-1", "main")
	if err != nil || len(head.Commit) != 40 || len(head.Tree) != 40 {
		t.Fatalf("BranchHead: %+v, %v", head, err)
	}
	if again, err := c.BranchHead(ctx, "acme", "repo-1", "main"); err != nil || again != head {
		t.Fatalf("BranchHead from a 304: %+v, %v", again, err)
	}
	if _, err := c.BranchHead(ctx, "acme", "repo-1", "nope"); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("missing branch: %v", err)
	}
	for _, ref := range []string{"main", "v1", head.Commit} {
		sha, err := c.CommitSHA(ctx, "acme", "repo-1", ref)
		if err != nil || sha != head.Commit {
			t.Errorf("CommitSHA(%s) = %s, %v; want %s", ref, sha, err, head.Commit)
		}
	}
	if _, err := c.CommitSHA(ctx, "acme", "repo-1", "v9"); !errors.Is(err, github.ErrNoCommit) || !strings.Contains(err.Error(), "No commit found for SHA: v9") {
		t.Errorf("missing ref: %v", err)
	}
	if _, err := c.CommitSHA(ctx, "acme", "gone", "main"); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("missing repository: %v", err)
	}

	before := f.RepoRequests()["acme/repo-1"].Counted
	for range 2 {
		b, err := c.FileAt(ctx, "acme", "repo-1", head.Commit, ".github/workflows/ci.yml", 1<<20)
		if err != nil || string(b) != "on: push\n" {
			t.Fatalf("FileAt: %q, %v", b, err)
		}
	}
	if n := f.RepoRequests()["acme/repo-1"].Counted - before; n != 1 {
		t.Errorf("a file at a commit was asked for %d times, want once (it never changes)", n)
	}
	if _, err := c.FileAt(ctx, "acme", "repo-1", head.Commit, "missing.yml", 1<<20); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := c.FileAt(ctx, "acme", "repo-1", head.Commit, "README.md", 3); err == nil || !strings.Contains(err.Error(), "larger than 3 bytes") {
		t.Errorf("over the limit: %v", err)
	}

	var names []string
	err = c.Tarball(ctx, "acme", "repo-1", head.Commit, 1<<20, func(r io.Reader) error {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			names = append(names, h.Name)
		}
	})
	top := "acme-repo-1-" + head.Commit[:7] + "/"
	if want := []string{"pax_global_header", top, top + ".github/", top + ".github/workflows/", top + ".github/workflows/ci.yml", top + "README.md"}; err != nil || !slices.Equal(names, want) {
		t.Errorf("tarball: %q, %v\nwant %q", names, err, want)
	}
	if got := f.RepoRequests()["acme/repo-1"]; got.Downloads != 1 {
		t.Errorf("downloads: %+v", got)
	}
	err = c.Tarball(ctx, "acme", "repo-1", head.Commit, 10, func(r io.Reader) error { _, err := io.ReadAll(r); return err })
	if err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
		t.Errorf("tarball over the limit: %v", err)
	}
	if err := c.Tarball(ctx, "acme", "repo-1", "nope", 1<<20, func(io.Reader) error { return nil }); !errors.Is(err, github.ErrNotFound) {
		t.Errorf("tarball of a missing ref: %v", err)
	}
}

// TestRateLimitWaitsForTheReset spends the budget: the next request answers 403 with the reset,
// the client waits for it (on the fake clock) and goes on; 304s cost nothing on the way.
func TestRateLimitWaitsForTheReset(t *testing.T) {
	ctx := context.Background()
	f := githubtest.New(t)
	orgFixture(f)
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f.SetRateLimit(3, time.Hour, clock)
	var waits []time.Duration
	c, err := github.NewClient(repoToken, f.URL, github.WithCache(t.TempDir()), github.WithClock(clock), github.WithMaxWait(2*time.Hour),
		github.WithSleep(func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			now = now.Add(d)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := c.BranchHead(ctx, "acme", fmt.Sprintf("repo-%d", i), "main"); err != nil {
			t.Fatalf("repo-%d: %v", i, err)
		}
	}
	if len(waits) != 1 || waits[0] != time.Hour+time.Second {
		t.Errorf("waits %v, want one wait of an hour and a second (until the reset, which has a one-second grain)", waits)
	}
	if b := c.Budget(); !b.Known || b.Limit != 3 || b.Remaining != 1 {
		t.Errorf("budget %+v, want 1 of 3 left after the reset", b)
	}
	// Unchanged answers are free: five 304s leave the budget as it was.
	for i := range 5 {
		if _, err := c.BranchHead(ctx, "acme", fmt.Sprintf("repo-%d", i), "main"); err != nil {
			t.Fatal(err)
		}
	}
	if b := c.Budget(); b.Remaining != 1 || len(waits) != 1 {
		t.Errorf("after five 304s: budget %+v, waits %v", b, waits)
	}

	// A client that will not wait that long gets a typed error naming the wait, without the token.
	impatient, err := github.NewClient(repoToken, f.URL, github.WithClock(clock), github.WithMaxWait(time.Minute),
		github.WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	impatient.BranchHead(ctx, "acme", "repo-0", "staging") // spends the last request
	_, err = impatient.BranchHead(ctx, "acme", "repo-1", "staging")
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || strings.Contains(err.Error(), repoToken) {
		t.Errorf("spent budget: %v", err)
	}
}
