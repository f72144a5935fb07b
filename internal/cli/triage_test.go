package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
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
	clk := &triageClock{t: triageNow}
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
	for _, format := range []string{"human", "json", "markdown"} {
		r := runTriageCmd(t, f, dir, nil, "--format", format, "--fleet", "fleet.json")
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", format, r.code, r.stderr)
		}
		ext := map[string]string{"human": "txt", "json": "json", "markdown": "md"}[format]
		golden.Check(t, "../../testdata/triage/queue."+ext, []byte(r.stdout))
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
