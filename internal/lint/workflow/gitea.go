package workflow

import (
	"path/filepath"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// gitea-compat: a .gitea/workflows file runs on Gitea Actions (act_runner), which accepts GitHub's
// syntax but ignores some of it (https://docs.gitea.com/usage/actions/comparison, Gitea 1.25):
// a key the workflow relies on that is silently ignored is a limit or a policy that does not
// hold. The other Gitea differences are applied by the rules themselves:
//   - a run: step without shell: runs `sh -e {0}` in the job container (act's setupShell), which
//     is POSIX and has no pipefail (gate-cannot-fail reads such scripts that way);
//   - runner labels are whatever the instance's runners registered, so actionlint's
//     runner-label check is not applied;
//   - missing-timeout is not reported (timeout-minutes is ignored; act_runner's runner.timeout,
//     3h by default, bounds every job), nor the permissions findings (permissions: is ignored);
//   - a job's continue-on-error is ignored, so it cannot swallow a gate.

// giteaFile reports whether the workflow at path runs on Gitea Actions: a .gitea/workflows file,
// or a caller template for one under workflows-shared/gitea/ (copied to .gitea/workflows/), which
// must pass lint where it is kept and where it is copied alike.
func giteaFile(path string) bool {
	p := "/" + filepath.ToSlash(path)
	return strings.Contains(p, "/.gitea/workflows/") || strings.Contains(p, "/workflows-shared/gitea/")
}

// RuleGitea is the id of the Gitea compatibility rule.
const RuleGitea = "gitea-compat"

var ruleGitea = &Rule{
	ID:       RuleGitea,
	Severity: report.Warning,
	Doc:      "a .gitea/workflows file uses a key Gitea Actions ignores (concurrency, permissions, timeout-minutes, a job's continue-on-error, environment) or a runs-on group it does not support, so the limit or protection it states does not hold",
	Fix:      "drop the key, or enforce what it says another way (act_runner's runner.timeout, branch protection)",
	Bad: `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	Good: `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	ExampleAs: ".gitea/workflows/ci.yml",
	HelpURL:   "https://docs.gitea.com/usage/actions/comparison",
	Applies:   Workflows,
	Check:     checkGitea,
}

func checkGitea(f *File, r *Reporter) {
	if !f.Gitea {
		return
	}
	ignored := func(pos *actionlint.Pos, key, since string) {
		if pos == nil {
			return
		}
		msg := key + " is ignored by Gitea Actions"
		if since != "" {
			msg += " up to " + since
		}
		r.Report(pos, msg+", so on a Gitea instance it neither limits nor protects anything; drop it or enforce it another way")
	}
	w := f.Workflow
	if w.Concurrency != nil {
		ignored(w.Concurrency.Pos, "concurrency:", "1.25")
	}
	if w.Permissions != nil {
		ignored(w.Permissions.Pos, "permissions:", "1.25")
	}
	for _, j := range f.Jobs {
		if j.Concurrency != nil {
			ignored(j.Concurrency.Pos, "jobs.<job_id>.concurrency:", "1.25")
		}
		if j.Permissions != nil {
			ignored(j.Permissions.Pos, "jobs.<job_id>.permissions:", "1.25")
		}
		if j.TimeoutMinutes != nil {
			ignored(j.TimeoutMinutes.Pos, "jobs.<job_id>.timeout-minutes:", "1.26")
		}
		if j.ContinueOnError != nil && j.ContinueOnError.Pos != nil {
			ignored(j.ContinueOnError.Pos, "jobs.<job_id>.continue-on-error:", "1.26")
		}
		if j.Environment != nil {
			ignored(j.Environment.Pos, "jobs.<job_id>.environment:", "")
		}
		if j.RunsOn != nil && j.RunsOn.Group != nil {
			r.Report(j.RunsOn.Group.Pos, "runs-on: with group: is not supported by Gitea Actions, which only accepts runs-on: <label> or [<label>, ...]")
		}
	}
}
