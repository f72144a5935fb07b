package github_test

import (
	"context"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

// TestUpsertBranchPR: one pull request per branch, created once, left alone when nothing
// changed, updated in place when the change or the base moved, never reopened once a
// maintainer closed it; its head's check runs listed.
func TestUpsertBranchPR(t *testing.T) {
	f := githubtest.New(t)
	f.AddRepos(githubtest.RepoSpec{Owner: "acme", Name: "app", Branches: map[string]map[string]string{
		"main": {".github/workflows/ci.yml": "uses: old\n", "README.md": "app\n"}}})
	c := cachedClient(t, f, t.TempDir())
	ctx := context.Background()
	head, err := c.BranchHead(ctx, "acme", "app", "main")
	if err != nil {
		t.Fatal(err)
	}
	pr := github.BranchPR{Owner: "acme", Repo: "app", Base: "main", BaseCommit: head.Commit, Branch: "molecule-ci/migrate",
		Files: map[string][]byte{".github/workflows/ci.yml": []byte("uses: new\n")}, Message: "ci: migrate", Title: "Migrate CI", Body: "body"}
	for i, want := range []string{"created", "unchanged"} {
		res, err := c.UpsertBranchPR(ctx, pr)
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != want || res.Number != 1 || res.URL != "https://github.com/acme/app/pull/1" {
			t.Errorf("run %d: %+v, want %s #1", i+1, res, want)
		}
	}
	files, ok := f.BranchFiles("acme", "app", "molecule-ci/migrate")
	if !ok || files[".github/workflows/ci.yml"] != "uses: new\n" || files["README.md"] != "app\n" {
		t.Errorf("branch files: %v", files)
	}
	pr.Files[".github/workflows/ci.yml"] = []byte("uses: newer\n")
	pr.Body = "body 2"
	res, err := c.UpsertBranchPR(ctx, pr)
	if err != nil || res.Action != "updated" || res.Number != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	pulls := f.Pulls("acme", "app")
	if len(pulls) != 1 || pulls[0].Body != "body 2" || pulls[0].State != "open" {
		t.Errorf("pulls: %+v", pulls)
	}
	f.SetCheckRuns("acme", "app", "molecule-ci/migrate", githubtest.CheckRun{Name: "lint", Status: "completed", Conclusion: "success"},
		githubtest.CheckRun{Name: "build", Status: "in_progress"})
	checks, ok, err := c.PRChecks(ctx, "acme", "app", "molecule-ci/migrate")
	if err != nil || !ok || checks.Number != 1 || len(checks.Checks) != 2 || checks.Checks[0].Name != "build" || checks.Checks[1].Conclusion != "success" {
		t.Errorf("checks: %+v %v %v", checks, ok, err)
	}
	f.ClosePull("acme", "app", 1)
	if _, err := c.UpsertBranchPR(ctx, pr); err == nil || !strings.Contains(err.Error(), "acme/app: pull request #1 of branch molecule-ci/migrate was closed without merging; not reopened") {
		t.Errorf("closed pull request: %v", err)
	}
	if _, ok, err := c.PRChecks(ctx, "acme", "app", "molecule-ci/migrate"); ok || err != nil {
		t.Errorf("checks of a closed pull request: %v %v", ok, err)
	}
	if n := len(f.Pulls("acme", "app")); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
}
