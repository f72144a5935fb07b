package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// commitID is a short commit id in a message: a commit made by the test has the time in it.
var commitID = regexp.MustCompile(`commit [0-9a-f]{12}`)

// lintCallsFixture unpacks testdata/lint-calls.txtar: work/app, the caller, and work/shared, a
// git repository of Acme/shared with shared-v1's files tagged v1 and shared-main's at main. It
// returns work and the files of both refs, for the fake.
func lintCallsFixture(t *testing.T) (work string, v1, main map[string]string) {
	t.Helper()
	gittest.Need(t)
	ar, err := txtar.ParseFile(filepath.Join("testdata", "lint-calls.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	work = t.TempDir()
	v1, main = map[string]string{}, map[string]string{}
	app := map[string]string{}
	for _, f := range ar.Files {
		top, rest, _ := strings.Cut(f.Name, "/")
		switch top {
		case "shared-v1":
			v1[rest] = string(f.Data)
		case "shared-main":
			main[rest] = string(f.Data)
		case "app":
			app[rest] = string(f.Data)
		}
	}
	writeLintFiles(t, filepath.Join(work, "app"), app)
	shared := filepath.Join(work, "shared")
	gittest.Init(t, shared)
	writeLintFiles(t, shared, v1)
	gittest.Commit(t, shared, "v1")
	gittest.Run(t, shared, "tag", "v1")
	writeLintFiles(t, shared, main)
	gittest.Commit(t, shared, "build: a registry input, and TOKEN required")
	return work, v1, main
}

// TestLintCallsCheckout: with lint.reusable.checkouts naming a checkout of the callee, every call
// into it is checked at the ref it pins, read from the checkout's git history; a call into a
// repository with no checkout and no token is "call not checked", with the reason.
func TestLintCallsCheckout(t *testing.T) {
	work, _, _ := lintCallsFixture(t)
	app := filepath.Join(work, "app")
	writeLintFiles(t, app, map[string]string{".molecule-ci.yml": "lint:\n  org: Acme\n  reusable:\n    checkouts:\n      Acme/shared: ../shared\n"})
	out := lintIn(t, app, nil, "lint", "--shellcheck", "off")
	golden.Check(t, filepath.Join("testdata", "lint-calls-checkout.golden"), []byte(commitID.ReplaceAllString(out, "commit C")))
}

// TestLintCallsAPI: with a token, the callee is read through the GitHub API at the pinned ref —
// the same findings as from a checkout — and a warm run costs no request counted against the
// rate limit (the refs answer 304, the files of a commit are in the cache). A rate limit that
// resets later than lint waits leaves the calls not checked, saying why: never an error.
func TestLintCallsAPI(t *testing.T) {
	work, v1, main := lintCallsFixture(t)
	app := filepath.Join(work, "app")
	writeLintFiles(t, app, map[string]string{".molecule-ci.yml": "lint:\n  org: Acme\n"})
	f := githubtest.New(t)
	f.AddRepos(githubtest.RepoSpec{Owner: "Acme", Name: "shared", Branches: map[string]map[string]string{"main": main, "release-1": v1}, Tags: map[string]string{"v1": "release-1"}})
	clk := &triageClock{t: triageNow}
	f.SetRateLimit(5000, time.Hour, clk.Now)
	lintClientOptions = []github.Option{github.WithClock(clk.Now), github.WithSleep(clk.Sleep)}
	t.Cleanup(func() { lintClientOptions = nil })
	cache := filepath.Join(work, "cache")
	env := func() map[string]string {
		return map[string]string{"GITHUB_API_URL": f.URL, "GITHUB_TOKEN": "ghs_lintReadToken", "XDG_CACHE_HOME": cache}
	}

	host := strings.TrimSuffix(f.URL, "/api/v3")
	run := func(env map[string]string) string {
		return strings.ReplaceAll(lintIn(t, app, env, "lint", "--shellcheck", "off"), host, "$GITHUB")
	}
	cold := run(env())
	golden.Check(t, filepath.Join("testdata", "lint-calls-api.golden"), []byte(cold))
	counted := f.RepoRequests()["acme/shared"]
	// v1, main and v9 resolved (v9 to nothing), and the three files of v1's commit and main's.
	if want := (githubtest.RequestCount{Counted: 3 + 4}); counted != want {
		t.Errorf("cold: %+v, want %+v", counted, want)
	}
	if warm := run(env()); warm != cold {
		t.Errorf("a warm run differs:\n%s", warm)
	}
	// The refs answer 304 and the files come from the cache; the ref and the file that do not
	// exist are asked again (GitHub gives no ETag with a 404 or a 422, and they may exist now).
	after := f.RepoRequests()["acme/shared"]
	if want := (githubtest.RequestCount{Counted: counted.Counted + 2, NotModified: 2}); after != want {
		t.Errorf("warm: %+v after %+v, want %+v: the two refs that exist answered 304, only v9 and deploy.yml asked again", after, counted, want)
	}

	// A new cache and a budget of 2: v1 and its file are read, then GitHub refuses until the
	// hour is over, longer than lint waits.
	f.SetRateLimit(2, time.Hour, clk.Now)
	limited := env()
	limited["XDG_CACHE_HOME"] = filepath.Join(work, "cache-2")
	out := run(limited)
	golden.Check(t, filepath.Join("testdata", "lint-calls-rate-limit.golden"), []byte(out))
	if clk.waited != 0 {
		t.Errorf("lint waited %v for a rate limit an hour away", clk.waited)
	}
}

// TestLintCallsNoToken: without a checkout or a token nothing is fetched, and every call into
// another repository is an info finding saying why it was not checked.
func TestLintCallsNoToken(t *testing.T) {
	work, _, _ := lintCallsFixture(t)
	app := filepath.Join(work, "app")
	writeLintFiles(t, app, map[string]string{".molecule-ci.yml": "lint:\n  org: Acme\n"})
	out := lintIn(t, app, nil, "lint", "--shellcheck", "off", "--format", "github")
	const want = "::notice col=11,endLine=%d,file=.github/workflows/ci.yml,line=%d,title=reusable-call::call not checked: no local checkout of Acme/shared (lint.reusable.checkouts, or the sibling shared of a fleet run); no GitHub token (GITHUB_TOKEN, or the action's github-token) to read it through the API"
	for _, line := range []int{6, 13, 18, 31, 33, 35} {
		if w := fmt.Sprintf(want, line, line); !strings.Contains(out, w) {
			t.Errorf("want %s\n%s", w, out)
		}
	}
	if n := strings.Count(out, "title=reusable-call::"); n != 7 {
		t.Errorf("%d reusable-call findings, want one notice on each of the 7 calls:\n%s", n, out)
	}
	if _, err := os.Stat(filepath.Join(app, ".git")); err == nil {
		t.Fatal("the fixture's app must not be a git repository")
	}
}
