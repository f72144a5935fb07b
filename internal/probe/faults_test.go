package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// testConfig is the probe section with test-sized timings.
func testConfig(services ...config.ProbeService) config.ProbeConfig {
	var c config.ProbeConfig
	c.SetDefaults()
	c.Timeout = 500 * time.Millisecond
	c.RetryDelay = 10 * time.Millisecond
	for i := range services {
		if services[i].Slug == "" {
			services[i].Slug = config.Slugify(services[i].Name)
		}
		if services[i].Env == "" {
			services[i].Env = "production"
		}
		if services[i].URL == "" && len(services[i].Checks) > 0 {
			services[i].URL = services[i].Checks[0].URL
		}
	}
	c.Services = services
	return c
}

func one(ch config.ProbeCheck) config.ProbeConfig {
	return testConfig(config.ProbeService{Name: "svc", Checks: []config.ProbeCheck{ch}})
}

// newCert makes a certificate for 127.0.0.1 valid from notBefore to notAfter, signed by itself.
func newCert(t testing.TB, cn string, notBefore, notAfter time.Time) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore, NotAfter: notAfter,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, cert
}

func tlsServer(t testing.TB, cert tls.Certificate, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func serve(t testing.TB, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestFaults runs one check against each failure a service can have, on loopback servers, and
// states the exact result: status, attempts, and the verbatim error with the server's address
// written as SERVER.
func TestFaults(t *testing.T) {
	now := time.Now()
	expiredCert, expiredX := newCert(t, "expired", now.Add(-60*24*time.Hour), now.Add(-24*time.Hour))
	selfCert, _ := newCert(t, "self-signed", now.Add(-time.Hour), now.Add(365*24*time.Hour))
	soonCert, soonX := newCert(t, "expiring", now.Add(-time.Hour), now.Add(5*24*time.Hour+time.Hour))
	trusted := x509.NewCertPool()
	trusted.AddCert(expiredX)
	trusted.AddCert(soonX)

	var flaky atomic.Int32
	var bigWritten atomic.Int64
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	ok := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok","db":{"up":true},"checks":[{"name":"db","status":"pass"}]}`)
	}

	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	var loop *httptest.Server
	loop = serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loop.URL+"/again", http.StatusFound)
	})
	f := false
	zero := 0

	cases := []struct {
		name     string
		url      string
		check    func(url string) config.ProbeCheck
		status   Status
		attempts int
		err      string // exact, with SERVER for the URL; a leading ~ makes it a regexp
		note     string
	}{
		{name: "200", url: serve(t, ok).URL, status: Up, attempts: 1, note: ""},
		{name: "500", url: serve(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }).URL,
			status: Down, attempts: 2, err: "status 500 Internal Server Error, want 2xx"},
		{name: "503 then 200", url: serve(t, func(w http.ResponseWriter, r *http.Request) {
			if flaky.Add(1) == 1 {
				http.Error(w, "warming up", http.StatusServiceUnavailable)
				return
			}
			ok(w, r)
		}).URL, status: Up, attempts: 2},
		{name: "slow over the limit", url: serve(t, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(150 * time.Millisecond)
			ok(w, r)
		}).URL, check: func(u string) config.ProbeCheck {
			return config.ProbeCheck{Kind: "http", URL: u, MaxResponseTime: 50 * time.Millisecond}
		}, status: Degraded, attempts: 1, err: `~^slow: answered in (1[5-9]\d|[2-9]\d\d|\d{4,})ms, more than 50ms$`}, // at least the server's 150 ms; a loaded machine adds to it
		{name: "hang", url: serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}).URL, status: Down, attempts: 2, err: `Get "SERVER": context deadline exceeded (timeout 500ms)`},
		{name: "connection refused", url: refused, status: Down, attempts: 2,
			err: `~^Get "SERVER": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$`},
		{name: "TLS expired", url: tlsServer(t, expiredCert, http.HandlerFunc(ok)).URL, status: Down, attempts: 2,
			err: `~^Get "SERVER": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time \S+ is after \S+$`},
		{name: "TLS self-signed", url: tlsServer(t, selfCert, http.HandlerFunc(ok)).URL, status: Down, attempts: 2,
			err: `Get "SERVER": tls: failed to verify certificate: x509: certificate signed by unknown authority`},
		{name: "TLS expiring soon", url: tlsServer(t, soonCert, http.HandlerFunc(ok)).URL, status: Degraded, attempts: 1,
			err: "~^TLS certificate expires in 5 days \\(\\d{4}-\\d\\d-\\d\\d\\), less than 14$", note: "certificate expires in 5 days"},
		{name: "TLS expiring soon, check off", url: tlsServer(t, soonCert, http.HandlerFunc(ok)).URL,
			check:  func(u string) config.ProbeCheck { return config.ProbeCheck{Kind: "http", URL: u, TLSMinDays: &zero} },
			status: Up, attempts: 1, note: "certificate expires in 5 days"},
		{name: "malformed JSON", url: serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status": "ok",`) }).URL,
			check: func(u string) config.ProbeCheck {
				return config.ProbeCheck{Kind: "http", URL: u, JSON: []config.ProbeJSONCondition{{Path: "status", Equals: "ok"}}}
			}, status: Down, attempts: 2, err: "malformed JSON: unexpected EOF"},
		{name: "JSON conditions hold", url: serve(t, ok).URL,
			check: func(u string) config.ProbeCheck {
				return config.ProbeCheck{Kind: "http", URL: u, JSON: []config.ProbeJSONCondition{{Path: "status", Equals: "ok"}, {Path: "db.up", Equals: true}, {Path: "checks.0.status", Equals: "pass"}}}
			}, status: Up, attempts: 1},
		{name: "JSON condition fails", url: serve(t, ok).URL,
			check: func(u string) config.ProbeCheck {
				return config.ProbeCheck{Kind: "http", URL: u, JSON: []config.ProbeJSONCondition{{Path: "db.up", Equals: false}}}
			}, status: Down, attempts: 2, err: "JSON field db.up is true, want false"},
		{name: "JSON field missing", url: serve(t, ok).URL,
			check: func(u string) config.ProbeCheck {
				return config.ProbeCheck{Kind: "http", URL: u, JSON: []config.ProbeJSONCondition{{Path: "checks.3.status"}}}
			}, status: Down, attempts: 2, err: "JSON field checks.3.status is missing"},
		{name: "body substring", url: serve(t, ok).URL,
			check: func(u string) config.ProbeCheck {
				return config.ProbeCheck{Kind: "http", URL: u, BodyContains: "maintenance"}
			},
			status: Down, attempts: 2, err: `body does not contain "maintenance"`},
		{name: "body regexp", url: serve(t, ok).URL,
			check: func(u string) config.ProbeCheck {
				return config.ProbeCheck{Kind: "http", URL: u, BodyRegexp: `"status":\s*"ok"`}
			},
			status: Up, attempts: 1},
		{name: "redirect loop", url: loop.URL, status: Down, attempts: 2,
			err: `Get "SERVER/again": stopped after 10 redirects (last to SERVER/again)`},
		{name: "redirect not followed", url: loop.URL,
			check:  func(u string) config.ProbeCheck { return config.ProbeCheck{Kind: "http", URL: u, FollowRedirects: &f} },
			status: Up, attempts: 1},
		{name: "redirect not followed, 200 wanted", url: loop.URL,
			check: func(u string) config.ProbeCheck {
				return config.ProbeCheck{Kind: "http", URL: u, FollowRedirects: &f, ExpectStatus: []int{200}}
			}, status: Down, attempts: 2, err: "status 302 Found, want 200"},
		{name: "1 GB body", url: serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(int64(1)<<30))
			chunk := make([]byte, 64<<10)
			for n := int64(0); n < 1<<30; n += int64(len(chunk)) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				bigWritten.Add(int64(len(chunk)))
			}
		}).URL, status: Up, attempts: 1, note: "body larger than 1048576 bytes: only the first 1048576 were read"},
		{name: "DNS failure", url: "http://probe-test.invalid/", status: Down, attempts: 2,
			err: `~^Get "SERVER": dial tcp: lookup probe-test\.invalid( on \S+)?: (no such host|server misbehaving)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch := config.ProbeCheck{Kind: "http", URL: tc.url}
			if tc.check != nil {
				ch = tc.check(tc.url)
			}
			var ms0 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			res, err := Run(context.Background(), Options{Config: one(ch), RootCAs: trusted})
			if err != nil {
				t.Fatal(err)
			}
			got := res.Services[0].Checks[0]
			gotErr := strings.ReplaceAll(got.Error, tc.url, "SERVER")
			gotErr = strings.ReplaceAll(gotErr, strings.TrimSuffix(tc.url, "/"), "SERVER")
			if got.Status != tc.status || got.Attempts != tc.attempts {
				t.Errorf("status %s after %d attempts, want %s after %d (error %q)", got.Status, got.Attempts, tc.status, tc.attempts, got.Error)
			}
			if re, isRE := strings.CutPrefix(tc.err, "~"); isRE {
				if !regexp.MustCompile(re).MatchString(gotErr) {
					t.Errorf("error %q does not match %s", gotErr, re)
				}
			} else if gotErr != tc.err {
				t.Errorf("error %q, want %q", gotErr, tc.err)
			}
			if tc.note != "" && got.Note != tc.note && !strings.HasPrefix(got.Note, tc.note) {
				t.Errorf("note %q, want %q", got.Note, tc.note)
			}
			if tc.status == Up || tc.status == Degraded {
				if got.StatusCode == 0 || got.Latency <= 0 || got.TTFB <= 0 || got.TTFB > got.Latency {
					t.Errorf("measurements missing: code %d latency %v ttfb %v", got.StatusCode, got.Latency, got.TTFB)
				}
			}
			if tc.name == "1 GB body" {
				if got.Bytes != 1<<20 {
					t.Errorf("bytes %d, want exactly the 1 MiB bound", got.Bytes)
				}
				// The server is cut off once the client stops reading: far less than 1 GB leaves.
				if w := bigWritten.Load(); w >= 1<<30 {
					t.Errorf("the server wrote the whole %d bytes: the body was read to the end", w)
				}
			}
		})
	}
}

// TestRetryWaitsRetryDelay: the retry happens once, after the configured delay, through Sleep.
func TestRetryWaitsRetryDelay(t *testing.T) {
	var hits atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.WriteHeader(502) })
	var slept []time.Duration
	cfg := one(config.ProbeCheck{Kind: "http", URL: srv.URL})
	cfg.RetryDelay = 3 * time.Second
	res, err := Run(context.Background(), Options{Config: cfg, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 2 || len(slept) != 1 || slept[0] != 3*time.Second {
		t.Errorf("hits %d, slept %v: want 2 requests and one 3s wait", hits.Load(), slept)
	}
	if c := res.Services[0].Checks[0]; c.Status != Down || c.Error != "status 502 Bad Gateway, want 2xx" {
		t.Errorf("got %s %q", c.Status, c.Error)
	}
}

// TestHeadersFromEnv: a header's value comes from the environment; a missing variable is a
// check that could not run (unknown), never a request without the credential.
func TestHeadersFromEnv(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("X-Probe") != "yes" || r.Method != http.MethodHead {
			w.WriteHeader(401)
		}
	})
	ch := config.ProbeCheck{Kind: "http", URL: srv.URL, Method: "HEAD", Headers: map[string]string{"X-Probe": "yes"},
		HeadersFromEnv: map[string]string{"Authorization": "HEALTH_AUTH"}}
	env := map[string]string{"HEALTH_AUTH": "Bearer s3cret"}
	res, err := Run(context.Background(), Options{Config: one(ch), Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Services[0].Checks[0]; c.Status != Up {
		t.Errorf("with the variable: %s %q", c.Status, c.Error)
	}
	res, err = Run(context.Background(), Options{Config: one(ch)})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Services[0].Checks[0]; c.Status != Unknown || c.Error != "header Authorization: no $HEALTH_AUTH set" {
		t.Errorf("without the variable: %s %q", c.Status, c.Error)
	}
}

// TestIPFamily: ip: v4 reaches an IPv4 listener and ip: v6 does not (and the other way round when
// the machine has IPv6 loopback).
func TestIPFamily(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	host := strings.TrimPrefix(srv.URL, "http://127.0.0.1")
	u := "http://localhost" + host
	res, err := Run(context.Background(), Options{Config: one(config.ProbeCheck{Kind: "http", URL: u, IP: "v4"})})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Services[0].Checks[0]; c.Status != Up {
		t.Errorf("v4 to an IPv4 listener: %s %q", c.Status, c.Error)
	}
	res, err = Run(context.Background(), Options{Config: one(config.ProbeCheck{Kind: "http", URL: srv.URL, IP: "v6"})})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Services[0].Checks[0]; c.Status != Down || c.Error != `Get "`+srv.URL+`": dial tcp6: address 127.0.0.1: no suitable address found` {
		t.Errorf("v6 to an IPv4 address: %s %q", c.Status, c.Error)
	}
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine (%v): the v6 half is not run", err)
	}
	srv6 := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	go srv6.Serve(l)
	t.Cleanup(func() { srv6.Close() })
	u6 := "http://" + l.Addr().String()
	res, err = Run(context.Background(), Options{Config: one(config.ProbeCheck{Kind: "http", URL: u6, IP: "v6"})})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Services[0].Checks[0]; c.Status != Up {
		t.Errorf("v6 to an IPv6 listener: %s %q", c.Status, c.Error)
	}
}
