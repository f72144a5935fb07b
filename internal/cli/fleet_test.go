package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/triage"
)

// fleetFixture is internal/fleet's fixture fleet (app, lib, shared) copied into a temporary
// directory, each a git repository with its files on main and tag v1 there (the refs the
// fixture's calls pin, as seedOrg serves them), with an empty directory beside.
func fleetFixture(t testing.TB) string {
	t.Helper()
	gittest.Need(t)
	dir := filepath.Join(t.TempDir(), "fleet")
	fsutiltest.CopyTree(t, filepath.Join("..", "fleet", "testdata", "fleet"), dir, nil)
	for _, name := range []string{"app", "lib", "shared"} {
		repo := filepath.Join(dir, name)
		gittest.Init(t, repo)
		gittest.Commit(t, repo, "main")
		gittest.Run(t, repo, "tag", "v1")
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seedOrg serves every checkout under each of dirs (an immediate subdirectory is a repository)
// as a repository of owner on the fake, its files (not .git) at branch main and tag v1.
func seedOrg(t testing.TB, f *githubtest.Fake, owner string, dirs ...string) {
	t.Helper()
	for _, parent := range dirs {
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			files := fsutiltest.ReadTree(t, filepath.Join(parent, e.Name()))
			for p := range files {
				if p == ".git" || strings.HasPrefix(p, ".git/") {
					delete(files, p)
				}
			}
			f.AddRepos(githubtest.RepoSpec{Owner: owner, Name: e.Name(), Branches: map[string]map[string]string{"main": files}, Tags: map[string]string{"v1": "main"}})
		}
	}
}

type fleetRunResult struct {
	stdout, stderr string
	code           int
	outputs        string
	summary        string
}

// clock is a time the GitHub clients read and wait on (triageClock).
type clock interface {
	Now() time.Time
	Sleep(context.Context, time.Duration) error
}

// runFleetCmd runs `molecule-ci fleet` in dir with env (nil: outside GitHub Actions), the GitHub
// clients on clk (nil: the wall clock).
func runFleetCmd(t testing.TB, dir string, env map[string]string, clk clock, args ...string) fleetRunResult {
	t.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["XDG_CACHE_HOME"]; !ok {
		env["XDG_CACHE_HOME"] = filepath.Join(dir, ".cache")
	}
	if clk != nil {
		fleetClientOptions = []github.Option{github.WithClock(clk.Now), github.WithSleep(clk.Sleep)}
		defer func() { fleetClientOptions = nil }()
	}
	if env["GITHUB_ACTIONS"] == "true" {
		env["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "summary.md")
		env["GITHUB_OUTPUT"] = filepath.Join(dir, "output")
		os.Remove(env["GITHUB_OUTPUT"])
		os.Remove(env["GITHUB_STEP_SUMMARY"])
	}
	var stdout, stderr bytes.Buffer
	e := Env{Actions: ghaction.New(func(k string) string { return env[k] }, &stdout), WorkDir: dir}
	code := Run(context.Background(), append([]string{"fleet"}, args...), Streams{Stdout: &stdout, Stderr: &stderr}, e)
	r := fleetRunResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
	if p := env["GITHUB_OUTPUT"]; p != "" {
		b, _ := os.ReadFile(p)
		r.outputs = string(b)
		b, _ = os.ReadFile(env["GITHUB_STEP_SUMMARY"])
		r.summary = string(b)
	}
	return r
}

// TestFleetDirAndCalls: the fixture fleet as a table (exit 1: an error finding), its call graph
// (exit 0), and the progress lines of a CI log.
func TestFleetDirAndCalls(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	r := runFleetCmd(t, work, map[string]string{"CI": "true"}, nil, "--dir", "fleet", "--owner", "Acme", "-j", "1", "--shellcheck", "off")
	if r.code != ExitFindings {
		t.Errorf("exit %d, want 1 (an error finding)\n%s", r.code, r.stderr)
	}
	golden.Check(t, "testdata/fleet-table.golden", []byte(r.stdout))
	durations := regexp.MustCompile(`\(\d+(\.\d+)?[µm]?s\)`)
	golden.Check(t, "testdata/fleet-progress.golden", []byte(durations.ReplaceAllString(r.stderr, "(T)")))
	r = runFleetCmd(t, work, nil, nil, "--dir", "fleet", "--owner", "Acme", "--calls")
	if r.code != ExitOK {
		t.Errorf("--calls: exit %d\n%s", r.code, r.stderr)
	}
	golden.Check(t, "testdata/fleet-calls.golden", []byte(r.stdout))
}

// TestFleetCorpus runs the fleet over the organisation's real repositories: every one is linted,
// its contract kind recognised, and its calls into the shared workflows listed.
func TestFleetCorpus(t *testing.T) {
	corpus := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(corpus, "fleet-sample")); err != nil {
		t.Skipf("SKIP: the shared corpus is not here (%v)", err)
	}
	work := t.TempDir()
	abs, _ := filepath.Abs(corpus)
	args := []string{"--dir", filepath.Join(abs, "fleet-sample"), "--owner", "Molecule-AI", "--shellcheck", "off"}
	for _, r := range []string{"molecule-ci-main", "molecule-core-head", "template-claude-code", "template-openclaw", "plugin-github-app-auth", "org-template-molecule-dev", "molecule-ai-status"} {
		args = append(args, "--repo", filepath.Join(abs, r))
	}
	calls := runFleetCmd(t, work, nil, nil, append(args, "--calls")...)
	if calls.code != ExitOK {
		t.Fatalf("--calls: exit %d\n%s", calls.code, calls.stderr)
	}
	golden.Check(t, "testdata/fleet-corpus-calls.golden", []byte(calls.stdout))

	r := runFleetCmd(t, work, nil, nil, append(args, "--format", "json")...)
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	d, err := fleet.ParseDocument([]byte(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, repo := range d.Repos {
		if repo.Error != "" || repo.Skipped != "" || repo.FilesChecked == 0 {
			t.Errorf("%s: not linted: %q %q", repo.Name, repo.Error, repo.Skipped)
		}
		kinds = append(kinds, repo.Name+" "+repo.Kind)
	}
	want := []string{
		"molecule-ai-org-template-ux-ab-lab org-template", "molecule-ai-plugin-gh-identity go-plugin", "molecule-ai-plugin-molecule-dev plugin",
		"molecule-ai-plugin-molecule-hitl plugin", "molecule-ai-plugin-molecule-medo plugin", "molecule-ai-plugin-superpowers plugin",
		"molecule-ai-status none", "molecule-ai-workspace-runtime none", "molecule-ai-workspace-template-autogen workspace-template",
		"molecule-ai-workspace-template-crewai workspace-template", "molecule-ci-main none", "molecule-core-head none", "molecule-mcp-server none",
		"org-template-molecule-dev org-template", "plugin-github-app-auth go-plugin", "template-claude-code workspace-template",
		"template-openclaw workspace-template",
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("kinds:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
	// The call graph of the lint run is the one --calls printed.
	var g bytes.Buffer
	report.Write(&g, "human", d.CallGraph().Report(), report.Options{})
	if g.String() != calls.stdout {
		t.Errorf("the lint run's call graph differs from --calls:\n%s", g.String())
	}
}

// normalisePaths makes an --org report comparable with a --dir one: the repository's path is
// OWNER/NAME there and the checkout's directory here.
func normalisePaths(t testing.TB, js string) *fleet.Document {
	t.Helper()
	d, err := fleet.ParseDocument([]byte(js))
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	for i := range d.Repos {
		d.Repos[i].Path = d.Repos[i].Name
		d.Repos[i].Notes = nil
	}
	return d
}

func docJSON(t testing.TB, d *fleet.Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := d.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestFleetOrg reads an organisation through the fake GitHub API: the report is the one the
// checkouts give, each repository costs two counted requests cold (its branch head and its
// tarball) and none warm (the head is a 304, the tree is in the cache).
func TestFleetOrg(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	f := githubtest.New(t)
	seedOrg(t, f, "Acme", dir)
	f.AddRepos(githubtest.RepoSpec{Owner: "Acme", Name: "archived", Archived: true, Branches: map[string]map[string]string{"main": {"a.txt": "a"}}},
		githubtest.RepoSpec{Owner: "Acme", Name: "fork", Fork: true, Branches: map[string]map[string]string{"main": {"a.txt": "a"}}})
	env := func() map[string]string {
		return map[string]string{"GITHUB_API_URL": f.URL, "FLEET_TOKEN": "ghp_fleetReadToken0123456789abcdefABCDEF"}
	}
	local := runFleetCmd(t, work, nil, nil, "--dir", "fleet", "--owner", "Acme", "--shellcheck", "off", "--format", "json")
	cold := runFleetCmd(t, work, env(), nil, "--org", "Acme", "--shellcheck", "off", "--format", "json")
	if cold.code != ExitFindings || !strings.Contains(cold.stderr, "1 archived repositories and 1 forks left out") {
		t.Fatalf("exit %d\n%s", cold.code, cold.stderr)
	}
	want := docJSON(t, normalisePaths(t, local.stdout))
	if got := docJSON(t, normalisePaths(t, cold.stdout)); got != want {
		t.Errorf("--org report differs from the checkouts':\n%s\n---\n%s", got, want)
	}
	counts := f.RepoRequests()
	for _, name := range []string{"app", "lib"} {
		if c := counts["acme/"+name]; c != (githubtest.RequestCount{Counted: 2, Downloads: 1}) {
			t.Errorf("cold %s: %+v, want 2 counted requests and 1 download", name, c)
		}
	}
	// shared is also the callee of app's call at v1 and lib's at main, one commit: the commit of
	// each ref, and the workflow once.
	if c := counts["acme/shared"]; c != (githubtest.RequestCount{Counted: 2 + 3, Downloads: 1}) {
		t.Errorf("cold shared: %+v, want 5 counted requests (2 for the repository, 3 for the calls into it) and 1 download", c)
	}
	// The empty repository has a default branch but no files: branch head and tarball.
	warm := runFleetCmd(t, work, env(), nil, "--org", "Acme", "--shellcheck", "off", "--format", "json")
	if warm.stdout != cold.stdout {
		t.Errorf("a warm run's report differs:\n%s", warm.stdout)
	}
	for name, c := range f.RepoRequests() {
		before := counts[name]
		if c.Counted != before.Counted || c.Downloads != before.Downloads {
			t.Errorf("warm %q: %+v after %+v: a warm run must cost no counted request", name, c, before)
		}
	}
	if c := f.RepoRequests()["acme/app"]; c.NotModified != 1 {
		t.Errorf("warm app: %+v, want one 304", c)
	}
	// One file changes: that repository costs two requests again, the others nothing.
	content := "name: ci\non: [push]\npermissions: {}\njobs: {}\n"
	f.SetFile("Acme", "lib", "main", ".github/workflows/test.yml", &content)
	runFleetCmd(t, work, env(), nil, "--org", "Acme", "--shellcheck", "off", "--format", "json")
	after := f.RepoRequests()
	if d := after["acme/lib"].Counted - counts["acme/lib"].Counted; d != 2 {
		t.Errorf("a changed repository cost %d counted requests, want 2", d)
	}
	if d := after["acme/app"].Counted - counts["acme/app"].Counted; d != 0 {
		t.Errorf("an unchanged repository cost %d counted requests", d)
	}
}

// TestFleetOrgCorpus: the organisation's real repositories served by the fake give the same
// report through the API as from their checkouts.
func TestFleetOrgCorpus(t *testing.T) {
	corpus, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus", "fleet-sample"))
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("SKIP: the shared corpus is not here (%v)", err)
	}
	work := t.TempDir()
	f := githubtest.New(t)
	seedOrg(t, f, "Molecule-AI", corpus)
	serveSharedWorkflows(t, f, filepath.Dir(corpus))
	// Both runs read the called workflows through the API (the fleet-sample has no checkout of
	// the shared ones), so their calls are checked the same way.
	api := func() map[string]string { return map[string]string{"GITHUB_API_URL": f.URL, "FLEET_TOKEN": "ghp_x"} }
	local := runFleetCmd(t, work, api(), nil, "--dir", corpus, "--owner", "Molecule-AI", "--shellcheck", "off", "--format", "json")
	remote := runFleetCmd(t, work, api(), nil, "--org", "Molecule-AI", "--shellcheck", "off", "--format", "json")
	if remote.code != local.code {
		t.Errorf("exit %d through the API, %d from the checkouts\n%s", remote.code, local.code, remote.stderr)
	}
	if a, b := docJSON(t, normalisePaths(t, remote.stdout)), docJSON(t, normalisePaths(t, local.stdout)); a != b {
		t.Errorf("reports differ:\n%s\n---\n%s", a, b)
	}
}

// serveSharedWorkflows serves the organisation's two repositories of shared workflows from the
// corpus on the fake: molecule-ci (main without validate-go-plugin.yml, staging with it, as the
// corpus README tells) and molecule-core (its workflows at staging). They are archived on the
// fake so that an --org listing leaves them out: they are callees here, not members of the fleet.
func serveSharedWorkflows(t testing.TB, f *githubtest.Fake, corpus string) {
	t.Helper()
	ci := fsutiltest.ReadTree(t, filepath.Join(corpus, "molecule-ci-main"))
	main := map[string]string{}
	for p, c := range ci {
		if p != ".github/workflows/validate-go-plugin.yml" {
			main[p] = c
		}
	}
	core := map[string]string{}
	for p, c := range fsutiltest.ReadTree(t, filepath.Join(corpus, "molecule-core-head", ".github", "workflows")) {
		core[".github/workflows/"+p] = c
	}
	f.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: "molecule-ci", Archived: true, Branches: map[string]map[string]string{"main": main, "staging": ci}},
		githubtest.RepoSpec{Owner: "Molecule-AI", Name: "molecule-core", Archived: true, DefaultBranch: "staging", Branches: map[string]map[string]string{"staging": core}})
}

// TestFleetShardsMergeCLI: plan, shards and merge through the command line give the report of
// one run, byte for byte; a missing shard fails the merge and names what is missing.
func TestFleetShardsMergeCLI(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	base := []string{"--dir", "fleet", "--owner", "Acme", "--shellcheck", "off"}
	whole := runFleetCmd(t, work, nil, nil, append(base, "--format", "json")...)
	plan := runFleetCmd(t, work, map[string]string{"GITHUB_ACTIONS": "true"}, nil, append(base, "--plan", "--shards", "3")...)
	if plan.code != ExitOK || !strings.Contains(plan.outputs, "matrix<<") || !strings.Contains(plan.outputs, "shards<<") {
		t.Fatalf("plan: exit %d\n%s\n%s", plan.code, plan.stderr, plan.outputs)
	}
	var p fleet.Plan
	if err := json.Unmarshal([]byte(plan.stdout), &p); err != nil || len(p.Include) != 3 {
		t.Fatalf("plan %q: %v", plan.stdout, err)
	}
	os.WriteFile(filepath.Join(work, "plan.json"), []byte(plan.stdout), 0o644)
	var shards []string
	for i := range 3 {
		name := filepath.Join(work, "shard-"+string(rune('0'+i))+".json")
		r := runFleetCmd(t, work, nil, nil, append(base, "--shard", string(rune('0'+i)), "--plan-file", "plan.json", "--json-file", name, "--format", "markdown")...)
		if r.code > ExitFindings {
			t.Fatalf("shard %d: exit %d\n%s", i, r.code, r.stderr)
		}
		shards = append(shards, name)
	}
	merged := runFleetCmd(t, work, nil, nil, append([]string{"--merge", "--plan-file", "plan.json", "--format", "json"}, shards...)...)
	if merged.stdout != whole.stdout || merged.code != whole.code {
		t.Errorf("merged (exit %d) differs from one run (exit %d):\n%s\n---\n%s", merged.code, whole.code, merged.stdout, whole.stdout)
	}
	// --of N makes the plan again from the listing: the same shards.
	again := runFleetCmd(t, work, nil, nil, append(base, "--shard", "1", "--of", "3", "--format", "json")...)
	one, _ := os.ReadFile(shards[1])
	if again.stdout != string(one) {
		t.Errorf("--of 3 shard 1 differs from the plan file's:\n%s\n---\n%s", again.stdout, one)
	}
	missing := runFleetCmd(t, work, nil, nil, "--merge", "--plan-file", "plan.json", "--format", "json", shards[0], shards[2])
	if missing.code != ExitTool || !strings.Contains(missing.stderr, "of the plan are in no shard's report") {
		t.Errorf("a missing shard: exit %d\n%s", missing.code, missing.stderr)
	}
	dup := runFleetCmd(t, work, nil, nil, "--merge", shards[0], shards[0])
	if dup.code != ExitUsage || !strings.Contains(dup.stderr, "is in two shards' reports") {
		t.Errorf("a shard twice: exit %d\n%s", dup.code, dup.stderr)
	}
}

// TestFleetUsage: every wrong command line is exit 2 with a message saying what to do.
func TestFleetUsage(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	os.WriteFile(filepath.Join(work, "bad.json"), []byte(`{"repos":[{"name":"x","extra":1}]}`), 0o644)
	os.WriteFile(filepath.Join(work, "plan.json"), []byte(`{"include":[{"shard":0,"repos":[]}]}`), 0o644)
	var b strings.Builder
	for _, args := range [][]string{
		{},
		{"--dir", "fleet", "--org", "Acme"},
		{"--merge", "--dir", "fleet"},
		{"--merge"},
		{"--dir", "fleet", "extra"},
		{"--dir", "fleet", "--plan"},
		{"--dir", "fleet", "--plan", "--shards", "300"},
		{"--dir", "fleet", "--shards", "2"},
		{"--dir", "fleet", "--shard", "1"},
		{"--dir", "fleet", "--shard", "3", "--of", "3"},
		{"--dir", "fleet", "--of", "3"},
		{"--dir", "fleet", "--shard", "0", "--of", "2", "--plan-file", "plan.json"},
		{"--dir", "fleet", "--shard", "4", "--plan-file", "plan.json"},
		{"--dir", "fleet", "--format", "xml"},
		{"--dir", "fleet", "--calls", "--format", "sarif"},
		{"--dir", "fleet", "--fail-on", "bad"},
		{"--dir", "fleet", "-j", "-1"},
		{"--dir", "missing"},
		{"--repo", "fleet/app/.github/workflows/ci.yml"},
		{"--org", "bad/name"},
		{"--org", "Acme"},
		{"--merge", "bad.json"},
		{"--merge", "nothing.json"},
		{"--dir", "fleet", "--max-file-size", "lots"},
	} {
		r := runFleetCmd(t, work, nil, nil, args...)
		b.WriteString("fleet " + strings.Join(args, " ") + "\n  => exit " + string(rune('0'+r.code)) + ": " + strings.TrimSpace(strings.ReplaceAll(r.stderr, work, "$WORK")) + "\n")
	}
	golden.Check(t, "testdata/fleet-usage.golden", []byte(b.String()))
}

// TestFleetOrgFailures: one repository the API fails on is a line in the report and exit 3; the
// others are linted. An organisation that does not exist is exit 2. A spent rate limit is
// waited for, on the fake's clock.
func TestFleetOrgFailures(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	f := githubtest.New(t)
	seedOrg(t, f, "Acme", dir)
	env := map[string]string{"GITHUB_API_URL": f.URL, "FLEET_TOKEN": "ghp_fleetReadToken0123456789abcdefABCDEF"}
	f.Enqueue(githubtest.Reply{Path: "/repos/Acme/lib/branches/", Status: 404, Body: `{"message":"Branch not found","documentation_url":"https://docs.github.com/rest/branches/branches#get-a-branch","status":"404"}`})
	clk := &triageClock{t: time.Now()}
	r := runFleetCmd(t, work, env, clk, "--org", "Acme", "--shellcheck", "off", "-j", "1")
	if r.code != ExitTool || !strings.Contains(r.stdout, "Acme/lib: cannot be read: branch main of Acme/lib: not found: GET "+f.URL+"/repos/Acme/lib/branches/main: 404 Branch not found") ||
		!strings.Contains(r.stderr, "fleet: 1 repository could not be read or linted (see the report)") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "✗  app") || !strings.Contains(r.stdout, "!  lib") {
		t.Errorf("the other repositories were not linted:\n%s", r.stdout)
	}
	nf := runFleetCmd(t, work, env, clk, "--org", "Nobody")
	if nf.code != ExitUsage || !strings.Contains(nf.stderr, "organisation Nobody not found, or not visible to the token") {
		t.Errorf("unknown organisation: exit %d\n%s", nf.code, nf.stderr)
	}
	if strings.Contains(r.stdout+r.stderr+nf.stderr, "ghp_fleetReadToken") {
		t.Error("the token reached the output")
	}
	// Three requests a window: the run waits for the resets and lints everything.
	f2 := githubtest.New(t)
	seedOrg(t, f2, "Acme", dir)
	clk2 := &triageClock{t: time.Now()}
	f2.SetRateLimit(3, time.Hour, clk2.Now)
	work2 := t.TempDir()
	rl := runFleetCmd(t, work2, map[string]string{"GITHUB_API_URL": f2.URL, "FLEET_TOKEN": "ghp_x"}, clk2, "--org", "Acme", "--shellcheck", "off", "-j", "1", "--format", "json")
	if rl.code != ExitFindings || clk2.waited < 2*time.Hour {
		t.Errorf("rate limited: exit %d, waited %v\n%s", rl.code, clk2.waited, rl.stderr)
	}
	// A reset further away than --max-wait: the repositories it stops are reported, not hung on.
	f3 := githubtest.New(t)
	seedOrg(t, f3, "Acme", dir)
	clk3 := &triageClock{t: time.Now()}
	f3.SetRateLimit(3, time.Hour, clk3.Now)
	short := runFleetCmd(t, t.TempDir(), map[string]string{"GITHUB_API_URL": f3.URL, "FLEET_TOKEN": "ghp_x"}, clk3, "--org", "Acme", "--shellcheck", "off", "-j", "1", "--max-wait", "1m")
	if short.code != ExitTool || !strings.Contains(short.stdout, "API rate limit exceeded") {
		t.Errorf("--max-wait 1m: exit %d\n%s\n%s", short.code, short.stdout, short.stderr)
	}
}

// hostileToken is a credential planted in a repository: it must reach no output.
const hostileToken = "ghp_0123456789abcdefghijABCDEFGHIJ012345"

// TestFleetHostile: names and texts from a repository read through the API — a file named like
// a workflow command, a job id with markup, a planted token — reach every format encoded.
func TestFleetHostile(t *testing.T) {
	f := githubtest.New(t)
	f.AddRepos(githubtest.RepoSpec{Owner: "Acme", Name: "evil", Branches: map[string]map[string]string{"main": {
		".github/workflows/::error::x.yml": "on: push\npermissions: {}\njobs:\n  \"<script>alert(1)</script>\":\n    uses: \"Acme/shared/.github/workflows/a.yml@main\"\n    with:\n      \"a|b::warning::c\": 1\n# " + hostileToken + "\n",
		"notes.txt":                        "::error file=x::injected\n" + hostileToken + "\n",
	}}})
	work := t.TempDir()
	env := func() map[string]string {
		return map[string]string{"GITHUB_API_URL": f.URL, "FLEET_TOKEN": "ghp_x", "GITHUB_ACTIONS": "true"}
	}
	site := filepath.Join(work, "site")
	var all strings.Builder
	for _, format := range []string{"human", "json", "markdown", "sarif"} {
		r := runFleetCmd(t, work, env(), nil, "--org", "Acme", "--shellcheck", "off", "--format", format, "--site", site)
		if r.code != ExitFindings {
			t.Fatalf("%s: exit %d\n%s", format, r.code, r.stderr)
		}
		all.WriteString(r.stdout + r.stderr + r.summary)
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") && !strings.HasPrefix(line, "::add-mask::ghp_x") {
				t.Errorf("%s: a workflow command reached the log: %q", format, line)
			}
		}
	}
	calls := runFleetCmd(t, work, env(), nil, "--org", "Acme", "--calls")
	all.WriteString(calls.stdout + calls.summary)
	html, err := os.ReadFile(filepath.Join(site, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := os.ReadFile(filepath.Join(site, "fleet.json"))
	all.Write(html)
	all.Write(js)
	if strings.Contains(all.String(), hostileToken) {
		t.Error("the planted token reached an output")
	}
	if strings.Contains(string(html), "<script>") {
		t.Error("markup from a repository reached the page")
	}
	if !strings.Contains(string(html), "&lt;script&gt;") && !strings.Contains(calls.stdout, "<script>alert(1)</script>") {
		t.Errorf("the hostile job is not in the call graph:\n%s", calls.stdout)
	}
	if !strings.Contains(calls.summary, `a\|b::warning::c`) {
		t.Errorf("the job summary's input cell is not escaped:\n%s", calls.summary)
	}
}

// TestFleetTrackingIssue: two runs keep one tracking issue per organisation, found by its label,
// edited in place.
func TestFleetTrackingIssue(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	f := githubtest.New(t)
	env := func() map[string]string {
		return map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Acme/ci", "GITHUB_API_URL": f.URL, "GITHUB_TOKEN": "ghs_w",
			"GITHUB_RUN_ID": "42", "GITHUB_SERVER_URL": "https://github.com"}
	}
	for run := range 2 {
		r := runFleetCmd(t, work, env(), nil, "--dir", "fleet", "--shellcheck", "off", "--issue")
		if r.code != ExitFindings {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.stderr)
		}
		want := []string{"created", "unchanged"}[run]
		if !strings.Contains(r.stderr, "fleet: tracking issue "+want+": https://github.com/Acme/ci/issues/1") || !strings.Contains(r.outputs, "tracking-issue<<") {
			t.Errorf("run %d:\n%s\n%s", run, r.stderr, r.outputs)
		}
	}
	issues := f.Issues()
	if len(issues) != 1 || issues[0].Title != "CI fleet of Acme: 2 of 4 repositories failing" || !slices.Contains(issues[0].Labels, "molecule-ci-fleet") ||
		!strings.HasPrefix(issues[0].Body, "<!-- molecule-ci:fleet:acme -->\n## molecule-ci fleet") || !strings.Contains(issues[0].Body, "/actions/runs/42") {
		t.Errorf("issues %+v", issues)
	}
	// The fleet changes: the same issue is edited.
	os.RemoveAll(filepath.Join(dir, "lib"))
	r := runFleetCmd(t, work, env(), nil, "--dir", "fleet", "--shellcheck", "off", "--issue")
	if !strings.Contains(r.stderr, "tracking issue updated") || len(f.Issues()) != 1 || f.Issues()[0].Title != "CI fleet of Acme: 1 of 3 repositories failing" {
		t.Errorf("after a change: %s\n%+v", r.stderr, f.Issues())
	}
	if r := runFleetCmd(t, work, nil, nil, "--dir", "fleet", "--issue"); r.code != ExitUsage {
		t.Errorf("--issue outside Actions: exit %d\n%s", r.code, r.stderr)
	}
}

// TestFleetLiveProgress: on a terminal the progress is one line redrawn in place, ending with the
// run's total; outside a terminal, in CI, one line per repository.
func TestFleetLiveProgress(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	var stdout, stderr bytes.Buffer
	env := map[string]string{"XDG_CACHE_HOME": filepath.Join(work, ".cache")}
	e := Env{Actions: ghaction.New(func(k string) string { return env[k] }, &stdout), WorkDir: work, IsTerminal: true}
	code := Run(context.Background(), []string{"fleet", "--dir", "fleet", "--shellcheck", "off", "--color", "never"}, Streams{Stdout: &stdout, Stderr: &stderr}, e)
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "\x1b[1A\x1b[2Kfleet: 4 repositories in ") || !strings.HasPrefix(lines[0], "fleet: 0/4 done") {
		t.Errorf("live progress:\n%q", stderr.String())
	}
	if strings.Contains(stderr.String(), "[1/4]") {
		t.Error("log lines on a terminal")
	}
}

// TestFleetOrgShards: shards of an --org plan open their repositories from the plan file (which
// names their branches) without listing the organisation again, and merge into the unsharded
// report.
func TestFleetOrgShards(t *testing.T) {
	dir := fleetFixture(t)
	work := filepath.Dir(dir)
	f := githubtest.New(t)
	seedOrg(t, f, "Acme", dir)
	env := func() map[string]string { return map[string]string{"GITHUB_API_URL": f.URL, "FLEET_TOKEN": "ghp_x"} }
	whole := runFleetCmd(t, t.TempDir(), env(), nil, "--org", "Acme", "--shellcheck", "off", "--format", "json")
	plan := runFleetCmd(t, work, env(), nil, "--org", "Acme", "--plan", "--shards", "2", "--plan-file", "plan.json")
	if plan.code != ExitOK || strings.Contains(plan.stdout, "branches") {
		t.Fatalf("plan: exit %d, the matrix carries branches: %s\n%s", plan.code, plan.stdout, plan.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(work, "plan.json")); !strings.Contains(string(b), `"branches":["main"`) {
		t.Errorf("the plan file names no branches: %s", b)
	}
	listed := f.RepoRequests()[""]
	for i := range 2 {
		r := runFleetCmd(t, work, env(), nil, "--org", "Acme", "--shellcheck", "off", "--shard", string(rune('0'+i)), "--plan-file", "plan.json", "--json-file", filepath.Join("shards", "s"+string(rune('0'+i))+".json"))
		if r.code > ExitFindings {
			t.Fatalf("shard %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	if got := f.RepoRequests()[""]; got != listed {
		t.Errorf("the shards listed the organisation again: %+v after %+v", got, listed)
	}
	merged := runFleetCmd(t, work, nil, nil, "--merge", "shards", "--plan-file", "plan.json", "--format", "json")
	if merged.stdout != whole.stdout {
		t.Errorf("merged shards differ from one run:\n%s\n---\n%s", merged.stdout, whole.stdout)
	}
}

// TestFleetReportFeedsTriage: the JSON report is what `molecule-ci triage --fleet` reads to order
// repositories by how many others call into them.
func TestFleetReportFeedsTriage(t *testing.T) {
	dir := fleetFixture(t)
	full := runFleetCmd(t, filepath.Dir(dir), nil, nil, "--dir", "fleet", "--owner", "Acme", "--shellcheck", "off", "--format", "json")
	deps, err := triage.ParseFleet([]byte(full.stdout), "Acme")
	if err != nil {
		t.Fatal(err)
	}
	// app and lib call Acme/shared; shared's own local call does not count.
	if len(deps) != 1 || deps["shared"] != 2 {
		t.Errorf("dependents %v, want shared: 2", deps)
	}
}
