package github

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-retry"
)

// retryTransport retries one HTTP request on GitHub's transient answers.
//
// Retrying happens here, below go-github, rather than around its calls, because go-github v62
// remembers rate limits and then refuses requests itself (without asking the server) until the
// wall clock passes the reset time; the context key that bypasses that is unexported. Retrying
// above it would spin on those client-side refusals, and the waits could not be driven by an
// injected clock and sleep. Here every retry reaches the server, and go-github only sees the
// final answer, which it turns into its typed errors as usual.
//
// go-retry supplies the backoff schedule (exponential, capped, bounded retries); the waiting
// itself goes through cfg.sleep so that tests need not wait.
type retryTransport struct {
	next  http.RoundTripper
	cfg   config
	token string

	// exhausted holds, per rate-limit resource ("core", "search"), when GitHub said a spent
	// budget resets: the next request to that resource waits for it here (see spent).
	mu        sync.Mutex
	exhausted map[string]time.Time
}

// secondaryMinWait is GitHub's advice for a secondary rate limit without Retry-After: "wait for
// at least one minute before retrying".
const secondaryMinWait = time.Minute

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.waitBudget(req); err != nil {
		return nil, err
	}
	b := retry.WithMaxRetries(t.cfg.maxRetries, retry.WithCappedDuration(30*time.Second, retry.NewExponential(t.cfg.backoffBase)))
	for attempt := 0; ; attempt++ {
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, fmt.Errorf("%s %s: cannot resend a request body that is not replayable", req.Method, redactURL(req.URL))
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		reason, wait, retryable := t.retryable(resp)
		if !retryable {
			t.spent(req, resp)
			return resp, nil
		}
		next, stop := b.Next()
		if stop {
			return resp, nil
		}
		if wait < 0 { // no wait prescribed: back off
			wait = next
		}
		if wait > t.cfg.maxWait {
			t.logf("GitHub API: %s %s: %s; not waiting %v (more than %v)", req.Method, redactURL(req.URL), reason, wait, t.cfg.maxWait)
			return resp, nil
		}
		t.logf("GitHub API: %s %s: %s; retry %d/%d in %v", req.Method, redactURL(req.URL), reason, attempt+1, t.cfg.maxRetries, wait)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err := t.cfg.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// resource is the rate-limit budget a request draws on: the search endpoints have their own (30
// a minute), everything else shares the core one.
func resource(req *http.Request) string {
	if strings.Contains(req.URL.Path, "/search/") {
		return "search"
	}
	return "core"
}

// spent notes a successful answer that used the last request of its budget
// (X-RateLimit-Remaining: 0). go-github would remember that answer and refuse every later request
// to the resource on its own until the reset, judged by the wall clock, without asking GitHub and
// without a retry — which fails the 31st search of a run. Instead the reset is kept here and the
// next request waits for it (waitBudget), with the injected clock and sleep; the header go-github
// would act on is dropped from the answer it sees.
func (t *retryTransport) spent(req *http.Request, resp *http.Response) {
	if resp.StatusCode >= 300 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		return
	}
	reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	resp.Header.Del("X-RateLimit-Reset")
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.exhausted == nil {
		t.exhausted = map[string]time.Time{}
	}
	t.exhausted[resource(req)] = time.Unix(reset, 0)
}

// waitBudget waits, before sending req, for the reset of a budget an earlier answer said was
// spent (at least a second: the reset has a one-second grain). A reset further away than the
// longest wait is not waited for: the request goes out, and GitHub's 403 becomes the
// *RateLimitError that says how long.
func (t *retryTransport) waitBudget(req *http.Request) error {
	t.mu.Lock()
	reset, ok := t.exhausted[resource(req)]
	delete(t.exhausted, resource(req))
	t.mu.Unlock()
	if !ok {
		return nil
	}
	d := max(reset.Sub(t.cfg.now()), 0) + time.Second
	if d > t.cfg.maxWait {
		return nil
	}
	t.logf("GitHub API: %s %s: the %s rate limit is spent until %s; waiting %v", req.Method, redactURL(req.URL), resource(req), reset.UTC().Format(time.TimeOnly), d)
	return t.cfg.sleep(req.Context(), d)
}

func (t *retryTransport) logf(format string, args ...any) {
	if t.cfg.logf == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if t.token != "" {
		msg = string(bytes.ReplaceAll([]byte(msg), []byte(t.token), []byte("***")))
	}
	t.cfg.logf("%s", msg)
}

// retryable decides whether resp is worth another attempt, following GitHub's "Best practices for
// using the REST API": Retry-After first, then X-RateLimit-Remaining: 0 (wait until
// X-RateLimit-Reset), then a secondary limit without headers (at least a minute). A wait < 0 means
// "use the backoff". A 403 that is none of these is a permission problem and is not retried.
func (t *retryTransport) retryable(resp *http.Response) (reason string, wait time.Duration, ok bool) {
	switch s := resp.StatusCode; {
	case s == http.StatusInternalServerError, s == http.StatusBadGateway,
		s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		return fmt.Sprintf("%d %s", s, http.StatusText(s)), -1, true
	case s != http.StatusForbidden && s != http.StatusTooManyRequests:
		return "", 0, false
	}
	if d, ok := t.retryAfter(resp.Header.Get("Retry-After")); ok {
		return fmt.Sprintf("%d secondary rate limit (Retry-After)", resp.StatusCode), d, true
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			// Whole seconds until the reset (the header has no finer grain), at least one:
			// retrying a moment early just earns another 403.
			d := time.Second
			if n := t.cfg.now().Unix(); reset > n {
				if diff := reset - n; diff < 0 { // overflow: a reset beyond year 292277026596
					d = math.MaxInt64
				} else {
					d = seconds(diff)
				}
			}
			return fmt.Sprintf("%d primary rate limit exhausted", resp.StatusCode), d, true
		}
		return fmt.Sprintf("%d primary rate limit exhausted", resp.StatusCode), secondaryMinWait, true
	}
	if resp.StatusCode == http.StatusTooManyRequests || isSecondaryBody(resp) {
		return fmt.Sprintf("%d secondary rate limit", resp.StatusCode), secondaryMinWait, true
	}
	return "", 0, false
}

// retryAfter parses Retry-After: delay-seconds (what GitHub sends) or an HTTP date.
func (t *retryTransport) retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return seconds(n), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(t.cfg.now()), 0), true
	}
	return 0, false
}

// isSecondaryBody peeks at a 403's JSON body for the secondary rate limit message and puts the
// body back for go-github to read.
func isSecondaryBody(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var v struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	return json.Unmarshal(body, &v) == nil && isSecondaryLimit(v.Message, v.DocumentationURL)
}

// seconds converts n >= 0 seconds to a Duration, saturating rather than overflowing into a short
// (or negative) wait; the max wait then rejects it.
func seconds(n int64) time.Duration {
	if n > int64(math.MaxInt64/time.Second) {
		return math.MaxInt64
	}
	return time.Duration(n) * time.Second
}
