package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

// fleetTemplates are the repositories generated ones are made of: the organisation's ten of
// ../shared/corpus/fleet-sample when it is there (real shapes: plugins, templates, the runtime,
// the MCP server), else the fixture fleet.
func fleetTemplates(tb testing.TB) []map[string]string {
	tb.Helper()
	root, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus", "fleet-sample"))
	if _, err := os.Stat(root); err != nil {
		root = filepath.Join("..", "fleet", "testdata", "fleet")
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		tb.Fatal(err)
	}
	var out []map[string]string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, fsutiltest.ReadTree(tb, filepath.Join(root, e.Name())))
		}
	}
	return out
}

// seedGenerated serves n repositories of owner, repository i made of template i mod len with a
// file of its own (so no two trees are the same, as in an organisation).
func seedGenerated(tb testing.TB, f *githubtest.Fake, owner string, n int, templates []map[string]string) {
	tb.Helper()
	specs := make([]githubtest.RepoSpec, n)
	for i := range n {
		files := make(map[string]string, len(templates[i%len(templates)])+1)
		for k, v := range templates[i%len(templates)] {
			files[k] = v
		}
		files["GENERATED.md"] = fmt.Sprintf("repository %d of %d\n", i, n)
		specs[i] = githubtest.RepoSpec{Owner: owner, Name: fmt.Sprintf("repo-%05d", i), SizeKB: int64(10 + i%97*13),
			Branches: map[string]map[string]string{"main": files}}
	}
	f.AddRepos(specs...)
}

func benchInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// requestTotals sums the fake's counts over the repositories (the listing apart).
func requestTotals(f *githubtest.Fake) (repos githubtest.RequestCount, listing githubtest.RequestCount) {
	for k, c := range f.RepoRequests() {
		if k == "" {
			listing = c
			continue
		}
		repos.Counted += c.Counted
		repos.NotModified += c.NotModified
		repos.Downloads += c.Downloads
		repos.Refused += c.Refused
	}
	return repos, listing
}

// BenchmarkFleetOrgRequests runs the built binary, `fleet --org`, against the fake GitHub API
// serving FLEET_BENCH_REPOS (default 1,000) generated repositories, cold then warm on the same
// cache, and reports what the fake counted per repository (goal: at most 2 cold, 0 counted warm)
// and the binary's peak resident memory (goal: under 500 MB). It asserts nothing on time.
//
//	go test -run '^$' -bench FleetOrgRequests -benchtime 1x ./internal/cli/
func BenchmarkFleetOrgRequests(b *testing.B) {
	n := benchInt("FLEET_BENCH_REPOS", 1000)
	f := githubtest.New(b)
	f.SetRateLimit(1<<30, time.Hour, time.Now)
	seedGenerated(b, f, "Sim", n, fleetTemplates(b))
	work := b.TempDir()
	bin := filepath.Join(work, "molecule-ci")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/molecule-ci").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	run := func() (time.Duration, int64) {
		cmd := exec.Command(bin, "fleet", "--org", "Sim", "--format", "json", "--json-file", filepath.Join(work, "fleet.json"), "--fail-on", "never")
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(work, "cache"), "GITHUB_API_URL="+f.URL, "FLEET_TOKEN=ghp_bench", "GITHUB_ACTIONS=", "CI=true")
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("fleet: %v\n%s", err, stderr.String()[max(0, stderr.Len()-2000):])
		}
		return time.Since(start), cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	}
	for b.Loop() {
		coldWall, coldRSS := run()
		cold, coldList := requestTotals(f)
		warmWall, warmRSS := run()
		total, totalList := requestTotals(f)
		warm := githubtest.RequestCount{Counted: total.Counted - cold.Counted, NotModified: total.NotModified - cold.NotModified, Downloads: total.Downloads - cold.Downloads}
		per := func(x int) float64 { return float64(x) / float64(n) }
		b.ReportMetric(per(cold.Counted), "req/repo-cold")
		b.ReportMetric(per(warm.Counted), "counted/repo-warm")
		b.ReportMetric(per(warm.NotModified), "304/repo-warm")
		b.ReportMetric(float64(coldRSS)/1024, "peak-MB-cold")
		b.ReportMetric(float64(warmRSS)/1024, "peak-MB-warm")
		b.ReportMetric(coldWall.Seconds(), "s-cold")
		b.ReportMetric(warmWall.Seconds(), "s-warm")
		fmt.Printf("fleet --org over %d generated repositories (the fake GitHub API, the built binary):\n", n)
		fmt.Printf("  cold: %.2f requests a repository counted (%d downloads), listing %d pages; %s, peak RSS %d MB\n",
			per(cold.Counted), cold.Downloads, coldList.Counted, coldWall.Round(time.Millisecond), coldRSS/1024)
		fmt.Printf("  warm: %.2f counted a repository, %.2f answered 304, listing %d pages counted and %d 304; %s, peak RSS %d MB\n",
			per(warm.Counted), per(warm.NotModified), totalList.Counted-coldList.Counted, totalList.NotModified-coldList.NotModified, warmWall.Round(time.Millisecond), warmRSS/1024)
	}
}

// BenchmarkFleetSimulation checks the rate-limit arithmetic of docs/fleet.md against the fake:
// FLEET_SIM_REPOS (default 10,000) generated repositories, one token with GitHub's 5,000
// requests an hour on a simulated clock, FLEET_SIM_SHARDS (default 4) shard jobs sharing it (run
// one after the other here: they draw on one budget), each with its own cache as in fleet.yml.
// Cold, then warm. It prints the requests counted, the simulated hours spent waiting for the
// budget, and the real time the shards took to lint (one repository at a time).
//
//	go test -run '^$' -bench FleetSimulation -benchtime 1x -timeout 60m ./internal/cli/
func BenchmarkFleetSimulation(b *testing.B) {
	n := benchInt("FLEET_SIM_REPOS", 10000)
	shards := benchInt("FLEET_SIM_SHARDS", 4)
	f := githubtest.New(b)
	// One repository at a time (-j 1): the simulated clock moves by each wait, and waits running
	// side by side would each move it.
	clk := &triageClock{t: time.Date(2026, 12, 6, 3, 17, 0, 0, time.UTC)}
	f.SetRateLimit(5000, time.Hour, clk.Now)
	templates := []map[string]string{
		{".github/workflows/ci.yml": "name: ci\non: [push]\npermissions:\n  contents: read\njobs:\n  validate:\n    uses: Sim/ci/.github/workflows/validate.yml@v1\n    with:\n      runtime_version: \"3.12\"\n    secrets: inherit\n", "README.md": "a service\n"},
		{".github/workflows/test.yml": "name: test\non: [pull_request]\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: make test\n", "Dockerfile": "FROM scratch\nCOPY a /a\n"},
	}
	seedGenerated(b, f, "Sim", n, templates)
	work := b.TempDir()
	env := func() map[string]string {
		return map[string]string{"GITHUB_API_URL": f.URL, "FLEET_TOKEN": "ghp_sim", "XDG_CACHE_HOME": filepath.Join(work, "xdg")}
	}
	type round struct {
		counted, notModified, refused, listing int
		waited                                 time.Duration
		lint                                   []time.Duration
	}
	do := func() round {
		beforeRepos, beforeList := requestTotals(f)
		waited := clk.waited
		var r round
		plan := runFleetCmd(b, work, env(), clk, "--org", "Sim", "--plan", "--shards", strconv.Itoa(shards), "--plan-file", "plan.json", "--cache-dir", filepath.Join(work, "cache-plan"))
		if plan.code != ExitOK {
			b.Fatalf("plan: exit %d\n%s", plan.code, plan.stderr)
		}
		for i := range shards {
			start := time.Now()
			res := runFleetCmd(b, work, env(), clk, "--org", "Sim", "--shard", strconv.Itoa(i), "--plan-file", "plan.json", "--shellcheck", "off", "-j", "1",
				"--fail-on", "never", "--format", "json", "--cache-dir", filepath.Join(work, "cache-"+strconv.Itoa(i)))
			if res.code != ExitOK {
				b.Fatalf("shard %d: exit %d\n%s", i, res.code, res.stderr[max(0, len(res.stderr)-2000):])
			}
			r.lint = append(r.lint, time.Since(start))
		}
		afterRepos, afterList := requestTotals(f)
		r.counted = afterRepos.Counted - beforeRepos.Counted
		r.notModified = afterRepos.NotModified - beforeRepos.NotModified
		r.refused = afterRepos.Refused - beforeRepos.Refused + afterList.Refused - beforeList.Refused
		r.listing = afterList.Counted - beforeList.Counted
		r.waited = clk.waited - waited
		return r
	}
	for b.Loop() {
		cold := do()
		warm := do()
		pages := (n + 99) / 100
		fmt.Printf("simulation: %d repositories, %d shards, one token at 5,000 requests an hour (pages of the listing: %d)\n", n, shards, pages)
		for _, c := range []struct {
			name string
			r    round
		}{{"cold", cold}, {"warm", warm}} {
			var slowest, sum time.Duration
			for _, d := range c.r.lint {
				slowest = max(slowest, d)
				sum += d
			}
			fmt.Printf("  %s: %d counted requests for the repositories (%.2f each), %d 304s, %d listing pages counted; %.0f requests in all; %d refused over the budget; waited %.2f simulated hours for the budget; shards linted in %s (slowest %s, sum %s)\n",
				c.name, c.r.counted, float64(c.r.counted)/float64(n), c.r.notModified, c.r.listing, float64(c.r.counted+c.r.listing), c.r.refused,
				c.r.waited.Hours(), time.Duration(int64(sum)/int64(len(c.r.lint))).Round(time.Second), slowest.Round(time.Second), sum.Round(time.Second))
		}
		b.ReportMetric(float64(cold.counted)/float64(n), "req/repo-cold")
		b.ReportMetric(float64(warm.counted)/float64(n), "counted/repo-warm")
		b.ReportMetric(cold.waited.Hours(), "h-waited-cold")
		b.ReportMetric(warm.waited.Hours(), "h-waited-warm")
	}
}
