package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// fakePRComments is the issue comments API of one pull request, as GitHub answers it.
type fakePRComments struct {
	// issue is OWNER/REPO/issues/NUMBER, default Molecule-AI/app/issues/42.
	issue    string
	mu       sync.Mutex
	comments []map[string]any
	requests []string
}

func (f *fakePRComments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	f.requests = append(f.requests, r.Method+" "+path)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	var req struct {
		Body string `json:"body"`
	}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		_ = json.Unmarshal(b, &req)
	}
	issue := "/repos/" + cmp.Or(f.issue, "Molecule-AI/app/issues/42")
	owner, _, _ := strings.Cut(strings.TrimPrefix(issue, "/repos/"), "/issues/")
	switch {
	case r.Method == http.MethodGet && path == issue+"/comments":
		json.NewEncoder(w).Encode(f.comments)
	case r.Method == http.MethodPost && path == issue+"/comments":
		c := map[string]any{"id": 9001 + len(f.comments), "body": req.Body, "html_url": "https://github.com/Molecule-AI/app/pull/42#issuecomment-9001",
			"user": map[string]any{"login": "github-actions[bot]", "type": "Bot"}}
		f.comments = append(f.comments, c)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(c)
	case r.Method == http.MethodPatch && path == "/repos/"+owner+"/issues/comments/9001":
		f.comments[0]["body"] = req.Body
		json.NewEncoder(w).Encode(f.comments[0])
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
	}
}

// Two runs on one pull request leave exactly one coverage comment, edited in place.
func TestCoveragePRCommentSticky(t *testing.T) {
	fake := &fakePRComments{}
	api := httptest.NewServer(fake)
	defer api.Close()
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	files := map[string]string{
		"go.mod":      "module example.com/svc\n\ngo 1.22\n",
		"a.go":        "package svc\n",
		"event.json":  `{"pull_request":{"number":42,"head":{"sha":"abc1234"}}}`,
		"cover.out":   "mode: set\nexample.com/svc/a.go:1.1,2.2 1 1\nexample.com/svc/a.go:3.1,4.2 1 0\n",
		"cover-2.out": "mode: set\nexample.com/svc/a.go:1.1,2.2 1 1\nexample.com/svc/a.go:3.1,4.2 1 1\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Molecule-AI/app", "GITHUB_SHA": "abc1234",
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event, "GITHUB_API_URL": api.URL,
		"GITHUB_TOKEN":  "ghs_faketokenfaketokenfaketokenfake12",
		"GITHUB_OUTPUT": filepath.Join(dir, "gh-output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "gh-summary"),
	}
	for i, profile := range []string{"cover.out", "cover-2.out"} {
		var out, errb bytes.Buffer
		env := Env{Actions: ghaction.New(func(k string) string { return vars[k] }, &out), WorkDir: dir}
		code := Run(context.Background(), []string{"coverage", "--checks", "off", "--pr-comment", profile}, Streams{Stdout: &out, Stderr: &errb}, env)
		if code != ExitOK {
			t.Fatalf("run %d: exit %d\n%s%s", i+1, code, out.String(), errb.String())
		}
		want := []string{"created", "updated"}[i]
		if !strings.Contains(errb.String(), "molecule-ci: coverage comment "+want+": https://github.com/Molecule-AI/app/pull/42#issuecomment-9001") {
			t.Errorf("run %d stderr does not say the comment was %s:\n%s", i+1, want, errb.String())
		}
	}
	if len(fake.comments) != 1 {
		t.Fatalf("%d comments after two runs, want 1: %v", len(fake.comments), fake.comments)
	}
	body := fake.comments[0]["body"].(string)
	if !strings.HasPrefix(body, "<!-- molecule-ci:coverage -->\n") || !strings.Contains(body, "100.00%") {
		t.Errorf("comment body is not the second run's summary:\n%s", body)
	}
	want := "GET /repos/Molecule-AI/app/issues/42/comments POST /repos/Molecule-AI/app/issues/42/comments GET /repos/Molecule-AI/app/issues/42/comments PATCH /repos/Molecule-AI/app/issues/comments/9001"
	if got := strings.Join(fake.requests, " "); got != want {
		t.Errorf("requests:\n got %s\nwant %s", got, want)
	}
}

// hostileCoverageName is the file name of issue 15: in the old comment it closed its code span,
// pinged a user and a team, embedded an image, linked away and hid the rest behind <!--.
const hostileCoverageName = "src/a`@octocat @Molecule-AI/platform-team <img src=…> [click](…) <!--`.js"

// TestCoveragePRCommentHostile: file and package names, allowlist reasons and issues come from the
// pull request; in the comment and the job summary alike none of them becomes a mention, a link,
// an image, HTML or a comment, and each is shown as it is.
func TestCoveragePRCommentHostile(t *testing.T) {
	fake := &fakePRComments{}
	api := httptest.NewServer(fake)
	defer api.Close()
	dir := t.TempDir()
	files := map[string]string{
		hostileCoverageName: "export const a = 1;\nexport const b = 2;\n",
		"lib/b.js":          "export const c = 3;\n",
		"lcov.info":         "TN:\nSF:" + hostileCoverageName + "\nDA:1,1\nDA:2,0\nend_of_record\nSF:lib/b.js\nDA:1,1\nend_of_record\n",
		"event.json":        `{"pull_request":{"number":42,"head":{"sha":"abc1234"}}}`,
		".molecule-ci.yml": "coverage:\n  files:\n    \"**\": 80\n  allowlist:\n" +
			"    - path: \"src/**\"\n      reason: \"@octocat <img src=https://evil.example/t.png> [click](https://evil.example) <!--\"\n" +
			"      issue: \"#1 @Molecule-AI/platform-team\"\n      expires: 2099-01-01\n",
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Molecule-AI/app", "GITHUB_SHA": "abc1234",
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": filepath.Join(dir, "event.json"), "GITHUB_API_URL": api.URL,
		"GITHUB_TOKEN":  "ghs_faketokenfaketokenfaketokenfake12",
		"GITHUB_OUTPUT": filepath.Join(dir, "gh-output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "gh-summary"),
	}
	var out, errb bytes.Buffer
	env := Env{Actions: ghaction.New(func(k string) string { return vars[k] }, &out), WorkDir: dir}
	code := Run(context.Background(), []string{"coverage", "--checks", "off", "--pr-comment", "lcov.info"}, Streams{Stdout: &out, Stderr: &errb}, env)
	if code != ExitOK || len(fake.comments) != 1 {
		t.Fatalf("exit %d, %d comments\n%s%s", code, len(fake.comments), out.String(), errb.String())
	}
	body := fake.comments[0]["body"].(string)
	summary, err := os.ReadFile(filepath.Join(dir, "gh-summary"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "<!-- molecule-ci:coverage -->\n" + string(summary); body+"\n" != want && body != want {
		t.Errorf("the comment is not the job summary:\n%s\n---\n%s", body, summary)
	}
	// The marker is the comment's own first line; everything after it is checked.
	markdowntest.Check(t, strings.TrimPrefix(body, "<!-- molecule-ci:coverage -->\n"))
	markdowntest.Check(t, string(summary))
	codes := markdowntest.Elements(string(summary), "code")
	if !slices.Contains(codes, hostileCoverageName) || !slices.Contains(codes, "file:"+hostileCoverageName) || !slices.Contains(codes, filepath.Dir(hostileCoverageName)) {
		t.Errorf("the file, gate and package names are not shown as they are: %q", codes)
	}
	golden.Check(t, "testdata/coverage-pr-comment-hostile.md", summary)
}
