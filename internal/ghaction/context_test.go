package ghaction

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pullRequestEvent is trimmed from a real pull_request webhook payload.
const pullRequestEvent = `{
  "action": "synchronize",
  "number": 42,
  "pull_request": {
    "number": 42,
    "body": "Renames an input.\r\nBREAKING: runtime_name is runtime-name now",
    "labels": [{"id": 1, "name": "breaking-change", "color": "d73a4a"}, {"id": 2, "name": "ci"}],
    "head": {"ref": "feature", "sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"},
    "base": {"ref": "main", "sha": "0000000000000000000000000000000000000001"}
  },
  "repository": {"name": "molecule-ci", "owner": {"login": "Molecule-AI", "name": "Molecule-AI"}}
}`

func TestQueuePR(t *testing.T) {
	for ref, want := range map[string]int{
		"refs/heads/gh-readonly-queue/main/pr-123-0123456789abcdef0123456789abcdef01234567": 123,
		"refs/heads/gh-readonly-queue/release/v1/pr-7-abc":                                  7,
		"refs/heads/gh-readonly-queue/main/pr-x-abc":                                        0,
		"refs/heads/feature/pr-9-abc":                                                       0,
		"":                                                                                  0,
	} {
		if got := queuePR(ref); got != want {
			t.Errorf("queuePR(%q) = %d, want %d", ref, got, want)
		}
	}
}

func writeEvent(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestContext(t *testing.T) {
	prEvent := writeEvent(t, pullRequestEvent)
	badEvent := writeEvent(t, `{"pull_request": `)
	base := map[string]string{
		"GITHUB_ACTIONS":     "true",
		"GITHUB_REPOSITORY":  "Molecule-AI/molecule-ci",
		"GITHUB_SHA":         "ffffffffffffffffffffffffffffffffffffffff",
		"GITHUB_REF":         "refs/heads/main",
		"GITHUB_REF_NAME":    "main",
		"GITHUB_EVENT_NAME":  "push",
		"GITHUB_SERVER_URL":  "https://github.com",
		"GITHUB_API_URL":     "https://api.github.com",
		"GITHUB_RUN_ID":      "9876543210",
		"GITHUB_RUN_ATTEMPT": "2",
		"GITHUB_WORKFLOW":    "ci",
		"GITHUB_JOB":         "lint",
		"GITHUB_ACTOR":       "octocat",
		"GITHUB_WORKSPACE":   "/home/runner/work/molecule-ci/molecule-ci",
		"GITHUB_TOKEN":       "ghs_envtoken",
		"RUNNER_OS":          "Linux",
		"RUNNER_TEMP":        "/home/runner/work/_temp",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	push := Context{
		Owner: "Molecule-AI", Repo: "molecule-ci",
		SHA: "ffffffffffffffffffffffffffffffffffffffff", HeadSHA: "ffffffffffffffffffffffffffffffffffffffff",
		Ref: "refs/heads/main", RefName: "main", EventName: "push",
		ServerURL: "https://github.com", APIURL: "https://api.github.com",
		RunID: 9876543210, RunAttempt: 2, Workflow: "ci", Job: "lint", Actor: "octocat",
		Workspace: "/home/runner/work/molecule-ci/molecule-ci",
		RunnerOS:  "Linux", RunnerTemp: "/home/runner/work/_temp",
		Token: "ghs_envtoken",
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    func(Context) Context
		wantErr string
	}{
		{name: "push", env: base, want: func(c Context) Context { return c }},
		{name: "pull request uses the head commit and number from the event",
			env: with("GITHUB_EVENT_NAME", "pull_request", "GITHUB_EVENT_PATH", prEvent,
				"GITHUB_REF", "refs/pull/42/merge", "GITHUB_REF_NAME", "42/merge",
				"GITHUB_HEAD_REF", "feature", "GITHUB_BASE_REF", "main"),
			want: func(c Context) Context {
				c.EventName, c.EventPath = "pull_request", prEvent
				c.Ref, c.RefName, c.HeadRef, c.BaseRef = "refs/pull/42/merge", "42/merge", "feature", "main"
				c.HeadSHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
				c.PullRequest = 42
				c.PullRequestBody = "Renames an input.\r\nBREAKING: runtime_name is runtime-name now"
				c.PullRequestLabels = []string{"breaking-change", "ci"}
				return c
			}},
		{name: "github-token input wins over GITHUB_TOKEN",
			env:  with("INPUT_GITHUB-TOKEN", "ghp_inputtoken"),
			want: func(c Context) Context { c.Token = "ghp_inputtoken"; return c }},
		{name: "GHES URLs and debug",
			env: with("GITHUB_SERVER_URL", "https://ghe.example.com", "GITHUB_API_URL", "https://ghe.example.com/api/v3", "RUNNER_DEBUG", "1"),
			want: func(c Context) Context {
				c.ServerURL, c.APIURL, c.Debug = "https://ghe.example.com", "https://ghe.example.com/api/v3", true
				return c
			}},
		{name: "outside Actions: github.com defaults and nothing else",
			env: map[string]string{},
			want: func(Context) Context {
				return Context{ServerURL: "https://github.com", APIURL: "https://api.github.com"}
			}},
		{name: "malformed run id", env: with("GITHUB_RUN_ID", "12x"),
			wantErr: `read GitHub Actions context: strconv.ParseInt: parsing "12x": invalid syntax`},
		{name: "malformed event payload", env: with("GITHUB_EVENT_PATH", badEvent),
			wantErr: "read GitHub Actions context: failed to unmarshal event payload: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(mapEnv(tt.env), nil).Context()
			if g := errString(err); g != tt.wantErr {
				t.Fatalf("error = %q, want %q", g, tt.wantErr)
			}
			if tt.wantErr != "" {
				return
			}
			if diff := cmp.Diff(tt.want(push), got); diff != "" {
				t.Fatalf("Context (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContextStringRedactsToken(t *testing.T) {
	c := Context{Owner: "o", Repo: "r", Token: "ghs_supersecret"}
	for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
		got := fmt.Sprintf(verb, c)
		if strings.Contains(got, "ghs_supersecret") || !strings.Contains(got, "Token:***") {
			t.Errorf("%s: %s", verb, got)
		}
	}
	if got := fmt.Sprint(Context{}); strings.Contains(got, "***") {
		t.Errorf("empty token shown as ***: %s", got)
	}
}

func TestRunURL(t *testing.T) {
	tests := []struct {
		c    Context
		want string
	}{
		{Context{ServerURL: "https://github.com/", Owner: "o", Repo: "r", RunID: 7}, "https://github.com/o/r/actions/runs/7"},
		{Context{ServerURL: "https://github.com", Owner: "o", Repo: "r"}, ""},
	}
	for _, tt := range tests {
		if got := tt.c.RunURL(); got != tt.want {
			t.Errorf("RunURL() = %q, want %q", got, tt.want)
		}
	}
}
