package probe

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// firstRun probes six loopback services, three of them failing, once, with an empty state and
// the status page written to dir/site: the first day of a new user.
func firstRun(t testing.TB, dir string, now time.Time) *Result {
	t.Helper()
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"ok"}`) }
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	cfg := testConfig(
		config.ProbeService{Name: "Customer app", Checks: []config.ProbeCheck{{Kind: "http", URL: serve(t, ok).URL}}},
		config.ProbeService{Name: "Landing page", Checks: []config.ProbeCheck{{Kind: "http", URL: serve(t, ok).URL}}},
		config.ProbeService{Name: "Control plane", Checks: []config.ProbeCheck{{Kind: "http", URL: serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no healthy upstream", http.StatusBadGateway)
		}).URL}}},
		config.ProbeService{Name: "Docs", Checks: []config.ProbeCheck{{Kind: "http", URL: serve(t, ok).URL}}},
		config.ProbeService{Name: "Image registry", Checks: []config.ProbeCheck{{Kind: "http", URL: refused}}},
		config.ProbeService{Name: "Status page", Checks: []config.ProbeCheck{{Kind: "http", URL: serve(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"status":"maintenance"}`)
		}).URL, JSON: []config.ProbeJSONCondition{{Path: "status", Equals: "ok"}}}}},
	)
	cfg.Title, cfg.RetryDelay = "First run", 0
	res, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }, Store: DirStore{Dir: filepath.Join(dir, "state")},
		Site: filepath.Join(dir, "site")})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestFirstRunTellsTheTruth: on the first run with three of six services failing, the failures
// are not confirmed (no outage declared, exit 0) but are shown at once as failing: in the verdict,
// the findings, status.json, summary.json (Upptime's down), the badges and the page's banner and
// states. A service that never answered has no average response time, its 24 h uptime is over
// one run, and the days before the first run are "no data".
func TestFirstRunTellsTheTruth(t *testing.T) {
	dir := t.TempDir()
	res := firstRun(t, dir, siteNow)
	if got, want := res.Verdict(), "6 services: 3 up, 3 failing (confirming)"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
	if res.Failed() || len(res.Incidents) != 0 {
		t.Errorf("failed %v, incidents %v: the policy has confirmed nothing yet", res.Failed(), res.Incidents)
	}
	var rules []string
	for _, f := range res.Findings("c.yml", nil) {
		rules = append(rules, f.Rule+"/"+f.Severity.String())
	}
	if strings.Join(rules, " ") != "service-failing/info service-failing/info service-failing/info" {
		t.Errorf("findings %v", rules)
	}
	var status struct {
		Status   Status
		Services []struct {
			Slug      string
			Status    Status
			Since     time.Time
			Uptime    map[string]*string
			LatencyMS *int64 `json:"latency_ms"`
		}
	}
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "site/api/v1/status.json")), &status); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, s := range status.Services {
		states = append(states, s.Slug+"="+string(s.Status))
		failing := s.Status == Failing
		if up := *s.Uptime["day"]; (failing && up != "0.00%") || (!failing && up != "100.00%") {
			t.Errorf("%s: 24h uptime %s", s.Slug, up)
		}
		if failing != (s.LatencyMS == nil) || !s.Since.Equal(siteNow) {
			t.Errorf("%s: latency %v, since %s", s.Slug, s.LatencyMS, s.Since)
		}
	}
	want := "customer-app=up landing-page=up control-plane=failing docs=up image-registry=failing status-page=failing"
	if status.Status != Failing || strings.Join(states, " ") != want {
		t.Errorf("status.json: %s, %s\nwant failing, %s", status.Status, strings.Join(states, " "), want)
	}
	summary := string(mustRead(t, filepath.Join(dir, "site/api/v1/summary.json")))
	if n := strings.Count(summary, `"status": "down"`); n != 3 {
		t.Errorf("summary.json lists %d services down, want the 3 failing (Upptime has no failing)", n)
	}
	for name, want := range map[string]string{
		"control-plane/status.json":        `{"schemaVersion":1,"label":"Control plane","message":"failing","color":"orange"}`,
		"control-plane/response-time.json": `{"schemaVersion":1,"label":"response time","message":"no data","color":"lightgrey"}`,
	} {
		if got := strings.TrimSpace(string(mustRead(t, filepath.Join(dir, "site/api", name)))); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	html := string(mustRead(t, filepath.Join(dir, "site/index.html")))
	for _, want := range []string{
		`<div class="banner failing" role="status"><span class="dot"></span>Some systems are failing — confirming</div>`,
		`<span class="word failing">Failing · confirming</span>`,
		`<b>0.00%</b><span>uptime 24h · 1 run</span>`,
		`<span>Response time, since 14:30 UTC</span><span>no answer</span>`,
		`title="2026-11-30: no data"`,
		`<span><i class="none"></i>no data</span>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	for _, bad := range []string{"All systems operational", "Active incidents"} {
		if strings.Contains(html, bad) {
			t.Errorf("index.html says %q", bad)
		}
	}
	for _, slug := range []string{"control-plane", "image-registry", "status-page"} {
		card := html[strings.Index(html, `id="svc-`+slug+`"`):]
		card = card[:strings.Index(card, "</section>")]
		if strings.Contains(card, "avg ") || !strings.Contains(card, `<span class="pill failing state">`) {
			t.Errorf("the card of %s, which never answered:\n%s", slug, card)
		}
	}
	// The first run's chart spans the last 30 minutes, not a day: its one run is one band at
	// the right edge, a sixth of the chart wide.
	if m := regexp.MustCompile(`<rect class="dn" x="([\d.]+)" y="0" width="([\d.]+)"`).FindStringSubmatch(html); m == nil || m[1] != "500" || m[2] != "100" {
		t.Errorf("down band %v, want x=500 width=100", m)
	}
}
