package probe

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// siteNow is the fixture's "now".
var siteNow = time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC)

type fixtureService struct {
	name, env, url string
	status         Status
	reason         string
	baseMS         int64
	// down marks runs (minutes before now) that failed: [from, to).
	down [][2]int
}

var fixtureServices = []fixtureService{
	{"Customer app", "production", "https://app.moleculesai.app", Up, "", 220, [][2]int{{1500, 1475}}},
	{"Landing page", "production", "https://www.moleculesai.app/", Up, "", 120, nil},
	{"Docs", "production", "https://doc.moleculesai.app", Degraded, "http: slow: answered in 3412ms, more than 3000ms", 3300, nil},
	{"Status page", "production", "https://status.moleculesai.app/api/v1/status.json", Up, "", 90, nil},
	{"Control plane", "production", "https://api.moleculesai.app/health", Down, "http: status 502 Bad Gateway, want 2xx", 310, [][2]int{{40, 0}}},
	{"Image registry", "production", "https://ghcr.io/molecule-ai", Up, "", 160, nil},
	{"Customer app", "staging", "https://staging.moleculesai.app", Up, "", 260, nil},
	{"Control plane", "staging", "https://api.staging.moleculesai.app/health", Up, "", 330, nil},
}

// fixtureSite writes a status page for the org's eight services with three days of 5-minute
// runs and 60 days of rollups: one service down with an open incident, one degraded, one with
// an outage yesterday.
func fixtureSite(t testing.TB, dir string) *SiteStatus {
	t.Helper()
	return fixtureSiteAt(t, dir, siteNow)
}

// fixtureSiteAt is the fixture as generated at siteNow.
func fixtureSiteAt(t testing.TB, dir string, siteNow time.Time) *SiteStatus {
	t.Helper()
	var cfg config.ProbeConfig
	cfg.SetDefaults()
	cfg.Title = "Molecule AI Status"
	st := &State{Version: 1, Services: map[string]*ServiceState{}}
	files := map[string][]byte{}
	res := &Result{Started: siteNow, PreviousRun: siteNow.Add(-5 * time.Minute), FailOn: Degraded}
	for i, fs := range fixtureServices {
		slug := config.Slugify(fs.name)
		if fs.env != "production" {
			slug = config.Slugify(fs.name + "-" + fs.env)
		}
		cfg.Services = append(cfg.Services, config.ProbeService{Name: fs.name, Slug: slug, Env: fs.env, URL: fs.url, Checks: []config.ProbeCheck{{Kind: "http", URL: fs.url}}})
		var lines []HistoryLine
		for m := 3 * 24 * 60; m >= 0; m -= 5 {
			ts := siteNow.Add(-time.Duration(m) * time.Minute)
			// A deterministic wobble: a daily curve and a little noise.
			wob := math.Sin(float64(m)/180*math.Pi)*0.15 + math.Sin(float64(m*7+i*13))*0.08
			l := HistoryLine{Timestamp: ts, Name: fs.name, URL: fs.url, Method: "GET", StatusCode: 200,
				LatencyMS: int64(float64(fs.baseMS) * (1 + wob)), Success: true, Status: Up, Env: fs.env}
			if fs.status == Degraded {
				l.Status = Degraded
			}
			for _, d := range fs.down {
				if m < d[0] && m >= d[1] {
					l.Status, l.Success, l.StatusCode, l.LatencyMS, l.Error = Down, false, 502, 0, "status 502 Bad Gateway, want 2xx"
				}
			}
			lines = append(lines, l)
		}
		var rollups []Rollup
		for d := 63; d >= 4; d-- {
			r := Rollup{Date: siteNow.AddDate(0, 0, -d).Format(time.DateOnly), Name: fs.name, Runs: 288, Up: 288, LatencyMS: fs.baseMS}
			if (d+i)%23 == 0 {
				r.Up, r.Down, r.MinutesDown = 276, 12, 60
			}
			rollups = append(rollups, r)
		}
		files[historyPath(slug)] = marshalLines(lines)
		files[rollupPath(slug)] = marshalLines(rollups)
		ss := &ServiceState{Name: fs.name, Env: fs.env, URL: fs.url, Declared: fs.status, Observed: fs.status, Reason: fs.reason, LastChecked: siteNow, DeclaredSince: siteNow.Add(-2 * time.Hour)}
		if fs.status == Down {
			ss.Incident = &Incident{Service: fs.name, Slug: slug, Env: fs.env, Number: 14, URL: "https://github.com/Molecule-AI/molecule-ai-status/issues/14",
				FailingSince: siteNow.Add(-40 * time.Minute), OpenedAt: siteNow.Add(-35 * time.Minute), Cause: fs.reason, Filed: true}
			ss.DeclaredSince = ss.Incident.OpenedAt
		}
		st.Services[slug] = ss
		res.Services = append(res.Services, ServiceResult{Name: fs.name, Slug: slug, Env: fs.env, URL: fs.url, Status: fs.status, Observed: fs.status, Reason: fs.reason, Since: ss.DeclaredSince, Index: i})
	}
	st.Closed = []*Incident{{Service: "Customer app", Slug: "customer-app", Env: "production", Number: 12, URL: "https://github.com/Molecule-AI/molecule-ai-status/issues/12",
		FailingSince: siteNow.Add(-1500 * time.Minute), OpenedAt: siteNow.Add(-1495 * time.Minute), RecoveredAt: siteNow.Add(-1475 * time.Minute), ClosedAt: siteNow.Add(-1470 * time.Minute),
		Cause: "http: Get \"https://app.moleculesai.app\": context deadline exceeded (timeout 10s)", Filed: true}}
	opts := Options{Config: cfg, Site: dir}
	if err := writeSite(opts, st, files, res); err != nil {
		t.Fatal(err)
	}
	ss, _ := buildSite(opts, st, files, res)
	return ss
}

// TestSiteGolden states the status page's files exactly: status.json, summary.json (Upptime's
// shape), the badges and the HTML.
func TestSiteGolden(t *testing.T) {
	dir := t.TempDir()
	fixtureSite(t, dir)
	for _, name := range []string{"api/v1/status.json", "api/v1/summary.json", "api/control-plane/status.json", "api/control-plane/uptime.json", "api/docs/response-time.json", "index.html"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "site", strings.ReplaceAll(name, "/", "_")+".golden"), b)
	}
	var summary []map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "api/v1/summary.json"))
	if err := json.Unmarshal(b, &summary); err != nil {
		t.Fatal(err)
	}
	// The keys of the org's own summary.json (../shared/corpus/molecule-ai-status/summary.json).
	for _, k := range []string{"name", "url", "slug", "status", "uptime", "uptimeDay", "uptimeWeek", "uptimeMonth", "uptimeYear", "time", "timeDay", "timeWeek", "timeMonth", "timeYear", "dailyMinutesDown"} {
		if _, ok := summary[0][k]; !ok {
			t.Errorf("summary.json lacks Upptime's %q", k)
		}
	}
}

// TestSummaryMatchesOrgShape compares summary.json's keys with the org's real one when the
// corpus is present.
func TestSummaryMatchesOrgShape(t *testing.T) {
	real, err := os.ReadFile(corpusPath("molecule-ai-status/summary.json"))
	if err != nil {
		t.Skipf("corpus not present (%v): the shape is still checked by TestSiteGolden", err)
	}
	var want []map[string]any
	if err := json.Unmarshal(real, &want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fixtureSite(t, dir)
	var got []map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "api/v1/summary.json"))
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, v := range want[0] {
		g, ok := got[0][k]
		if !ok {
			t.Errorf("missing key %q", k)
			continue
		}
		if _, isNum := v.(float64); isNum {
			if _, ok := g.(float64); !ok {
				t.Errorf("%s: %T, want a number", k, g)
			}
		}
	}
}

// corpusPath finds the shared corpus beside the repository: ../shared/corpus from the
// repository root (or ../../shared/corpus from a worktree under a sibling directory), or
// $MOLECULE_CORPUS.
func corpusPath(rel string) string {
	if d := os.Getenv("MOLECULE_CORPUS"); d != "" {
		return filepath.Join(d, rel)
	}
	root := "../.." // internal/probe -> repository root
	for _, c := range []string{"../shared/corpus", "../../shared/corpus"} {
		if _, err := os.Stat(filepath.Join(root, c)); err == nil {
			return filepath.Join(root, c, rel)
		}
	}
	return filepath.Join(root, "../shared/corpus", rel)
}
