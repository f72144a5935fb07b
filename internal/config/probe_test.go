package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestProbeSection decodes the org's real probe configuration and states the derived values.
func TestProbeSection(t *testing.T) {
	data, err := os.ReadFile("../../testdata/probe/molecule.yml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("testdata/probe/molecule.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Probe
	if p.Title != "Molecule AI Status" || p.DownAfter != 5*time.Minute || p.UpAfterRuns != 2 || p.FailOn != "down" || p.Concurrency != 32 || p.Timeout != 10*time.Second {
		t.Errorf("section: %+v", p)
	}
	var got []string
	for _, s := range p.Services {
		var kinds []string
		for _, ch := range s.Checks {
			kinds = append(kinds, ch.Kind)
		}
		got = append(got, s.Slug+"/"+s.Env+"="+strings.Join(kinds, ","))
	}
	want := "customer-app/production=http,vercel landing-page/production=http,http,http,vercel docs/production=http " +
		"status-page/production=status-json control-plane/production=http,http,fly image-registry/production=http,ghcr " +
		"customer-app-staging/staging=http control-plane-staging/staging=http"
	if strings.Join(got, " ") != want {
		t.Errorf("services:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	if p.Services[0].URL != "https://app.moleculesai.app" || p.Services[5].URL != "https://ghcr.io/molecule-ai" {
		t.Errorf("urls: %q %q", p.Services[0].URL, p.Services[5].URL)
	}
	if pos := c.KeyPos("probe.services[4]"); pos.Line != 38 {
		t.Errorf("control plane at line %d, want 38 (findings point there)", pos.Line)
	}
}

func TestProbeSectionErrors(t *testing.T) {
	src := `version: 1
probe:
  concurrency: 0
  fail-on: sometimes
  down-after: 0s
  services:
    - name: A
      checks: []
    - name: A
      checks:
        - {kind: http, url: "https://a", ip: v5, expect-status: [700], body-regexp: "(", headers-from-env: {X-Key: "not an env"}}
        - {kind: vercel, url: "https://x"}
    - name: "!!!"
      slug: v1
      checks: [{kind: ghcr, org: o, tls-min-days: 5}]
`
	_, err := Parse(".molecule-ci.yml", []byte(src))
	want := `.molecule-ci.yml:3:16: probe.concurrency: must be between 1 and 1024, got 0
.molecule-ci.yml:4:12: probe.fail-on: unknown value "sometimes" (valid: down, degraded)
.molecule-ci.yml:5:15: probe.down-after: down-after and down-after-runs are both 0: nothing would ever be declared down
.molecule-ci.yml:7:7: probe.services[0]: checks: at least one check is required
.molecule-ci.yml:9:7: probe.services[1].slug: slug "a" is also services[0]'s
.molecule-ci.yml:9:13: probe.services[1].name: "A" in production is also services[0]
.molecule-ci.yml:11:46: probe.services[1].checks[0].ip: unknown value "v5" (valid: any, v4, v6)
.molecule-ci.yml:11:66: probe.services[1].checks[0].expect-status[0]: not an HTTP status code: 700
.molecule-ci.yml:11:85: probe.services[1].checks[0].body-regexp: error parsing regexp: missing closing ): ` + "`(`" + `
.molecule-ci.yml:11:116: probe.services[1].checks[0].headers-from-env.X-Key: "not an env" is not an environment variable name
.molecule-ci.yml:12:11: probe.services[1].checks[1]: project is required for vercel checks (the Vercel project name or id)
.molecule-ci.yml:12:26: probe.services[1].checks[1].url: applies to http and status-json checks, not vercel
.molecule-ci.yml:14:13: probe.services[2].slug: "v1" is reserved for the status page's api/v1
.molecule-ci.yml:15:37: probe.services[2].checks[0].tls-min-days: applies to http and status-json checks, not ghcr`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

// TestProbeRedirectPolicy: cross-origin-redirects defaults to drop-headers, is set for the
// section and overridden per web check, and a bad value or a deep check's is an error at its key.
func TestProbeRedirectPolicy(t *testing.T) {
	src := `version: 1
probe:
  cross-origin-redirects: refuse
  services:
    - name: A
      checks:
        - {kind: http, url: "https://a"}
        - {kind: http, url: "https://a/x", cross-origin-redirects: drop-headers}
`
	c, err := Parse(".molecule-ci.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Probe
	if !p.RefusesCrossOrigin(p.Services[0].Checks[0]) || p.RefusesCrossOrigin(p.Services[0].Checks[1]) {
		t.Errorf("section refuse, check drop-headers: %v %v", p.RefusesCrossOrigin(p.Services[0].Checks[0]), p.RefusesCrossOrigin(p.Services[0].Checks[1]))
	}
	var d ProbeConfig
	d.SetDefaults()
	if d.CrossOriginRedirects != "drop-headers" || d.RefusesCrossOrigin(ProbeCheck{}) {
		t.Errorf("default %q", d.CrossOriginRedirects)
	}
	bad := `version: 1
probe:
  cross-origin-redirects: follow
  services:
    - name: A
      checks:
        - {kind: http, url: "https://a", cross-origin-redirects: maybe}
        - {kind: fly, app: a, cross-origin-redirects: refuse}
`
	_, err = Parse(".molecule-ci.yml", []byte(bad))
	want := `.molecule-ci.yml:3:27: probe.cross-origin-redirects: unknown value "follow" (valid: drop-headers, refuse)
.molecule-ci.yml:7:66: probe.services[0].checks[0].cross-origin-redirects: unknown value "maybe" (valid: drop-headers, refuse)
.molecule-ci.yml:8:31: probe.services[0].checks[1].cross-origin-redirects: applies to http and status-json checks, not fly`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestParseUpptime(t *testing.T) {
	src := `owner: Molecule-AI
repo: molecule-ai-status
sites:
  - name: Customer app
    url: https://app.moleculesai.app
  - name: Control plane API
    url: https://api.moleculesai.app/health
    method: head
    expectedStatusCodes: [200, 204]
    maxResponseTime: 2500
    headers:
      - "Authorization: $HEALTH_TOKEN"
      - "X-Probe: upptime"
status-website:
  cname: status.moleculesai.app
  name: Molecule AI Status
assignees: [someone]
`
	p, err := ParseUpptime(".upptimerc.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Molecule AI Status" || len(p.Services) != 2 {
		t.Fatalf("%+v", p)
	}
	cp := p.Services[1]
	ch := cp.Checks[0]
	if cp.Slug != "control-plane-api" || cp.Env != "production" || ch.Method != "HEAD" || ch.MaxResponseTime != 2500*time.Millisecond ||
		len(ch.ExpectStatus) != 2 || ch.HeadersFromEnv["Authorization"] != "HEALTH_TOKEN" || ch.Headers["X-Probe"] != "upptime" {
		t.Errorf("control plane: %+v %+v", cp, ch)
	}
	for _, tc := range []struct{ src, want string }{
		{"sites: []\n", ".upptimerc.yml:1:8: sites: want a non-empty list of {name, url}"},
		{"- a\n", ".upptimerc.yml:1:1: want a mapping with a sites: list (an .upptimerc.yml)"},
		{"sites:\n  - name: A\n    url: ftp://a\n", ".upptimerc.yml:2:5: sites[0].url: want an http:// or https:// URL, got \"ftp://a\""},
		{"sites:\n  - {name: A, url: 'https://a', headers: [nocolon]}\n", `.upptimerc.yml:2:5: sites[0].headers: want "Name: value", got "nocolon"`},
		{"sites:\n  - {name: A, url: 'https://a'}\n  - {name: A, url: 'https://b'}\n", `.upptimerc.yml:3:5: sites[1].name: "A" in production is also services[0]` + "\n" + `.upptimerc.yml:3:5: sites[1].slug: slug "a" is also services[0]'s`},
	} {
		_, err := ParseUpptime(".upptimerc.yml", []byte(tc.src))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

func FuzzParseUpptime(f *testing.F) {
	f.Add([]byte("sites:\n  - name: A\n    url: https://a\n"))
	f.Add([]byte("sites: [{name: A, url: 'https://a', headers: ['X: $Y'], maxResponseTime: 5}]\nstatus-website: {name: S}\n"))
	f.Add([]byte("sites: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseUpptime("f.yml", b)
		if err != nil {
			if len(AsErrors(err)) == 0 {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, s := range p.Services {
			if s.Slug == "" || len(s.Checks) != 1 || s.Checks[0].URL == "" {
				t.Fatalf("accepted %+v", s)
			}
		}
	})
}
