package config

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ProbeConfig is the `probe:` section of .molecule-ci.yml: the services `molecule-ci probe`
// checks on a schedule, how a failure becomes an outage, and where incidents, pages and the
// status page go.
//
//	probe:
//	  services:
//	    - name: Customer app
//	      env: production
//	      checks:
//	        - {kind: http, url: "https://app.moleculesai.app", max-response-time: 3s}
//	        - {kind: vercel, project: molecule-app}
type ProbeConfig struct {
	// Title heads the status page (default "Status").
	Title string `yaml:"title" json:"title"`
	// Concurrency bounds how many checks run at once (default 32).
	Concurrency int `yaml:"concurrency" json:"concurrency"`
	// Timeout bounds one attempt of one check (default 10s).
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// RetryDelay is the wait before the one retry of a failing check (default 2s).
	RetryDelay time.Duration `yaml:"retry-delay" json:"retry-delay"`
	// DownAfterRuns declares a service down once it failed this many consecutive runs (default
	// 0: only DownAfter applies).
	DownAfterRuns int `yaml:"down-after-runs" json:"down-after-runs"`
	// DownAfter declares a service down once it has been failing this long (default 5m, the
	// runbook's threshold). Whichever of DownAfterRuns and DownAfter is reached first decides.
	DownAfter time.Duration `yaml:"down-after" json:"down-after"`
	// UpAfterRuns is how many consecutive passing runs close an outage (default 2), so a
	// flapping service does not open and close an incident every run.
	UpAfterRuns int `yaml:"up-after-runs" json:"up-after-runs"`
	// FailOn is the lowest declared state that makes the exit code 1: down or degraded
	// (default degraded). A missing token (degraded-check) never fails a run.
	FailOn string `yaml:"fail-on" json:"fail-on"`
	// MaxBody bounds how many bytes of a response body are read (default 1 MiB).
	MaxBody int64 `yaml:"max-body" json:"max-body"`
	// HeartbeatMaxAge is how old the previous run may be before it is a finding: scheduled
	// workflows are skipped under load and disabled after 60 days without activity (default 30m).
	HeartbeatMaxAge time.Duration `yaml:"heartbeat-max-age" json:"heartbeat-max-age"`
	// CommentEvery throttles incident comments: a still-open incident gets at most one comment
	// per this interval, and only when its cause changed (default 1h).
	CommentEvery time.Duration `yaml:"comment-every" json:"comment-every"`
	// IncidentLabel is the label every incident issue carries, beside the service slug (default
	// "incident").
	IncidentLabel string `yaml:"incident-label" json:"incident-label"`
	// Repository holds the incident issues and the data branch, "owner/name" (default: the
	// repository the workflow runs in).
	Repository string `yaml:"repository" json:"repository"`
	// DataBranch is the branch the state and history are committed to (default "probe-data").
	DataBranch string `yaml:"data-branch" json:"data-branch"`
	// CrossOriginRedirects is what a check does when a redirect leaves the origin (scheme, host
	// and port) of its url while it sends configured headers (headers, headers-from-env), or a
	// deep check's API redirects elsewhere with its token: drop-headers (default) follows the
	// redirect without them, refuse fails the check there. Go's HTTP client alone would keep
	// every header but Authorization and Cookie, and those too for the same host on another
	// port or a subdomain. A check's own cross-origin-redirects wins.
	CrossOriginRedirects string `yaml:"cross-origin-redirects" json:"cross-origin-redirects"`
	// Services are probed in the order given; names and slugs must be unique.
	Services []ProbeService `yaml:"services" json:"services"`
}

// ProbeService is one thing users depend on, in one environment.
type ProbeService struct {
	Name string `yaml:"name" json:"name"`
	// Slug names the service in files, labels and badges (default: the name, lower-cased, with
	// runs of other characters turned into "-").
	Slug string `yaml:"slug" json:"slug"`
	// Env is the environment, e.g. production or staging (default production).
	Env string `yaml:"env" json:"env"`
	// URL is shown on the status page (default: the first http check's URL).
	URL    string       `yaml:"url" json:"url"`
	Checks []ProbeCheck `yaml:"checks" json:"checks"`
}

// ProbeCheck is one check of a service. Kind decides which fields apply.
type ProbeCheck struct {
	// Kind is http, status-json, vercel, fly or ghcr.
	Kind string `yaml:"kind" json:"kind"`

	// http and status-json
	URL string `yaml:"url" json:"url,omitempty"`
	// Method is the HTTP method (default GET).
	Method string `yaml:"method" json:"method,omitempty"`
	// Headers are literal request headers.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// HeadersFromEnv maps a header name to the environment variable holding its value, so a
	// secret never sits in the file.
	HeadersFromEnv map[string]string `yaml:"headers-from-env" json:"headers-from-env,omitempty"`
	// ExpectStatus is the set of acceptable status codes (default 200-399 when redirects are not
	// followed, 200-299 otherwise).
	ExpectStatus []int `yaml:"expect-status" json:"expect-status,omitempty"`
	// MaxResponseTime makes a slower answer degraded (default: none).
	MaxResponseTime time.Duration `yaml:"max-response-time" json:"max-response-time,omitempty"`
	// BodyContains and BodyRegexp must match the (bounded) body.
	BodyContains string `yaml:"body-contains" json:"body-contains,omitempty"`
	BodyRegexp   string `yaml:"body-regexp" json:"body-regexp,omitempty"`
	// JSON conditions on fields of a JSON body.
	JSON []ProbeJSONCondition `yaml:"json" json:"json,omitempty"`
	// TLSMinDays makes a certificate expiring sooner degraded (default 14; 0 disables).
	TLSMinDays *int `yaml:"tls-min-days" json:"tls-min-days,omitempty"`
	// FollowRedirects follows up to 10 redirects (default true).
	FollowRedirects *bool `yaml:"follow-redirects" json:"follow-redirects,omitempty"`
	// IP is any, v4 or v6: which address family to connect over (default any).
	IP string `yaml:"ip" json:"ip,omitempty"`
	// CrossOriginRedirects overrides the section's cross-origin-redirects for this check.
	CrossOriginRedirects string `yaml:"cross-origin-redirects" json:"cross-origin-redirects,omitempty"`

	// vercel: the project whose latest production deployment must be READY.
	Project string `yaml:"project" json:"project,omitempty"`
	Team    string `yaml:"team" json:"team,omitempty"`
	// fly: the app whose machines must be started and passing their checks.
	App string `yaml:"app" json:"app,omitempty"`
	// ghcr: the organisation whose container packages must be listable.
	Org string `yaml:"org" json:"org,omitempty"`
	// API overrides the deep check's API base URL (tests, proxies).
	API string `yaml:"api" json:"api,omitempty"`
}

// ProbeJSONCondition is one condition on a field of a JSON body: the field at Path (dot
// separated, numeric parts index arrays: "checks.0.status") must exist and, when Equals is set,
// equal it (compared as JSON text, so `equals: "ok"` and `equals: 200` both work).
type ProbeJSONCondition struct {
	Path   string `yaml:"path" json:"path"`
	Equals any    `yaml:"equals" json:"equals,omitempty"`
}

// ProbeKinds are the check kinds, in the order error messages list them.
var ProbeKinds = []string{"http", "status-json", "vercel", "fly", "ghcr"}

// The values of cross-origin-redirects.
const (
	RedirectDropHeaders = "drop-headers"
	RedirectRefuse      = "refuse"
)

var redirectPolicies = []string{RedirectDropHeaders, RedirectRefuse}

// RefusesCrossOrigin reports whether ch refuses a redirect to another origin, by its own
// setting or else the section's.
func (c *ProbeConfig) RefusesCrossOrigin(ch ProbeCheck) bool {
	if ch.CrossOriginRedirects != "" {
		return ch.CrossOriginRedirects == RedirectRefuse
	}
	return c.CrossOriginRedirects == RedirectRefuse
}

// SetDefaults gives the section the runbook's policy.
func (c *ProbeConfig) SetDefaults() {
	c.Title = "Status"
	c.Concurrency = 32
	c.Timeout = 10 * time.Second
	c.RetryDelay = 2 * time.Second
	c.DownAfter = 5 * time.Minute
	c.UpAfterRuns = 2
	c.FailOn = "degraded"
	c.MaxBody = 1 << 20
	c.HeartbeatMaxAge = 30 * time.Minute
	c.CommentEvery = time.Hour
	c.IncidentLabel = "incident"
	c.DataBranch = "probe-data"
	c.CrossOriginRedirects = RedirectDropHeaders
}

var (
	slugRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	headerRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	envRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	repoRE   = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$`)
)

// Slugify turns a service name into its default slug.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 63 {
		s = strings.TrimSuffix(s[:63], "-")
	}
	return s
}

// Validate checks what the types cannot, and fills each service's derived defaults (slug, env,
// URL) so every consumer sees the same values.
func (c *ProbeConfig) Validate(v *Validation) {
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		v.Errorf("concurrency", "must be between 1 and 1024, got %d", c.Concurrency)
	}
	if c.Timeout <= 0 || c.Timeout > 5*time.Minute {
		v.Errorf("timeout", "must be more than 0 and at most 5m, got %v", c.Timeout)
	}
	if c.RetryDelay < 0 || c.RetryDelay > time.Minute {
		v.Errorf("retry-delay", "must be between 0 and 1m, got %v", c.RetryDelay)
	}
	if c.DownAfterRuns < 0 || c.DownAfterRuns > 1000 {
		v.Errorf("down-after-runs", "must be between 0 and 1000, got %d", c.DownAfterRuns)
	}
	if c.DownAfter < 0 {
		v.Errorf("down-after", "must not be negative, got %v", c.DownAfter)
	}
	if c.DownAfterRuns == 0 && c.DownAfter == 0 {
		v.Errorf("down-after", "down-after and down-after-runs are both 0: nothing would ever be declared down")
	}
	if c.UpAfterRuns < 1 || c.UpAfterRuns > 1000 {
		v.Errorf("up-after-runs", "must be between 1 and 1000, got %d", c.UpAfterRuns)
	}
	if !slices.Contains([]string{"down", "degraded"}, c.FailOn) {
		v.Errorf("fail-on", "unknown value %q (valid: down, degraded)", c.FailOn)
	}
	if c.MaxBody < 1 || c.MaxBody > 64<<20 {
		v.Errorf("max-body", "must be between 1 and 67108864 bytes, got %d", c.MaxBody)
	}
	if c.HeartbeatMaxAge <= 0 {
		v.Errorf("heartbeat-max-age", "must be more than 0, got %v", c.HeartbeatMaxAge)
	}
	if c.CommentEvery < 0 {
		v.Errorf("comment-every", "must not be negative, got %v", c.CommentEvery)
	}
	if c.IncidentLabel == "" || len(c.IncidentLabel) > 50 {
		v.Errorf("incident-label", "must be 1 to 50 characters")
	}
	if c.Repository != "" && !repoRE.MatchString(c.Repository) {
		v.Errorf("repository", "want owner/name, got %q", c.Repository)
	}
	if c.DataBranch == "" || strings.ContainsAny(c.DataBranch, " ~^:?*[\\") || strings.Contains(c.DataBranch, "..") {
		v.Errorf("data-branch", "not a valid branch name: %q", c.DataBranch)
	}
	if !slices.Contains(redirectPolicies, c.CrossOriginRedirects) {
		v.Errorf("cross-origin-redirects", "unknown value %q (valid: %s)", c.CrossOriginRedirects, strings.Join(redirectPolicies, ", "))
	}
	names := map[string]int{}
	slugs := map[string]int{}
	for i := range c.Services {
		s := &c.Services[i]
		k := fmt.Sprintf("services[%d]", i)
		if strings.TrimSpace(s.Name) == "" {
			v.Errorf(k, "name is required")
		}
		if s.Env == "" {
			s.Env = "production"
		}
		if s.Slug == "" {
			s.Slug = Slugify(s.Name)
			if s.Env != "production" && s.Slug != "" {
				s.Slug = Slugify(s.Slug + "-" + s.Env)
			}
		}
		switch {
		case !slugRE.MatchString(s.Slug):
			v.Errorf(k+".slug", "%q is not a slug: lower-case letters, digits and -, at most 63", s.Slug)
		case s.Slug == "v1":
			v.Errorf(k+".slug", `"v1" is reserved for the status page's api/v1`)
		}
		key := s.Name + "\x00" + s.Env
		if j, dup := names[key]; dup && s.Name != "" {
			v.Errorf(k+".name", "%q in %s is also services[%d]", s.Name, s.Env, j)
		}
		names[key] = i
		if j, dup := slugs[s.Slug]; dup {
			v.Errorf(k+".slug", "slug %q is also services[%d]'s", s.Slug, j)
		}
		slugs[s.Slug] = i
		if len(s.Checks) == 0 {
			v.Errorf(k, "checks: at least one check is required")
		}
		for j := range s.Checks {
			validateProbeCheck(v, fmt.Sprintf("%s.checks[%d]", k, j), &s.Checks[j])
			if s.URL == "" && (s.Checks[j].Kind == "http" || s.Checks[j].Kind == "status-json") {
				s.URL = s.Checks[j].URL
			}
		}
	}
}

func validateProbeCheck(v *Validation, k string, ch *ProbeCheck) {
	if !slices.Contains(ProbeKinds, ch.Kind) {
		v.Errorf(k+".kind", "unknown kind %q (valid: %s)", ch.Kind, strings.Join(ProbeKinds, ", "))
		return
	}
	only := func(field string, set bool, kinds ...string) {
		if set && !slices.Contains(kinds, ch.Kind) {
			v.KeyErrorf(k+"."+field, "applies to %s checks, not %s", strings.Join(kinds, " and "), ch.Kind)
		}
	}
	web := []string{"http", "status-json"}
	only("method", ch.Method != "", "http")
	only("headers", len(ch.Headers) > 0, web...)
	only("headers-from-env", len(ch.HeadersFromEnv) > 0, web...)
	only("expect-status", len(ch.ExpectStatus) > 0, "http")
	only("max-response-time", ch.MaxResponseTime != 0, web...)
	only("body-contains", ch.BodyContains != "", "http")
	only("body-regexp", ch.BodyRegexp != "", "http")
	only("json", len(ch.JSON) > 0, "http")
	only("tls-min-days", ch.TLSMinDays != nil, web...)
	only("follow-redirects", ch.FollowRedirects != nil, web...)
	only("ip", ch.IP != "", web...)
	only("cross-origin-redirects", ch.CrossOriginRedirects != "", web...)
	only("project", ch.Project != "", "vercel")
	only("team", ch.Team != "", "vercel")
	only("app", ch.App != "", "fly")
	only("org", ch.Org != "", "ghcr")
	only("url", ch.URL != "" && !slices.Contains(web, ch.Kind), web...)
	switch ch.Kind {
	case "http", "status-json":
		if ch.URL == "" {
			v.Errorf(k, "url is required for %s checks", ch.Kind)
		} else if u, err := url.Parse(ch.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.Errorf(k+".url", "want an http:// or https:// URL, got %q", ch.URL)
		}
	case "vercel":
		if ch.Project == "" {
			v.Errorf(k, "project is required for vercel checks (the Vercel project name or id)")
		}
	case "fly":
		if ch.App == "" {
			v.Errorf(k, "app is required for fly checks (the Fly.io app name)")
		}
	case "ghcr":
		if ch.Org == "" {
			v.Errorf(k, "org is required for ghcr checks (the organisation owning the packages)")
		}
	}
	if ch.Method != "" && !slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}, ch.Method) {
		v.Errorf(k+".method", "unknown method %q (valid: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)", ch.Method)
	}
	for _, name := range slices.Sorted(maps.Keys(ch.Headers)) {
		if !headerRE.MatchString(name) {
			v.KeyErrorf(k+".headers."+name, "%q is not a valid header name", name)
		}
		if strings.ContainsAny(ch.Headers[name], "\r\n\x00") {
			v.Errorf(k+".headers."+name, "a header value must not contain a line break or NUL")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ch.HeadersFromEnv)) {
		if !headerRE.MatchString(name) {
			v.KeyErrorf(k+".headers-from-env."+name, "%q is not a valid header name", name)
		}
		if !envRE.MatchString(ch.HeadersFromEnv[name]) {
			v.Errorf(k+".headers-from-env."+name, "%q is not an environment variable name", ch.HeadersFromEnv[name])
		}
	}
	for i, s := range ch.ExpectStatus {
		if s < 100 || s > 599 {
			v.Errorf(fmt.Sprintf("%s.expect-status[%d]", k, i), "not an HTTP status code: %d", s)
		}
	}
	if ch.MaxResponseTime < 0 {
		v.Errorf(k+".max-response-time", "must not be negative")
	}
	if ch.BodyRegexp != "" {
		if _, err := regexp.Compile(ch.BodyRegexp); err != nil {
			v.Errorf(k+".body-regexp", "%v", err)
		}
	}
	for i, c := range ch.JSON {
		if c.Path == "" {
			v.Errorf(fmt.Sprintf("%s.json[%d]", k, i), "path is required")
		}
	}
	if ch.TLSMinDays != nil && (*ch.TLSMinDays < 0 || *ch.TLSMinDays > 3650) {
		v.Errorf(k+".tls-min-days", "must be between 0 and 3650, got %d", *ch.TLSMinDays)
	}
	if ch.CrossOriginRedirects != "" && !slices.Contains(redirectPolicies, ch.CrossOriginRedirects) {
		v.Errorf(k+".cross-origin-redirects", "unknown value %q (valid: %s)", ch.CrossOriginRedirects, strings.Join(redirectPolicies, ", "))
	}
	if ch.IP != "" && !slices.Contains([]string{"any", "v4", "v6"}, ch.IP) {
		v.Errorf(k+".ip", "unknown value %q (valid: any, v4, v6)", ch.IP)
	}
	if ch.API != "" {
		if u, err := url.Parse(ch.API); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.Errorf(k+".api", "want an http:// or https:// URL, got %q", ch.API)
		}
	}
}

// upptimeSite is one entry of an .upptimerc.yml `sites:` list, the fields molecule-ci uses.
type upptimeSite struct {
	Name                string   `yaml:"name"`
	URL                 string   `yaml:"url"`
	Method              string   `yaml:"method"`
	ExpectedStatusCodes []int    `yaml:"expectedStatusCodes"`
	MaxResponseTime     int      `yaml:"maxResponseTime"` // milliseconds
	Headers             []string `yaml:"headers"`         // "Name: value"
	Body                string   `yaml:"body"`
	Slug                string   `yaml:"slug"`
}

// ParseUpptime reads an Upptime .upptimerc.yml as it is and returns the probe section it means:
// one production service with one http check per site. Keys molecule-ci has no use for (owner,
// status-website, assignees, ...) are ignored, as Upptime itself ignores what it does not know;
// a site without a name or URL, or with a value of the wrong type, is an *Error at its line.
func ParseUpptime(path string, data []byte) (ProbeConfig, error) {
	var pc ProbeConfig
	pc.SetDefaults()
	if len(data) > maxFileSize {
		return pc, &Error{Path: path, Msg: fmt.Sprintf("file is larger than %d MiB", maxFileSize>>20)}
	}
	root, err := parseYAML(path, data)
	if err != nil {
		return pc, err
	}
	if root == nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return pc, &Error{Path: path, Line: 1, Col: 1, Msg: "want a mapping with a sites: list (an .upptimerc.yml)"}
	}
	m := root.Content[0]
	var sitesNode *yaml.Node
	var errs []*Error
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case "sites":
			sitesNode = m.Content[i+1]
		case "status-website":
			var sw struct {
				Name string `yaml:"name"`
			}
			if m.Content[i+1].Decode(&sw) == nil && sw.Name != "" {
				pc.Title = sw.Name
			}
		}
	}
	if sitesNode == nil || sitesNode.Kind != yaml.SequenceNode || len(sitesNode.Content) == 0 {
		line, col := 1, 1
		if sitesNode != nil {
			line, col = sitesNode.Line, sitesNode.Column
		}
		return pc, &Error{Path: path, Line: line, Col: col, Msg: "sites: want a non-empty list of {name, url}"}
	}
	for i, n := range sitesNode.Content {
		var s upptimeSite
		if err := n.Decode(&s); err != nil {
			errs = append(errs, &Error{Path: path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf("sites[%d]: %s", i, yamlMessage(err, n))})
			continue
		}
		if s.Name == "" || s.URL == "" {
			errs = append(errs, &Error{Path: path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf("sites[%d]: name and url are required", i)})
			continue
		}
		ch := ProbeCheck{Kind: "http", URL: s.URL, Method: strings.ToUpper(s.Method), ExpectStatus: s.ExpectedStatusCodes}
		if s.MaxResponseTime > 0 {
			ch.MaxResponseTime = time.Duration(s.MaxResponseTime) * time.Millisecond
		}
		for _, h := range s.Headers {
			name, value, ok := strings.Cut(h, ":")
			if !ok {
				errs = append(errs, &Error{Path: path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf("sites[%d].headers: want \"Name: value\", got %q", i, h)})
				continue
			}
			// Upptime substitutes $SECRET_NAME from the repository's secrets: keep that a
			// reference to the environment rather than a literal.
			value = strings.TrimSpace(value)
			if strings.HasPrefix(value, "$") && envRE.MatchString(value[1:]) {
				if ch.HeadersFromEnv == nil {
					ch.HeadersFromEnv = map[string]string{}
				}
				ch.HeadersFromEnv[strings.TrimSpace(name)] = value[1:]
				continue
			}
			if ch.Headers == nil {
				ch.Headers = map[string]string{}
			}
			ch.Headers[strings.TrimSpace(name)] = value
		}
		pc.Services = append(pc.Services, ProbeService{Name: s.Name, Slug: s.Slug, URL: s.URL, Checks: []ProbeCheck{ch}})
	}
	if err := joinErrors(errs); err != nil {
		return pc, err
	}
	// Validate through the same rules as the probe: section, at the sites' positions.
	c := &Config{Path: path, pos: newPositions()}
	var verrs []*Error
	pc.Validate(&Validation{cfg: c, section: "sites", errs: &verrs})
	for _, e := range verrs {
		e.Line, e.Col = sitesNode.Line, sitesNode.Column
		if idx := siteIndex(e.Msg); idx >= 0 && idx < len(sitesNode.Content) {
			e.Line, e.Col = sitesNode.Content[idx].Line, sitesNode.Content[idx].Column
		}
		// A site is one service with one check: name the site's own key.
		e.Msg = strings.Replace(e.Msg, "sites.services[", "sites[", 1)
		e.Msg = siteCheckRE.ReplaceAllString(e.Msg, "$1")
	}
	return pc, joinErrors(verrs)
}

var siteCheckRE = regexp.MustCompile(`^(sites\[\d+\])\.checks\[0\]`)

var siteIndexRE = regexp.MustCompile(`^sites\.services\[(\d+)\]`)

func siteIndex(msg string) int {
	m := siteIndexRE.FindStringSubmatch(msg)
	if m == nil {
		return -1
	}
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n
}
