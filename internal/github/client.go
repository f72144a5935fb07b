// Package github owns every call to the GitHub REST API (through google/go-github): the Checks
// API reporter that turns findings into a check run with annotations, issues and sticky comments
// (signed with an identity line when one is configured), the data branch, and issue search with
// linked pull requests and the tracking issue (search.go, tracking.go). It decides how to
// survive GitHub's failure modes (5xx, primary and secondary rate limits: retried with backoff)
// and which it must not paper over (403 permission, 422 validation: typed errors, no retry), and
// it keeps the token out of every error it returns.
//
// It never reads the environment: the token and API URL come from the caller (see
// internal/ghaction).
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// DefaultAPIURL is github.com's REST API root.
const DefaultAPIURL = "https://api.github.com/"

// Client talks to one GitHub (github.com or a GitHub Enterprise Server) with one token.
type Client struct {
	gh       *gh.Client
	token    string
	now      func() time.Time
	identity string
	// plain sends requests without the token (downloads on hosts other than the API's); cache and
	// budget serve the repository reads of repos.go.
	plain  *http.Client
	cache  *diskCache
	budget rateBudget
}

type config struct {
	httpClient  *http.Client
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	maxRetries  uint64
	maxWait     time.Duration
	backoffBase time.Duration
	userAgent   string
	logf        func(format string, args ...any)
	identity    string
	cacheDir    string
}

// Option configures a Client.
type Option func(*config)

// WithHTTPClient sends requests through hc (its Transport and Timeout are kept; retries are
// layered on top of its Transport). A Timeout bounds a whole call, waits between retries included.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithSleep replaces the wait between retries. Tests record the durations instead of waiting; the
// function must return ctx.Err() when ctx is done first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) { c.sleep = sleep }
}

// WithClock replaces time.Now, which turns X-RateLimit-Reset into a wait and stamps completed_at.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxRetries bounds the retries of one request (default 5); 0 disables retrying.
func WithMaxRetries(n uint64) Option { return func(c *config) { c.maxRetries = n } }

// WithMaxWait is the longest single wait the client accepts (default 5 minutes). A rate limit that
// resets later fails at once with a *RateLimitError: a CI step should fall back to another way of
// reporting rather than hang until the hour is over.
func WithMaxWait(d time.Duration) Option { return func(c *config) { c.maxWait = d } }

// WithBackoff sets the first wait of the exponential backoff used for 5xx answers (default 1s;
// doubles per retry, capped at 30s).
func WithBackoff(base time.Duration) Option { return func(c *config) { c.backoffBase = base } }

// WithUserAgent sets the User-Agent (default "molecule-ci"), which GitHub asks every client to send.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// WithLogf receives one line per retry ("GitHub API: ... retry 1/5 in 1s"), so a command can say
// why it is waiting. Lines never contain the token.
func WithLogf(logf func(format string, args ...any)) Option { return func(c *config) { c.logf = logf } }

// WithIdentity puts line (report.identity, e.g. "[devops-agent]") as the first line of every
// issue and comment body the client writes, so humans and other agents can attribute them. ""
// (the default) writes bodies as given.
func WithIdentity(line string) Option { return func(c *config) { c.identity = line } }

// NewClient returns a client for the REST API at apiURL ("" for github.com; a GitHub Enterprise
// Server URL such as https://ghe.example.com/api/v3 or just https://ghe.example.com otherwise)
// authenticating with token (sent as "Authorization: Bearer").
func NewClient(token, apiURL string, opts ...Option) (*Client, error) {
	cfg := config{
		sleep:       sleepCtx,
		now:         time.Now,
		maxRetries:  5,
		maxWait:     5 * time.Minute,
		backoffBase: time.Second,
		userAgent:   "molecule-ci",
	}
	for _, o := range opts {
		o(&cfg)
	}
	if token == "" {
		return nil, errors.New("GitHub API client: empty token")
	}
	if cfg.backoffBase <= 0 {
		return nil, fmt.Errorf("GitHub API client: backoff %v must be positive", cfg.backoffBase)
	}
	// No http.Client.Timeout by default: it would also bound the waits between retries (it
	// cancels the request's context), so a rate limit wait would always time out. Each attempt
	// is bounded by the transport's ResponseHeaderTimeout instead, the whole call by ctx.
	hc := &http.Client{}
	if cfg.httpClient != nil {
		c := *cfg.httpClient
		hc = &c
	}
	next := hc.Transport
	if next == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = time.Minute
		next = t
	}
	hc.Transport = &retryTransport{next: next, cfg: cfg, token: token}

	client := gh.NewClient(hc).WithAuthToken(token)
	client.UserAgent = cfg.userAgent
	if apiURL != "" && strings.TrimSuffix(apiURL, "/") != strings.TrimSuffix(DefaultAPIURL, "/") {
		u, err := url.Parse(apiURL)
		if err != nil {
			return nil, redact(fmt.Errorf("GitHub API URL: %w", err), token)
		}
		if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, redact(fmt.Errorf("GitHub API URL %q: want http(s)://host[/api/v3]", redactURL(u)), token)
		}
		upload := &url.URL{Scheme: u.Scheme, Host: u.Host, User: u.User, Path: "/api/uploads/"}
		client, err = client.WithEnterpriseURLs(u.String(), upload.String())
		if err != nil {
			return nil, redact(fmt.Errorf("GitHub API URL: %w", err), token)
		}
	}
	var cache *diskCache
	if cfg.cacheDir != "" {
		cache = &diskCache{dir: cfg.cacheDir}
	}
	return &Client{gh: client, token: token, now: cfg.now, identity: cfg.identity, plain: hc, cache: cache}, nil
}

// sign is the one place a body bound for GitHub (an issue, a comment) gets the identity line.
func (c *Client) sign(body string) string {
	if c.identity == "" {
		return body
	}
	return c.identity + "\n" + body
}

// hasMarker reports whether body, written by sign, starts with marker: on its first line, or on
// its second after an identity line (whatever identity an earlier run had, so a changed
// report.identity still finds its comment instead of adding a second).
func hasMarker(body, marker string) bool {
	if strings.HasPrefix(body, marker) {
		return true
	}
	_, rest, ok := strings.Cut(body, "\n")
	return ok && strings.HasPrefix(rest, marker)
}

// BaseURL is the API root requests go to, with any credentials in it redacted.
func (c *Client) BaseURL() string { return redactURL(c.gh.BaseURL) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
