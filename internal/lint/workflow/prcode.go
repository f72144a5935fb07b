package workflow

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// prHeadExpr matches an expression that names the pull request's (or the triggering run's)
// head: its SHA, branch, repository or merge ref.
var prHeadExpr = regexp.MustCompile(`github\.event\.pull_request\.head\.(sha|ref|repo)|github\.head_ref|refs/pull/|github\.event\.workflow_run\.head_(sha|branch|repository)|github\.event\.pull_request\.number|github\.event\.number|github\.event\.issue\.number`)

// prCheckout is where a job gets the pull request's code, and what runs it.
type prCheckout struct {
	pos  *actionlint.Pos
	what string
	// how is the checkout as the flow shows it; runs and runsAt the first command or action
	// that may execute the code.
	how    string
	runs   string
	runsAt int
	step   int    // the index of the checkout's step
	event  string // the trigger whose pull request it fetches
}

// checkoutEvent says which of the workflow's dangerous triggers a checkout of what (a ref:, a
// command) serves: the workflow_run's head, an issue_comment's pull request (gh pr checkout of
// the number), else pull_request_target's; the workflow's last dangerous trigger when it
// does not run on that one.
func (f *File) checkoutEvent(what string) string {
	want := "pull_request_target"
	switch {
	case strings.Contains(what, "workflow_run"):
		want = "workflow_run"
	case strings.Contains(what, "issue.") || strings.Contains(what, "gh pr checkout") && !f.On("pull_request_target"):
		want = "issue_comment"
	}
	if f.On(want) {
		return want
	}
	return f.untrustedEvent()
}

// prCodeCheckouts finds the steps of a job that check out or fetch the pull request's code:
// actions/checkout with a ref: or repository: naming the PR head (directly, through env: or
// through a step's outputs computed from it), `gh pr checkout`, `git fetch ... pull/...` and
// git checkout/switch/reset/clone of a PR head expression.
//
// A job whose if: admits only trusted authors — pull requests from the repository's own
// branches, authors with write access, or a dependency bot's pull requests — checks out no
// outsider's code, so it has none; neither has a job of a workflow that pull_request_target and
// workflow_run do not trigger. Computed once per job.
func (j *Job) prCodeCheckouts() []prCheckout {
	if !j.prCodeDone {
		j.prCodeDone = true
		if j.File.untrustedEvent() != "" {
			for _, c := range j.findPRCheckouts() {
				if !j.gated(c.step) {
					j.prCode = append(j.prCode, c)
				}
			}
		}
	}
	return j.prCode
}

// untrustedEvent is the last of pull_request_target, workflow_run and issue_comment the workflow
// runs on (the events where the base repository's token and secrets meet a pull request's code
// when a job fetches it), or "".
func (f *File) untrustedEvent() string {
	ev := ""
	for _, e := range f.Workflow.On {
		if n := e.EventName(); n == "pull_request_target" || n == "workflow_run" || n == "issue_comment" {
			ev = n
		}
	}
	return ev
}

func (j *Job) findPRCheckouts() []prCheckout {
	prEnv := map[string]bool{}
	addEnv := func(e *actionlint.Env) {
		if e == nil {
			return
		}
		for _, v := range e.Vars {
			if v != nil && v.Name != nil && v.Value != nil && prHeadExpr.MatchString(v.Value.Value) {
				prEnv[v.Name.Value] = true
			}
		}
	}
	addEnv(j.File.Workflow.Env)
	addEnv(j.Env)
	prOutputs := map[string]bool{} // step ids whose outputs are computed from the PR head
	var out []prCheckout
	for si, s := range j.Steps {
		if len(out) > 0 {
			break // the first PR checkout is the one reported
		}
		addEnv(s.Env)
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run == nil {
				continue
			}
			v := e.Run.Value
			if s.ID != nil && strings.Contains(v, "GITHUB_OUTPUT") && (prHeadExpr.MatchString(v) || strings.Contains(v, "gh pr view") || strings.Contains(v, "pulls/")) {
				prOutputs[s.ID.Value] = true
			}
			sc := s.Script()
			for _, c := range sc.Cmds {
				args, _ := shell.Unwrap(c.Args)
				vals := shell.Values(args)
				if len(vals) < 2 {
					continue
				}
				what := ""
				switch {
				case vals[0] == "gh" && vals[1] == "pr" && len(vals) > 2 && vals[2] == "checkout":
					what = "gh pr checkout"
				case vals[0] == "git" && vals[1] == "fetch":
					for _, a := range c.Args {
						if strings.Contains(a.Raw, "pull/") || prHeadExpr.MatchString(a.Raw) || refsEnv(a.Raw, prEnv) {
							what = "git fetch " + a.Raw
							break
						}
					}
				case vals[0] == "git" && (vals[1] == "checkout" || vals[1] == "switch" || vals[1] == "reset" || vals[1] == "clone" || vals[1] == "merge"):
					for _, a := range c.Args[2:] {
						if prHeadExpr.MatchString(a.Raw) || refsEnv(a.Raw, prEnv) {
							what = "git " + vals[1] + " " + a.Raw
							break
						}
					}
				}
				if what == "" {
					continue
				}
				if runs, at := runsCode(j.Steps[si:], c.Index+1, sc); runs != "" {
					pos := j.File.Pos(e.Run, c.Off)
					out = append(out, prCheckout{pos: pos, what: what, how: "`" + shorten(what, 60) + "`", runs: runs, runsAt: at, step: si,
						event: j.File.checkoutEvent(sc.Src[c.Off:min(c.End, len(sc.Src))])})
					break
				}
			}
		case *actionlint.ExecAction:
			if e.Uses == nil || !isCheckout(e.Uses.Value) {
				continue
			}
			for _, key := range []string{"ref", "repository"} {
				in := e.Inputs[key]
				if in == nil || in.Value == nil {
					continue
				}
				v := in.Value.Value
				if !prHeadExpr.MatchString(v) && !exprRefsEnv(v, prEnv) && !exprRefsOutputs(v, prOutputs) {
					continue
				}
				if runs, at := runsCode(j.Steps[si+1:], 0, nil); runs != "" {
					out = append(out, prCheckout{pos: in.Value.Pos, what: strings.TrimSpace(v),
						how: fmt.Sprintf("`actions/checkout` with %s: %s", key, shorten(v, 60)), runs: runs, runsAt: at, step: si,
						event: j.File.checkoutEvent(v + " " + envValues(prEnv, j, s))})
					break
				}
			}
		}
	}
	return out
}

// envValues joins the values of the env vars a checkout may name (those of prEnv in scope of
// step s), so that checkoutEvent sees what they hold.
func envValues(prEnv map[string]bool, j *Job, s *Step) string {
	var b strings.Builder
	for _, e := range []*actionlint.Env{j.File.Workflow.Env, j.Env, s.Env} {
		if e == nil {
			continue
		}
		for _, v := range e.Vars {
			if v != nil && v.Name != nil && v.Value != nil && prEnv[v.Name.Value] {
				b.WriteString(v.Value.Value + " ")
			}
		}
	}
	return b.String()
}

var envExpr = regexp.MustCompile(`env\.([A-Za-z_][A-Za-z0-9_]*)`)
var outputsExpr = regexp.MustCompile(`steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs`)
var shellVar = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

func exprRefsEnv(v string, env map[string]bool) bool {
	for _, m := range envExpr.FindAllStringSubmatch(v, -1) {
		if env[m[1]] {
			return true
		}
	}
	return false
}

func exprRefsOutputs(v string, ids map[string]bool) bool {
	for _, m := range outputsExpr.FindAllStringSubmatch(v, -1) {
		if ids[m[1]] {
			return true
		}
	}
	return false
}

func refsEnv(raw string, env map[string]bool) bool {
	for _, m := range shellVar.FindAllStringSubmatch(raw, -1) {
		if env[m[1]] {
			return true
		}
	}
	return exprRefsEnv(raw, env)
}

// readOnly commands only read the checked-out files; anything else (a build, a test, npm ci,
// make, a script of the repository) may run code the pull request controls.
var readOnly = map[string]bool{
	"echo": true, "printf": true, "cat": true, "grep": true, "egrep": true, "fgrep": true, "ls": true,
	"test": true, "[": true, "[[": true, "cd": true, "jq": true, "wc": true, "head": true, "tail": true,
	"sort": true, "uniq": true, "diff": true, "git": true, "gh": true, "curl": true, "mkdir": true,
	"rm": true, "cp": true, "mv": true, "export": true, "set": true, "exit": true, "true": true,
	"false": true, "sed": true, "awk": true, "tr": true, "cut": true, "find": true, "basename": true,
	"dirname": true, "date": true, "pwd": true, "touch": true, "tee": true, "sleep": true, ":": true,
	"declare": true, "local": true, "read": true, "shift": true, "unset": true, "return": true,
}

// readOnlyActions read files or talk to the API without running what they read.
var readOnlyActions = []string{
	"actions/upload-artifact@", "actions/download-artifact@", "actions/labeler@", "actions/github-script@",
	"actions/setup-", "check-spelling/", "peter-evans/create-or-update-comment@", "peter-evans/find-comment@",
	"marocchino/sticky-pull-request-comment@", "thollander/actions-comment-pull-request@", "actions/cache@",
	"actions/checkout@", "dorny/paths-filter@", "tj-actions/changed-files@",
}

// runsCode says what, after a checkout of the pull request's code, may execute it — a later
// command of the same script (from index from of sc), a later run: step that is not read-only, a
// local action (uses: ./...) or an action not known to only read — and on which line; "" when
// nothing does.
func runsCode(steps []*Step, from int, sc *shell.Script) (string, int) {
	firstRunner := func(s *Step, sc *shell.Script, from int) (string, int) {
		for _, c := range sc.Cmds[min(from, len(sc.Cmds)):] {
			args, _ := shell.Unwrap(c.Args)
			if len(args) == 0 {
				continue
			}
			if !readOnly[path.Base(args[0].Value)] {
				return "`" + shorten(sc.Src[c.Off:min(c.End, len(sc.Src))], 40) + "`", lineOf(s.Job.File.Pos(s.Run().Run, c.Off))
			}
		}
		return "", 0
	}
	if sc != nil && len(steps) > 0 {
		if runs, at := firstRunner(steps[0], sc, from); runs != "" {
			return runs, at
		}
		steps = steps[1:]
	}
	for _, s := range steps {
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run == nil {
				continue
			}
			sc := s.Script()
			if s.Unread() || sc.Err != nil {
				return "the script of the step", lineOf(e.Run.Pos)
			}
			if runs, at := firstRunner(s, sc, 0); runs != "" {
				return runs, at
			}
		case *actionlint.ExecAction:
			if e.Uses == nil {
				continue
			}
			u := strings.ToLower(e.Uses.Value)
			if strings.HasPrefix(u, "./") {
				return "the local action `" + e.Uses.Value + "`", lineOf(e.Uses.Pos)
			}
			known := false
			for _, p := range readOnlyActions {
				known = known || strings.HasPrefix(u, p)
			}
			if !known {
				return "`" + e.Uses.Value + "`", lineOf(e.Uses.Pos)
			}
		}
	}
	return "", 0
}

// botAuthorGuard matches a condition on the pull request's author being a dependency bot, which
// nobody else can open a pull request as.
var botAuthorGuard = regexp.MustCompile(`pull_request\.user\.login\s*==\s*'(dependabot|renovate)\[bot\]'`)

// trustedAuthorsOnly reports whether a job's if: lets only trusted authors' pull requests in.
func trustedAuthorsOnly(cond *actionlint.String) bool {
	if cond == nil {
		return false
	}
	if botAuthorGuard.MatchString(cond.Value) {
		return true
	}
	return trusted("github.event.pull_request.", trustedBy(cond))
}

// gatedJob is gated without looking at the steps: the job's own condition, or a job it needs.
func (j *Job) gatedJob() bool {
	if j.gate != 0 {
		return j.gate > 0
	}
	j.gate = -1 // a cycle of needs gates nothing
	if trustedAuthorsOnly(j.If) || trusted("github.event.comment.", trustedBy(j.If)) || j.If != nil && maintainerGate.MatchString(j.If.Value) || j.Environment != nil {
		j.gate = 1
		return true
	}
	if j.If != nil && runsAnyway.MatchString(j.If.Value) {
		return false
	}
	for _, n := range j.Needs {
		if n == nil {
			continue
		}
		if other := j.File.job(n.Value); other != nil && other.gatedJob() {
			j.gate = 1
			return true
		}
	}
	return false
}

// runsAnyway matches a job condition that runs it whatever the jobs it needs did.
var runsAnyway = regexp.MustCompile(`\b(always|failure|cancelled)\(\)`)

// maintainerGate matches a condition a maintainer must make true before the pull request's code
// runs: a label only people with triage access can set, a merged pull request (reviewed code),
// a workflow_run triggered by a push rather than a pull request, or the repository's own branch.
var maintainerGate = regexp.MustCompile(`github\.event\.label\.name\s*==|contains\(\s*github\.event\.pull_request\.labels\.\*\.name|pull_request\.merged\s*==\s*true|workflow_run\.event\s*==\s*['"](push|schedule|workflow_dispatch|release)['"]|workflow_run\.event\s*!=\s*['"]pull_request(_target)?['"]|workflow_run\.head_repository\.full_name\s*==\s*github\.repository\b`)

// permissionCheck matches a step that stops the job unless the actor may write to the
// repository: the collaborator permission API, or an action made for it.
var permissionCheck = regexp.MustCompile(`(?i)getCollaboratorPermissionLevel|/collaborators/[^/\s]+/permission|actions-cool/check-user-permission|xt0rted/slash-command-action|permission-level:|sushichop/action-repository-permission|lannonbr/repo-permission-check-action|prince-chrismc/check-actor-permissions-action`)

// permissionWords hold a literal part of every match of permissionCheck, in lower case.
var permissionWords = []string{"permission"}

// gated reports whether a job only runs pull request code a maintainer let in: a trusted
// author, a gate in its if:, an environment: (whose reviewers approve each run — lint cannot see
// whether it has any), a job it needs that is gated (unless its if: runs it anyway: always()),
// or an earlier step that checks the actor's permission.
func (j *Job) gated(before int) bool {
	if j.gatedJob() {
		return true
	}
	for _, s := range j.Steps[:min(before, len(j.Steps))] {
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run != nil && mayMatchFold(e.Run.Value, permissionWords) && permissionCheck.MatchString(e.Run.Value) {
				return true
			}
		case *actionlint.ExecAction:
			if e.Uses == nil {
				continue
			}
			text := e.Uses.Value
			for _, in := range e.Inputs {
				if in != nil && in.Value != nil {
					text += "\n" + in.Name.Value + ": " + in.Value.Value
				}
			}
			if permissionCheck.MatchString(text) {
				return true
			}
		}
	}
	return false
}
