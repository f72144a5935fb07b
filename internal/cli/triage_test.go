package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// triageNow is the time every triage test judges ages by.
var triageNow = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return triageNow.Add(-d) }

const day = 24 * time.Hour

// hostileTitle tries every trick a title could play on a log, a terminal and an issue body.
const hostileTitle = "::error::x \x1b[31mred\u202e ghp_0123456789abcdefghijABCDEFGHIJ012345 @everyone #1 <b>|</b> [a](https://evil.example) `x`\r\n::warning::two"

// seedQueue fills the fake with the organisation's real repository names and a queue that
// exercises every rule of the order: an incident filed by the probe, the shared-CI repository,
// priorities, stale items, a pull request, linked pull requests, a failing timeline, a closed
// item and the tracking issue (both left out), and a hostile title.
func seedQueue(f *githubtest.Fake) {
	const org = "Molecule-AI/"
	f.AddSearchItems(
		githubtest.SearchItem{Repo: org + "molecule-ai-status", Number: 88, Title: "🔴 Customer app (production) is down",
			Body:   "**Customer app** (production) is down.\n\n- First failing run: 2026-12-06 06:45:00 UTC\n- Declared down: 2026-12-06 06:50:00 UTC (policy: failing for 5m0s)\n",
			Labels: []string{"incident", "customer-app"}, Created: ago(2*time.Hour + 10*time.Minute), Assignees: []string{"hongming"}},
		githubtest.SearchItem{Repo: org + "molecule-ai-status", Number: 90, Title: "Docs site returns 502", Labels: []string{"incident", "docs"},
			Created: ago(40 * time.Minute)},
		githubtest.SearchItem{Repo: org + "molecule-ci", Number: 120, Title: "validate-plugin.yml pins setup-python to a branch", Labels: []string{"ci", "P1"},
			Created: ago(3 * day), Updated: ago(2 * day), Assignees: []string{"alice"}, LinkedPRs: []string{org + "molecule-ci#121"}},
		githubtest.SearchItem{Repo: org + "molecule-ci", Number: 121, Title: "Pin setup-python by SHA", PullRequest: true, Labels: []string{"ci"},
			Created: ago(2 * day), Updated: ago(time.Hour), Author: "alice"},
		githubtest.SearchItem{Repo: org + "molecule-ci", Number: 97, Title: "auto-promote-staging races with a push", Labels: []string{"ci"},
			Created: ago(40 * day), Updated: ago(30 * day)},
		githubtest.SearchItem{Repo: org + "molecule-ci", Number: 130, Title: "secret scan misses .env.example", Labels: []string{"devops", "P0"},
			Created: ago(1 * day), LinkedPRs: []string{org + "molecule-ci#131", org + "molecule-core#2210"}},
		githubtest.SearchItem{Repo: org + "molecule-ci", Number: 131, Title: "Scan .env.example", PullRequest: true, State: "closed", Labels: []string{"devops"},
			Created: ago(1 * day)},
		githubtest.SearchItem{Repo: org + "molecule-ci", Number: 140, Title: "Triage queue: Molecule-AI", Labels: []string{"molecule-ci-triage", "ci"}, Created: ago(7 * day)},
		githubtest.SearchItem{Repo: org + "molecule-core", Number: 2201, Title: "Coverage gate passes on an empty report", Labels: []string{"ci", "P2"},
			Created: ago(10 * day), Updated: ago(9 * day), TimelineStatus: 404},
		githubtest.SearchItem{Repo: org + "molecule-core", Number: 2150, Title: hostileTitle, Labels: []string{"infra", "<b>x</b>"}, Created: ago(20 * day), Updated: ago(20 * day)},
		githubtest.SearchItem{Repo: org + "molecule-core", Number: 2230, Title: "Fly deploy of the control plane needs a health check", Labels: []string{"cloud"}, Created: ago(5 * day)},
		githubtest.SearchItem{Repo: org + "molecule-ai-workspace-runtime", Number: 41, Title: "Base image pulls python:3.12 unpinned", Labels: []string{"infra", "P1"}, Created: ago(6 * day)},
		githubtest.SearchItem{Repo: org + "molecule-ai-plugin-github-app-auth", Number: 12, Title: "go test -race fails on arm64 runners", Labels: []string{"ci"}, Created: ago(15 * day), Updated: ago(15 * day)},
		githubtest.SearchItem{Repo: org + "molecule-ai-plugin-github-app-auth", Number: 15, Title: "Release workflow lacks id-token: write", Labels: []string{"ci"}, Created: ago(2 * day)},
		githubtest.SearchItem{Repo: org + "molecule-ai-plugin-github-app-auth", Number: 16, Title: "Already fixed", Labels: []string{"ci"}, State: "closed", Created: ago(2 * day)},
		githubtest.SearchItem{Repo: org + "molecule-mcp-server", Number: 8, Title: "Bump the Node base image", PullRequest: true, Labels: []string{"infra"}, Created: ago(4 * day), Author: "dependabot[bot]"},
		githubtest.SearchItem{Repo: org + "molecule-ai-workspace-template-crewai", Number: 3, Title: "Not ours", Labels: []string{"enhancement"}, Created: ago(4 * day)},
	)
}

// fleetReport is a fleet report of the calls the organisation's repositories make (shape of
// `molecule-ci fleet --format json`): the runtime is called by three repositories, the GitHub
// App plugin by one.
const fleetReport = `{"repos": [
  {"name": "molecule-ai-workspace-template-crewai", "calls": [
    {"file": ".github/workflows/publish.yml", "line": 9, "job": "publish", "workflow": "Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml", "ref": "main"},
    {"file": ".github/workflows/smoke.yml", "line": 12, "job": "smoke", "workflow": "Molecule-AI/molecule-ai-workspace-runtime/.github/workflows/smoke.yml", "ref": "main"}]},
  {"name": "molecule-ai-workspace-template-autogen", "calls": [
    {"file": ".github/workflows/smoke.yml", "line": 12, "job": "smoke", "workflow": "Molecule-AI/molecule-ai-workspace-runtime/.github/workflows/smoke.yml", "ref": "main"}]},
  {"name": "template-claude-code", "calls": [
    {"file": ".github/workflows/smoke.yml", "line": 12, "job": "smoke", "workflow": "Molecule-AI/molecule-ai-workspace-runtime/.github/workflows/smoke.yml", "ref": "main"},
    {"file": ".github/workflows/smoke2.yml", "line": 12, "job": "smoke", "workflow": "Molecule-AI/molecule-ai-workspace-runtime/.github/workflows/other.yml", "ref": "main"}]},
  {"name": "molecule-core", "calls": [
    {"file": ".github/workflows/auth.yml", "line": 3, "job": "a", "workflow": "Molecule-AI/molecule-ai-plugin-github-app-auth/.github/workflows/x.yml", "ref": "v1"},
    {"file": ".github/workflows/local.yml", "line": 3, "job": "b", "workflow": "./.github/workflows/reusable.yml", "ref": ""}]},
  {"name": "molecule-ai-workspace-runtime", "calls": [
    {"file": ".github/workflows/self.yml", "line": 3, "job": "c", "workflow": "Molecule-AI/molecule-ai-workspace-runtime/.github/workflows/smoke.yml", "ref": "main"}]}
]}
`

type triageRun struct {
	stdout, stderr string
	code           int
	outputs        string
	summary        string
}

// runTriageCmd runs `molecule-ci triage` in GitHub Actions of Molecule-AI/molecule-ci against
// the fake, in dir, with extra environment variables.
func runTriageCmd(t testing.TB, f *githubtest.Fake, dir string, extra map[string]string, args ...string) triageRun {
	t.Helper()
	return runTriageEnv(t, f, dir, extra, &triageClock{t: triageNow}, args...)
}

// runTriageCmdClock is runTriageCmd with the clock the fake's rate limits also read.
func runTriageCmdClock(t testing.TB, f *githubtest.Fake, dir string, clk *triageClock, args ...string) triageRun {
	t.Helper()
	return runTriageEnv(t, f, dir, nil, clk, args...)
}

func runTriageEnv(t testing.TB, f *githubtest.Fake, dir string, extra map[string]string, clk *triageClock, args ...string) triageRun {
	t.Helper()
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Molecule-AI/molecule-ci", "GITHUB_API_URL": f.URL,
		"GITHUB_TOKEN": "ghs_triageWriteToken", "TRIAGE_TOKEN": "ghp_triageReadToken0123456789abcdefABCDEF",
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"), "GITHUB_OUTPUT": filepath.Join(dir, "output"),
	}
	for k, v := range extra {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	triageClientOptions = []github.Option{github.WithClock(clk.Now), github.WithSleep(clk.Sleep)}
	defer func() { triageClientOptions = nil }()
	os.Remove(env["GITHUB_OUTPUT"])
	os.Remove(env["GITHUB_STEP_SUMMARY"])
	var stdout, stderr bytes.Buffer
	e := Env{Actions: ghaction.New(func(k string) string { return env[k] }, &stdout), WorkDir: dir}
	code := Run(context.Background(), append([]string{"triage", "--now", triageNow.Format(time.RFC3339)}, args...), Streams{Stdout: &stdout, Stderr: &stderr}, e)
	out, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	sum, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	// The runner's ::add-mask:: command carries the secret it masks; nothing else may.
	printed := strings.ReplaceAll(stdout.String(), "::add-mask::ghp_triageReadToken0123456789abcdefABCDEF\n", "")
	for _, tok := range []string{"ghs_triageWriteToken", "ghp_triageReadToken0123456789abcdefABCDEF"} {
		if strings.Contains(printed+stderr.String()+string(sum), tok) {
			t.Errorf("a token reached the output:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	api := strings.TrimSuffix(f.URL, "/api/v3")
	clean := func(s string) string { return strings.ReplaceAll(s, api, "$GITHUB_API") }
	return triageRun{clean(stdout.String()), clean(stderr.String()), code, string(out), clean(string(sum))}
}

// triageClock is the time of the GitHub clients and of the fake's rate-limit windows: a wait
// advances it instead of taking time.
type triageClock struct {
	mu     sync.Mutex
	t      time.Time
	waited time.Duration
}

func (c *triageClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *triageClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t, c.waited = c.t.Add(d), c.waited+d
	return nil
}

// TestTriageQueue states the queue exactly in the three formats: the order, every column, the
// hostile title encoded for a log and for an issue, the degraded look-up, and the notes.
func TestTriageQueue(t *testing.T) {
	f := githubtest.New(t)
	seedQueue(f)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.json"), []byte(fleetReport), 0o644); err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, format := range []string{"human", "json", "markdown"} {
		r := runTriageCmd(t, f, dir, nil, "--format", format, "--fleet", "fleet.json")
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", format, r.code, r.stderr)
		}
		ext := map[string]string{"human": "txt", "json": "json", "markdown": "md"}[format]
		golden.Check(t, "../../testdata/triage/queue."+ext, []byte(r.stdout))
		switch format {
		case "json":
			var doc struct {
				Items []struct {
					URL       string `json:"url"`
					LinkedPRs []struct {
						URL string `json:"url"`
					} `json:"linked_prs"`
				} `json:"items"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			for _, it := range doc.Items {
				links = append(links, it.URL)
				for _, pr := range it.LinkedPRs {
					links = append(links, pr.URL)
				}
			}
		case "markdown":
			// The hostile title links, embeds, pings and references nothing: the only links are
			// the items and their pull requests.
			markdowntest.Check(t, strings.TrimPrefix(r.stdout, "::add-mask::ghp_triageReadToken0123456789abcdefABCDEF\n"), links...)
		}
		if format == "human" {
			if r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
			if !strings.Contains(r.outputs, "items<<") || !strings.Contains(r.summary, "## molecule-ci triage: Molecule-AI") {
				t.Errorf("outputs:\n%s\nsummary:\n%s", r.outputs, r.summary)
			}
		}
	}
}

// spread makes n open items labelled label in the repositories named, created one every step
// going back from triageNow.
func spread(n int, label string, step time.Duration, repos ...string) []githubtest.SearchItem {
	out := make([]githubtest.SearchItem, n)
	for i := range out {
		out[i] = githubtest.SearchItem{Repo: "Molecule-AI/" + repos[i%len(repos)], Number: 1000 + i, Title: fmt.Sprintf("%s item %d", label, i),
			Labels: []string{label}, Created: triageNow.Add(-time.Duration(i+1) * step)}
	}
	return out
}

func triageJSON(t *testing.T, r triageRun) (doc struct {
	Items []struct {
		Rank   int    `json:"rank"`
		Repo   string `json:"repo"`
		Number int    `json:"number"`
	} `json:"items"`
	Search struct {
		Queries []struct {
			Query   string `json:"query"`
			Total   int    `json:"total"`
			Outcome string `json:"outcome"`
		} `json:"queries"`
		Requests int `json:"requests"`
		Missed   int `json:"missed"`
	} `json:"search"`
	Notes []string `json:"notes"`
}) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%.2000s", err, r.stdout)
	}
	return doc
}

// TestTriageCapSplit: 2,600 matches are more than GitHub serves a query, and one label alone
// (ci: 1,700) still is: the query is split by label, then ci by creation date, until each part
// fits. Every item is listed exactly once, and the run says how it searched.
func TestTriageCapSplit(t *testing.T) {
	f := githubtest.New(t)
	repos := []string{"molecule-ci", "molecule-core", "molecule-ai-workspace-runtime", "molecule-mcp-server", "molecule-ai-plugin-gh-identity"}
	f.AddSearchItems(spread(1700, "ci", 3*time.Hour, repos...)...)
	infra := spread(900, "infra", 5*time.Hour, repos...)
	for i := range infra {
		infra[i].Number += 5000
	}
	f.AddSearchItems(infra...)
	// Carrying both labels: found by both halves, listed once.
	f.AddSearchItems(githubtest.SearchItem{Repo: "Molecule-AI/molecule-ci", Number: 1, Title: "both", Labels: []string{"ci", "infra"}, Created: ago(time.Hour)})
	doc := triageJSON(t, runTriageCmd(t, f, t.TempDir(), nil, "--format", "json", "--labels", "ci,infra", "--linked-prs", "0"))
	if len(doc.Items) != 2601 {
		t.Errorf("%d items, want 2601", len(doc.Items))
	}
	seen := map[string]bool{}
	for i, it := range doc.Items {
		k := fmt.Sprintf("%s#%d", it.Repo, it.Number)
		if seen[k] || it.Rank != i+1 {
			t.Fatalf("item %d: %s rank %d (duplicate %v)", i, k, it.Rank, seen[k])
		}
		seen[k] = true
	}
	var got []string
	for _, q := range doc.Search.Queries {
		got = append(got, fmt.Sprintf("%s => %d %s", q.Query, q.Total, q.Outcome))
	}
	want := []string{
		"org:Molecule-AI state:open label:ci,infra,incident => 2601 split by label",
		"org:Molecule-AI state:open label:ci => 1701 split by creation date",
		// From the oldest ci item (1,700 × 3h before now) to now, in halves.
		"org:Molecule-AI state:open label:ci created:2026-05-07T21:00:00Z..2026-08-22T03:00:00Z => 851 listed",
		"org:Molecule-AI state:open label:ci created:2026-08-22T03:00:01Z..2026-12-06T09:00:00Z => 850 listed",
		"org:Molecule-AI state:open label:infra,incident => 901 listed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if doc.Search.Requests != 30 || doc.Search.Missed != 0 {
		t.Errorf("requests %d (want 2 capped first pages + 9+9+10 pages), missed %d", doc.Search.Requests, doc.Search.Missed)
	}
}

// TestTriageQueryTooLong: eleven 20-character labels make a query over GitHub's 256 characters;
// the 422 splits it by label until each part is accepted, and nothing is lost.
func TestTriageQueryTooLong(t *testing.T) {
	f := githubtest.New(t)
	var labels []string
	for i := range 11 {
		l := fmt.Sprintf("platform-area-%06d", i)
		labels = append(labels, l)
		items := spread(3, l, time.Duration(i+1)*time.Hour, "molecule-ci", "molecule-core")
		for j := range items {
			items[j].Number += 10 * i
		}
		f.AddSearchItems(items...)
	}
	doc := triageJSON(t, runTriageCmd(t, f, t.TempDir(), nil, "--format", "json", "--labels", strings.Join(labels, ","), "--linked-prs", "0"))
	var outcomes []string
	for _, q := range doc.Search.Queries {
		outcomes = append(outcomes, fmt.Sprintf("%d:%s", len(q.Query), q.Outcome))
	}
	// Twelve labels with the incident label: 272 characters, refused; two halves of six.
	want := "272:refused: split by label 158:listed 146:listed"
	if strings.Join(outcomes, " ") != want {
		t.Errorf("queries %q, want %q", strings.Join(outcomes, " "), want)
	}
	for _, q := range doc.Search.Queries[1:] {
		if len(q.Query) > 256 {
			t.Errorf("accepted query over 256: %s", q.Query)
		}
	}
	if n := len(doc.Items); n != 33 {
		t.Errorf("%d items, want 33 (11 labels × 3)", n)
	}
}

// TestTriageRateLimits: GitHub's search budget is 30 requests a minute; a run of 3,000 items
// needs more. The run waits for each reset (by the fake's clock), answers a secondary limit's
// Retry-After, and lists everything; stderr says why it waited.
func TestTriageRateLimits(t *testing.T) {
	f := githubtest.New(t)
	f.AddSearchItems(spread(3000, "ci", time.Hour, "molecule-ci", "molecule-core", "molecule-ai-workspace-runtime")...)
	clk := &triageClock{t: triageNow}
	f.SetSearchRateLimit(30, clk.Now)
	f.Enqueue(githubtest.Reply{Path: "/search/issues", Status: 403, Header: map[string]string{"Retry-After": "30"},
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`})
	r := runTriageCmdClock(t, f, t.TempDir(), clk, "--format", "json", "--labels", "ci", "--linked-prs", "0")
	doc := triageJSON(t, r)
	if len(doc.Items) != 3000 {
		t.Errorf("%d items", len(doc.Items))
	}
	for _, want := range []string{
		"403 secondary rate limit (Retry-After); retry 1/5 in 30s",
		// The secondary limit's 30s moved the clock to 09:00:30, when the minute's 30 were spent.
		"the search rate limit is spent until 09:01:00; waiting 31s",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// 4 capped first pages (ci and incident, ci, its two halves), 4 quarters of 750 in 8 pages
	// each, and the incident label's one: 37 searches, so one reset to wait for.
	if doc.Search.Requests != 37 || clk.waited != 61*time.Second {
		t.Errorf("%d requests, waited %v; want 37 and 30s + 31s", doc.Search.Requests, clk.waited)
	}
}

// TestTriageTrackingIssue: --issue files one tracking issue in the shared-CI repository on the
// first run, and every later run edits it in place: two runs, one issue, the second run's queue
// in it, with the identity line and the hidden marker first.
func TestTriageTrackingIssue(t *testing.T) {
	f := githubtest.New(t)
	seedQueue(f)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte("version: 1\nreport:\n  identity: \"[devops-agent]\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runTriageCmd(t, f, dir, nil, "--issue")
	if r.code != 0 || !strings.Contains(r.stdout, "tracking issue created: https://github.com/Molecule-AI/molecule-ci/issues/1\n") {
		t.Fatalf("run 1: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Between the runs a new incident opens.
	f.AddSearchItems(githubtest.SearchItem{Repo: "Molecule-AI/molecule-ai-status", Number: 91, Title: "🔴 Control plane (production) is down",
		Labels: []string{"incident", "control-plane"}, Created: ago(5 * time.Minute)})
	r = runTriageCmd(t, f, dir, nil, "--issue")
	if r.code != 0 || !strings.Contains(r.stdout, "tracking issue updated: https://github.com/Molecule-AI/molecule-ci/issues/1\n") {
		t.Fatalf("run 2: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.outputs, "tracking-issue<<") || !strings.Contains(r.outputs, "https://github.com/Molecule-AI/molecule-ci/issues/1") {
		t.Errorf("outputs: %s", r.outputs)
	}
	issues := f.Issues()
	if len(issues) != 1 {
		t.Fatalf("%d issues after two runs, want one", len(issues))
	}
	is := issues[0]
	if is.Title != "Triage queue: Molecule-AI" || strings.Join(is.Labels, ",") != "molecule-ci-triage" || is.State != "open" ||
		!strings.HasPrefix(is.Body, "[devops-agent]\n<!-- molecule-ci:triage -->\n## molecule-ci triage: Molecule-AI\n") ||
		!strings.Contains(is.Body, "| 1 | [molecule-ai-status\\#\u200d91](https://github.com/Molecule-AI/molecule-ai-status/issues/91) | Control plane \\(production\\) | 5m |") {
		t.Errorf("issue: %q %v %s\n%s", is.Title, is.Labels, is.State, is.Body)
	}
	edits := 0
	for _, req := range f.Requests() {
		if req == "PATCH /api/v3/repos/Molecule-AI/molecule-ci/issues/1" {
			edits++
		}
	}
	if edits != 1 {
		t.Errorf("%d edits, want 1", edits)
	}
	// A third run with nothing new leaves the issue alone.
	r = runTriageCmd(t, f, dir, nil, "--issue")
	if !strings.Contains(r.stdout, "tracking issue unchanged: ") {
		t.Errorf("run 3:\n%s", r.stdout)
	}
}

// TestTriageTrackingIssueLimit: a queue of 3,000 items does not fit in an issue; the body stays
// under GitHub's 65,536 characters, whole rows only, and says how many are left out.
func TestTriageTrackingIssueLimit(t *testing.T) {
	f := githubtest.New(t)
	f.AddSearchItems(spread(3000, "ci", time.Hour, "molecule-ci", "molecule-core", "molecule-ai-workspace-runtime")...)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte("version: 1\nreport:\n  identity: \"[devops-agent]\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runTriageCmd(t, f, dir, nil, "--issue", "--linked-prs", "0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	body := f.Issues()[0].Body
	if len([]rune(body)) >= 65536 || len(body) < 60000 {
		t.Errorf("body: %d characters, %d bytes; want under 65,536 and filled", len([]rune(body)), len(body))
	}
	m := regexp.MustCompile(`\n_…and (\d+) more items not shown \(ranks (\d+) to 3000\): GitHub limits the size of this text\. ` + "`molecule-ci triage --format json`" + ` lists them all\._\n`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no count of the items left out:\n%s", body[len(body)-600:])
	}
	shown := len(regexp.MustCompile(`(?m)^\| \d+ \|`).FindAllString(body, -1))
	if n, _ := strconv.Atoi(m[1]); n+shown != 3000 || m[2] != strconv.Itoa(shown+1) {
		t.Errorf("%s left out + %d shown != 3000 (first left out: %s)", m[1], shown, m[2])
	}
}

// TestTriageBadInput: each mistake is a clear message and exit 2, a failing API exit 3.
func TestTriageBadInput(t *testing.T) {
	f := githubtest.New(t)
	seedQueue(f)
	f.AddSearchItems(githubtest.SearchItem{Repo: "Secret-Org/vault", Number: 1, Title: "x", Labels: []string{"ci"}, Created: ago(day)})
	f.HideOrg("Secret-Org")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{\"repos\": [\n  {\"name\": 7}\n]}"), 0o644)
	os.WriteFile(filepath.Join(dir, "notfleet.json"), []byte(`{"files": []}`), 0o644)
	os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte("version: 1\ntriage:\n  stale-days: 0\n"), 0o644)
	cfgDir := t.TempDir()
	for _, tc := range []struct {
		name  string
		dir   string
		extra map[string]string
		args  []string
		code  int
		want  string
	}{
		{"hidden org", cfgDir, nil, []string{"--org", "Secret-Org"}, 2,
			`molecule-ci: organisation "Secret-Org" cannot be searched: it does not exist, or the token cannot see it (a token of another account, or an App not installed there): search "org:Secret-Org state:open label:infra,ci,cloud,devops,incident": GET $GITHUB_API/api/v3/search/issues?order=asc&page=1&per_page=100&q=org%3ASecret-Org+state%3Aopen+label%3Ainfra%2Cci%2Ccloud%2Cdevops%2Cincident&sort=created: 422 Validation Failed [{"code":"invalid","field":"q","message":"The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.","resource":"Search"}] (https://docs.github.com/v3/search/)` + "\n"},
		{"no such org", cfgDir, nil, []string{"--org", "No-Such-Org", "--format", "json"}, 2, "cannot be searched: it does not exist"},
		{"bad org name", cfgDir, nil, []string{"--org", "bad org"}, 2, "molecule-ci: triage: \"bad org\" is not a GitHub organisation name\n"},
		{"no org", cfgDir, map[string]string{"GITHUB_REPOSITORY": "", "GITHUB_ACTIONS": ""}, nil, 2,
			"molecule-ci: triage: no organisation: set triage.org, pass --org, or run in GitHub Actions (GITHUB_REPOSITORY)\n"},
		{"no token", cfgDir, map[string]string{"TRIAGE_TOKEN": "", "GITHUB_TOKEN": ""}, nil, 2,
			"molecule-ci: triage: no token: set TRIAGE_TOKEN (or GITHUB_TOKEN) to a token that can read Molecule-AI's issues\n"},
		{"bad label", cfgDir, nil, []string{"--labels", "ci,a\"b"}, 2, "molecule-ci: --labels: \"a\\\"b\" contains a comma or a double quote, which GitHub's label: search cannot express\n"},
		{"bad config", dir, nil, nil, 2, "molecule-ci: .molecule-ci.yml:3:15: triage.stale-days: must be between 1 and 3650, got 0\n"},
		{"broken fleet", cfgDir, nil, []string{"--fleet", filepath.Join(dir, "broken.json")}, 2, "broken.json:2:12: repos.name: want a string, got JSON number\n"},
		{"not a fleet report", cfgDir, nil, []string{"--fleet", filepath.Join(dir, "notfleet.json")}, 2, "notfleet.json:1:1: no \"repos\" list: want the JSON document of molecule-ci fleet --format json\n"},
		{"missing fleet", cfgDir, nil, []string{"--fleet", "nope.json"}, 2, "no such file or directory\n"},
		{"bad format", cfgDir, nil, []string{"--format", "sarif"}, 2, "molecule-ci: unknown format \"sarif\" (valid: human, json, markdown)\n"},
		{"issue without write token", cfgDir, map[string]string{"GITHUB_TOKEN": ""}, []string{"--issue"}, 2, "molecule-ci: --issue: needs GITHUB_TOKEN with issues: write on Molecule-AI/molecule-ci\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runTriageCmd(t, f, tc.dir, tc.extra, tc.args...)
			if r.code != tc.code || !strings.HasSuffix(r.stderr, tc.want) && !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d\nstderr:\n%s\nwant:\n%s", r.code, tc.code, r.stderr, tc.want)
			}
			if tc.code == 2 && r.stdout != "" && !strings.HasPrefix(r.stdout, "::add-mask::") {
				t.Errorf("stdout: %s", r.stdout)
			}
		})
	}
	// A label nothing carries is not an error (GitHub cannot tell a missing label from an unused
	// one) but a note.
	doc := triageJSON(t, runTriageCmd(t, f, cfgDir, nil, "--format", "json", "--labels", "ci,infrastrcture"))
	if len(doc.Notes) != 1 || doc.Notes[0] != `no open item in Molecule-AI carries the label "infrastrcture": labels belong to each repository, so check its spelling where it is used` {
		t.Errorf("notes: %q", doc.Notes)
	}
	// A search that fails for good (500s outlasting the retries) is the tool failing: exit 3.
	for range 6 {
		f.Enqueue(githubtest.Reply{Path: "/search/issues", Status: 500, Body: `{"message":"Server Error"}`})
	}
	r := runTriageCmd(t, f, cfgDir, nil, "--format", "json")
	if r.code != 3 || !strings.Contains(r.stderr, ": 500 Server Error\n") {
		t.Errorf("500s: exit %d\n%s", r.code, r.stderr)
	}
}

// BenchmarkTriage5000 runs the whole command — search with its splits, the order, 100 linked
// pull request look-ups, the human table written — on 5,000 matching items served by the fake
// GitHub over loopback (no rate limits: those are waits, not work). The issue's target is under
// 10 s a run:
//
//	go test -run NONE -bench Triage5000 -benchtime 3x ./internal/cli/
func BenchmarkTriage5000(b *testing.B) {
	f := githubtest.New(b)
	repos := []string{"molecule-ci", "molecule-core", "molecule-ai-status", "molecule-ai-workspace-runtime", "molecule-mcp-server",
		"molecule-ai-plugin-github-app-auth", "molecule-ai-plugin-gh-identity", "molecule-ai-plugin-molecule-dev", "molecule-ai-plugin-molecule-hitl",
		"molecule-ai-plugin-molecule-medo", "molecule-ai-plugin-superpowers", "molecule-ai-workspace-template-autogen",
		"molecule-ai-workspace-template-crewai", "molecule-ai-org-template-ux-ab-lab", "molecule-ai-org-template-molecule-dev"}
	for i, l := range []string{"infra", "ci", "cloud", "devops"} {
		items := spread(1250, l, 97*time.Minute, repos...)
		for j := range items {
			items[j].Number += 2000 * i
			if j%7 == 0 {
				items[j].Labels = append(items[j].Labels, "P1")
			}
		}
		f.AddSearchItems(items...)
	}
	dir := b.TempDir()
	var r triageRun
	for b.Loop() {
		r = runTriageCmd(b, f, dir, nil, "--format", "human")
		if r.code != 0 {
			b.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
	rows := strings.Count(r.stdout, "\n") - 1
	b.ReportMetric(float64(rows), "lines")
	b.ReportMetric(float64(f.SearchRequests())/float64(b.N), "searches/op")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	if !strings.Contains(r.stdout, "Molecule-AI: 5000 open items") {
		b.Fatalf("output:\n%.500s", r.stdout)
	}
}

// TestTriageIncompleteResults: GitHub's search timing out (incomplete_results) is said, not hidden.
func TestTriageIncompleteResults(t *testing.T) {
	f := githubtest.New(t)
	seedQueue(f)
	f.SetIncompleteResults(true)
	r := runTriageCmd(t, f, t.TempDir(), nil, "--linked-prs", "0")
	if r.code != 0 || !strings.Contains(r.stdout, "note: GitHub's search timed out on a query (incomplete_results) and may have missed items: run again to be sure\n") {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}
	doc := triageJSON(t, runTriageCmd(t, f, t.TempDir(), nil, "--format", "json", "--linked-prs", "0"))
	if len(doc.Items) != 13 {
		t.Errorf("%d items", len(doc.Items))
	}
}
