package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// telegramFake answers sendMessage like the Bot API and records the pages.
type telegramFake struct {
	srv   *httptest.Server
	mu    sync.Mutex
	pages []string
}

func newTelegramFake(t *testing.T) *telegramFake {
	f := &telegramFake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/bot123:TGTOKEN/sendMessage" {
			w.WriteHeader(401)
			io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
			return
		}
		var m struct {
			ChatID string `json:"chat_id"`
			Text   string `json:"text"`
		}
		json.NewDecoder(r.Body).Decode(&m)
		f.mu.Lock()
		f.pages = append(f.pages, m.Text)
		f.mu.Unlock()
		io.WriteString(w, `{"ok":true,"result":{"message_id":1,"chat":{"id":-100,"type":"group"},"date":1780000000}}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// TestProbeScheduledOutage replays a schedule every 5 minutes against a service that goes down
// and comes back, as the workflow runs it: state on a data branch of the fake GitHub, incidents
// as its issues, pages through the fake Telegram. Exactly one issue is opened, and closed with
// the measured downtime; exactly two pages are sent; the status page and status.json show it.
func TestProbeScheduledOutage(t *testing.T) {
	var up atomic.Bool
	up.Store(true)
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "no healthy upstream", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"status":"ok"}`)
	}))
	t.Cleanup(svc.Close)
	gh := githubtest.New(t)
	gh.SetPackages("Molecule-AI", "workspace-template")
	tg := newTelegramFake(t)

	dir := t.TempDir()
	cfg := `version: 1
probe:
  title: Molecule AI Status
  retry-delay: 0s
  services:
    - name: Control plane
      checks:
        - kind: http
          url: ` + svc.URL + `/health
          json: [{path: status, equals: ok}]
    - name: Image registry
      url: https://ghcr.io/molecule-ai
      checks:
        - {kind: ghcr, org: Molecule-AI}
`
	if err := os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	summary := filepath.Join(dir, "summary.md")
	envVars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Molecule-AI/molecule-ai-status", "GITHUB_API_URL": gh.URL,
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "99", "GITHUB_TOKEN": "ghs_probetoken",
		"GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": filepath.Join(dir, "output"),
		"TELEGRAM_BOT_TOKEN": "123:TGTOKEN", "TELEGRAM_CHAT_ID": "-100",
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	site := filepath.Join(dir, "site")
	// u u d d d d u u u: down from 10:10, declared at 10:15, first passing run 10:30, closed 10:35.
	schedule := "uudddduuu"
	wantExit := []int{0, 0, 0, 1, 1, 1, 1, 0, 0}
	for i, o := range schedule {
		up.Store(o == 'u')
		now := t0.Add(time.Duration(i) * 5 * time.Minute).Format(time.RFC3339)
		var stdout, stderr bytes.Buffer
		env := Env{Actions: ghaction.New(func(k string) string { return envVars[k] }, &stdout), WorkDir: dir}
		code := Run(context.Background(), []string{"probe", "--state-branch", "probe-data", "--site", "site", "--now", now,
			"--telegram-api", tg.srv.URL, "--format", "json"}, Streams{Stdout: &stdout, Stderr: &stderr}, env)
		if code != wantExit[i] {
			t.Fatalf("run %d (%s): exit %d, want %d\nstdout:\n%s\nstderr:\n%s", i, now, code, wantExit[i], stdout.String(), stderr.String())
		}
		if strings.Contains(stdout.String()+stderr.String(), "ghs_probetoken") || strings.Contains(stdout.String()+stderr.String(), "TGTOKEN") {
			t.Fatalf("a token reached the output:\n%s\n%s", stdout.String(), stderr.String())
		}
		if i == 3 {
			// The run that declared the outage: the exact JSON document.
			// Latencies are measured: the only part of the document that varies.
			doc := regexp.MustCompile(`"latency_ms": \d+`).ReplaceAll(stdout.Bytes(), []byte(`"latency_ms": 0`))
			golden.Check(t, "../../testdata/probe/outage-opened.json", doc)
		}
	}

	issues := gh.Issues()
	if len(issues) != 1 {
		t.Fatalf("%d issues, want exactly one: %+v", len(issues), issues)
	}
	is := issues[0]
	if is.Title != "🔴 Control plane (production) is down" || strings.Join(is.Labels, ",") != "incident,control-plane" || is.State != "closed" || is.StateReason != "completed" {
		t.Errorf("issue: %q %v %s %s", is.Title, is.Labels, is.State, is.StateReason)
	}
	if !strings.Contains(is.Body, "status 503 Service Unavailable, want 2xx") || !strings.Contains(is.Body, "https://github.com/Molecule-AI/molecule-ai-status/actions/runs/99") {
		t.Errorf("issue body:\n%s", is.Body)
	}
	if len(is.Comments) != 1 || !strings.Contains(is.Comments[0], "Measured downtime: **20m** (first failing run 2026-12-01 10:10:00 UTC, first passing run 2026-12-01 10:30:00 UTC)") {
		t.Errorf("comments: %q", is.Comments)
	}
	tg.mu.Lock()
	pages := slices.Clone(tg.pages)
	tg.mu.Unlock()
	wantPages := []string{
		"🔴 Control plane (production) is DOWN since 2026-12-01 10:10 UTC\nhttp: status 503 Service Unavailable, want 2xx\nhttps://github.com/Molecule-AI/molecule-ai-status/issues/1",
		"✅ Control plane (production) RECOVERED after 20m\nhttps://github.com/Molecule-AI/molecule-ai-status/issues/1",
	}
	if !slices.Equal(pages, wantPages) {
		t.Errorf("pages:\n%q\nwant:\n%q", pages, wantPages)
	}
	// The state and history are on the data branch: one history line per run per service.
	hist, ok := gh.File("probe-data", "history/control-plane.jsonl")
	if !ok || bytes.Count(hist, []byte("\n")) != len(schedule) {
		t.Errorf("history on the branch: %q", hist)
	}
	var status struct {
		Services []struct {
			Slug, Status string
			Uptime       map[string]*string
		}
		Incidents struct {
			Open   []json.RawMessage
			Recent []struct {
				Number       int       `json:"number"`
				FailingSince time.Time `json:"failing_since"`
				RecoveredAt  time.Time `json:"recovered_at"`
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(site, "api/v1/status.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &status); err != nil {
		t.Fatal(err)
	}
	if len(status.Incidents.Open) != 0 || len(status.Incidents.Recent) != 1 || status.Incidents.Recent[0].Number != 1 ||
		status.Incidents.Recent[0].RecoveredAt.Sub(status.Incidents.Recent[0].FailingSince) != 20*time.Minute {
		t.Errorf("status.json incidents: %s", b)
	}
	if s := status.Services[0]; s.Status != "up" || s.Uptime["day"] == nil || *s.Uptime["day"] != "55.55%" {
		t.Errorf("status.json control plane: %+v (want up, 5 of 9 runs up over 24h)", s)
	}
	html, _ := os.ReadFile(filepath.Join(site, "index.html"))
	for _, want := range []string{"Resolved · down 20m", `href="https://github.com/Molecule-AI/molecule-ai-status/issues/1">#1</a>`, "Image registry", "All systems operational"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	sum, _ := os.ReadFile(summary)
	if !bytes.Contains(sum, []byte("| Control plane | production | 🟢 up |")) {
		t.Errorf("job summary:\n%s", sum)
	}
}

// TestProbeOutput states the human and github formats of a run exactly, and the exit codes.
func TestProbeOutput(t *testing.T) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(500)
		}
	}))
	t.Cleanup(svc.Close)
	dir := t.TempDir()
	cfg := "version: 1\nprobe:\n  retry-delay: 0s\n  services:\n    - name: Up\n      checks: [{kind: http, url: \"" + svc.URL + "/ok\"}]\n" +
		"    - name: Down\n      checks: [{kind: http, url: \"" + svc.URL + "/down\"}]\n" +
		"    - name: Fly\n      checks: [{kind: fly, app: molecule-cp}]\n"
	os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte(cfg), 0o644)
	probeInFormats(t, dir, svc.URL, "output", ExitFindings, func() []string { return nil })
}

// probeInFormats runs probe in dir with args in the human and the github format (the latter as
// in GitHub Actions, its step outputs in dir/out and its job summary in dir/sum), wants exit
// code want, and states each output exactly in testdata/probe/<name>-<format>.golden, with
// SERVER for server and the measured timings as Nms.
func probeInFormats(t *testing.T, dir, server, name string, want int, args func() []string) {
	t.Helper()
	timing := regexp.MustCompile(`\d+ms`)
	for _, tc := range []struct {
		format string
		env    map[string]string
	}{
		{"human", nil},
		{"github", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "sum")}},
	} {
		var stdout, stderr bytes.Buffer
		env := Env{Actions: ghaction.New(func(k string) string { return tc.env[k] }, &stdout, ghaction.WithDelimiter(func() (string, error) { return "EOF", nil })), WorkDir: dir}
		code := Run(context.Background(), append([]string{"probe", "--format", tc.format}, args()...), Streams{Stdout: &stdout, Stderr: &stderr}, env)
		if code != want {
			t.Errorf("%s: exit %d, want %d\n%s", tc.format, code, want, stderr.String())
		}
		out := strings.ReplaceAll(stdout.String(), server, "SERVER")
		out = timing.ReplaceAllString(out, "Nms")
		out = regexp.MustCompile(`  +`).ReplaceAllString(out, "  ") // column widths follow the timings
		golden.Check(t, "../../testdata/probe/"+name+"-"+tc.format+".golden", []byte(out))
	}
}

// TestProbeConfigErrors: a bad probe: section exits 2 naming file, line and column; so does a
// bad --upptime file; the org's real .upptimerc.yml is read as it is.
func TestProbeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := `version: 1
probe:
  timeout: 10 minutes
  services:
    - name: Docs
      checks:
        - {kind: htp, url: "https://doc.moleculesai.app"}
        - {kind: fly}
        - {kind: http, url: "ftp://x", app: cp}
`
	os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte(bad), 0o644)
	os.WriteFile(filepath.Join(dir, "upptime.yml"), []byte("owner: x\nsites:\n  - name: A\n  - url: https://b\n    maxResponseTime: fast\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, `molecule-ci: .molecule-ci.yml:3:12: probe.timeout: invalid duration "10 minutes", expected a duration such as "90s" or "1h30m"
.molecule-ci.yml:7:18: probe.services[0].checks[0].kind: unknown kind "htp" (valid: http, status-json, vercel, fly, ghcr)
.molecule-ci.yml:8:11: probe.services[0].checks[1]: app is required for fly checks (the Fly.io app name)
.molecule-ci.yml:9:29: probe.services[0].checks[2].url: want an http:// or https:// URL, got "ftp://x"
.molecule-ci.yml:9:40: probe.services[0].checks[2].app: applies to fly checks, not http
`},
		{[]string{"probe", "--upptime", "upptime.yml"}, ""},
		{[]string{"probe", "--upptime", "missing.yml"}, "molecule-ci: missing.yml: cannot read: open " + filepath.Join(dir, "missing.yml") + ": no such file or directory\n"},
		{[]string{"probe", "--format", "xml"}, "molecule-ci: unknown format \"xml\" (valid: human, json, sarif, github)\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), tc.args, Streams{Stdout: &stdout, Stderr: &stderr}, Env{Actions: ghaction.New(nil, &stdout), WorkDir: dir})
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if tc.want != "" && stderr.String() != tc.want {
			t.Errorf("%v: stderr\n%s\nwant\n%s", tc.args, stderr.String(), tc.want)
		}
		if tc.want == "" {
			golden.Check(t, "../../testdata/probe/upptime-errors.golden", stderr.Bytes())
		}
	}
}

// TestProbeReadsOrgUpptime: the org's .upptimerc.yml (from the shared corpus) becomes seven
// http services, one per site, titled as its status website.
func TestProbeReadsOrgUpptime(t *testing.T) {
	path := ""
	for _, c := range []string{"../../../shared/corpus", "../../../../shared/corpus"} {
		if _, err := os.Stat(c); err == nil {
			path, _ = filepath.Abs(filepath.Join(c, "molecule-ai-status/.upptimerc.yml"))
		}
	}
	if path == "" {
		t.Skip("the shared corpus (../shared/corpus) is not beside the repository: the org's .upptimerc.yml is not read")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Probe the org's sites on loopback: same names, URLs moved to a local server.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	local := regexp.MustCompile(`https://[a-z.]+`).ReplaceAll(data, []byte(srv.URL))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".upptimerc.yml"), local, 0o644)
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"probe", "--upptime", ".upptimerc.yml", "--format", "json", "--site", "site"},
		Streams{Stdout: &stdout, Stderr: &stderr}, Env{Actions: ghaction.New(nil, &stdout), WorkDir: dir})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc struct {
		Services []struct{ Name, Slug, Status string }
	}
	json.Unmarshal(stdout.Bytes(), &doc)
	var names []string
	for _, s := range doc.Services {
		names = append(names, s.Slug+"="+s.Status)
	}
	want := "customer-app=up docs-site=up control-plane-api=up control-plane-legal-pages=up landing-page=up canvas-pricing-route=up canvas-legal-redirect=up"
	if strings.Join(names, " ") != want {
		t.Errorf("services %s\nwant %s", strings.Join(names, " "), want)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "site/index.html"))
	if !bytes.Contains(html, []byte("<title>Molecule AI Status</title>")) {
		t.Error("the status website's name is not the page title")
	}
}

// TestProbeOverlappingRunsOnDataBranch: four runs that overlap (a slow schedule catching up)
// against a service that has been down long enough all try to declare the outage; the data
// branch's fast-forward-only update lets one claim it: one issue, one page, and every run's
// history line kept.
func TestProbeOverlappingRunsOnDataBranch(t *testing.T) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) }))
	t.Cleanup(svc.Close)
	gh := githubtest.New(t)
	tg := newTelegramFake(t)
	dir := t.TempDir()
	cfg := "version: 1\nprobe:\n  retry-delay: 0s\n  services:\n    - name: API\n      checks: [{kind: http, url: \"" + svc.URL + "\"}]\n"
	os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte(cfg), 0o644)
	envVars := map[string]string{"GITHUB_REPOSITORY": "o/status", "GITHUB_API_URL": gh.URL, "GITHUB_TOKEN": "ghs_x",
		"TELEGRAM_BOT_TOKEN": "123:TGTOKEN", "TELEGRAM_CHAT_ID": "-100"}
	run := func(now time.Time) int {
		var stdout, stderr bytes.Buffer
		env := Env{Actions: ghaction.New(func(k string) string { return envVars[k] }, &stdout), WorkDir: dir}
		return Run(context.Background(), []string{"probe", "--state-branch", "probe-data", "--now", now.Format(time.RFC3339),
			"--telegram-api", tg.srv.URL, "--format", "json"}, Streams{Stdout: &stdout, Stderr: &stderr}, env)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if code := run(t0); code != 0 {
		t.Fatalf("first failing run: exit %d, want 0 (not down for 5 minutes yet)", code)
	}
	// Four runs of one schedule tick: the same time (--now refuses a time before the last
	// recorded run, and whichever saves first records its time).
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = run(t0.Add(6 * time.Minute))
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 1 {
			t.Errorf("run %d: exit %d, want 1", i, c)
		}
	}
	if n := len(gh.Issues()); n != 1 {
		t.Errorf("%d issues, want 1", n)
	}
	tg.mu.Lock()
	pages := len(tg.pages)
	tg.mu.Unlock()
	if pages != 1 {
		t.Errorf("%d pages, want 1", pages)
	}
	patches := 0
	for _, r := range gh.Requests() {
		if strings.HasPrefix(r, "PATCH ") && strings.Contains(r, "/git/refs/") {
			patches++
		}
	}
	// Updates GitHub refused as not fast forwards are the races the compare-and-swap settled.
	t.Logf("%d ref updates for %d commits on the branch", patches, gh.Commits("probe-data"))
	hist, _ := gh.File("probe-data", "history/api.jsonl")
	if n := bytes.Count(hist, []byte("\n")); n != 5 {
		t.Errorf("%d history lines on the branch, want 5 (one per run)", n)
	}
}

// TestProbeStateBranchRefused: a token without contents: write cannot save the state. The run
// prints what it measured, says why verbatim, and exits 3: the tool failed, not the services.
func TestProbeStateBranchRefused(t *testing.T) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(svc.Close)
	gh := githubtest.New(t)
	gh.Enqueue(githubtest.Reply{Path: "/git/trees", Status: 403,
		Body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/git/trees#create-a-tree","status":"403"}`})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte("version: 1\nprobe:\n  services:\n    - name: API\n      checks: [{kind: http, url: \""+svc.URL+"\"}]\n"), 0o644)
	envVars := map[string]string{"GITHUB_REPOSITORY": "o/status", "GITHUB_API_URL": gh.URL, "GITHUB_TOKEN": "ghs_x"}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"probe", "--state-branch", "probe-data", "--format", "json"},
		Streams{Stdout: &stdout, Stderr: &stderr}, Env{Actions: ghaction.New(func(k string) string { return envVars[k] }, &stdout), WorkDir: dir})
	if code != ExitTool {
		t.Errorf("exit %d, want 3", code)
	}
	if !strings.Contains(stdout.String(), `"status": "up"`) {
		t.Errorf("the measurements were not printed:\n%s", stdout.String())
	}
	want := "save probe state: write tree: POST " + gh.URL + "/repos/o/status/git/trees: 403 Resource not accessible by integration (https://docs.github.com/rest/git/trees#create-a-tree)"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant it to contain\n%s", stderr.String(), want)
	}
}

// TestProbeEchoedSecret is the issue's case through the whole command in GitHub Actions: a
// server answers "invalid api key <the key>" for a headers-from-env key. The key (and the
// credential of an Authorization value) is handed to the runner with ::add-mask:: before anything
// else, and reaches none of stdout, stderr, the job summary, the step outputs, state.json and the
// history on the data branch, the status page and its JSON, the incident issue or the page.
func TestProbeEchoedSecret(t *testing.T) {
	const key, auth = "k-echo-5d1e8a2c", "tok-echo-93b7f0"
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"status":"invalid api key `+r.Header.Get("X-Api-Key")+` for `+r.Header.Get("Authorization")+`"}`)
	}))
	t.Cleanup(svc.Close)
	gh := githubtest.New(t)
	tg := newTelegramFake(t)
	dir := t.TempDir()
	cfg := `version: 1
probe:
  retry-delay: 0s
  down-after-runs: 1
  services:
    - name: API
      checks:
        - kind: http
          url: ` + svc.URL + `/health
          expect-status: [401]
          json: [{path: status, equals: ok}]
          headers-from-env: {X-Api-Key: PROBE_KEY, Authorization: PROBE_AUTH}
`
	if err := os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	summary, outputs := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
	envVars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Molecule-AI/molecule-ai-status", "GITHUB_API_URL": gh.URL,
		"GITHUB_TOKEN": "ghs_probetoken", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs,
		"TELEGRAM_BOT_TOKEN": "123:TGTOKEN", "TELEGRAM_CHAT_ID": "-100",
		"PROBE_KEY": key, "PROBE_AUTH": "Bearer " + auth,
	}
	var stdout, stderr bytes.Buffer
	env := Env{Actions: ghaction.New(func(k string) string { return envVars[k] }, &stdout), WorkDir: dir}
	code := Run(context.Background(), []string{"probe", "--state-branch", "probe-data", "--site", "site", "--now", "2026-12-01T10:00:00Z",
		"--telegram-api", tg.srv.URL}, Streams{Stdout: &stdout, Stderr: &stderr}, env)
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	// The masks come first, before any line that could quote the values.
	lines := strings.SplitAfter(stdout.String(), "\n")
	var masked []string
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "::add-mask::"); ok {
			masked = append(masked, strings.TrimSpace(v))
			continue
		}
		break
	}
	for _, want := range []string{key, "Bearer " + auth, auth} {
		if !slices.Contains(masked, want) {
			t.Errorf("no ::add-mask:: for %q before the output (masked: %q)", want, masked)
		}
	}
	texts := map[string]string{"stdout": strings.Join(lines[len(masked):], ""), "stderr": stderr.String()}
	for name, p := range map[string]string{"job summary": summary, "step outputs": outputs} {
		b, _ := os.ReadFile(p)
		texts[name] = string(b)
	}
	for _, p := range []string{"state.json", "history/api.jsonl"} {
		b, ok := gh.File("probe-data", p)
		if !ok {
			t.Errorf("no %s on the data branch", p)
		}
		texts["data branch "+p] = string(b)
	}
	filepath.WalkDir(filepath.Join(dir, "site"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			texts[p] = string(b)
		}
		return nil
	})
	issues := gh.Issues()
	if len(issues) != 1 {
		t.Fatalf("%d issues, want 1", len(issues))
	}
	texts["issue"] = issues[0].Title + "\n" + issues[0].Body + strings.Join(issues[0].Comments, "\n")
	tg.mu.Lock()
	texts["pages"] = strings.Join(tg.pages, "\n")
	tg.mu.Unlock()
	if !strings.Contains(texts["issue"], "invalid api key ***") || !strings.Contains(texts["pages"], "invalid api key ***") {
		t.Errorf("the cause is not quoted, masked:\n%s\n%s", texts["issue"], texts["pages"])
	}
	for name, text := range texts {
		for _, secret := range []string{key, auth} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds the secret:\n%s", name, text)
			}
		}
	}
}

// TestProbeNowBeforeLastRun: replaying with --now earlier than the last run the state records is
// refused (exit 2, saying both times) before anything is probed or written; the same time again
// or a later one is accepted.
func TestProbeNowBeforeLastRun(t *testing.T) {
	var hits atomic.Int32
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(svc.Close)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte("version: 1\nprobe:\n  services:\n    - name: API\n      checks: [{kind: http, url: \""+svc.URL+"\"}]\n"), 0o644)
	run := func(now string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), []string{"probe", "--state", "state", "--now", now, "--format", "json"},
			Streams{Stdout: &stdout, Stderr: &stderr}, Env{Actions: ghaction.New(nil, &stdout), WorkDir: dir})
		return code, stderr.String()
	}
	if code, stderr := run("2026-12-01T10:40:00Z"); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	state, _ := os.ReadFile(filepath.Join(dir, "state", "state.json"))
	before := hits.Load()
	code, stderr := run("2026-12-01T10:00:00Z")
	want := "molecule-ci: --now: 2026-12-01T10:00:00Z is before the last recorded run, 2026-12-01T10:40:00Z: a replay must move forward (replay from the start with an empty state)\n"
	if code != ExitUsage || !strings.HasSuffix(stderr, want) {
		t.Errorf("exit %d, stderr\n%s\nwant 2 and\n%s", code, stderr, want)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "state", "state.json")); hits.Load() != before || !bytes.Equal(after, state) {
		t.Errorf("the refused run probed (%d requests) or wrote the state", hits.Load()-before)
	}
	for _, now := range []string{"2026-12-01T10:40:00Z", "2026-12-01T10:45:00Z"} {
		if code, stderr := run(now); code != 0 {
			t.Errorf("--now %s: exit %d: %s", now, code, stderr)
		}
	}
}

// TestProbeFirstRun is the first day of a new user: six services, three failing, one run with
// fresh state. Nothing is confirmed down (exit 0, no incident), but the output says what failed:
// the table, the verdict ("3 up, 3 failing (confirming)"), the findings, and the step outputs.
func TestProbeFirstRun(t *testing.T) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bad-gateway":
			http.Error(w, "no healthy upstream", http.StatusBadGateway)
		case "/unavailable":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case "/maintenance":
			io.WriteString(w, `{"status":"maintenance"}`)
		default:
			io.WriteString(w, `{"status":"ok"}`)
		}
	}))
	t.Cleanup(svc.Close)
	dir := t.TempDir()
	cfg := "version: 1\nprobe:\n  retry-delay: 0s\n  services:\n"
	for _, s := range [][2]string{{"Customer app", "/"}, {"Landing page", "/landing"}, {"Control plane", "/bad-gateway"},
		{"Docs", "/docs"}, {"Image registry", "/unavailable"}, {"Status page", "/maintenance"}} {
		cfg += "    - name: " + s[0] + "\n      checks: [{kind: http, url: \"" + svc.URL + s[1] + "\", json: [{path: status, equals: ok}]}]\n"
	}
	os.WriteFile(filepath.Join(dir, ".molecule-ci.yml"), []byte(cfg), 0o644)
	// Exit 0: nothing is confirmed down yet. Each format's run is a first run, on fresh state.
	probeInFormats(t, dir, svc.URL, "first-run", ExitOK, func() []string {
		return []string{"--state", filepath.Join(t.TempDir(), "state"), "--now", "2026-12-01T10:00:00Z"}
	})
	outputs, _ := os.ReadFile(filepath.Join(dir, "out"))
	want := "status<<EOF\nfailing\nEOF\ndown<<EOF\n0\nEOF\nfailing<<EOF\n3\nEOF\nservices<<EOF\n6\nEOF\n"
	if string(outputs) != want {
		t.Errorf("step outputs:\n%s\nwant:\n%s", outputs, want)
	}
	sum, _ := os.ReadFile(filepath.Join(dir, "sum"))
	if !bytes.Contains(sum, []byte("6 services: 3 up, 3 failing (confirming)")) || !bytes.Contains(sum, []byte("| Control plane | production | 🟠 failing |")) {
		t.Errorf("job summary:\n%s", sum)
	}
}
