package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

const token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"

// now is the injected clock: 2024-06-01T12:00:00Z, X-RateLimit-Reset 1717243200.
var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func newTestClient(t *testing.T, f *fakeGitHub, s *sleeper, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithSleep(s.sleep), WithClock(func() time.Time { return now })}, opts...)
	c, err := NewClient(token, f.apiURL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func baseRun(findings ...report.Finding) CheckRun {
	return CheckRun{
		Owner: "Molecule-AI", Repo: "molecule-ci", HeadSHA: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
		Name: "molecule-ci lint", Findings: findings,
	}
}

// transcript prints requests one after another: method, path, the headers GitHub cares about,
// and the JSON body with sorted keys.
func transcript(t *testing.T, reqs []recorded) string {
	t.Helper()
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.Path)
		for _, h := range []string{"Accept", "Authorization", "Content-Type", "User-Agent", "X-GitHub-Api-Version"} {
			v := r.Header.Get(h)
			if h == "Authorization" {
				v = strings.ReplaceAll(v, token, "<token>")
			}
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
		if r.Body != nil {
			body, err := json.MarshalIndent(r.Body, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b.Write(body)
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestPublishCheckRun pins the exact requests: headers, the in_progress create, and the one update
// that carries every kind of annotation and completes the run.
func TestPublishCheckRun(t *testing.T) {
	f := newFakeGitHub(t)
	s := &sleeper{}
	c := newTestClient(t, f, s)
	run := baseRun(
		report.Finding{Path: "./.github/workflows/ci.yml", Line: 12, Col: 7, Rule: "expression", Severity: report.Error,
			Message: `property "foo" is not defined`, Help: "https://rhysd.github.io/actionlint/"},
		report.Finding{Path: "Dockerfile", Line: 3, EndLine: 5, Col: 1, Rule: "DL3008", Severity: report.Warning,
			Message: "Pin versions in apt-get install"},
		report.Finding{Path: "README.md", Rule: "whole-file", Severity: report.Info, Message: "no line: the whole file"},
		report.Finding{Path: "", Rule: "config", Severity: report.Warning, Message: "no path: not an annotation"},
		// An exact duplicate is sent once.
		report.Finding{Path: "Dockerfile", Line: 3, EndLine: 5, Col: 1, Rule: "DL3008", Severity: report.Warning,
			Message: "Pin versions in apt-get install"},
	)
	run.Title = "1 error, 2 warnings"
	run.Summary = "## molecule-ci lint\n\n| severity | count |\n|---|---|\n| error | 1 |\n"
	run.Text = "details"
	run.DetailsURL = "https://github.com/Molecule-AI/molecule-ci/actions/runs/9876543210"
	res, err := c.PublishCheckRun(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	want := PublishResult{ID: 4000000001, URL: f.srv.URL + "/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 3, Skipped: 1}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if w := s.got(); len(w) != 0 {
		t.Errorf("slept %v without a reason", w)
	}
	golden.Check(t, filepath.Join("testdata", "publish.golden"), []byte(transcript(t, f.requests())))
}

func TestPublishCheckRunBatchesOf50(t *testing.T) {
	var fs []report.Finding
	for i := range 120 {
		fs = append(fs, report.Finding{Path: fmt.Sprintf("pkg/f%03d.go", i), Line: i + 1, Col: 2, Rule: "r", Severity: report.Warning, Message: "m"})
	}
	f := newFakeGitHub(t)
	c := newTestClient(t, f, &sleeper{})
	res, err := c.PublishCheckRun(context.Background(), baseRun(fs...))
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		Method, Status, Conclusion string
		Annotations                int
		FirstPath, LastPath        string
	}
	var got []call
	for _, r := range f.requests() {
		c := call{Method: r.Method}
		c.Status, _ = r.Body["status"].(string)
		c.Conclusion, _ = r.Body["conclusion"].(string)
		if out, ok := r.Body["output"].(map[string]any); ok {
			anns, _ := out["annotations"].([]any)
			c.Annotations = len(anns)
			if len(anns) > 0 {
				c.FirstPath = anns[0].(map[string]any)["path"].(string)
				c.LastPath = anns[len(anns)-1].(map[string]any)["path"].(string)
			}
		}
		got = append(got, c)
	}
	want := []call{
		{Method: "POST", Status: "in_progress"},
		{Method: "PATCH", Annotations: 50, FirstPath: "pkg/f000.go", LastPath: "pkg/f049.go"},
		{Method: "PATCH", Annotations: 50, FirstPath: "pkg/f050.go", LastPath: "pkg/f099.go"},
		{Method: "PATCH", Status: "completed", Conclusion: "success", Annotations: 20, FirstPath: "pkg/f100.go", LastPath: "pkg/f119.go"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if res.Annotations != 120 {
		t.Errorf("Annotations = %d, want 120", res.Annotations)
	}
	if n := f.runs[res.ID]["output"].(map[string]any)["annotations_count"]; n != 120 {
		t.Errorf("server holds %v annotations, want 120", n)
	}
}

func TestPublishCheckRunNoFindings(t *testing.T) {
	f := newFakeGitHub(t)
	c := newTestClient(t, f, &sleeper{})
	if _, err := c.PublishCheckRun(context.Background(), baseRun()); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want create and one completing update", len(reqs))
	}
	want := map[string]any{
		"name": "molecule-ci lint", "status": "completed", "conclusion": "success", "completed_at": "2024-06-01T12:00:00Z",
		"output": map[string]any{"title": "molecule-ci lint", "summary": "0 errors, 0 warnings, 0 notices"},
	}
	if diff := cmp.Diff(want, reqs[1].Body); diff != "" {
		t.Errorf("update body (-want +got):\n%s", diff)
	}
}

const (
	secondaryMessage = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0400:1D5E:2A0B4E:57F1A8:665B0E2A."
	secondaryDoc     = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	createDoc        = "https://docs.github.com/rest/checks/runs#create-a-check-run"
	updateDoc        = "https://docs.github.com/rest/checks/runs#update-a-check-run"
)

var (
	ok             = reply{} // answer normally
	permission     = reply{status: 403, body: `{"message":"Resource not accessible by integration","documentation_url":"` + createDoc + `","status":"403"}`}
	secondaryAfter = reply{status: 403, header: map[string]string{"Retry-After": "1"},
		body: `{"message":"` + secondaryMessage + `","documentation_url":"` + secondaryDoc + `"}`}
	secondaryNoHeader = reply{status: 403, body: `{"message":"` + secondaryMessage + `","documentation_url":"` + secondaryDoc + `"}`}
	primary           = func(reset time.Time) reply {
		return reply{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(reset.Unix())},
			body: `{"message":"API rate limit exceeded for installation ID 51234567.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`}
	}
	validation  = reply{status: 422, body: `{"message":"Validation Failed","errors":[{"resource":"CheckRun","code":"invalid","field":"annotations","message":"start_line must be >= 1"}],"documentation_url":"` + updateDoc + `","status":"422"}`}
	tooMany     = reply{status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"message":"` + secondaryMessage + `"}`}
	tooManyBare = reply{status: 429, body: `{"message":"Too Many Requests"}`}
	badGateway  = reply{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
	unavailable = reply{status: 503, body: `{"message":"Service Unavailable"}`}
	serverError = reply{status: 500, body: `{"message":"Server Error"}`}
	notFound    = reply{status: 404, body: `{"message":"Not Found","documentation_url":"` + createDoc + `","status":"404"}`}
)

func TestPublishCheckRunErrorsAndRetries(t *testing.T) {
	finding := report.Finding{Path: "a.go", Line: 1, Col: 1, Rule: "r", Severity: report.Error, Message: "m"}
	create := "POST /api/v3/repos/Molecule-AI/molecule-ci/check-runs"
	update := "PATCH /api/v3/repos/Molecule-AI/molecule-ci/check-runs/4000000001"
	where := `check run "molecule-ci lint" on Molecule-AI/molecule-ci@a1b2c3d4e5f60718293a4b5c6d7e8f9012345678`
	tests := []struct {
		name      string
		replies   []reply
		findings  []report.Finding // nil: one error finding
		opts      []Option
		want      PublishResult
		wantErr   string // SERVER stands for the fake's URL
		wantType  string // "permission", "validation", "ratelimit", "api", "canceled"
		wantWait  time.Duration
		wantSleep []time.Duration
		wantCalls []string
	}{
		{name: "403 not accessible: permission error, no retry", replies: []reply{permission},
			wantErr:   "create " + where + ": POST SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs: 403 Resource not accessible by integration (" + createDoc + ")",
			wantType:  "permission",
			wantCalls: []string{create}},
		{name: "404: API error verbatim", replies: []reply{notFound},
			wantErr:   "create " + where + ": POST SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs: 404 Not Found (" + createDoc + ")",
			wantType:  "api",
			wantCalls: []string{create}},
		{name: "422: message and errors verbatim, no retry, run completed anyway", replies: []reply{ok, validation},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001"},
			wantErr:   "add annotations 1-1 of 1 to " + where + " (id 4000000001): PATCH SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs/4000000001: 422 Validation Failed [{\"resource\":\"CheckRun\",\"code\":\"invalid\",\"field\":\"annotations\",\"message\":\"start_line must be >= 1\"}] (" + updateDoc + ")",
			wantType:  "validation",
			wantCalls: []string{create, update, update}},
		{name: "failing to complete a run without findings", replies: []reply{ok, notFound, notFound}, findings: []report.Finding{},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001"},
			wantErr:   "complete " + where + " (id 4000000001): PATCH SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs/4000000001: 404 Not Found (" + createDoc + "); marking it completed also failed: PATCH SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs/4000000001: 404 Not Found (" + createDoc + ")",
			wantType:  "api",
			wantCalls: []string{create, update, update}},
		{name: "secondary rate limit with Retry-After: 1, then success", replies: []reply{secondaryAfter},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 1},
			wantSleep: []time.Duration{time.Second},
			wantCalls: []string{create, create, update}},
		{name: "secondary rate limit without Retry-After waits a minute", replies: []reply{ok, secondaryNoHeader},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 1},
			wantSleep: []time.Duration{time.Minute},
			wantCalls: []string{create, update, update}},
		{name: "primary rate limit waits until X-RateLimit-Reset", replies: []reply{primary(now.Add(30 * time.Second))},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 1},
			wantSleep: []time.Duration{30 * time.Second},
			wantCalls: []string{create, create, update}},
		{name: "primary rate limit already reset waits a second", replies: []reply{primary(now.Add(-5 * time.Second))},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 1},
			wantSleep: []time.Duration{time.Second},
			wantCalls: []string{create, create, update}},
		{name: "primary rate limit resetting after the max wait fails at once", replies: []reply{primary(now.Add(time.Hour))},
			wantErr:   "create " + where + ": POST SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs: 403 API rate limit exceeded for installation ID 51234567.",
			wantType:  "ratelimit",
			wantWait:  time.Hour,
			wantCalls: []string{create}},
		{name: "429 with Retry-After", replies: []reply{tooMany},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 1},
			wantSleep: []time.Duration{3 * time.Second},
			wantCalls: []string{create, create, update}},
		{name: "429 without headers waits a minute", replies: []reply{tooManyBare},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 1},
			wantSleep: []time.Duration{time.Minute},
			wantCalls: []string{create, create, update}},
		{name: "502 then 503 then success backs off", replies: []reply{badGateway, unavailable},
			want:      PublishResult{ID: 4000000001, URL: "SERVER/Molecule-AI/molecule-ci/runs/4000000001", Annotations: 1},
			wantSleep: []time.Duration{time.Second, 2 * time.Second},
			wantCalls: []string{create, create, create, update}},
		{name: "500 until the retries run out", replies: []reply{serverError, serverError, serverError, serverError},
			opts:      []Option{WithMaxRetries(3)},
			wantErr:   "create " + where + ": POST SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs: 500 Server Error",
			wantType:  "api",
			wantSleep: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			wantCalls: []string{create, create, create, create}},
		{name: "secondary rate limit until the retries run out", replies: []reply{secondaryAfter, secondaryAfter, secondaryAfter},
			opts:      []Option{WithMaxRetries(2)},
			wantErr:   "create " + where + ": POST SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs: 403 " + secondaryMessage,
			wantType:  "ratelimit",
			wantWait:  time.Second,
			wantSleep: []time.Duration{time.Second, time.Second},
			wantCalls: []string{create, create, create}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t)
			f.enqueue(tt.replies...)
			s := &sleeper{}
			c := newTestClient(t, f, s, tt.opts...)
			fs := tt.findings
			if fs == nil {
				fs = []report.Finding{finding}
			}
			res, err := c.PublishCheckRun(context.Background(), baseRun(fs...))
			gotErr := ""
			if err != nil {
				gotErr = strings.ReplaceAll(err.Error(), f.srv.URL, "SERVER")
			}
			if gotErr != tt.wantErr {
				t.Errorf("error:\n got %s\nwant %s", gotErr, tt.wantErr)
			}
			res.URL = strings.ReplaceAll(res.URL, f.srv.URL, "SERVER")
			if diff := cmp.Diff(tt.want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			checkType(t, err, tt.wantType, tt.wantWait)
			if diff := cmp.Diff(tt.wantSleep, s.got()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			var calls []string
			reqs := f.requests()
			for _, r := range reqs {
				calls = append(calls, r.Method+" "+r.Path)
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			// A retried request is the same request: body and headers replayed.
			for i := 1; i < len(reqs); i++ {
				if calls[i] == calls[i-1] && calls[i] == create {
					if diff := cmp.Diff(reqs[i-1].Body, reqs[i].Body); diff != "" {
						t.Errorf("retry %d changed the body (-first +retry):\n%s", i, diff)
					}
					if a, b := reqs[i-1].Header.Get("Authorization"), reqs[i].Header.Get("Authorization"); a != b || a != "Bearer "+token {
						t.Errorf("retry %d Authorization %q then %q", i, a, b)
					}
				}
			}
		})
	}
}

func checkType(t *testing.T, err error, want string, wantWait time.Duration) {
	t.Helper()
	var (
		perm *PermissionError
		val  *ValidationError
		rl   *RateLimitError
		api  *APIError
	)
	got := ""
	switch {
	case err == nil:
	case errors.As(err, &perm):
		got = "permission"
		if !errors.Is(err, ErrNoPermission) || perm.Status != http.StatusForbidden || perm.Message != "Resource not accessible by integration" {
			t.Errorf("PermissionError = %+v, Is(ErrNoPermission) = %v", perm, errors.Is(err, ErrNoPermission))
		}
	case errors.As(err, &val):
		got = "validation"
		if val.Message != "Validation Failed" || !strings.HasPrefix(string(val.Errors), `[{"resource":"CheckRun"`) {
			t.Errorf("ValidationError = %+v (errors %s)", val, val.Errors)
		}
	case errors.As(err, &rl):
		got = "ratelimit"
		if rl.Wait != wantWait {
			t.Errorf("RateLimitError.Wait = %v, want %v", rl.Wait, wantWait)
		}
	case errors.Is(err, context.Canceled):
		got = "canceled"
	case errors.As(err, &api):
		got = "api"
	default:
		got = fmt.Sprintf("%T", err)
	}
	if got != want {
		t.Errorf("error kind = %q, want %q (%v)", got, want, err)
	}
	if want != "permission" && errors.Is(err, ErrNoPermission) {
		t.Errorf("%v matches ErrNoPermission", err)
	}
	if want != "" && errors.As(err, &api) == (want == "canceled") {
		t.Errorf("errors.As(*APIError) = %v for a %s error", !(want == "canceled"), want)
	}
}

// TestAbandonedRunIsCompleted checks the cleanup request after a failed batch: the run is closed
// with the conclusion and the summary says what happened, so it does not spin on the PR forever.
func TestAbandonedRunIsCompleted(t *testing.T) {
	f := newFakeGitHub(t)
	f.enqueue(ok, validation)
	c := newTestClient(t, f, &sleeper{})
	run := baseRun(report.Finding{Path: "a.go", Line: 1, Rule: "r", Severity: report.Warning, Message: "m"})
	run.Summary = "sum"
	if _, err := c.PublishCheckRun(context.Background(), run); err == nil {
		t.Fatal("no error")
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	got := reqs[2].Body
	got["output"].(map[string]any)["summary"] = strings.ReplaceAll(got["output"].(map[string]any)["summary"].(string), f.srv.URL, "SERVER")
	want := map[string]any{
		"name": "molecule-ci lint", "status": "completed", "conclusion": "success", "completed_at": "2024-06-01T12:00:00Z",
		"output": map[string]any{"title": "molecule-ci lint", "summary": "sum\n\n> **Note:** only 0 annotations could be sent: add annotations 1-1 of 1 to check run \"molecule-ci lint\" on Molecule-AI/molecule-ci@a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 (id 4000000001): PATCH SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs/4000000001: 422 Validation Failed [{\"resource\":\"CheckRun\",\"code\":\"invalid\",\"field\":\"annotations\",\"message\":\"start_line must be >= 1\"}] (" + updateDoc + ")"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cleanup body (-want +got):\n%s", diff)
	}
}

func TestCanceledDuringWait(t *testing.T) {
	f := newFakeGitHub(t)
	f.enqueue(secondaryAfter)
	ctx, cancel := context.WithCancel(context.Background())
	var waits []time.Duration
	c := newTestClient(t, f, &sleeper{}, WithSleep(func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		cancel()
		return ctx.Err()
	}))
	_, err := c.PublishCheckRun(ctx, baseRun())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	want := `create check run "molecule-ci lint" on Molecule-AI/molecule-ci@a1b2c3d4e5f60718293a4b5c6d7e8f9012345678: context canceled`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if diff := cmp.Diff([]time.Duration{time.Second}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests after cancel, want 1", n)
	}
}

func TestRetryLog(t *testing.T) {
	f := newFakeGitHub(t)
	f.enqueue(badGateway, secondaryAfter)
	var lines []string
	c := newTestClient(t, f, &sleeper{}, WithLogf(func(format string, args ...any) {
		lines = append(lines, strings.ReplaceAll(fmt.Sprintf(format, args...), f.srv.URL, "SERVER"))
	}))
	if _, err := c.PublishCheckRun(context.Background(), baseRun()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GitHub API: POST SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs: 502 Bad Gateway; retry 1/5 in 1s",
		"GitHub API: POST SERVER/api/v3/repos/Molecule-AI/molecule-ci/check-runs: 403 secondary rate limit (Retry-After); retry 2/5 in 1s",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		run  CheckRun
		want string
	}{
		{"missing fields", CheckRun{Repo: "r"}, "check run: missing owner, head SHA, name"},
		{"unknown conclusion", func() CheckRun { r := baseRun(); r.Conclusion = "ok"; return r }(),
			`check run "molecule-ci lint": unknown conclusion "ok" (valid: success, failure, neutral)`},
		{"invalid severity", baseRun(report.Finding{Path: "a.go", Line: 2, Col: 3, Message: "m", Rule: "r"}),
			`check run "molecule-ci lint": finding 0 (a.go:2:3: m [r]): invalid severity(0)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t)
			c := newTestClient(t, f, &sleeper{})
			_, err := c.PublishCheckRun(context.Background(), tt.run)
			if got := fmt.Sprint(err); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("%d requests sent for an invalid run", n)
			}
		})
	}
}

func TestConclusionDefault(t *testing.T) {
	tests := []struct {
		sev  report.Severity
		want string
	}{{report.Error, "failure"}, {report.Warning, "success"}, {report.Info, "success"}}
	for _, tt := range tests {
		f := newFakeGitHub(t)
		c := newTestClient(t, f, &sleeper{})
		if _, err := c.PublishCheckRun(context.Background(), baseRun(report.Finding{Path: "a", Line: 1, Rule: "r", Severity: tt.sev, Message: "m"})); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if got := reqs[len(reqs)-1].Body["conclusion"]; got != tt.want {
			t.Errorf("%v: conclusion %v, want %s", tt.sev, got, tt.want)
		}
	}
}

func TestOutputLimits(t *testing.T) {
	f := newFakeGitHub(t)
	c := newTestClient(t, f, &sleeper{})
	run := baseRun(report.Finding{Path: "a", Line: 1, Rule: strings.Repeat("R", 300), Severity: report.Info,
		Message: strings.Repeat("é", 40000), Help: strings.Repeat("h", 70000)})
	run.Summary = strings.Repeat("ü", 70000)
	if _, err := c.PublishCheckRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	out := reqs[len(reqs)-1].Body["output"].(map[string]any)
	ann := out["annotations"].([]any)[0].(map[string]any)
	tests := []struct {
		field     string
		value     string
		max       int
		runes     bool
		wantTrunc bool
	}{
		{"summary", out["summary"].(string), maxOutputText, true, true},
		{"title", ann["title"].(string), maxAnnotationTitle, true, true},
		{"message", ann["message"].(string), maxAnnotationText, false, true},
		{"raw_details", ann["raw_details"].(string), maxAnnotationText, false, true},
	}
	for _, tt := range tests {
		n := len(tt.value)
		if tt.runes {
			n = len([]rune(tt.value))
		}
		if n > tt.max {
			t.Errorf("%s: %d > %d", tt.field, n, tt.max)
		}
		if strings.HasSuffix(tt.value, truncated) != tt.wantTrunc {
			t.Errorf("%s: truncation mark missing", tt.field)
		}
		if !strings.ContainsRune(tt.value, '\uFFFD') && !json.Valid([]byte(fmt.Sprintf("%q", tt.value))) {
			t.Errorf("%s: not valid text", tt.field)
		}
	}
	if got := ann["message"].(string); strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("message cut inside a character")
	}
}

func TestNewClientURLs(t *testing.T) {
	tests := []struct {
		apiURL  string
		want    string
		wantErr string
	}{
		{"", "https://api.github.com/", ""},
		{"https://api.github.com", "https://api.github.com/", ""},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", ""},
		{"https://ghe.example.com", "https://ghe.example.com/api/v3/", ""},
		{"https://api.octocorp.ghe.com", "https://api.octocorp.ghe.com/", ""},
		{"https://x-access-token:" + token + "@ghe.example.com/api/v3", "https://x-access-token:***@ghe.example.com/api/v3/", ""},
		{"ghe.example.com/api/v3", "", `GitHub API URL "ghe.example.com/api/v3": want http(s)://host[/api/v3]`},
		{"https://x:" + token + "@ghe.example.com/\x7f", "", `GitHub API URL: parse "https://x:***@ghe.example.com/\x7f": net/url: invalid control character in URL`},
	}
	for _, tt := range tests {
		c, err := NewClient(token, tt.apiURL)
		if got := fmt.Sprint(err); err != nil && got != tt.wantErr || err == nil && tt.wantErr != "" {
			t.Errorf("NewClient(%q) error = %v, want %q", tt.apiURL, err, tt.wantErr)
			continue
		}
		if err == nil && c.BaseURL() != tt.want {
			t.Errorf("NewClient(%q).BaseURL() = %q, want %q", tt.apiURL, c.BaseURL(), tt.want)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("token in error: %v", err)
		}
	}
	if _, err := NewClient("", ""); fmt.Sprint(err) != "GitHub API client: empty token" {
		t.Errorf("empty token: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDefaultAPIURL checks that, with no API URL, requests go to api.github.com, through the
// caller's http.Client, with GitHub's headers.
func TestDefaultAPIURL(t *testing.T) {
	var got []string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization")+" "+r.Header.Get("X-GitHub-Api-Version"))
		return &http.Response{StatusCode: 403, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
			Body: http.NoBody}, nil
	})}
	c, err := NewClient("tok", "", WithHTTPClient(hc), WithSleep((&sleeper{}).sleep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PublishCheckRun(context.Background(), baseRun())
	want := []string{"POST https://api.github.com/repos/Molecule-AI/molecule-ci/check-runs Bearer tok 2022-11-28"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrNoPermission) {
		t.Errorf("error = %v, want a permission error", err)
	}
}

// TestTokenNeverInErrors makes GitHub echo the token everywhere it could: the URL (credentials in
// GITHUB_API_URL), the message and the errors array. No error text, typed field or log line may
// contain it.
func TestTokenNeverInErrors(t *testing.T) {
	f := newFakeGitHub(t)
	echo := reply{status: 422, body: `{"message":"bad token ` + token + `","errors":[{"code":"custom","message":"` + token + `"}]}`}
	f.enqueue(reply{status: 502}, echo)
	var logged []string
	apiURL := strings.Replace(f.apiURL(), "http://", "http://x-access-token:"+token+"@", 1) + "?access_token=" + token
	c, err := NewClient(token, apiURL, WithSleep((&sleeper{}).sleep), WithLogf(func(format string, args ...any) {
		logged = append(logged, fmt.Sprintf(format, args...))
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PublishCheckRun(context.Background(), baseRun())
	var val *ValidationError
	if !errors.As(err, &val) {
		t.Fatalf("error = %v, want a validation error", err)
	}
	texts := append([]string{err.Error(), val.Message, val.URL, string(val.Errors), c.BaseURL()}, logged...)
	for _, s := range texts {
		if strings.Contains(s, token) {
			t.Errorf("token leaked: %s", s)
		}
	}
	if !strings.Contains(err.Error(), "x-access-token:***@") || !strings.Contains(err.Error(), "bad token ***") {
		t.Errorf("redaction marks missing: %v", err)
	}
	if len(logged) != 1 {
		t.Errorf("logged %q, want one retry line", logged)
	}
	if slices.ContainsFunc(f.requests(), func(r recorded) bool { return r.Header.Get("Authorization") != "Bearer "+token }) {
		t.Errorf("some request lacked the token")
	}
}

// TestTokenNotInNetworkErrors covers errors that are not GitHub's answers: a refused connection
// prints the request URL, which here carries the token in its credentials and query.
func TestTokenNotInNetworkErrors(t *testing.T) {
	f := newFakeGitHub(t)
	f.srv.Close()
	apiURL := strings.Replace(f.apiURL(), "http://", "http://"+token+"@", 1) + "?access_token=" + token
	c, err := NewClient(token, apiURL, WithSleep((&sleeper{}).sleep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PublishCheckRun(context.Background(), baseRun())
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("error = %v", err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error does not say what happened: %v", err)
	}
}
