package probe

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// memIssues is an in-memory tracker with GitHub's semantics: labels filter with AND, numbers
// increase, closing keeps the issue.
type memIssues struct {
	mu       sync.Mutex
	issues   []*memIssue
	comments map[int][]string
}

type memIssue struct {
	Issue
	labels      []string
	open        bool
	title, body string
	reason      string
}

func (m *memIssues) FindOpen(_ context.Context, labels []string) ([]Issue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Issue
	for _, is := range m.issues {
		all := is.open
		for _, l := range labels {
			all = all && strings.Contains(","+strings.Join(is.labels, ",")+",", ","+l+",")
		}
		if all {
			out = append(out, is.Issue)
		}
	}
	return out, nil
}

func (m *memIssues) Create(_ context.Context, title, body string, labels []string) (Issue, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.issues) + 1
	is := &memIssue{Issue: Issue{Number: n, URL: "https://github.test/issues/" + strconv.Itoa(n)}, labels: labels, open: true, title: title, body: body}
	m.issues = append(m.issues, is)
	return is.Issue, nil
}

func (m *memIssues) Comment(_ context.Context, n int, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.comments == nil {
		m.comments = map[int][]string{}
	}
	m.comments[n] = append(m.comments[n], body)
	return nil
}

func (m *memIssues) Close(_ context.Context, n int, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.issues[n-1].open, m.issues[n-1].reason = false, reason
	return nil
}

type memPager struct {
	mu    sync.Mutex
	pages []string
	fail  bool
}

func (p *memPager) Page(_ context.Context, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return os.ErrDeadlineExceeded
	}
	p.pages = append(p.pages, text)
	return nil
}

// toggle is a loopback service whose health the test sets.
type toggle struct {
	up  atomic.Bool
	url string
}

func newToggle(t *testing.T) *toggle {
	tg := &toggle{}
	tg.up.Store(true)
	tg.url = serve(t, func(w http.ResponseWriter, r *http.Request) {
		if !tg.up.Load() {
			http.Error(w, "upstream connect error", http.StatusBadGateway)
		}
	}).URL
	return tg
}

// TestPolicy drives one service through scheduled runs 5 minutes apart and states, run by run,
// the state shown (declared, or failing while a failure is not confirmed yet) and what was
// filed and paged.
func TestPolicy(t *testing.T) {
	cases := []struct {
		name     string
		observed string // one letter per run: u up, d down
		shown    string // one letter per run: u up, f failing, d down, g degraded
		issues   int    // issues filed in total
		pages    int
		closed   bool
		downtime time.Duration
	}{
		{"one failed run is no outage, but is failing at once", "uuduu", "uufuu", 0, 0, false, 0},
		{"down after 5 minutes, up after two passing runs", "udddduuu", "ufdddduu", 1, 2, true, 20 * time.Minute},
		{"a blip while recovering keeps the incident", "udddudduuu", "ufdddddduu", 1, 2, true, 30 * time.Minute},
		{"flapping opens nothing but is degraded", "udududududu", "ufufgfgfgfg", 0, 0, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := newToggle(t)
			cfg := testConfig(config.ProbeService{Name: "API", Checks: []config.ProbeCheck{{Kind: "http", URL: svc.url}}})
			cfg.RetryDelay = 0
			issues, pager := &memIssues{}, &memPager{}
			store := DirStore{Dir: t.TempDir()}
			t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			var got strings.Builder
			for i, o := range tc.observed {
				svc.up.Store(o == 'u')
				now := t0.Add(time.Duration(i) * 5 * time.Minute)
				res, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }, Store: store, Issues: issues, Pager: pager})
				if err != nil {
					t.Fatal(err)
				}
				got.WriteString(map[Status]string{Up: "u", Failing: "f", Down: "d", Degraded: "g"}[res.Services[0].Status])
			}
			if got.String() != tc.shown {
				t.Errorf("shown %s, want %s", got.String(), tc.shown)
			}
			if len(issues.issues) != tc.issues || len(pager.pages) != tc.pages {
				t.Errorf("%d issues and %d pages, want %d and %d: %q", len(issues.issues), len(pager.pages), tc.issues, tc.pages, pager.pages)
			}
			if tc.closed {
				is := issues.issues[0]
				if is.open || is.reason != "completed" || strings.Join(is.labels, ",") != "incident,api" {
					t.Errorf("issue open %v reason %q labels %v", is.open, is.reason, is.labels)
				}
				last := issues.comments[1][len(issues.comments[1])-1]
				if want := "Measured downtime: **" + fmtDuration(tc.downtime) + "**"; !strings.Contains(last, want) {
					t.Errorf("closing comment %q does not say %q", last, want)
				}
				if !strings.HasPrefix(pager.pages[1], "✅ API (production) RECOVERED after "+fmtDuration(tc.downtime)) {
					t.Errorf("recovery page %q", pager.pages[1])
				}
			}
		})
	}
}

// TestConcurrentRunsFileOnce: overlapping runs that both see the outage pass its threshold
// save through the compare-and-swap one after the other: one files and pages, the other finds
// the transition claimed.
func TestConcurrentRunsFileOnce(t *testing.T) {
	svc := newToggle(t)
	svc.up.Store(false)
	cfg := testConfig(config.ProbeService{Name: "API", Checks: []config.ProbeCheck{{Kind: "http", URL: svc.url}}})
	cfg.RetryDelay = 0
	dir := t.TempDir()
	store := DirStore{Dir: dir}
	issues, pager := &memIssues{}, &memPager{}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return t0 }, Store: store}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := t0.Add(6*time.Minute + time.Duration(i)*time.Second)
			if _, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }, Store: store, Issues: issues, Pager: pager}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(issues.issues) != 1 || len(pager.pages) != 1 {
		t.Errorf("%d issues, %d pages: want exactly one of each", len(issues.issues), len(pager.pages))
	}
	lines, bad := parseHistory(mustRead(t, filepath.Join(dir, "history/api.jsonl")))
	if len(lines) != 9 || bad != 0 {
		t.Errorf("%d history lines (%d unreadable), want 9: one per run, none lost or doubled", len(lines), bad)
	}
}

// TestPagerDownIsNotFatal: a failing pager is logged; the incident is still filed, and the page
// is not retried by the next run (at most once per transition).
func TestPagerDownIsNotFatal(t *testing.T) {
	svc := newToggle(t)
	svc.up.Store(false)
	cfg := testConfig(config.ProbeService{Name: "API", Checks: []config.ProbeCheck{{Kind: "http", URL: svc.url}}})
	cfg.DownAfterRuns, cfg.DownAfter = 1, 0
	cfg.RetryDelay = 0
	store := DirStore{Dir: t.TempDir()}
	issues, pager := &memIssues{}, &memPager{fail: true}
	var logs []string
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 2 {
		now := t0.Add(time.Duration(i) * 5 * time.Minute)
		res, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }, Store: store, Issues: issues, Pager: pager,
			Logf: func(f string, a ...any) { logs = append(logs, f) }})
		if err != nil {
			t.Fatal(err)
		}
		if res.Services[0].Status != Down {
			t.Fatalf("run %d: %s", i, res.Services[0].Status)
		}
		pager.fail = false
	}
	if len(issues.issues) != 1 || len(pager.pages) != 0 || len(logs) != 1 || logs[0] != "page not sent: %v" {
		t.Errorf("issues %d pages %d logs %q", len(issues.issues), len(pager.pages), logs)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCompact folds the runs of days before yesterday into daily rollups and day archives, and
// keeps the rest as they were.
func TestCompact(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var lines []HistoryLine
	old := now.AddDate(0, 0, -40)
	for i := range 288 { // one whole old day, every 5 minutes
		st := Up
		if i < 3 {
			st = Down
		}
		lines = append(lines, HistoryLine{Timestamp: old.Truncate(24 * time.Hour).Add(time.Duration(i) * 5 * time.Minute), Name: "API", Status: st, LatencyMS: 100, Success: st == Up})
	}
	recent := HistoryLine{Timestamp: now.Add(-time.Hour), Name: "API", Status: Up, LatencyMS: 80, Success: true}
	ancient := []Rollup{{Date: "2025-01-01", Name: "API", Runs: 10, Up: 10}}
	yesterday := HistoryLine{Timestamp: now.Add(-20 * time.Hour), Name: "API", Status: Up, LatencyMS: 90, Success: true}
	lines = append(lines, yesterday, recent)
	kept, rolled, archived := compact(lines, ancient, now, 5*time.Minute)
	if len(kept) != 2 || kept[0] != yesterday || kept[1] != recent {
		t.Errorf("kept %v", kept)
	}
	if len(archived) != 1 || len(archived[old.Format(time.DateOnly)]) != 288 {
		t.Errorf("archived %d days", len(archived))
	}
	want := Rollup{Date: old.Format(time.DateOnly), Name: "API", Runs: 288, Up: 285, Down: 3, LatencyMS: 100, MinutesDown: 15}
	if len(rolled) != 1 || rolled[0] != want {
		t.Errorf("rollups %+v, want [%+v] (the 2025 rollup is past 400 days)", rolled, want)
	}
	// Uptime over 90 days reads the rollup and the recent lines: 285 + 2 of 290 runs up.
	if u := uptimeOver(kept, rolled, now, 90*24*time.Hour); pct(u.share(u.up)) != "98.96%" {
		t.Errorf("90d uptime %s", pct(u.share(u.up)))
	}
}

// TestHistoryFiles: a run appends its line, archives the day that left the recent file (with its
// rollup) and deletes day archives older than 30 days.
func TestHistoryFiles(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 5, 0, 0, time.UTC)
	cfg := testConfig(config.ProbeService{Name: "API", Checks: []config.ProbeCheck{{Kind: "http", URL: "http://x"}}})
	twoDaysAgo := HistoryLine{Timestamp: now.Add(-25 * time.Hour), Name: "API", Status: Down, Success: false}
	snap := Snapshot{
		Files: map[string][]byte{historyPath("api"): marshalLines([]HistoryLine{twoDaysAgo})},
		Paths: []string{historyPath("api"), archivePath("api", "2026-10-31"), archivePath("api", "2026-11-01"), archivePath("other", "2026-01-01")},
	}
	res := &Result{Services: []ServiceResult{{Name: "API", Slug: "api", Env: "production", URL: "http://x", Observed: Up, Checks: []CheckResult{{Kind: "http", StatusCode: 200, Latency: 42 * time.Millisecond}}}}}
	files := historyFiles(cfg, snap, res, now)
	var names []string
	for _, n := range sortedSlugs(files) {
		if files[n] == nil {
			n += " (deleted)"
		}
		names = append(names, n)
	}
	if got := strings.Join(names, ", "); got != "history/api.daily.jsonl, history/api.jsonl, history/api/2026-10-31.jsonl (deleted), history/api/2026-11-29.jsonl" {
		t.Errorf("files: %s", got)
	}
	want := `{"timestamp":"2026-12-01T00:05:00Z","name":"API","url":"http://x","method":"GET","status_code":200,"latency_ms":42,"success":true,"status":"up","env":"production"}` + "\n"
	if got := string(files[historyPath("api")]); got != want {
		t.Errorf("recent:\n%s\nwant\n%s", got, want)
	}
	if got := string(files[rollupPath("api")]); got != `{"date":"2026-11-29","name":"API","runs":1,"up":0,"degraded":0,"down":1,"unknown":0,"latency_ms":0,"minutes_down":5}`+"\n" {
		t.Errorf("rollup: %s", got)
	}
}

// TestDirStoreCAS: a save against a stale version is refused and writes nothing.
func TestDirStoreCAS(t *testing.T) {
	s := DirStore{Dir: t.TempDir()}
	snap, err := s.Load(context.Background())
	if err != nil || snap.Version != "" {
		t.Fatalf("%v %q", err, snap.Version)
	}
	v1, err := s.Save(context.Background(), "", map[string][]byte{StateFile: []byte(`{"version":1}`), "history/a.jsonl": []byte("1\n")}, "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(context.Background(), "", map[string][]byte{StateFile: []byte(`{"version":1,"x":1}`), "history/a.jsonl": []byte("2\n")}, "m"); err != ErrConflict {
		t.Fatalf("stale save: %v", err)
	}
	snap, _ = s.Load(context.Background())
	if snap.Version != v1 || string(snap.Files["history/a.jsonl"]) != "1\n" {
		t.Errorf("after a refused save: version %s, history %q", snap.Version, snap.Files["history/a.jsonl"])
	}
}

// TestParseHistoryUpptime reads the org's Upptime history line as it is.
func TestParseHistoryUpptime(t *testing.T) {
	lines, bad := parseHistory([]byte(`{"timestamp":"2026-05-10T06:41:28Z","name":"Customer app","url":"https://app.moleculesai.app","method":"GET","status_code":200,"latency_ms":242,"success":true}
not json
{"timestamp":"2026-05-10T06:45:58Z","name":"Customer app","url":"https://app.moleculesai.app","method":"GET","status_code":502,"latency_ms":150,"success":false}
`))
	if bad != 1 || len(lines) != 2 || lines[0].Status != Up || lines[1].Status != Down || lines[0].LatencyMS != 242 {
		t.Errorf("%d bad, %+v", bad, lines)
	}
}

func FuzzParseHistory(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2026-05-10T06:41:28Z","name":"a","success":true}` + "\n"))
	f.Add([]byte("{}\n\n{\"timestamp\":1}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, _ := parseHistory(b)
		for _, l := range lines {
			if l.Timestamp.IsZero() || l.Status == "" {
				t.Fatalf("accepted %+v", l)
			}
		}
		_ = parseRollups(b)
	})
}

func FuzzParseStatusJSON(f *testing.F) {
	f.Add([]byte(`[{"name":"a","status":"up"}]`))
	f.Add([]byte(`{"services":[{"name":"a","status":"down"}],"heartbeat":{"last_run":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sites, _, err := parseStatusJSON(b)
		if err == nil {
			for _, s := range sites {
				if s.Name == "" || s.Status == "" {
					t.Fatalf("accepted %+v", s)
				}
			}
		}
	})
}

// TestFailingFirst: with stored state, the services that failed the previous run are checked
// first (here one at a time, so the order is visible); the output keeps the config's order.
func TestFailingFirst(t *testing.T) {
	var mu sync.Mutex
	var order []string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		order = append(order, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/c" && r.Header.Get("X-Run") == "1" {
			w.WriteHeader(500)
		}
	})
	var svcs []config.ProbeService
	for _, n := range []string{"a", "b", "c", "d"} {
		svcs = append(svcs, config.ProbeService{Name: n, Checks: []config.ProbeCheck{{Kind: "http", URL: srv.URL + "/" + n, Headers: map[string]string{"X-Run": "1"}}}})
	}
	cfg := testConfig(svcs...)
	cfg.Concurrency, cfg.RetryDelay = 1, 0
	store := DirStore{Dir: t.TempDir()}
	if _, err := Run(context.Background(), Options{Config: cfg, Store: store}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	order = nil
	mu.Unlock()
	for i := range cfg.Services {
		cfg.Services[i].Checks[0].Headers = map[string]string{"X-Run": "2"}
	}
	res, err := Run(context.Background(), Options{Config: cfg, Store: store, Now: func() time.Time { return time.Now().Add(time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "/c /a /b /d" {
		t.Errorf("second run checked %s, want /c first", got)
	}
	if res.Services[2].Name != "c" || res.Services[2].Observed != Up {
		t.Errorf("results out of config order: %+v", res.Services[2])
	}
}
