package workflow

import (
	"path"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// prHeadExpr matches an expression that names the pull request's (or the triggering run's)
// head: its SHA, branch, repository or merge ref.
var prHeadExpr = regexp.MustCompile(`github\.event\.pull_request\.head\.(sha|ref|repo)|github\.head_ref|refs/pull/|github\.event\.workflow_run\.head_(sha|branch|repository)|github\.event\.pull_request\.number|github\.event\.number|github\.event\.issue\.number`)

// prCheckout is where a job gets the pull request's code.
type prCheckout struct {
	pos  *actionlint.Pos
	what string
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
		if j.File.untrustedEvent() != "" && !trustedAuthorsOnly(j.If) {
			j.prCode = j.findPRCheckouts()
		}
	}
	return j.prCode
}

// untrustedEvent is the last of pull_request_target and workflow_run the workflow runs on (the
// events where the base repository's token and secrets meet the pull request), or "".
func (f *File) untrustedEvent() string {
	ev := ""
	for _, e := range f.Workflow.On {
		if n := e.EventName(); n == "pull_request_target" || n == "workflow_run" {
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
				if what != "" && runsCode(j.Steps[si:], c.Index+1, sc) {
					out = append(out, prCheckout{j.File.Pos(e.Run, c.Off), what})
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
				if (prHeadExpr.MatchString(v) || exprRefsEnv(v, prEnv) || exprRefsOutputs(v, prOutputs)) && runsCode(j.Steps[si+1:], 0, nil) {
					out = append(out, prCheckout{in.Value.Pos, strings.TrimSpace(v)})
					break
				}
			}
		}
	}
	return out
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

// runsCode reports whether, after a checkout of the pull request's code, the job runs anything
// that could execute it: a later command of the same script (from index from of sc), a later
// run: step that is not read-only, a local action (uses: ./...) or an action not known to only
// read.
func runsCode(steps []*Step, from int, sc *shell.Script) bool {
	readOnlyScript := func(sc *shell.Script, from int) bool {
		for _, c := range sc.Cmds[min(from, len(sc.Cmds)):] {
			args, _ := shell.Unwrap(c.Args)
			if len(args) == 0 {
				continue
			}
			if !readOnly[path.Base(args[0].Value)] {
				return false
			}
		}
		return true
	}
	if sc != nil && !readOnlyScript(sc, from) {
		return true
	}
	if sc != nil {
		steps = steps[min(1, len(steps)):]
	}
	for _, s := range steps {
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run == nil {
				continue
			}
			if sc := s.Script(); s.Unread() || sc.Err != nil || !readOnlyScript(sc, 0) {
				return true
			}
		case *actionlint.ExecAction:
			if e.Uses == nil {
				continue
			}
			u := strings.ToLower(e.Uses.Value)
			if strings.HasPrefix(u, "./") {
				return true
			}
			known := false
			for _, p := range readOnlyActions {
				known = known || strings.HasPrefix(u, p)
			}
			if !known {
				return true
			}
		}
	}
	return false
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
