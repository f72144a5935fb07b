package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
)

// twelveGates is a workflow with 12 error findings: more than the 10 error annotations GitHub
// shows per step, so the overflow has to go somewhere.
func twelveGates(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("name: ci\non: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n")
	for i := 0; i < 12; i++ {
		b.WriteString("      - run: go test ./... || true\n")
	}
	p := filepath.Join(dir, ".github", "workflows", "ci.yml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type fakeChecks struct {
	mu       sync.Mutex
	status   int // answer to POST check-runs; 0 = 201
	requests []string
	batches  []int
}

func (f *fakeChecks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.URL.Path = strings.TrimPrefix(r.URL.Path, "/api/v3")
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/repos/Molecule-AI/app/check-runs":
		if f.status == http.StatusForbidden {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/checks/runs#create-a-check-run","status":"403"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":4,"head_sha":"abc1234","status":"in_progress","html_url":"https://github.com/Molecule-AI/app/runs/4","name":"molecule-ci lint"}`)
	case r.Method == http.MethodPatch && r.URL.Path == "/repos/Molecule-AI/app/check-runs/4":
		var req struct {
			Output struct {
				Annotations []json.RawMessage `json:"annotations"`
			} `json:"output"`
		}
		_ = json.Unmarshal(body, &req)
		f.batches = append(f.batches, len(req.Output.Annotations))
		io.WriteString(w, `{"id":4,"head_sha":"abc1234","status":"completed","conclusion":"failure","html_url":"https://github.com/Molecule-AI/app/runs/4"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
	}
}

func runWithGitHub(t *testing.T, dir string, api *httptest.Server) (stdout, stderr string, code int) {
	t.Helper()
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_REPOSITORY":   "Molecule-AI/app",
		"GITHUB_SHA":          "abc1234",
		"GITHUB_API_URL":      api.URL,
		"GITHUB_TOKEN":        "ghs_faketokenfaketokenfaketokenfake12",
		"XDG_CACHE_HOME":      filepath.Join(dir, ".cache"),
		"GITHUB_OUTPUT":       filepath.Join(dir, "gh-output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "gh-summary"),
	}
	var out, errb bytes.Buffer
	env := Env{Actions: ghaction.New(func(k string) string { return vars[k] }, &out), WorkDir: dir}
	code = Run(context.Background(), []string{"lint", "--shellcheck", "off"}, Streams{Stdout: &out, Stderr: &errb}, env)
	return out.String(), errb.String(), code
}

// A token that may not create check runs (fork pull requests): the findings still reach the
// log as workflow commands, 10 as annotations and the rest as text, and the log says why.
func TestChecksForbiddenFallsBack(t *testing.T) {
	fake := &fakeChecks{status: http.StatusForbidden}
	api := httptest.NewServer(fake)
	defer api.Close()
	stdout, stderr, code := runWithGitHub(t, twelveGates(t), api)
	if code != ExitFindings {
		t.Errorf("exit %d, want %d", code, ExitFindings)
	}
	if n := strings.Count(stdout, "::error "); n != 10 {
		t.Errorf("%d ::error commands, want 10 (GitHub's per-step limit)\n%s", n, stdout)
	}
	if n := strings.Count(stdout, "[gate-cannot-fail]"); n != 2 {
		t.Errorf("%d overflow findings as text, want 2\n%s", n, stdout)
	}
	if !strings.Contains(stderr, "cannot create a check run") || !strings.Contains(stderr, "Resource not accessible by integration") {
		t.Errorf("stderr does not explain the fallback with GitHub's message:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "ghs_faketoken") {
		t.Error("the token reached the output")
	}
}

// With checks: write, every finding goes to the check run and the log is plain text.
func TestChecksPublishesAll(t *testing.T) {
	fake := &fakeChecks{}
	api := httptest.NewServer(fake)
	defer api.Close()
	stdout, stderr, code := runWithGitHub(t, twelveGates(t), api)
	if code != ExitFindings {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitFindings, stderr)
	}
	if strings.Contains(stdout, "::error") {
		t.Errorf("annotations were written twice (check run and workflow commands):\n%s", stdout)
	}
	if n := strings.Count(stdout, "[gate-cannot-fail]"); n != 12 {
		t.Errorf("%d findings in the log, want 12", n)
	}
	total := 0
	for _, b := range fake.batches {
		total += b
	}
	if total != 12 {
		t.Errorf("annotations sent %v (total %d), want 12; requests %v", fake.batches, total, fake.requests)
	}
}
