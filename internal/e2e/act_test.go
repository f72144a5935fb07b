package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"golang.org/x/tools/txtar"

	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// actTimeout bounds one act run. It is a guard against a hung runner, not a performance check: a
// run takes seconds once the Go build cache is warm.
const actTimeout = 10 * time.Minute

// offlineBreaches are act log lines that mean act tried to reach GitHub for an action or workflow,
// which these tests must never need.
var offlineBreaches = []string{"LocalRepositoryCache not matched", "failed to fetch", "git clone"}

// TestAct runs each testdata/*.txtar scenario through act. An archive holds:
//
//	-- workflow --          the consumer's workflow file that act runs (event: push)
//	-- copy --              optional "SRC DST" lines: files of this checkout copied into the
//	                        consumer (the caller template, so the test runs the shipped file)
//	-- must-contain --      lines that act's raw output must contain
//	-- must-not-contain --  lines that it must not contain
//	-- event --             optional: the event act sends (default push)
//	-- event.json --        optional: its payload (act -e)
//	-- needs --             optional, one a line: "buildkit" (the test daemon, as the
//	                        MOLECULE_CI_BUILDKIT_HOST variable), "registry" (a loopback OCI
//	                        registry as $REGISTRY), "fake-github" (a loopback GitHub API),
//	                        "triage-github" (githubtest's fake with a seeded queue),
//	                        "fleet-github" (githubtest's fake serving an organisation, see
//	                        seedFleet; artifacts between jobs kept in a directory),
//	                        "impact-github" (githubtest's fake serving the organisation of
//	                        seedImpact: callers of the consumer's own workflows),
//	                        "pr-comment" (skip unless coverage has --pr-comment)
//	-- replace --           optional FILE|OLD|NEW lines (\n in NEW is a line break): edits of the copied files ($RELEASE_URL
//	                        and $RELEASE_SHA256 are then filled in by a release section)
//	-- no-transcript --     optional, with the reason: no want section (act interleaves a failing
//	                        step's long output with its status lines differently on each run)
//	-- runs --              optional: how many times act runs the workflow (default 1)
//	-- comments --          optional: with needs fake-github, the number of pull request
//	                        comments there must be after the runs (each created once)
//	-- tracking-issues --   optional: with needs triage-github or fleet-github, the number of
//	                        issues there must be after the runs (filed once)
//	-- checkout --          optional, with the reason: the consumer starts as a copy of this
//	                        checkout's tracked files (a workflow of molecule-ci's own, run on
//	                        molecule-ci; put it first: later sections write over it)
//	-- release --           optional: "good" or "tampered": Molecule-AI/molecule-ci@v1 is a
//	                        release commit whose binary a loopback server serves (see release_test.go);
//	                        $RELEASE_URL in the consumer's files becomes that server's URL
//	<files>                 the rest of the consumer repository, committed before act runs
//	-- exit --              act's expected exit code
//	-- want --              the expected transcript (see transcript)
//
// act runs on the host (-P ubuntu-latest=-self-hosted), offline: Molecule-AI/molecule-ci@v1 (the
// action and the reusable workflow) resolves to this checkout, and actions/setup-go@v5 and
// github/codeql-action@v3 to the stand-ins under testdata/stubs. actions/checkout is act's own
// (it copies the consumer repository). Go with -update to rewrite exit and want.
//
// It needs MOLECULE_ACT, the act binary that .ci/setup-act.sh builds, and skips without it.
func TestAct(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	act := actBinary(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !bytes.HasPrefix(b, []byte("module github.com/Molecule-AI/molecule-ci\n")) {
		t.Fatalf("%s is not the molecule-ci checkout (go.mod: %v)", root, err)
	}
	stubs, err := filepath.Abs(filepath.Join("testdata", "stubs"))
	if err != nil {
		t.Fatal(err)
	}
	archives, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil || len(archives) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	env := actEnv(t)
	for _, path := range archives {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			runScenario(t, act, root, stubs, env, path)
		})
	}
}

// actBinary returns $MOLECULE_ACT when it runs, and skips the test otherwise.
func actBinary(t *testing.T) string {
	t.Helper()
	act := os.Getenv("MOLECULE_ACT")
	if act == "" {
		testenv.Missing(t, "MOLECULE_ACT is not set: export MOLECULE_ACT=\"$(bash .ci/setup-act.sh)\" to run the act end-to-end tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, act, "--version").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "MOLECULE_ACT=%s does not run: %v: %s", act, err, bytes.TrimSpace(out))
	}
	if _, err := exec.LookPath("git"); err != nil {
		testenv.Missing(t, "git is not on PATH: the consumer repositories need it: %v", err)
	}
	t.Logf("%s", bytes.TrimSpace(out))
	return act
}

// actEnv is the environment act and the workflow steps run in: this process's, without anything
// of an outer GitHub Actions run (its token would make molecule-ci call the Checks API), with a
// private HOME and XDG dirs (no ~/.actrc, no first-run prompt, no shared caches) and the Go
// settings pinned explicitly, because a new HOME would otherwise move Go's build and module caches.
func actEnv(t *testing.T) []string {
	t.Helper()
	goEnv := map[string]string{}
	names := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV", "GOPROXY", "GONOSUMDB", "GOPRIVATE", "GOTOOLCHAIN"}
	out, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	for i, v := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if i < len(names) {
			goEnv[names[i]] = v
		}
	}
	home := t.TempDir()
	set := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		// -mod=mod: the action builds in a copy of this checkout; -buildvcs=false keeps the
		// version line ("molecule-ci devel") the same whatever the checkout's git state.
		"GOFLAGS":  "-mod=mod -buildvcs=false",
		"NO_COLOR": "1",
	}
	for k, v := range goEnv {
		set[k] = v
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok || strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "RUNNER_") ||
			strings.HasPrefix(k, "ACTIONS_") || strings.HasPrefix(k, "INPUT_") || k == "ACT" || k == "CI" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

func runScenario(t *testing.T, act, root, stubs string, env []string, path string) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	repo := filepath.Join(work, "repo")
	var workflow string
	var mustContain, mustNotContain []string
	var release, event string
	runs, wantComments, wantTracking := 1, -1, -1
	noTranscript := false
	var replaces []string
	var eventJSON []byte
	var needs []string
	expect := map[string]string{}
	for _, f := range ar.Files {
		switch f.Name {
		case "workflow":
			workflow = strings.TrimSpace(string(f.Data))
		case "copy":
			for _, l := range lines(f.Data) {
				src, dst, ok := strings.Cut(l, " ")
				if !ok {
					t.Fatalf("copy: %q is not \"SRC DST\"", l)
				}
				if !filepath.IsAbs(src) {
					src = filepath.Join(root, src)
				}
				b, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(repo, dst), b)
				if fi, err := os.Stat(src); err == nil && fi.Mode()&0o111 != 0 {
					if err := os.Chmod(filepath.Join(repo, dst), 0o755); err != nil {
						t.Fatal(err)
					}
				}
			}
		case "checkout":
			copyCheckout(t, root, repo)
		case "must-contain":
			mustContain = lines(f.Data)
		case "must-not-contain":
			mustNotContain = lines(f.Data)
		case "release":
			release = strings.TrimSpace(string(f.Data))
		case "event":
			event = strings.TrimSpace(string(f.Data))
		case "event.json":
			eventJSON = f.Data
		case "needs":
			needs = lines(f.Data)
		case "replace":
			replaces = lines(f.Data)
		case "no-transcript":
			// The reason is the section's text; exit code and must-contain still apply.
			noTranscript = true
		case "runs":
			if runs, err = strconv.Atoi(strings.TrimSpace(string(f.Data))); err != nil || runs < 1 {
				t.Fatalf("runs: %q is not a positive number", f.Data)
			}
		case "tracking-issues":
			if wantTracking, err = strconv.Atoi(strings.TrimSpace(string(f.Data))); err != nil || wantTracking < 0 {
				t.Fatalf("tracking-issues: %q is not a count", f.Data)
			}
		case "comments":
			if wantComments, err = strconv.Atoi(strings.TrimSpace(string(f.Data))); err != nil || wantComments < 0 {
				t.Fatalf("comments: %q is not a count", f.Data)
			}
		case "exit", "want":
			expect[f.Name] = string(f.Data)
		default:
			writeFile(t, filepath.Join(repo, f.Name), f.Data)
		}
	}
	if workflow == "" {
		t.Fatal("no workflow section")
	}
	// The molecule-ci that Molecule-AI/molecule-ci@v1 and the reusable workflows' own checkout
	// resolve to: this checkout (builds from source), or with a release section a release-commit
	// stand-in whose binary comes from a loopback release server.
	// "-- replace --" lines are FILE|OLD|NEW edits of the consumer's files after the copies: a
	// shipped template adapted the way its comments tell a user to.
	for _, r := range replaces {
		parts := strings.SplitN(r, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("replace: %q is not FILE|OLD|NEW", r)
		}
		p := filepath.Join(repo, parts[0])
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(parts[1])) {
			t.Fatalf("replace: %s has no %q (%v)", parts[0], parts[1], err)
		}
		// NEW may add lines: \n in it is a line break.
		writeFile(t, p, bytes.ReplaceAll(b, []byte(parts[1]), []byte(strings.ReplaceAll(parts[2], `\n`, "\n"))))
	}
	source := root
	names := map[string]string{root: "$MOLECULE_CI", work: "$WORK"}
	// A source build names the checkout's commit in its version (source-<rev>).
	if rev, err := (git.Repo{Dir: root}).RevParse(context.Background(), "HEAD"); err == nil {
		names[rev[:12]] = "$REV"
	}
	if release != "" {
		var url string
		var more map[string]string
		source, url, more = releaseFixture(t, root, release)
		replaceInTree(t, repo, "$RELEASE_URL", url)
		for k, v := range more {
			if v == "$SHA256" {
				replaceInTree(t, repo, "$RELEASE_SHA256", k)
			}
		}
		maps.Copy(names, more)
	}
	var needArgs []string
	var gh *fakeGitHub
	var api *githubtest.Fake
	for _, n := range needs {
		switch n {
		case "buildkit":
			// The reusable build workflow takes an organisation's BuildKit fleet from this
			// variable; here it is the test daemon.
			daemon := buildtest.Daemon(t)
			needArgs = append(needArgs, "--var", "MOLECULE_CI_BUILDKIT_HOST="+daemon)
			names[daemon] = "$BUILDKIT_HOST"
		case "registry":
			// An OCI registry in-process on loopback, as $REGISTRY (host:port) in the files.
			srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
			t.Cleanup(srv.Close)
			host := strings.TrimPrefix(srv.URL, "http://")
			replaceInTree(t, repo, "$REGISTRY", host)
			names[host] = "$REGISTRY"
		case "pr-comment":
			// The scenario counts the pull request's comments on the fake GitHub API (see
			// -- comments --); nothing else to start.
		case "fake-github":
			// The GitHub API on loopback (see fakegithub_test.go) and a token for it (the
			// consumer's origin remote, below, names the repository).
			var url string
			gh, url = startFakeGitHub(t)
			needArgs = append(needArgs, "--env", "GITHUB_API_URL="+url, "--secret", "GITHUB_TOKEN=ghs_e2eFakeToken")
			names[url] = "$GITHUB_API_URL"
		case "triage-github":
			// The organisation's issues on the fake GitHub of internal/github/githubtest (search,
			// timelines, issues), seeded with a queue; TRIAGE_TOKEN reads it.
			api = githubtest.New(t)
			seedTriage(api)
			needArgs = append(needArgs, "--env", "GITHUB_API_URL="+api.URL, "--secret", "GITHUB_TOKEN=ghs_e2eFakeToken",
				"--secret", "TRIAGE_TOKEN=ghp_e2eTriageToken")
			names[strings.TrimSuffix(api.URL, "/api/v3")] = "$GITHUB_API"
		case "fleet-github":
			// An organisation's repositories on the fake GitHub of internal/github/githubtest,
			// read with FLEET_TOKEN; the jobs' artifacts are directories the upload and download
			// stand-ins share.
			api = githubtest.New(t)
			seedFleet(t, api)
			needArgs = append(needArgs, "--env", "GITHUB_API_URL="+api.URL, "--secret", "GITHUB_TOKEN=ghs_e2eFakeToken",
				"--secret", "FLEET_TOKEN=ghp_e2eFleetToken", "--env", "MOLECULE_E2E_ARTIFACTS="+filepath.Join(work, "artifacts"))
			names[strings.TrimSuffix(api.URL, "/api/v3")] = "$GITHUB_API"
		case "impact-github":
			// The organisation whose repositories call the consumer's workflows, read with
			// FLEET_TOKEN by fleet impact.
			api = githubtest.New(t)
			seedImpact(t, api, root)
			needArgs = append(needArgs, "--env", "GITHUB_API_URL="+api.URL, "--secret", "GITHUB_TOKEN=ghs_e2eFakeToken",
				"--secret", "FLEET_TOKEN=ghp_e2eFleetToken")
			names[strings.TrimSuffix(api.URL, "/api/v3")] = "$GITHUB_API"
		default:
			t.Fatalf("needs: unknown %q (valid: buildkit, registry, pr-comment, fake-github, triage-github, fleet-github, impact-github)", n)
		}
	}
	// act reads the commit, ref and remote of the consumer from git.
	gittest.RunEnv(t, repo, env, "init", "-q", "-b", "main")
	gittest.RunEnv(t, repo, env, "add", "-A")
	gittest.RunEnv(t, repo, env, "-c", "user.name=molecule-ci e2e", "-c", "user.email=e2e@molecule-ci.invalid",
		"commit", "-q", "-m", "consumer")
	// The consumer is one of the organisation's repositories, as act says through
	// GITHUB_REPOSITORY, which it reads from this remote (without one it says nektos/act): lint's
	// rules take the repository's owner as the organisation (lint.org).
	gittest.RunEnv(t, repo, env, "remote", "add", "origin", "https://github.com/Molecule-AI/consumer.git")

	// The consumer's commit appears in tags ({sha7}) and labels; its hash changes with the time.
	full := gittest.RunEnv(t, repo, env, "rev-parse", "HEAD")
	names[full] = "$CONSUMER_SHA"
	names["-sha-"+full[:7]] = "-sha-$SHA7"
	if event == "" {
		event = "push"
	}
	args := []string{
		event, "-W", workflow,
		"-P", "ubuntu-latest=-self-hosted",
		"--pull=false", "--action-offline-mode", "--no-cache-server",
		"--action-cache-path", filepath.Join(work, "act-cache"),
		"--local-repository", "Molecule-AI/molecule-ci@v1=" + source,
		"--local-repository", "actions/setup-go@v5=" + filepath.Join(stubs, "setup-go"),
		"--local-repository", "actions/setup-go@" + pinSetupGo + "=" + filepath.Join(stubs, "setup-go"),
		"--local-repository", "github/codeql-action@v3=" + filepath.Join(stubs, "codeql-action"),
		"--local-repository", "github/codeql-action@" + pinCodeQL + "=" + filepath.Join(stubs, "codeql-action"),
		"--local-repository", "actions/checkout@" + pinCheckout + "=" + filepath.Join(stubs, "checkout"),
		"--local-repository", "docker/setup-buildx-action@" + pinSetupBuildx + "=" + filepath.Join(stubs, "setup-buildx"),
		"--local-repository", "actions/download-artifact@" + pinDownloadArtifact + "=" + filepath.Join(stubs, "download-artifact"),
		"--local-repository", "actions/upload-artifact@" + pinUploadArtifact + "=" + filepath.Join(stubs, "upload-artifact"),
		"--local-repository", "actions/cache@" + pinCache + "=" + filepath.Join(stubs, "cache"),
		"--local-repository", "actions/upload-pages-artifact@" + pinUploadPages + "=" + filepath.Join(stubs, "upload-pages-artifact"),
		"--local-repository", "actions/deploy-pages@" + pinDeployPages + "=" + filepath.Join(stubs, "deploy-pages"),
	}
	env = append(slices.Clip(env), "MOLECULE_E2E_SOURCE="+source)
	args = append(args, needArgs...)
	if eventJSON != nil {
		p := filepath.Join(work, "event.json")
		writeFile(t, p, eventJSON)
		args = append(args, "-e", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), actTimeout)
	defer cancel()
	var raw []byte
	start := time.Now()
	// With "-- runs --" N, act runs the same commit N times (a re-run, or a second push to the
	// pull request); the checks below are on the last run.
	execAct := func() ([]byte, error) {
		var raw []byte
		var err error
		for i := 0; i < runs; i++ {
			cmd := exec.CommandContext(ctx, act, args...)
			cmd.Dir = repo
			cmd.Env = env
			cmd.WaitDelay = 10 * time.Second
			raw, err = cmd.CombinedOutput()
			if i < runs-1 && err != nil {
				t.Fatalf("act run %d of %d: %v\n%s", i+1, runs, err, raw)
			}
		}
		return raw, err
	}
	raw, err = execAct()
	// act reads a step's output asynchronously and, on a loaded machine, sometimes loses the last
	// lines of a step that exits at once (the exit code and the earlier lines are there, the final
	// annotation is not). A single run whose exit code is the expected one but whose output lacks
	// an expected line runs again, twice at most; a third miss fails as usual. Cases that count API calls
	// across runs are not repeated.
	// Two more runs at most: on a machine shared with other jobs one rerun was seen to miss too.
	for rerun := 1; rerun <= 2 && runs == 1 && gh == nil && api == nil && actLostLines(raw, err, expect, names, mustContain, noTranscript); rerun++ {
		t.Logf("act's output lacks an expected line although the exit code is right: running the case again, %d of 2 (act can drop a failing step's last lines under load)", rerun)
		raw, err = execAct()
	}
	if gh != nil && wantComments >= 0 {
		gh.mu.Lock()
		var all []fakeComment
		for _, l := range gh.comments {
			all = append(all, l...)
		}
		creates, edits := gh.creates, gh.edits
		gh.mu.Unlock()
		if len(all) != wantComments || (wantComments > 0 && creates != 1) {
			t.Errorf("pull request comments after %d runs: %d (created %d times, edited %d times); want %d, created once:\n%v", runs, len(all), creates, edits, wantComments, all)
		}
	}
	if api != nil && wantTracking >= 0 {
		issues := api.Issues()
		creates := 0
		for _, r := range api.Requests() {
			if r == "POST /api/v3/repos/Molecule-AI/consumer/issues" {
				creates++
			}
		}
		if len(issues) != wantTracking || (wantTracking > 0 && creates != 1) {
			t.Errorf("tracking issues after %d runs: %d (filed %d times); want %d, filed once:\n%+v", runs, len(issues), creates, wantTracking, issues)
		}
	}
	code, ok := actExit(err)
	if !ok {
		t.Fatalf("act: %v\n%s", err, raw)
	}
	t.Logf("act ran in %s, exit %d", time.Since(start).Round(time.Millisecond), code)
	if ctx.Err() != nil {
		t.Fatalf("act did not finish within %s:\n%s", actTimeout, raw)
	}

	out := string(raw)
	failed := false
	for _, s := range offlineBreaches {
		if strings.Contains(out, s) {
			t.Errorf("act tried to fetch from GitHub (%q in its output)", s)
			failed = true
		}
	}
	// The checks see the output with run-dependent strings named, as in the transcript.
	for p, name := range names {
		if p != "" {
			out = strings.ReplaceAll(out, p, name)
		}
	}
	for _, s := range mustContain {
		if !strings.Contains(out, s) {
			t.Errorf("act's output lacks %q", s)
			failed = true
		}
	}
	for _, s := range mustNotContain {
		if strings.Contains(out, s) {
			t.Errorf("act's output contains %q", s)
			failed = true
		}
	}
	got := map[string]string{
		"exit": strconv.Itoa(code) + "\n",
		"want": transcript(out, names),
	}
	if golden.Update() {
		for i, f := range ar.Files {
			if g, ok := got[f.Name]; ok {
				ar.Files[i].Data = []byte(g)
				delete(got, f.Name)
			}
		}
		if noTranscript {
			delete(got, "want")
		}
		for _, name := range []string{"exit", "want"} {
			if g, ok := got[name]; ok {
				ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(g)})
			}
		}
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, name := range []string{"exit", "want"} {
		if name == "want" && noTranscript {
			continue
		}
		if got[name] != expect[name] {
			t.Errorf("%s:\n--- got ---\n%s--- want ---\n%s", name, got[name], expect[name])
			failed = true
		}
	}
	if failed {
		t.Logf("act's output:\n%s", out)
	}
}

// actExit is act's exit code from the error of running it (-1 when a signal ended it, as on a
// timeout); ok is false when act could not be run at all.
func actExit(err error) (code int, ok bool) {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, true
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), true
	}
	return 0, false
}

// actLostLines reports whether a run ended with the expected exit code but its output misses an
// expected line or differs from the expected transcript.
func actLostLines(raw []byte, err error, expect, names map[string]string, mustContain []string, noTranscript bool) bool {
	code, ok := actExit(err)
	if !ok || strconv.Itoa(code)+"\n" != expect["exit"] {
		return false
	}
	out := string(raw)
	for p, name := range names {
		if p != "" {
			out = strings.ReplaceAll(out, p, name)
		}
	}
	for _, s := range mustContain {
		if !strings.Contains(out, s) {
			return true
		}
	}
	return !noTranscript && expect["want"] != "" && transcript(out, names) != expect["want"]
}

var durationRE = regexp.MustCompile(`\s+\[[0-9][0-9.hmsunµ]*\]$`)

// progressRE matches the lines of BuildKit's progress display inside a step's output.
var progressRE = regexp.MustCompile(`^\[[^]]*\]\s+\|\s+(=>|#\d+ |\[\+\] Building)`)

// stepsRE matches build's per-image step counts, which depend on what the daemon has cached.
var stepsRE = regexp.MustCompile(`\d+ steps? run, \d+ cached`)

// goTestRE matches the time on a `go test` package line.
var goTestRE = regexp.MustCompile(`^(.*\| ok  \t\S+\t)[0-9.]+s`)

// digestRE matches image digests, which depend on the consumer commit's time (the created label).
var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// transcript keeps the deterministic part of act's log: the job-prefixed lines (step starts and
// results, annotations, what the steps print) and act's closing error, with step durations and the
// given paths replaced. It drops act's cache chatter and the ::set-output:: echoes and job
// summaries, which act prints from a map, in no fixed order.
func transcript(out string, paths map[string]string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		for p, name := range paths {
			if p != "" {
				l = strings.ReplaceAll(l, p, name)
			}
		}
		if !strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "Error: ") {
			continue
		}
		if strings.Contains(l, "LocalRepositoryCache") || strings.Contains(l, "::set-output::") || strings.Contains(l, "Summary - ") {
			continue
		}
		// BuildKit's progress display (act runs steps on a pty, so build shows the tty display):
		// its timings and interleaving differ on every run.
		if strings.Contains(l, "\x1b[") || progressRE.MatchString(l) {
			continue
		}
		l = digestRE.ReplaceAllString(strings.TrimRight(l, " \t\r"), "sha256:$$DIGEST")
		l = stepsRE.ReplaceAllString(l, "N steps run, M cached")
		l = goTestRE.ReplaceAllString(l, "${1}Ns")
		for durationRE.MatchString(l) {
			l = strings.TrimRight(durationRE.ReplaceAllString(l, ""), " \t\r")
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func lines(data []byte) []string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
