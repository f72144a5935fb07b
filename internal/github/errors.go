package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// ErrNoPermission matches (errors.Is) every *PermissionError.
var ErrNoPermission = errors.New("the token may not do this")

// APIError is an error answer from GitHub, with its message kept verbatim.
type APIError struct {
	Method string
	URL    string // credentials redacted
	Status int
	// Message and DocumentationURL are GitHub's "message" and "documentation_url".
	Message          string
	DocumentationURL string
	// Errors is GitHub's "errors" array exactly as sent (422 answers carry one), or nil.
	Errors json.RawMessage
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.URL, e.Status)
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	} else {
		b.WriteString(" " + http.StatusText(e.Status))
	}
	if len(e.Errors) > 0 {
		var c bytes.Buffer
		if json.Compact(&c, e.Errors) == nil {
			b.WriteString(" " + c.String())
		} else {
			b.WriteString(" " + string(e.Errors))
		}
	}
	if e.DocumentationURL != "" {
		b.WriteString(" (" + e.DocumentationURL + ")")
	}
	return b.String()
}

// PermissionError is a 403 that is not a rate limit: typically "Resource not accessible by
// integration", a GITHUB_TOKEN without `checks: write` or a pull request from a fork. Retrying
// cannot help; the caller should fall back to another way of reporting and say so.
type PermissionError struct{ APIError }

func (e *PermissionError) Is(target error) bool { return target == ErrNoPermission }
func (e *PermissionError) Unwrap() error        { return &e.APIError }

// ValidationError is a 422 "Validation Failed": GitHub refused the request's content. Message and
// Errors say what, verbatim.
type ValidationError struct{ APIError }

func (e *ValidationError) Unwrap() error { return &e.APIError }

// RateLimitError is a primary or secondary rate limit that outlasted the retries, or whose reset
// is further away than the client is willing to wait.
type RateLimitError struct {
	APIError
	// Wait is how long GitHub asked to wait from when the error was made (0 if it did not say).
	Wait time.Duration
}

func (e *RateLimitError) Unwrap() error { return &e.APIError }

// scrub replaces the token wherever GitHub (or a proxy) echoed it, so that a caller who unwraps
// the typed error and prints its fields does not leak it either.
func (e *APIError) scrub(token string) {
	if token == "" {
		return
	}
	e.URL = strings.ReplaceAll(e.URL, token, "***")
	e.Message = strings.ReplaceAll(e.Message, token, "***")
	e.DocumentationURL = strings.ReplaceAll(e.DocumentationURL, token, "***")
	if bytes.Contains(e.Errors, []byte(token)) {
		e.Errors = bytes.ReplaceAll(e.Errors, []byte(token), []byte("***"))
	}
}

// classify turns go-github's error for one call into this package's types, with the token
// scrubbed. Errors that are not answers from GitHub (network, context) pass through unchanged.
func (c *Client) classify(err error) error {
	e := c.classifyRaw(err)
	var api *APIError
	if errors.As(e, &api) {
		api.scrub(c.token)
	}
	return e
}

func (c *Client) classifyRaw(err error) error {
	var (
		rle  *gh.RateLimitError
		abe  *gh.AbuseRateLimitError
		resp *gh.ErrorResponse
	)
	switch {
	case errors.As(err, &rle):
		e := &RateLimitError{APIError: apiError(rle.Response, rle.Message, "")}
		if !rle.Rate.Reset.IsZero() {
			e.Wait = max(rle.Rate.Reset.Sub(c.now()), 0)
		}
		return e
	case errors.As(err, &abe):
		e := &RateLimitError{APIError: apiError(abe.Response, abe.Message, "")}
		if abe.RetryAfter != nil {
			e.Wait = *abe.RetryAfter
		}
		return e
	case errors.As(err, &resp):
		base := apiError(resp.Response, resp.Message, resp.DocumentationURL)
		switch {
		case base.Status == http.StatusTooManyRequests,
			base.Status == http.StatusForbidden && isSecondaryLimit(resp.Message, resp.DocumentationURL):
			return &RateLimitError{APIError: base}
		case base.Status == http.StatusForbidden:
			return &PermissionError{base}
		case base.Status == http.StatusUnprocessableEntity:
			base.Errors = rawErrors(resp)
			return &ValidationError{base}
		default:
			base.Errors = rawErrors(resp)
			return &base
		}
	}
	return err
}

func apiError(r *http.Response, message, docURL string) APIError {
	e := APIError{Message: message, DocumentationURL: docURL}
	if r != nil {
		e.Status = r.StatusCode
		if r.Request != nil {
			e.Method = r.Request.Method
			e.URL = redactURL(r.Request.URL)
		}
	}
	return e
}

// rawErrors returns the "errors" array as GitHub wrote it. go-github's CheckResponse leaves the
// body readable for exactly this; its decoded []Error would drop fields GitHub adds.
func rawErrors(resp *gh.ErrorResponse) json.RawMessage {
	if resp.Response != nil && resp.Response.Body != nil {
		body, err := io.ReadAll(io.LimitReader(resp.Response.Body, 1<<20))
		var v struct {
			Errors json.RawMessage `json:"errors"`
		}
		if err == nil && json.Unmarshal(body, &v) == nil && len(v.Errors) > 0 && string(v.Errors) != "null" {
			return v.Errors
		}
	}
	if len(resp.Errors) == 0 {
		return nil
	}
	b, err := json.Marshal(resp.Errors)
	if err != nil {
		return nil
	}
	return b
}

// isSecondaryLimit recognises GitHub's secondary rate limit answer, which may come without a
// Retry-After header.
func isSecondaryLimit(message, docURL string) bool {
	return strings.Contains(strings.ToLower(message), "secondary rate limit") ||
		strings.HasSuffix(docURL, "secondary-rate-limits") ||
		strings.HasSuffix(docURL, "#abuse-rate-limits")
}

// secretParams are query parameters whose values are credentials.
var secretParams = []string{"access_token", "token", "client_secret", "client_id", "sig", "signature", "jwt", "code"}

// redactURL prints u with a userinfo password and credential query parameters replaced by ***.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), "***")
		} else if c.User.Username() != "" {
			c.User = url.User("***")
		}
	}
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for _, p := range secretParams {
			if q.Has(p) {
				q.Set(p, "***")
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return strings.Replace(c.String(), "%2A%2A%2A", "***", -1)
}

// redactedError keeps the chain of err for errors.As/Is but prints its message with the token
// replaced: a server, a proxy or a URL can echo the token into any error text.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, token) {
		return err
	}
	return &redactedError{err: err, msg: strings.ReplaceAll(msg, token, "***")}
}
