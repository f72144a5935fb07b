package workflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ---- dangerous-trigger ----
//
// pull_request_target, workflow_run and issue_comment run in the base repository with its token
// (write scopes unless permissions: says otherwise) and its secrets, and anyone can start them by
// opening a pull request or writing a comment. That is safe while they run the base
// repository's code; a job that checks out or fetches the pull request's head and then runs
// anything that may execute it (a build, a test, npm install, a local action) runs the
// attacker's code with all of it. Reported once, at the checkout, with what the code reaches.
// A job is not reported when a maintainer lets the code in: a trusted-author if:, a label, an
// environment: with reviewers, an earlier permission check (prCodeCheckouts, Job.gated).

var ruleDangerousTrigger = &Rule{
	ID:       RuleDangerousTrigger,
	Severity: report.Error,
	Doc:      "a pull_request_target, workflow_run or issue_comment job that checks out or fetches the pull request's head (actions/checkout ref:/repository: naming it directly or through env: or step outputs, gh pr checkout, git fetch .../pull/...) and then runs anything that may execute it runs the attacker's code with the base repository's token and secrets; not reported when the job's if: admits only trusted authors or a maintainer's label, it has an environment:, or an earlier step checks the actor's permission",
	Fix:      "run the pull request's code in a pull_request workflow (no secrets, read-only token) and keep pull_request_target/workflow_run jobs to the base repository's code; if a privileged job must build the PR, gate it on a label or environment a maintainer controls",
	Bad: `on: pull_request_target
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm ci && npm test
`,
	Good: `on: pull_request
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
`,
	HelpURL: "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/",
	Applies: Workflows,
	Check:   checkDangerousTriggers,
}

func checkDangerousTriggers(f *File, r *Reporter) {
	for _, j := range f.Jobs {
		for _, c := range j.prCodeCheckouts() {
			fl := flow{source: "pull request's code"}.then(c.how, lineOf(c.pos)).then(c.runs, c.runsAt)
			r.Report(c.pos, fmt.Sprintf("%s runs the pull request's code: %s, with %s; %s", c.event, fl, j.reach(c.step), whoStarts[c.event]))
		}
	}
}

// whoStarts says who can start a run of each dangerous trigger.
var whoStarts = map[string]string{
	"pull_request_target": "anyone who opens a pull request runs code there",
	"workflow_run":        "anyone whose pull request starts the triggering workflow runs code there",
	"issue_comment":       "anyone who can comment on the pull request runs code there",
}

// reach says what code run by the job at step from on can use: the token's write scopes and
// the secrets the job's later steps are given.
func (j *Job) reach(from int) string {
	tok := "the repository's default token (write scopes unless the repository's default is read-only)"
	perms := j.Permissions
	if perms == nil {
		perms = j.File.Workflow.Permissions
	}
	if perms != nil {
		var writes []string
		if perms.All != nil && perms.All.Value == "write-all" {
			writes = append(writes, "write-all")
		}
		for _, s := range scopes(perms) {
			if s.Value != nil && s.Value.Value == "write" {
				writes = append(writes, s.Name.Value+": write")
			}
		}
		slices.Sort(writes)
		if len(writes) > 0 {
			tok = "the base repository's token (" + strings.Join(writes, ", ") + ")"
		} else {
			tok = "the base repository's read-only token"
		}
	}
	names := map[string]bool{}
	add := func(v string) {
		for _, m := range secretRef.FindAllStringSubmatch(v, -1) {
			if n := m[1] + m[2]; n != "" && !strings.EqualFold(n, "GITHUB_TOKEN") {
				names[n] = true
			}
		}
	}
	addEnv := func(e *actionlint.Env) {
		if e == nil {
			return
		}
		for _, v := range e.Vars {
			if v != nil && v.Value != nil {
				add(v.Value.Value)
			}
		}
	}
	addEnv(j.File.Workflow.Env)
	addEnv(j.Env)
	for _, s := range j.Steps[min(from, len(j.Steps)):] {
		addEnv(s.Env)
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run != nil {
				add(e.Run.Value)
			}
		case *actionlint.ExecAction:
			for _, in := range e.Inputs {
				if in != nil && in.Value != nil {
					add(in.Value.Value)
				}
			}
		}
	}
	if len(names) == 0 {
		return tok
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	slices.Sort(list)
	if len(list) > 4 {
		list = append(list[:4], fmt.Sprintf("%d more", len(list)-4))
	}
	return tok + " and the secrets " + strings.Join(list, ", ")
}

// secretRef finds secrets.NAME and secrets['NAME'] in an expression or a script.
var secretRef = regexp.MustCompile(`\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([^'"]+)['"]\s*\])`)
