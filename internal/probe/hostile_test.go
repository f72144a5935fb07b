package probe

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// rawServer is a loopback TCP server that answers every connection with answer, whatever was
// asked: the way to send what net/http's server never would (a header line without a colon).
func rawServer(t testing.TB, answer []byte) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write(answer)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// colonless is the issue's answer: a status line, then a 2 MB header line without a colon.
func colonless() []byte {
	return []byte("HTTP/1.1 200 OK\r\n" + strings.Repeat("A", 2<<20) + "\r\n\r\n")
}

// TestHostileServerTexts: whatever a server or an API sends, the check's error and note stay a
// few hundred bytes, cut at a character boundary and saying how long the text was.
func TestHostileServerTexts(t *testing.T) {
	huge := strings.Repeat("é", 100<<10) // 200 KB of two-byte characters: a cut must not split one
	var sites []string
	for i := range 2000 {
		sites = append(sites, fmt.Sprintf(`{"name":"site %d %s","status":"down"}`, i, strings.Repeat("n", 10<<10)))
	}
	allSites := "[" + strings.Join(sites, ",") + "]"
	var machines []string
	for i := range 150 { // 3 MB, within the 4 MiB an API answer may be
		machines = append(machines, fmt.Sprintf(`{"id":"m%d%s","state":"started","region":"%s","checks":[{"name":"%s","status":"critical","output":"%s"}]}`,
			i, strings.Repeat("i", 5000), strings.Repeat("r", 5000), strings.Repeat("c", 5000), strings.Repeat("o", 5000)))
	}
	allMachines := "[" + strings.Join(machines, ",") + "]"
	cases := []struct {
		name   string
		check  config.ProbeCheck
		tokens Tokens
		status Status
		prefix string // the error starts so
	}{
		{"2 MB header line without a colon", config.ProbeCheck{Kind: "http", URL: rawServer(t, colonless())}, Tokens{}, Down,
			`Get "SERVER": net/http: HTTP/1.x transport connection broken: net/http: server response headers exceeded 262144 bytes; aborted`},
		{"200 KB status line", config.ProbeCheck{Kind: "http", URL: rawServer(t, []byte("HTTP/1.1 2"+huge+"\r\n\r\n"))}, Tokens{}, Down,
			`Get "SERVER": net/http: HTTP/1.x transport connection broken: malformed HTTP status code "2éé`},
		{"2,000 sites down with 10 KB names", config.ProbeCheck{Kind: "status-json", URL: serve(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, allSites)
		}).URL}, Tokens{}, Down, "malformed status JSON: unexpected end of JSON input (the body was cut at 1048576 bytes)"},
		{"a Vercel error message of 200 KB", config.ProbeCheck{Kind: "vercel", Project: "p", API: serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			io.WriteString(w, `{"error":{"code":"`+huge+`","message":"`+huge+`"}}`)
		}).URL}, Tokens{Vercel: "vercel-token"}, Unknown, "GET SERVER/v6/deployments?limit=1&projectId=p&target=production: 500 éé"},
		{"a Vercel deployment with a 200 KB id and state", config.ProbeCheck{Kind: "vercel", Project: "p", API: serve(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"deployments":[{"uid":"`+huge+`","state":"`+huge+`"}]}`)
		}).URL}, Tokens{Vercel: "vercel-token"}, Unknown, "latest production deployment éé"},
		{"150 Fly machines failing with 5 KB texts", config.ProbeCheck{Kind: "fly", App: "a", API: serve(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, allMachines)
		}).URL}, Tokens{Fly: "fly-token"}, Down, "machine m0iii"},
	}
	// The status JSON above is over the 1 MiB body bound; a second one within it lists them.
	small := sites[:80]
	cases = append(cases, struct {
		name   string
		check  config.ProbeCheck
		tokens Tokens
		status Status
		prefix string
	}{"80 sites down with 10 KB names", config.ProbeCheck{Kind: "status-json", URL: serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "["+strings.Join(small, ",")+"]")
	}).URL}, Tokens{}, Degraded, "reports 80 of 80 sites down: site 0 nnnn"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := one(tc.check)
			cfg.RetryDelay, cfg.Timeout = 0, 10*time.Second // megabytes to send, under -race too
			res, err := Run(context.Background(), Options{Config: cfg, Tokens: tc.tokens})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Services[0].Checks[0]
			server := tc.check.URL + tc.check.API
			got := strings.ReplaceAll(c.Error, server, "SERVER")
			if c.Status != tc.status || !strings.HasPrefix(got, tc.prefix) {
				t.Errorf("%s %.400q, want %s and an error starting %q", c.Status, got, tc.status, tc.prefix)
			}
			// Two attempts may be quoted, each bounded.
			if len(c.Error) > 2*(maxRemoteText+40)+20 || !utf8.ValidString(c.Error) {
				t.Errorf("error of %d bytes (valid UTF-8: %v): %.200q…", len(c.Error), utf8.ValidString(c.Error), c.Error)
			}
			if len(res.Services[0].Reason) > 2*(maxRemoteText+40)+40 {
				t.Errorf("reason of %d bytes", len(res.Services[0].Reason))
			}
		})
	}
}

// TestHostileEndpointsSmallOutputs is the issue's case: 20 endpoints sending a 2 MB header line
// without a colon, probed by three scheduled runs with state, incidents, pages and the status
// page. Every file, issue, page and output stays small: before, state.json reached 120 MB and
// the incident body 2,000,722 characters (refused by GitHub with 422, every run).
func TestHostileEndpointsSmallOutputs(t *testing.T) {
	var services []config.ProbeService
	answer := colonless()
	for i := range 20 {
		services = append(services, config.ProbeService{Name: fmt.Sprintf("hostile %02d", i),
			Checks: []config.ProbeCheck{{Kind: "http", URL: rawServer(t, answer)}}})
	}
	cfg := testConfig(services...)
	cfg.RetryDelay, cfg.DownAfter, cfg.DownAfterRuns = 0, 0, 2
	dir := t.TempDir()
	store, site := DirStore{Dir: filepath.Join(dir, "state")}, filepath.Join(dir, "site")
	issues, pager := &memIssues{}, &memPager{}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for run := range 3 {
		now := t0.Add(time.Duration(run) * 5 * time.Minute)
		res, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }, Store: store, Site: site, Issues: issues, Pager: pager})
		if err != nil {
			t.Fatal(err)
		}
		js, human, md := outputs(t, res)
		for name, n := range map[string]int{"JSON output": len(js), "human output": len(human), "job summary": len(md)} {
			if n > 32<<10 {
				t.Errorf("run %d: %s of %d bytes", run, name, n)
			}
		}
	}
	if len(issues.issues) != 20 || len(pager.pages) != 20 {
		t.Errorf("%d issues and %d pages, want one of each per endpoint", len(issues.issues), len(pager.pages))
	}
	for _, is := range issues.issues {
		if n := utf8.RuneCountInString(is.body); n > 2000 {
			t.Errorf("issue %d: a body of %d characters", is.Number, n)
		}
	}
	for _, p := range pager.pages {
		if len(p) > 1000 {
			t.Errorf("a page of %d bytes", len(p))
		}
	}
	// Every stored and published file: a few KB per service at most (the page's day bars make
	// it 130 KB for 20 services, whatever the servers send).
	for _, root := range []string{store.Dir, site} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := d.Info(); !d.IsDir() && st.Size() > 192<<10 {
				t.Errorf("%s: %d bytes", p, st.Size())
			}
			return nil
		})
	}
	state := mustRead(t, filepath.Join(store.Dir, StateFile))
	if len(state) > 40<<10 {
		t.Errorf("state.json of %d bytes for 20 services", len(state))
	}
}

// TestIssueBodyLimit: an issue or comment body stays within GitHub's 65,536 characters whatever
// went into it, a code block cut open is closed again, and a title within its 256.
func TestIssueBodyLimit(t *testing.T) {
	long := "**x** is down.\n\n```\n" + strings.Repeat("é", 70000) + "\n```\n\nThis issue is closed automatically."
	got := issueBody(long)
	if n := utf8.RuneCountInString(got); n > maxIssueBody {
		t.Errorf("%d characters", n)
	}
	if !strings.HasSuffix(got, "é\n```\n\n… (cut to GitHub's limit of 65536 characters)") || strings.Count(got, "```")%2 != 0 {
		t.Errorf("ends %q", got[len(got)-80:])
	}
	if short := "**x** is down."; issueBody(short) != short {
		t.Errorf("a short body changed: %q", issueBody(short))
	}
	title := issueTitle("🔴 " + strings.Repeat("ü", 1000) + " is down")
	if n := utf8.RuneCountInString(title); n != maxIssueTitle || !strings.HasSuffix(title, "ü…") {
		t.Errorf("title of %d characters: …%q", n, title[len(title)-10:])
	}
}

// TestOldStateIsBounded: a state.json written by an older version, with a server's 2 MB error
// text as a service's reason and the causes of an open and a closed incident, is read back
// bounded: the state written again and the status page's JSON are small, and the incident's next
// comment stays within GitHub's limit.
func TestOldStateIsBounded(t *testing.T) {
	svc := newToggle(t)
	svc.up.Store(false)
	cfg := testConfig(config.ProbeService{Name: "API", Checks: []config.ProbeCheck{{Kind: "http", URL: svc.url}}})
	cfg.RetryDelay, cfg.CommentEvery = 0, 0
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cause := "http: Get \"" + svc.url + "\": net/http: malformed MIME header line: " + strings.Repeat("A", 2<<20)
	old := &State{Version: 1, LastRun: t0, Services: map[string]*ServiceState{"api": {Name: "API", Env: "production", Declared: Down,
		DeclaredSince: t0, Observed: Down, Reason: cause, LastChecked: t0, FailRuns: 3, FailingSince: t0.Add(-15 * time.Minute),
		Incident: &Incident{Service: "API", Slug: "api", Env: "production", Number: 1, Filed: true, FailingSince: t0.Add(-15 * time.Minute),
			OpenedAt: t0.Add(-10 * time.Minute), Cause: cause, CommentCause: cause, Owner: "old"}}},
		Closed: []*Incident{{Service: "API", Slug: "api", Env: "production", Number: 0, FailingSince: t0.Add(-3 * time.Hour),
			OpenedAt: t0.Add(-3 * time.Hour), RecoveredAt: t0.Add(-2 * time.Hour), ClosedAt: t0.Add(-2 * time.Hour), Cause: cause}}}
	if err := os.WriteFile(filepath.Join(dir, StateFile), old.marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	issues := &memIssues{}
	issues.Create(context.Background(), "🔴 API (production) is down", "", []string{"incident", "api"})
	now := t0.Add(5 * time.Minute)
	site := filepath.Join(dir, "site")
	if _, err := Run(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }, Store: DirStore{Dir: dir}, Issues: issues, Site: site}); err != nil {
		t.Fatal(err)
	}
	if st := mustRead(t, filepath.Join(dir, StateFile)); len(st) > 8<<10 {
		t.Errorf("state.json of %d bytes after one run", len(st))
	}
	if st := mustRead(t, filepath.Join(site, "api/v1/status.json")); len(st) > 8<<10 {
		t.Errorf("status.json of %d bytes", len(st))
	}
	if c := issues.comments[1]; len(c) != 1 || utf8.RuneCountInString(c[0]) > 2000 || !strings.Contains(c[0], "status 502 Bad Gateway") {
		t.Errorf("comments: %d, %.300q", len(c), c)
	}
}

// TestHistoryLongLine: a 2 MB history line (an older version stored a server's whole error) is
// skipped and counted, and the lines after it are kept: before, reading stopped there and the
// rest of the month was lost when the file was written again.
func TestHistoryLongLine(t *testing.T) {
	line := func(min int, errText string) string {
		return fmt.Sprintf(`{"timestamp":"2026-12-01T10:%02d:00Z","name":"API","url":"u","method":"GET","status_code":0,"latency_ms":0,"success":false,"status":"down","error":%q}`, min, errText) + "\n"
	}
	b := line(0, "short") + line(5, strings.Repeat("A", 2<<20)) + line(10, "after") + line(15, "last")
	lines, bad := parseHistory([]byte(b))
	var errs []string
	for _, l := range lines {
		errs = append(errs, l.Error)
	}
	if strings.Join(errs, ",") != "short,after,last" || bad != 1 {
		t.Errorf("kept %q, %d unreadable; want short, after, last and 1", errs, bad)
	}
}

// recorder is a loopback server that answers 200 and records the headers of every request.
type recorder struct {
	mu   sync.Mutex
	seen []http.Header
	url  string
}

func newRecorder(t *testing.T) *recorder {
	rc := &recorder{}
	rc.url = serve(t, func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.seen = append(rc.seen, r.Header.Clone())
		rc.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/v6/") { // a Vercel API: no token, no answer
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":"forbidden","message":"Not authorized"}}`)
		}
	}).URL
	return rc
}

// leaked is every configured header a recorder received.
func (rc *recorder) leaked(names ...string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, h := range rc.seen {
		for _, n := range names {
			if v := h.Get(n); v != "" {
				out = append(out, n+": "+v)
			}
		}
	}
	return out
}

// TestCrossOriginRedirect: a check that sends configured headers (literal and from the
// environment) and is redirected to another origin — another port of the same host, another
// host — does not send them there (Go alone forwards all of them to another port, Authorization
// included), or fails when cross-origin-redirects is refuse; a redirect within the origin keeps
// them; a deep check's API token does not follow its API elsewhere.
func TestCrossOriginRedirect(t *testing.T) {
	other := newRecorder(t)
	port := other.url[strings.LastIndex(other.url, ":")+1:]
	self := &recorder{}
	self.url = serve(t, func(w http.ResponseWriter, r *http.Request) {
		self.mu.Lock()
		self.seen = append(self.seen, r.Header.Clone())
		self.mu.Unlock()
		switch r.URL.Path {
		case "/port", "/v6/deployments":
			http.Redirect(w, r, other.url+r.URL.Path+"?"+r.URL.RawQuery, http.StatusFound)
		case "/host":
			http.Redirect(w, r, "http://localhost:"+port+"/landing", http.StatusMovedPermanently)
		case "/same":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		}
	}).URL
	env := map[string]string{"PROBE_KEY": "k-4f1c9e2a7b", "PROBE_AUTH": "Bearer a-77d0c3e91f"}
	headers := []string{"X-Api-Key", "Authorization", "X-Probe"}
	check := func(path, policy string) config.ProbeCheck {
		return config.ProbeCheck{Kind: "http", URL: self.url + path, Headers: map[string]string{"X-Probe": "yes"},
			HeadersFromEnv: map[string]string{"X-Api-Key": "PROBE_KEY", "Authorization": "PROBE_AUTH"}, CrossOriginRedirects: policy}
	}
	for _, tc := range []struct {
		name   string
		check  config.ProbeCheck
		status Status
		err    string
		self   int // requests the origin received with every configured header
	}{
		{"another port", check("/port", ""), Up, "", 1},
		{"another host", check("/host", ""), Up, "", 1},
		{"another port, refused", check("/port", "refuse"), Down,
			`Get "OTHER/port?": refused: the redirect leaves ` + self.url + `, and the check sends configured headers (cross-origin-redirects: refuse)`, 2},
		{"the same origin", check("/same", ""), Up, "", 2},
		{"a Vercel API moved elsewhere", config.ProbeCheck{Kind: "vercel", Project: "p", API: self.url}, Unknown,
			"GET OTHER/v6/deployments?limit=1&projectId=p&target=production: 403 forbidden: Not authorized", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other.mu.Lock()
			other.seen = nil
			other.mu.Unlock()
			self.mu.Lock()
			self.seen = nil
			self.mu.Unlock()
			cfg := one(tc.check)
			cfg.RetryDelay = 0
			res, err := Run(context.Background(), Options{Config: cfg, Getenv: func(k string) string { return env[k] }, Tokens: Tokens{Vercel: "vercel-7e3a9b0c2d"}})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Services[0].Checks[0]
			got := strings.ReplaceAll(c.Error, other.url, "OTHER")
			if c.Status != tc.status || got != tc.err {
				t.Errorf("%s %q, want %s %q", c.Status, got, tc.status, tc.err)
			}
			if l := other.leaked(headers...); len(l) > 0 {
				t.Errorf("the other origin received %q", l)
			}
			if tc.check.Kind == "http" {
				if n := len(self.leaked("X-Api-Key")); n != tc.self {
					t.Errorf("the origin received the configured headers %d times, want %d", n, tc.self)
				}
			}
		})
	}
}

// TestEchoedSecret: a server that quotes the key it was sent (headers-from-env) — in a JSON
// field a condition reads, and in the URL of a redirect loop Go's error names — does not get the
// key into the check's error, the outputs, state.json, the history, the status page and its
// JSON, an incident or a page. Before, every one of them published it.
func TestEchoedSecret(t *testing.T) {
	key := fmt.Sprintf("k-%d-7f3e", time.Now().UnixNano()) // unique: registered secrets are process-wide
	auth := fmt.Sprintf("tok-%d-c0de", time.Now().UnixNano())
	echo := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/loop" {
			http.Redirect(w, r, "/loop?seen="+r.Header.Get("X-Api-Key"), http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"status":"invalid api key %s (%s)"}`, r.Header.Get("X-Api-Key"), r.Header.Get("Authorization"))
	}).URL
	secretHeaders := map[string]string{"X-Api-Key": "PROBE_KEY", "Authorization": "PROBE_AUTH"}
	cfg := testConfig(
		config.ProbeService{Name: "JSON echo", Checks: []config.ProbeCheck{{Kind: "http", URL: echo + "/health", ExpectStatus: []int{401},
			JSON: []config.ProbeJSONCondition{{Path: "status", Equals: "ok"}}, HeadersFromEnv: secretHeaders}}},
		config.ProbeService{Name: "Redirect echo", Checks: []config.ProbeCheck{{Kind: "http", URL: echo + "/loop", HeadersFromEnv: secretHeaders}}},
	)
	cfg.RetryDelay, cfg.DownAfter, cfg.DownAfterRuns = 0, 0, 1
	env := map[string]string{"PROBE_KEY": key, "PROBE_AUTH": "Bearer " + auth}
	dir := t.TempDir()
	store, site := DirStore{Dir: filepath.Join(dir, "state")}, filepath.Join(dir, "site")
	issues, pager := &memIssues{}, &memPager{}
	res, err := Run(context.Background(), Options{Config: cfg, Getenv: func(k string) string { return env[k] },
		Now: func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }, Store: store, Site: site, Issues: issues, Pager: pager})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, s := range res.Services {
		if s.Status != Down || !strings.Contains(s.Reason, "***") {
			t.Errorf("%s: %s %q, want down with the key masked", s.Name, s.Status, s.Reason)
		}
	}
	js, human, md := outputs(t, res)
	all = append(all, js, human, md)
	for _, is := range issues.issues {
		all = append(all, is.title, is.body)
	}
	all = append(all, pager.pages...)
	for _, root := range []string{store.Dir, site} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				all = append(all, p+":\n"+string(mustRead(t, p)))
			}
			return nil
		})
	}
	if len(issues.issues) != 2 || len(pager.pages) != 2 {
		t.Errorf("%d issues, %d pages: want the two outages filed and paged", len(issues.issues), len(pager.pages))
	}
	for _, text := range all {
		for _, secret := range []string{key, auth} {
			if strings.Contains(text, secret) {
				t.Errorf("the secret is published:\n%.600s", text)
			}
		}
	}
}

// FuzzRemoteText: whatever a server sends, the text kept is bounded (maxRemoteText and the
// mark that says how long it was), valid UTF-8 when the input was, and holds no registered
// secret.
func FuzzRemoteText(f *testing.F) {
	const secret = "fuzz-known-5ecret"
	secrets.AddKnown(secret)
	f.Add("malformed MIME header line: " + strings.Repeat("A", 400))
	f.Add("invalid api key " + secret)
	f.Add(strings.Repeat("é", 200) + secret)
	f.Fuzz(func(t *testing.T, s string) {
		got := remoteText(s)
		if len(got) > maxRemoteText+len("… (cut from  bytes)")+20 {
			t.Fatalf("%d bytes kept", len(got))
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("a character was cut: %q", got)
		}
		if strings.Contains(got, secret) {
			t.Fatalf("the secret was kept: %q", got)
		}
	})
}

// FuzzParseState: a state.json from the data branch (which anyone who can push may have
// written) is read or refused with an error, never a panic, and every text read back is bounded.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"version":1,"services":{"a":{"name":"A","reason":"x","incident":{"cause":"y"}}},"closed":[{"cause":"z"},null]}`))
	f.Add([]byte(`{"version":1,"services":{"a":null}}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseState(b)
		if err != nil {
			return
		}
		st.marshal()
		for _, ss := range st.Services {
			if ss == nil || len(ss.Reason) > maxStoredText+40 {
				t.Fatalf("service state %+v", ss)
			}
		}
		for _, in := range st.Closed {
			if in == nil || len(in.Cause) > maxStoredText+40 {
				t.Fatalf("closed incident %+v", in)
			}
		}
	})
}

// TestStateWithNulls: a state.json with null entries (no version writes them; anyone who can
// push to the data branch can) is read as if they were absent, not dereferenced.
func TestStateWithNulls(t *testing.T) {
	svc := newToggle(t)
	cfg := testConfig(config.ProbeService{Name: "API", Checks: []config.ProbeCheck{{Kind: "http", URL: svc.url}}})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, StateFile), []byte(`{"version":1,"services":{"api":null,"gone":null},"closed":[null]}`), 0o644)
	res, err := Run(context.Background(), Options{Config: cfg, Store: DirStore{Dir: dir}, Site: filepath.Join(dir, "site")})
	if err != nil || res.Services[0].Status != Up {
		t.Fatalf("%v %+v", err, res)
	}
}
