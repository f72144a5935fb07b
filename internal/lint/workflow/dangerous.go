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
	list, more := j.secretsFrom(from)
	if len(list) == 0 {
		return tok
	}
	if more {
		list = append(list, "more")
	}
	return tok + " and the secrets " + strings.Join(list, ", ")
}

// maxSecretNames bounds the secret names a message lists.
const maxSecretNames = 4

// secretsFrom lists the first secrets (by name) that the job's env: and the steps from index
// from on are given, and whether there are more. Computed once per job, from the last step back,
// so that a job of thousands of steps costs one pass.
func (j *Job) secretsFrom(from int) ([]string, bool) {
	if j.secrets == nil {
		j.secrets = make([]secretNames, len(j.Steps)+1)
		names := func(vs ...string) secretNames {
			var sn secretNames
			for _, v := range vs {
				if !strings.Contains(v, "secrets") {
					continue
				}
				for _, m := range secretRef.FindAllStringSubmatch(v, -1) {
					if n := m[1] + m[2]; n != "" && !strings.EqualFold(n, "GITHUB_TOKEN") {
						sn = sn.merge(secretNames{names: []string{n}})
					}
				}
			}
			return sn
		}
		envValues := func(e *actionlint.Env) []string {
			var out []string
			if e != nil {
				for _, v := range e.Vars {
					if v != nil && v.Value != nil {
						out = append(out, v.Value.Value)
					}
				}
			}
			return out
		}
		base := names(append(envValues(j.File.Workflow.Env), envValues(j.Env)...)...)
		j.secrets[len(j.Steps)] = base
		for i := len(j.Steps) - 1; i >= 0; i-- {
			s := j.Steps[i]
			vs := envValues(s.Env)
			switch e := s.Exec.(type) {
			case *actionlint.ExecRun:
				if e.Run != nil {
					vs = append(vs, e.Run.Value)
				}
			case *actionlint.ExecAction:
				for _, in := range e.Inputs {
					if in != nil && in.Value != nil {
						vs = append(vs, in.Value.Value)
					}
				}
			}
			j.secrets[i] = j.secrets[i+1].merge(names(vs...))
		}
	}
	sn := j.secrets[min(max(from, 0), len(j.Steps))]
	return slices.Clone(sn.names), sn.more
}

// secretNames is the alphabetically first maxSecretNames names of a set, and whether the set
// holds more.
type secretNames struct {
	names []string
	more  bool
}

func (a secretNames) merge(b secretNames) secretNames {
	all := append(slices.Clone(a.names), b.names...)
	slices.Sort(all)
	all = slices.Compact(all)
	out := secretNames{names: all, more: a.more || b.more}
	if len(all) > maxSecretNames {
		out.names, out.more = all[:maxSecretNames], true
	}
	return out
}

// secretRef finds secrets.NAME and secrets['NAME'] in an expression or a script.
var secretRef = regexp.MustCompile(`\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([^'"]+)['"]\s*\])`)
