package ghaction

import (
	"fmt"
	"strconv"
	"strings"
)

// Context is what a command needs to know about the workflow run it is part of. Outside GitHub
// Actions most fields are empty; APIURL and ServerURL then default to github.com.
type Context struct {
	Owner, Repo string // from GITHUB_REPOSITORY (or the event payload)

	// SHA is GITHUB_SHA. For pull_request events that is the temporary merge commit, which the
	// pull request page does not show check runs for; HeadSHA is the pull request's head commit
	// then, and SHA otherwise. Check runs should use HeadSHA.
	SHA, HeadSHA string
	Ref          string // GITHUB_REF, e.g. refs/heads/main or refs/pull/7/merge
	RefName      string // GITHUB_REF_NAME
	HeadRef      string // GITHUB_HEAD_REF: the PR's source branch, pull_request events only
	BaseRef      string // GITHUB_BASE_REF: the PR's target branch, pull_request events only
	EventName    string // GITHUB_EVENT_NAME
	EventPath    string // GITHUB_EVENT_PATH
	// PullRequest is the pull request number for pull_request* events, 0 otherwise.
	PullRequest int
	// PullRequestBody and PullRequestLabels are the pull request's description and label names
	// from the event payload (as they were when the event fired): hostile text, for commands
	// that read a declaration from them (fleet impact's BREAKING:).
	PullRequestBody   string
	PullRequestLabels []string
	// MergeGroupPR is, for a merge_group event, the pull request the queue is testing (from the
	// queue branch gh-readonly-queue/<base>/pr-<N>-<sha>): its description is not in the payload.
	MergeGroupPR int

	ServerURL string // GITHUB_SERVER_URL, https://github.com or a GHES host
	APIURL    string // GITHUB_API_URL, https://api.github.com or https://HOST/api/v3

	RunID      int64 // GITHUB_RUN_ID
	RunAttempt int64 // GITHUB_RUN_ATTEMPT
	Workflow   string
	Job        string
	Actor      string
	Workspace  string // GITHUB_WORKSPACE

	RunnerOS   string // RUNNER_OS: Linux, Windows, macOS
	RunnerTemp string // RUNNER_TEMP
	Debug      bool   // RUNNER_DEBUG=1: the run was re-run with debug logging

	// Token is the action's github-token input (INPUT_GITHUB-TOKEN) when given, else GITHUB_TOKEN.
	// The input wins because it is the caller's explicit choice (e.g. a PAT or an App token).
	// String and GoString never show it.
	Token string
}

// RunURL is the web page of this workflow run, or "" when the run is unknown.
func (c Context) RunURL() string {
	if c.RunID == 0 || c.Owner == "" || c.Repo == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s/actions/runs/%d", strings.TrimSuffix(c.ServerURL, "/"), c.Owner, c.Repo, c.RunID)
}

// String describes the context with the token redacted, so that logging a Context by accident
// (fmt's %v, %+v and %s all use it) cannot leak the token.
func (c Context) String() string {
	type plain Context // drops the methods, so fmt prints the fields
	p := plain(c)
	if p.Token != "" {
		p.Token = "***"
	}
	return fmt.Sprintf("%+v", p)
}

// GoString is String for %#v.
func (c Context) GoString() string { return "ghaction.Context" + c.String() }

// Context reads the workflow run's context from GITHUB_* and RUNNER_* variables and, for the pull
// request number and head commit, the event payload at GITHUB_EVENT_PATH. A malformed number or
// boolean variable or an unreadable payload is an error.
func (e *Env) Context() (Context, error) {
	gc, err := e.action.Context()
	if err != nil {
		return Context{}, fmt.Errorf("read GitHub Actions context: %w", err)
	}
	owner, repo := gc.Repo()
	c := Context{
		Owner: owner, Repo: repo,
		SHA: gc.SHA, HeadSHA: gc.SHA,
		Ref: gc.Ref, RefName: gc.RefName, HeadRef: gc.HeadRef, BaseRef: gc.BaseRef,
		EventName: gc.EventName, EventPath: gc.EventPath,
		ServerURL: gc.ServerURL, APIURL: gc.APIURL,
		RunID: gc.RunID, RunAttempt: gc.RunAttempt,
		Workflow: gc.Workflow, Job: gc.Job, Actor: gc.Actor, Workspace: gc.Workspace,
		RunnerOS:   e.getenv("RUNNER_OS"),
		RunnerTemp: e.getenv("RUNNER_TEMP"),
		Debug:      e.getenv("RUNNER_DEBUG") == "1",
		Token:      e.Input("github-token"),
	}
	if c.Token == "" {
		c.Token = e.getenv("GITHUB_TOKEN")
	}
	if pr, ok := gc.Event["pull_request"].(map[string]any); ok {
		if n, ok := pr["number"].(float64); ok {
			c.PullRequest = int(n)
		}
		if body, ok := pr["body"].(string); ok {
			c.PullRequestBody = body
		}
		if labels, ok := pr["labels"].([]any); ok {
			for _, l := range labels {
				if m, ok := l.(map[string]any); ok {
					if name, ok := m["name"].(string); ok {
						c.PullRequestLabels = append(c.PullRequestLabels, name)
					}
				}
			}
		}
		if head, ok := pr["head"].(map[string]any); ok {
			if sha, ok := head["sha"].(string); ok && sha != "" {
				c.HeadSHA = sha
			}
		}
	}
	if mg, ok := gc.Event["merge_group"].(map[string]any); ok {
		if ref, ok := mg["head_ref"].(string); ok {
			c.MergeGroupPR = queuePR(ref)
		}
	}
	return c, nil
}

// queuePR reads N from a merge queue branch refs/heads/gh-readonly-queue/<base>/pr-<N>-<sha>.
func queuePR(ref string) int {
	i := strings.LastIndex(ref, "/pr-")
	if !strings.Contains(ref, "gh-readonly-queue/") || i < 0 {
		return 0
	}
	num, _, ok := strings.Cut(ref[i+len("/pr-"):], "-")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n <= 0 {
		return 0
	}
	return n
}
