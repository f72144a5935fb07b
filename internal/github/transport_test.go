package github

import (
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	tr := &retryTransport{cfg: config{now: func() time.Time { return now }}}
	tests := []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		reason   string
		wait     time.Duration
		retry    bool
		bodyKept bool
	}{
		{name: "200", status: 200},
		{name: "404", status: 404},
		{name: "422", status: 422},
		{name: "501 is not transient", status: 501},
		{name: "500", status: 500, reason: "500 Internal Server Error", wait: -1, retry: true},
		{name: "504", status: 504, reason: "504 Gateway Timeout", wait: -1, retry: true},
		{name: "403 permission", status: 403, body: `{"message":"Resource not accessible by integration"}`, bodyKept: true},
		{name: "403 not JSON", status: 403, body: `<html>forbidden</html>`, bodyKept: true},
		{name: "403 Retry-After seconds", status: 403, header: map[string]string{"Retry-After": "17"},
			reason: "403 secondary rate limit (Retry-After)", wait: 17 * time.Second, retry: true},
		{name: "429 Retry-After HTTP date", status: 429, header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)},
			reason: "429 secondary rate limit (Retry-After)", wait: 90 * time.Second, retry: true},
		{name: "Retry-After wins over X-RateLimit-Reset", status: 403,
			header: map[string]string{"Retry-After": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1717246800"},
			reason: "403 secondary rate limit (Retry-After)", wait: 2 * time.Second, retry: true},
		{name: "primary with reset", status: 429, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1717243245"},
			reason: "429 primary rate limit exhausted", wait: 45 * time.Second, retry: true},
		{name: "absurd Retry-After saturates instead of overflowing", status: 429, header: map[string]string{"Retry-After": "99999999999"},
			reason: "429 secondary rate limit (Retry-After)", wait: math.MaxInt64, retry: true},
		{name: "absurd reset saturates instead of overflowing", status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9223372036854775807"},
			reason: "403 primary rate limit exhausted", wait: math.MaxInt64, retry: true},
		{name: "primary with malformed reset", status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "soon"},
			reason: "403 primary rate limit exhausted", wait: time.Minute, retry: true},
		{name: "malformed Retry-After is ignored", status: 403, header: map[string]string{"Retry-After": "-3"},
			body: `{"message":"Must have admin rights to Repository."}`, bodyKept: true},
		{name: "secondary by documentation_url", status: 403,
			body:   `{"message":"x","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#abuse-rate-limits"}`,
			reason: "403 secondary rate limit", wait: time.Minute, retry: true, bodyKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			for k, v := range tt.header {
				resp.Header.Set(k, v)
			}
			reason, wait, retry := tr.retryable(resp)
			if reason != tt.reason || wait != tt.wait || retry != tt.retry {
				t.Errorf("retryable = (%q, %v, %v), want (%q, %v, %v)", reason, wait, retry, tt.reason, tt.wait, tt.retry)
			}
			if tt.bodyKept {
				if b, _ := io.ReadAll(resp.Body); string(b) != tt.body {
					t.Errorf("body after peeking = %q, want %q", b, tt.body)
				}
			}
		})
	}
}

// FuzzRetryable feeds arbitrary rate-limit headers and bodies: no panic, never a negative wait
// for a prescribed retry, and the body always readable afterwards.
func FuzzRetryable(f *testing.F) {
	f.Add(403, "1", "0", "1717243230", `{"message":"You have exceeded a secondary rate limit"}`)
	f.Add(429, "Sat, 01 Jun 2024 12:01:00 GMT", "", "", "")
	f.Add(403, "", "0", "-99999999999999999", "{")
	f.Add(502, "x", "1", "1", "<html>")
	f.Add(403, "99999999999", "", "", "")
	f.Add(429, "", "0", "9223372036854775807", "")
	tr := &retryTransport{cfg: config{now: func() time.Time { return now }}}
	f.Fuzz(func(t *testing.T, status int, retryAfter, remaining, reset, body string) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		resp.Header.Set("Retry-After", retryAfter)
		resp.Header.Set("X-RateLimit-Remaining", remaining)
		resp.Header.Set("X-RateLimit-Reset", reset)
		_, wait, retry := tr.retryable(resp)
		if retry && wait < 0 && status != 500 && status != 502 && status != 503 && status != 504 {
			t.Fatalf("status %d: negative wait %v", status, wait)
		}
		if b, err := io.ReadAll(resp.Body); err != nil || string(b) != body {
			t.Fatalf("body = %q, %v; want %q", b, err, body)
		}
	})
}
