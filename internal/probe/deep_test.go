package probe

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/github"
)

// fakeVercel answers GET /v6/deployments like api.vercel.com: a bearer token, the deployments
// list with its pagination, and Vercel's error object for a bad token and the rate limit.
func fakeVercel(t *testing.T, state string) *httptest.Server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch {
		case r.URL.Path != "/v6/deployments":
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":"not_found","message":"The requested URL was not found"}}`)
		case r.Header.Get("Authorization") != "Bearer vercel-token":
			w.WriteHeader(403)
			io.WriteString(w, `{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`)
		case state == "ratelimited":
			w.Header().Set("X-RateLimit-Limit", "100")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1780000000")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":{"code":"rate_limited","message":"Rate limit exceeded","limit":{"remaining":0,"reset":1780000000,"resetMs":1780000000000,"total":100}}}`)
		case r.URL.Query().Get("projectId") != "molecule-app" || r.URL.Query().Get("target") != "production" || r.URL.Query().Get("limit") != "1":
			t.Errorf("unexpected query %s", r.URL.RawQuery)
			w.WriteHeader(400)
		case state == "none":
			io.WriteString(w, `{"deployments":[],"pagination":{"count":0,"next":null,"prev":null}}`)
		default:
			io.WriteString(w, `{"deployments":[{"uid":"dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ","name":"molecule-app","url":"molecule-app-3a9f2c.vercel.app","created":1780000000000,"source":"git","state":"`+state+`","readyState":"`+state+`","type":"LAMBDAS","creator":{"uid":"u1","username":"ci"},"target":"production","projectId":"prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB"}],"pagination":{"count":1,"next":1779990000000,"prev":null}}`)
		}
	})
}

// fakeFly answers GET /v1/apps/{app}/machines like the Machines API.
func fakeFly(t *testing.T, machines string) *httptest.Server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("Authorization") != "Bearer fly-token":
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"unauthorized"}`)
		case r.URL.Path != "/v1/apps/molecule-cp/machines":
			w.WriteHeader(404)
			io.WriteString(w, `{"error":"app not found"}`)
		case machines == "ratelimited":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":"rate limit exceeded"}`)
		default:
			io.WriteString(w, machines)
		}
	})
}

func flyMachine(id, state string, checks ...string) string {
	var cs []string
	for i := 0; i+1 < len(checks); i += 2 {
		cs = append(cs, `{"name":"`+checks[i]+`","status":"`+checks[i+1]+`","output":"GET /health: `+checks[i+1]+`","updated_at":"2026-12-01T10:00:00Z"}`)
	}
	return `{"id":"` + id + `","name":"cp-` + id + `","state":"` + state + `","region":"iad","instance_id":"01J","private_ip":"fdaa::3","config":{"image":"registry.fly.io/molecule-cp:v38"},"created_at":"2026-11-30T10:00:00Z","updated_at":"2026-12-01T10:00:00Z","checks":[` + strings.Join(cs, ",") + `]}`
}

func TestDeepChecks(t *testing.T) {
	all := func(ms ...string) string { return "[" + strings.Join(ms, ",") + "]" }
	cases := []struct {
		name   string
		check  config.ProbeCheck
		tokens Tokens
		status Status
		err    string
		note   string
	}{
		{"vercel READY", config.ProbeCheck{Kind: "vercel", Project: "molecule-app", API: fakeVercel(t, "READY").URL}, Tokens{Vercel: "vercel-token"},
			Up, "", "production deployment dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ READY since 2026-05-28T20:26:40Z"},
		{"vercel BUILDING", config.ProbeCheck{Kind: "vercel", Project: "molecule-app", API: fakeVercel(t, "BUILDING").URL}, Tokens{Vercel: "vercel-token"},
			Up, "", "production deployment dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ is BUILDING"},
		{"vercel ERROR", config.ProbeCheck{Kind: "vercel", Project: "molecule-app", API: fakeVercel(t, "ERROR").URL}, Tokens{Vercel: "vercel-token"},
			Degraded, "latest production deployment dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ is ERROR (created 2026-05-28T20:26:40Z)", ""},
		{"vercel no deployment", config.ProbeCheck{Kind: "vercel", Project: "molecule-app", API: fakeVercel(t, "none").URL}, Tokens{Vercel: "vercel-token"},
			Unknown, "Vercel lists no production deployment for project molecule-app", ""},
		{"vercel bad token", config.ProbeCheck{Kind: "vercel", Project: "molecule-app", API: fakeVercel(t, "READY").URL}, Tokens{Vercel: "wrong-token"},
			Unknown, "GET API/v6/deployments?limit=1&projectId=molecule-app&target=production: 403 forbidden: Not authorized", ""},
		{"vercel rate limited", config.ProbeCheck{Kind: "vercel", Project: "molecule-app", API: fakeVercel(t, "ratelimited").URL}, Tokens{Vercel: "vercel-token"},
			Unknown, "GET API/v6/deployments?limit=1&projectId=molecule-app&target=production: 429 rate_limited: Rate limit exceeded (X-RateLimit-Reset: 1780000000)", ""},
		{"vercel without token", config.ProbeCheck{Kind: "vercel", Project: "molecule-app"}, Tokens{},
			DegradedCheck, "no $VERCEL_TOKEN set — degraded check only", ""},
		{"fly healthy", config.ProbeCheck{Kind: "fly", App: "molecule-cp", API: fakeFly(t, all(flyMachine("a1", "started", "http", "passing"), flyMachine("b2", "started", "http", "passing"), flyMachine("c3", "stopped"))).URL},
			Tokens{Fly: "fly-token"}, Up, "", "2 of 3 machines started and passing their checks"},
		{"fly one critical", config.ProbeCheck{Kind: "fly", App: "molecule-cp", API: fakeFly(t, all(flyMachine("a1", "started", "http", "passing"), flyMachine("b2", "started", "http", "critical"))).URL},
			Tokens{Fly: "fly-token"}, Degraded, "machine b2 (iad) check http is critical: GET /health: critical", ""},
		{"fly all critical", config.ProbeCheck{Kind: "fly", App: "molecule-cp", API: fakeFly(t, all(flyMachine("a1", "started", "http", "critical"))).URL},
			Tokens{Fly: "fly-token"}, Down, "machine a1 (iad) check http is critical: GET /health: critical", ""},
		{"fly none started", config.ProbeCheck{Kind: "fly", App: "molecule-cp", API: fakeFly(t, all(flyMachine("a1", "stopped"), flyMachine("b2", "suspended"))).URL},
			Tokens{Fly: "fly-token"}, Down, "no started machine among 2 of app molecule-cp", ""},
		{"fly unknown app", config.ProbeCheck{Kind: "fly", App: "nope", API: fakeFly(t, "[]").URL},
			Tokens{Fly: "fly-token"}, Unknown, "GET API/v1/apps/nope/machines: 404 app not found", ""},
		{"fly bad token", config.ProbeCheck{Kind: "fly", App: "molecule-cp", API: fakeFly(t, "[]").URL},
			Tokens{Fly: "bad"}, Unknown, "GET API/v1/apps/molecule-cp/machines: 401 unauthorized", ""},
		{"fly rate limited", config.ProbeCheck{Kind: "fly", App: "molecule-cp", API: fakeFly(t, "ratelimited").URL},
			Tokens{Fly: "fly-token"}, Unknown, "GET API/v1/apps/molecule-cp/machines: 429 rate limit exceeded (Retry-After: 7s)", ""},
		{"fly malformed", config.ProbeCheck{Kind: "fly", App: "molecule-cp", API: fakeFly(t, `{"id":`).URL},
			Tokens{Fly: "fly-token"}, Unknown, "API/v1/apps/molecule-cp/machines: malformed JSON answer: unexpected end of JSON input", ""},
		{"fly without token", config.ProbeCheck{Kind: "fly", App: "molecule-cp"}, Tokens{},
			DegradedCheck, "no $FLY_API_TOKEN set — degraded check only", ""},
		{"ghcr without token", config.ProbeCheck{Kind: "ghcr", Org: "Molecule-AI"}, Tokens{},
			DegradedCheck, "no $GITHUB_TOKEN set — degraded check only", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Options{Config: one(tc.check), Tokens: tc.tokens})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Services[0].Checks[0]
			gotErr := c.Error
			if tc.check.API != "" {
				gotErr = strings.ReplaceAll(gotErr, tc.check.API, "API")
			}
			if c.Status != tc.status || gotErr != tc.err || c.Note != tc.note {
				t.Errorf("got %s %q (note %q)\nwant %s %q (note %q)", c.Status, gotErr, c.Note, tc.status, tc.err, tc.note)
			}
			for _, tok := range []string{"vercel-token", "fly-token", "wrong-token"} {
				if strings.Contains(c.Error, tok) {
					t.Errorf("token %s in %q", tok, c.Error)
				}
			}
		})
	}
}

// fakePackages answers GET /orgs/{org}/packages?package_type=container like api.github.com
// (under /api/v3, as on a GHES), with the 403 of a token without read:packages.
func fakePackages(t *testing.T) *httptest.Server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-RateLimit-Remaining", "4999")
		switch {
		case r.URL.Path == "/api/v3/orgs/Molecule-AI/packages" && r.URL.Query().Get("package_type") == "container":
			if r.Header.Get("Authorization") != "Bearer gh-token" {
				w.WriteHeader(403)
				io.WriteString(w, `{"message":"You need at least read:packages scope to list packages.","documentation_url":"https://docs.github.com/rest/packages/packages#list-packages-for-an-organization","status":"403"}`)
				return
			}
			io.WriteString(w, `[{"id":1,"name":"workspace-template","package_type":"container","visibility":"public","owner":{"login":"Molecule-AI"}},{"id":2,"name":"workspace-template-claude-code","package_type":"container","visibility":"public"}]`)
		case r.URL.Path == "/api/v3/orgs/Empty/packages":
			io.WriteString(w, `[]`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
		}
	})
}

func TestGHCRCheck(t *testing.T) {
	srv := fakePackages(t)
	for _, tc := range []struct {
		org, token string
		status     Status
		msg        string
	}{
		{"Molecule-AI", "gh-token", Up, "2 container packages listable"},
		{"Empty", "gh-token", Degraded, "the organisation lists no container packages"},
		{"Molecule-AI", "other-token", Unknown, "list container packages of Molecule-AI: GET API/orgs/Molecule-AI/packages?package_type=container&per_page=100: 403 You need at least read:packages scope to list packages. (https://docs.github.com/rest/packages/packages#list-packages-for-an-organization)"},
	} {
		client, err := github.NewClient(tc.token, srv.URL+"/api/v3", github.WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), Options{Config: one(config.ProbeCheck{Kind: "ghcr", Org: tc.org}), Tokens: Tokens{GitHub: tc.token}, Packages: client})
		if err != nil {
			t.Fatal(err)
		}
		c := res.Services[0].Checks[0]
		got := c.Note
		if c.Status != Up {
			got = strings.ReplaceAll(c.Error, srv.URL+"/api/v3", "API")
		}
		if c.Status != tc.status || got != tc.msg {
			t.Errorf("%s: got %s %q, want %s %q", tc.org, c.Status, got, tc.status, tc.msg)
		}
	}
}

func TestStatusJSONCheck(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, body string
		status     Status
		err        string
	}{
		{"upptime summary, all up", `[{"name":"Customer app","slug":"customer-app","status":"up"},{"name":"Docs site","status":"up"}]`, Up, ""},
		{"upptime summary, one down", `[{"name":"Customer app","status":"up"},{"name":"Docs site","status":"down"}]`, Degraded, "reports 1 of 2 sites down: Docs site"},
		{"our status.json, fresh", `{"services":[{"name":"Docs","status":"up"}],"heartbeat":{"last_run":"2026-12-01T11:55:00Z"}}`, Up, ""},
		{"our status.json, stale", `{"services":[{"name":"Docs","status":"up"}],"heartbeat":{"last_run":"2026-12-01T09:00:00Z"}}`, Degraded, "last updated 3h0m0s ago (more than 30m0s): its probe may have stopped"},
		{"this tool's own status.json", string(mustReadGolden("testdata/site/api_v1_status.json.golden")), Degraded, "reports 1 of 8 sites down: Control plane"},
		{"malformed", `{"services":[`, Down, "malformed status JSON: unexpected end of JSON input"},
		{"not a status document", `{"hello":"world"}`, Down, "malformed status JSON: want a list of sites or an object with services or sites"},
		{"site without status", `[{"name":"x"}]`, Down, "malformed status JSON: site 0 has no name or status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tc.body) })
			res, err := Run(context.Background(), Options{Config: one(config.ProbeCheck{Kind: "status-json", URL: srv.URL}), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			if c := res.Services[0].Checks[0]; c.Status != tc.status || c.Error != tc.err {
				t.Errorf("got %s %q, want %s %q", c.Status, c.Error, tc.status, tc.err)
			}
		})
	}
}

func mustReadGolden(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return b
}

// fakeTelegram answers POST /bot<token>/sendMessage like the Bot API.
type fakeTelegram struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []string
	mode string // "", "429once", "unauthorized", "chat"
	n    int
}

func newFakeTelegram(t *testing.T) *fakeTelegram {
	f := &fakeTelegram{}
	f.srv = serve(t, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.n++
		w.Header().Set("Content-Type", "application/json")
		var body struct {
			ChatID string `json:"chat_id"`
			Text   string `json:"text"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/botTG-TOKEN/sendMessage" || f.mode == "unauthorized":
			w.WriteHeader(401)
			io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		case f.mode == "429once" && f.n == 1:
			w.WriteHeader(429)
			io.WriteString(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
		case body.ChatID != "-100123":
			w.WriteHeader(400)
			io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)
		default:
			f.sent = append(f.sent, body.Text)
			io.WriteString(w, `{"ok":true,"result":{"message_id":42,"chat":{"id":-100123,"type":"supergroup"},"date":1780000000,"text":"..."}}`)
		}
	})
	return f
}

func (f *fakeTelegram) pages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

func TestTelegram(t *testing.T) {
	f := newFakeTelegram(t)
	var waits []time.Duration
	tg := &Telegram{Token: "TG-TOKEN", ChatID: "-100123", API: f.srv.URL, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	f.mode = "429once"
	if err := tg.Page(context.Background(), "hello"); err != nil {
		t.Fatal(err)
	}
	if got := f.pages(); len(got) != 1 || got[0] != "hello" || len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("sent %q after waits %v: want one page after one 1s wait", got, waits)
	}
	f.mode = "unauthorized"
	err := tg.Page(context.Background(), "x")
	if err == nil || err.Error() != "Telegram sendMessage: 401 Unauthorized" {
		t.Errorf("unauthorized: %v", err)
	}
	f.mode = ""
	tg.ChatID = "-1"
	if err := tg.Page(context.Background(), "x"); err == nil || err.Error() != "Telegram sendMessage: 400 Bad Request: chat not found" {
		t.Errorf("bad chat: %v", err)
	}
	down := &Telegram{Token: "TG-TOKEN", ChatID: "1", API: "http://127.0.0.1:1"}
	if err := down.Page(context.Background(), "x"); err == nil || strings.Contains(err.Error(), "TG-TOKEN") || !strings.Contains(err.Error(), "bot***/sendMessage") {
		t.Errorf("Telegram down: %v (the token must be redacted from the URL)", err)
	}
	if err := (&Telegram{}).Page(context.Background(), "x"); err == nil || err.Error() != "Telegram is not configured (no $TELEGRAM_BOT_TOKEN or $TELEGRAM_CHAT_ID)" {
		t.Errorf("unconfigured: %v", err)
	}
}
