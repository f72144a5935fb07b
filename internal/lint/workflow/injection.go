package workflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ---- template-injection ----
//
// Actions pastes the value of every ${{ }} into a run: script (and an actions/github-script
// script:) before the shell or node reads it, so a value that someone outside the repository
// controls — a pull request title, a branch name, a comment — is code. The rule reports each
// such expression at its own line and column, once: actionlint's own "potentially untrusted"
// check, which reports the same expressions at the run: line, is merged into this rule (see
// mergedIntoInjection).
//
// What counts as attacker-controlled is actionlint's list (BuiltinUntrustedInputs) plus the
// contexts below, plus values derived from them: env: variables set from them and read back as
// ${{ env.X }}, outputs of steps that run after an artifact of a workflow_run was downloaded or
// after a pull_request_target job checked out the pull request's code, and job outputs built from
// such step outputs. Inputs of workflow_dispatch are not attacker-controlled (whoever can
// dispatch a workflow can already change it); an input of a local composite action or reusable
// workflow is when a workflow of the same repository passes it such a value on a trigger that
// makes the value the attacker's (callers.go).

// moreUntrusted extends actionlint's untrusted inputs with contexts it does not list.
var moreUntrusted = map[string][]string{
	"event.workflow_run": {"head_branch", "display_title", "head_commit.message", "head_commit.author.name",
		"head_commit.author.email", "head_commit.committer.name", "head_commit.committer.email",
		"head_repository.description", "pull_requests.*.head.ref"},
	"event.merge_group":  {"head_commit.message", "head_commit.author.name", "head_commit.author.email"},
	"event.head_commit":  {"committer.name", "committer.email"},
	"event.commits.*":    {"committer.name", "committer.email"},
	"event.pull_request": {"head.repo.description"},
	"event.changes":      {"title.from", "body.from"},
}

// untrustedRoots is actionlint's search tree of untrusted inputs with moreUntrusted grafted in.
var untrustedRoots = func() actionlint.UntrustedInputSearchRoots {
	github := cloneInputMap(actionlint.BuiltinUntrustedInputs["github"], nil)
	prefixes := make([]string, 0, len(moreUntrusted))
	for p := range moreUntrusted {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	for _, prefix := range prefixes {
		for _, leaf := range moreUntrusted[prefix] {
			graft(github, strings.Split(prefix+"."+leaf, "."))
		}
	}
	roots := actionlint.UntrustedInputSearchRoots{}
	roots.AddRoot(github)
	return roots
}()

func cloneInputMap(m, parent *actionlint.UntrustedInputMap) *actionlint.UntrustedInputMap {
	c := &actionlint.UntrustedInputMap{Name: m.Name, Parent: parent}
	if m.Children != nil {
		c.Children = make(map[string]*actionlint.UntrustedInputMap, len(m.Children))
		for k, ch := range m.Children {
			c.Children[k] = cloneInputMap(ch, c)
		}
	}
	return c
}

// graft adds the path below m, creating inner nodes; the last element is a leaf.
func graft(m *actionlint.UntrustedInputMap, path []string) {
	for i, name := range path {
		if m.Children == nil {
			m.Children = map[string]*actionlint.UntrustedInputMap{}
		}
		c, ok := m.Children[name]
		switch {
		case !ok:
			c = &actionlint.UntrustedInputMap{Name: name, Parent: m}
			m.Children[name] = c
		case c.Children == nil:
			return // already a leaf: everything below it is untrusted
		case i == len(path)-1:
			c.Children = nil // a leaf: the whole value is untrusted
		}
		m = c
	}
}

// safeCalls return a boolean, never the value itself, so what they read cannot be injected.
var safeCalls = map[string]bool{"contains": true, "startswith": true, "endswith": true}

// taint is an attacker-controlled value held by an env var, a step output or a job output: the
// sentence template-injection says about it, and its flow for the rules that show the path.
type taint struct {
	why  string
	flow flow
	name string // an env var's name as written (the map keys are lower case, like env.X)
}

var ruleInjection = &Rule{
	ID:       RuleInjection,
	Severity: report.Error,
	Doc:      "an attacker-controlled value (PR title/body/branch, issue or comment text, commit message or author, workflow_run branch/commit, outputs read from a workflow_run artifact or a pull_request_target checkout, an input of a local action or reusable workflow that a workflow of the repository sets from such a value on pull_request_target, issue_comment or another trigger that makes it the attacker's) in ${{ }} inside run: or a github-script script: is pasted into the script and runs as code",
	HelpURL:  "https://docs.github.com/en/actions/reference/security/secure-use#good-practices-for-mitigating-script-injection-attacks",
	Fix:      "pass the value through env: and read \"$VAR\" (quoted) in the script, or process.env.VAR in a github-script script",
	Bad: `on:
  issues:
    types: [opened]
permissions: {contents: read}
jobs:
  triage:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo "New issue - ${{ github.event.issue.title }}"
`,
	Good: `on:
  issues:
    types: [opened]
permissions: {contents: read}
jobs:
  triage:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo "New issue - $TITLE"
        env:
          TITLE: ${{ github.event.issue.title }}
`,
	Applies: Workflows | Actions,
	Check:   checkInjection,
}

// taintFacts say where attacker-controlled values are in a workflow: env: variables set from
// them, step outputs that carry them (outputs of steps that read a workflow_run's artifact or a
// pull_request_target checkout, outputs written into $GITHUB_OUTPUT from them), job outputs built
// from such step outputs. Computed once per file (File.taint), for every rule that follows them.
type taintFacts struct {
	onWorkflowRun, onPRTarget bool
	wfEnv                     map[string]*taint
	wfTrust                   []string // context prefixes the triggers restrict to bots
	// steps[job][step id] and jobOutputs[job][output] are filled for the whole workflow before
	// any step is judged, because a job may read needs.<job>.outputs of a job after it.
	steps      map[*actionlint.Job]map[string]*taint
	jobOutputs map[string]map[string]*taint
	jobEnv     map[*actionlint.Job]map[string]*taint
	// writes are each run: step's writes of attacker-controlled text into environment files.
	writes map[*Step][]fileWrite
}

// taint returns the file's taint facts, computing them on first use.
func (f *File) taint() *taintFacts {
	if f.taintMemo != nil {
		return f.taintMemo
	}
	w := f.Workflow
	t := &taintFacts{
		steps:      map[*actionlint.Job]map[string]*taint{},
		jobOutputs: map[string]map[string]*taint{},
		jobEnv:     map[*actionlint.Job]map[string]*taint{},
		writes:     map[*Step][]fileWrite{},
	}
	f.taintMemo = t
	for _, e := range w.On {
		switch e.EventName() {
		case "workflow_run":
			t.onWorkflowRun = true
		case "pull_request_target":
			t.onPRTarget = true
		}
	}
	t.wfEnv = envTaint(w.Env, nil)
	if botBranchesOnly(w) {
		t.wfTrust = []string{"github.event.commits.", "github.event.head_commit."}
	}
	byJob := map[*actionlint.Job]*Job{}
	for _, j := range f.Jobs {
		byJob[j.Job] = j
	}
	ids := make([]string, 0, len(w.Jobs))
	for id := range w.Jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		j := byJob[w.Jobs[id]]
		if j == nil {
			continue
		}
		t.jobEnv[j.Job] = envTaint(j.Env, t.wfEnv)
		steps := t.stepTaint(j)
		t.steps[j.Job] = steps
		for name, o := range j.Outputs {
			if o == nil || o.Value == nil {
				continue
			}
			for _, e := range expressions(o.Value.Value) {
				if _, src := t.derived(e.node, steps, nil); src != nil {
					if t.jobOutputs[strings.ToLower(id)] == nil {
						t.jobOutputs[strings.ToLower(id)] = map[string]*taint{}
					}
					t.jobOutputs[strings.ToLower(id)][strings.ToLower(name)] = &taint{
						why:  src.why,
						flow: src.flow.then(fmt.Sprintf("output %s of job %s", name, id), lineOf(o.Value.Pos)),
					}
					break
				}
			}
		}
	}
	return t
}

// shellTaintOf is what the script of step s starts from: the env variables (workflow, job and
// step env:) that hold attacker-controlled values — directly or through a tainted step output —
// and the files an attacker wrote.
func (t *taintFacts) shellTaintOf(s *Step, steps map[string]*taint) shellTaint {
	vars := map[string]flow{}
	add := func(env *actionlint.Env) {
		if env == nil {
			return
		}
		for _, v := range env.Vars {
			if v == nil || v.Name == nil || v.Value == nil {
				continue
			}
			name := v.Name.Value
			delete(vars, name) // an inner env: replaces the outer value
			for _, e := range expressions(v.Value.Value) {
				if p := untrusted(e.node); p != "" {
					vars[name] = contextSource(p).then("env "+name, lineOf(v.Name.Pos))
					break
				}
				if _, src := t.derived(e.node, steps, nil); src != nil {
					vars[name] = src.flow.then("env "+name, lineOf(v.Name.Pos))
					break
				}
			}
		}
	}
	add(s.Job.File.Workflow.Env)
	add(s.Job.Env)
	add(s.Env)
	return shellTaint{vars: vars, files: untrustedFiles(s)}
}

// A condition that admits only pull requests from branches of the repository itself, or only
// authors with write access, makes the matching contexts trusted: nobody outside can set them.
var (
	sameRepoGuard = regexp.MustCompile(`head\.repo\.fork\s*==\s*false|!\s*github\.event\.pull_request\.head\.repo\.fork\b|head\.repo\.full_name\s*==\s*github\.repository\b`)
	assocGuard    = regexp.MustCompile(`\b(comment|issue|pull_request|review)\.author_association\b`)
	trustedRole   = regexp.MustCompile(`\b(OWNER|MEMBER|COLLABORATOR)\b`)
)

// botBranchesOnly reports whether a workflow runs only on pushes to the branches dependency bots
// push to (dependabot/**, renovate/**), whose commits only the bot authors.
func botBranchesOnly(w *actionlint.Workflow) bool {
	if len(w.On) == 0 {
		return false
	}
	for _, e := range w.On {
		we, ok := e.(*actionlint.WebhookEvent)
		if !ok || we.EventName() != "push" || we.Branches == nil || len(we.Branches.Values) == 0 {
			return false
		}
		for _, b := range we.Branches.Values {
			if b == nil || !(strings.HasPrefix(b.Value, "dependabot/") || strings.HasPrefix(b.Value, "renovate/")) {
				return false
			}
		}
	}
	return true
}

// trustedBy returns the context prefixes an if: condition restricts to trusted people.
func trustedBy(cond *actionlint.String) []string {
	if cond == nil {
		return nil
	}
	v := cond.Value
	var out []string
	if sameRepoGuard.MatchString(v) {
		out = append(out, "github.event.pull_request.", "github.head_ref")
	}
	if trustedRole.MatchString(v) && !strings.Contains(v, "!=") {
		for _, m := range assocGuard.FindAllStringSubmatch(v, -1) {
			out = append(out, "github.event."+m[1]+".")
		}
	}
	return out
}

func trusted(path string, prefixes ...[]string) bool {
	for _, ps := range prefixes {
		for _, p := range ps {
			if strings.HasPrefix(path, p) {
				return true
			}
		}
	}
	return false
}

// stepTaint finds the steps of j whose outputs may carry attacker-controlled content: in a
// workflow_run workflow, steps after one that downloads an artifact (the artifact was built by
// the triggering run, which may be a fork's pull request); in a pull_request_target workflow,
// steps after a checkout of the pull request's code; and steps whose script writes
// attacker-controlled text into $GITHUB_OUTPUT. It records every step's environment file writes.
func (r *taintFacts) stepTaint(j *Job) map[string]*taint {
	out := map[string]*taint{}
	var from *taint
	for _, s := range j.Steps {
		if from == nil {
			switch {
			case r.onWorkflowRun && downloadsArtifact(s.Step):
				from = &taint{why: "an artifact of the triggering workflow_run", flow: flow{source: "artifact of the triggering workflow_run"}}
			case r.onPRTarget && checksOutPRHead(s.Step):
				from = &taint{why: "the pull request's code checked out by pull_request_target", flow: flow{source: "pull request's code checked out by pull_request_target"}}
			}
		}
		id := ""
		if s.ID != nil {
			id = strings.ToLower(s.ID.Value)
		}
		if from != nil && id != "" && !producesOwnData(s.Step) {
			out[id] = &taint{why: from.why, flow: from.flow.then("step "+s.ID.Value, lineOf(s.Pos))}
		}
		var ws []fileWrite
		if run := s.Run(); run != nil && writesEnvFiles(run.Run.Value) {
			ws = scriptWrites(s, r.shellTaintOf(s, out))
		}
		r.writes[s] = ws
		for _, w := range ws {
			if w.file == "GITHUB_OUTPUT" && id != "" && out[id] == nil {
				out[id] = &taint{why: w.flow.String(), flow: w.flow}
			}
		}
	}
	return out
}

// downloadsArtifact recognises the usual ways to fetch another run's artifacts.
func downloadsArtifact(s *actionlint.Step) bool {
	switch e := s.Exec.(type) {
	case *actionlint.ExecAction:
		if e.Uses == nil {
			return false
		}
		u := strings.ToLower(e.Uses.Value)
		if strings.Contains(u, "download-artifact") {
			return true
		}
		if strings.HasPrefix(u, "actions/github-script@") {
			if sc := e.Inputs["script"]; sc != nil && sc.Value != nil {
				v := sc.Value.Value
				return strings.Contains(v, "downloadArtifact") || strings.Contains(v, "listWorkflowRunArtifacts")
			}
		}
	case *actionlint.ExecRun:
		if e.Run != nil {
			v := e.Run.Value
			return strings.Contains(v, "gh run download") || strings.Contains(v, "/artifacts/") && strings.Contains(v, "/zip")
		}
	}
	return false
}

// checksOutPRHead recognises a checkout of the pull request's head: actions/checkout with a ref
// naming it, `gh pr checkout`, or a fetch of refs/pull/.
func checksOutPRHead(s *actionlint.Step) bool {
	switch e := s.Exec.(type) {
	case *actionlint.ExecAction:
		if e.Uses == nil || !isCheckout(e.Uses.Value) {
			return false
		}
		for _, key := range []string{"ref", "repository"} {
			if in := e.Inputs[key]; in != nil && in.Value != nil {
				v := in.Value.Value
				if prHeadExpr.MatchString(v) {
					return true
				}
			}
		}
	case *actionlint.ExecRun:
		if e.Run != nil {
			v := e.Run.Value
			return strings.Contains(v, "gh pr checkout") || strings.Contains(v, "git fetch") && strings.Contains(v, "pull/")
		}
	}
	return false
}

// producesOwnData is for actions whose outputs describe the runner or a cache, never the
// content they were given.
func producesOwnData(s *actionlint.Step) bool {
	e, ok := s.Exec.(*actionlint.ExecAction)
	if !ok || e.Uses == nil {
		return false
	}
	u := strings.ToLower(e.Uses.Value)
	for _, p := range []string{"actions/setup-", "actions/cache@", "actions/cache/", "actions/checkout@", "actions/download-artifact@"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// envTaint returns the env vars of env whose values are attacker-controlled, on top of outer.
func envTaint(env *actionlint.Env, outer map[string]*taint) map[string]*taint {
	if env == nil || len(env.Vars) == 0 {
		return outer
	}
	out := map[string]*taint{}
	for k, v := range outer {
		out[k] = v
	}
	for _, v := range env.Vars {
		if v == nil || v.Name == nil || v.Value == nil {
			continue
		}
		name := strings.ToLower(v.Name.Value)
		delete(out, name) // an inner env: replaces the outer value
		for _, e := range expressions(v.Value.Value) {
			if path := untrusted(e.node); path != "" {
				out[name] = &taint{
					why:  fmt.Sprintf("`env.%s` holds `%s`, which is controlled by %s", v.Name.Value, path, actorOf(path)),
					flow: contextSource(path).then("env "+v.Name.Value, lineOf(v.Name.Pos)),
					name: v.Name.Value,
				}
				break
			}
		}
	}
	return out
}

func checkInjection(f *File, r *Reporter) {
	t := f.taint()
	for _, j := range f.Jobs {
		jobTrust := trustedBy(j.If)
		for _, s := range j.Steps {
			t.checkStep(r, s, jobTrust)
		}
	}
}

// checkStep reports the attacker-controlled expressions in the script of a step.
func (t *taintFacts) checkStep(r *Reporter, s *Step, jobTrust []string) {
	var script *actionlint.String
	js := false
	switch e := s.Exec.(type) {
	case *actionlint.ExecRun:
		script = e.Run
	case *actionlint.ExecAction:
		if e.Uses != nil && strings.HasPrefix(strings.ToLower(e.Uses.Value), "actions/github-script@") {
			if in := e.Inputs["script"]; in != nil {
				script, js = in.Value, true
			}
		}
	}
	if script == nil || !strings.Contains(script.Value, "${{") {
		return
	}
	env := envTaint(s.Env, t.jobEnv[s.Job.Job])
	steps := t.steps[s.Job.Job]
	stepTrust := trustedBy(s.If)
	for _, e := range expressions(script.Value) {
		what := untrusted(e.node)
		if what != "" && trusted(what, t.wfTrust, jobTrust, stepTrust) {
			continue
		}
		if what != "" {
			what = fmt.Sprintf("`%s` is controlled by %s", what, actorOf(what))
		} else if w, _ := t.derived(e.node, steps, env); w != "" {
			what = w
		} else if name, v, ok := callerSet(s.Job.File, e.node); ok {
			what = fmt.Sprintf("`inputs.%s` holds what %s passes on %s: %s", name, v.file, v.on, v.flow.then("`inputs."+name+"`", 0))
		} else {
			continue
		}
		fix := "pass it through env: and use \"$VAR\" (quoted)"
		if js {
			fix = "pass it through env: and read process.env.VAR"
		}
		r.Report(s.Job.File.Pos(script, e.off),
			fmt.Sprintf("%s; ${{ }} pastes it into the script before it runs, so a crafted value runs as code: %s", what, fix))
	}
}

// actors say who controls an untrusted context, by path prefix; the first match wins.
var actors = []struct{ prefix, who string }{
	{"github.event.pull_request.", "the pull request's author"},
	{"github.head_ref", "the pull request's author (it is the branch name)"},
	{"github.event.issue.", "the issue's author"},
	{"github.event.comment.", "the comment's author"},
	{"github.event.review.", "the review's author"},
	{"github.event.review_comment.", "the review comment's author"},
	{"github.event.discussion.", "the discussion's author"},
	{"github.event.pages.", "the wiki page's editor"},
	{"github.event.commits.", "the commit's author"},
	{"github.event.head_commit.", "the commit's author"},
	{"github.event.merge_group.", "the commit's author (the pull request's title and body become its message)"},
	{"github.event.workflow_run.", "the author of the run's branch and commits, a fork's included"},
	{"github.event.changes.", "whoever edited the issue or pull request"},
}

func actorOf(path string) string {
	for _, a := range actors {
		if strings.HasPrefix(path, a.prefix) {
			return a.who
		}
	}
	return "someone outside the repository"
}

// untrusted returns the first attacker-controlled context the expression reads, as a path, or "".
func untrusted(n actionlint.ExprNode) string {
	c := actionlint.NewUntrustedInputChecker(untrustedRoots)
	actionlint.VisitExprNode(n, func(n, _ actionlint.ExprNode, entering bool) {
		if entering {
			c.OnVisitNodeEnter(n)
		} else {
			c.OnVisitNodeLeave(n)
		}
	})
	c.OnVisitEnd()
	errs := c.Errs()
	if len(errs) == 0 {
		return ""
	}
	// The checker's message quotes the path: "\"github.event.issue.title\" is potentially ...".
	msg := errs[0].Message
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		if j := strings.IndexByte(msg[i+1:], '"'); j >= 0 {
			return msg[i+1 : i+1+j]
		}
	}
	return "an untrusted input"
}

// derived explains why an expression reads a value derived from attacker-controlled content —
// steps.<id>.outputs, needs.<job>.outputs or env.<name> — as a sentence for the finding and as
// the source a job output built from it inherits; both are "" when it does not.
func (r *taintFacts) derived(n actionlint.ExprNode, steps, env map[string]*taint) (what string, source *taint) {
	valuePaths(n, func(p []string) bool {
		switch {
		case len(p) >= 3 && p[0] == "steps" && p[2] == "outputs":
			if st, ok := steps[p[1]]; ok {
				why := fmt.Sprintf("an output of step %q, which reads %s", p[1], st.why)
				source = &taint{why: why, flow: st.flow.then("`"+strings.Join(p, ".")+"`", 0)}
				what = fmt.Sprintf("`%s` is %s", strings.Join(p, "."), why)
			}
		case len(p) >= 4 && p[0] == "needs" && p[2] == "outputs":
			if src, ok := r.jobOutputs[p[1]][p[3]]; ok {
				why := fmt.Sprintf("an output of job %q, set from %s", p[1], src.why)
				source = &taint{why: why, flow: src.flow.then("`"+strings.Join(p[:4], ".")+"`", 0)}
				what = fmt.Sprintf("`%s` is %s", strings.Join(p[:4], "."), why)
			}
		case len(p) >= 2 && p[0] == "env":
			if w, ok := env[p[1]]; ok {
				what, source = w.why, w
			}
		}
		return source != nil
	})
	return what, source
}

// valuePaths calls visit with the path of each access chain of the expression whose value can
// reach the result — the longest chain only (its parent does not extend it), none inside a call
// that only answers true or false — in order, until visit returns true.
func valuePaths(n actionlint.ExprNode, visit func(p []string) bool) {
	safe, done := 0, false
	actionlint.VisitExprNode(n, func(n, parent actionlint.ExprNode, entering bool) {
		if c, ok := n.(*actionlint.FuncCallNode); ok && safeCalls[strings.ToLower(c.Callee)] {
			if entering {
				safe++
			} else {
				safe--
			}
			return
		}
		if entering || safe > 0 || done {
			return
		}
		if p := exprPath(n); len(p) > 0 && len(exprPath(parent)) <= len(p) {
			done = visit(p)
		}
	})
}

// exprPath is the property path of an access chain (steps.build.outputs.x), or nil.
func exprPath(n actionlint.ExprNode) []string {
	switch n := n.(type) {
	case *actionlint.VariableNode:
		return []string{n.Name}
	case *actionlint.ObjectDerefNode:
		if p := exprPath(n.Receiver); p != nil {
			return append(p, n.Property)
		}
	case *actionlint.IndexAccessNode:
		if s, ok := n.Index.(*actionlint.StringNode); ok {
			if p := exprPath(n.Operand); p != nil {
				return append(p, strings.ToLower(s.Value))
			}
		}
	}
	return nil
}

type expr struct {
	off  int // byte offset of "${{" in the string
	node actionlint.ExprNode
}

// maxExprs bounds the expressions read from one string.
const maxExprs = 1000

// expressions parses every ${{ }} in s. An expression that does not parse is skipped
// (actionlint/expression reports it) and reading goes on after its "}}".
func expressions(s string) []expr {
	var out []expr
	for off := 0; len(out) < maxExprs; {
		i := strings.Index(s[off:], "${{")
		if i < 0 {
			break
		}
		start := off + i
		rest := s[start+3:]
		l := actionlint.NewExprLexer(rest)
		node, err := actionlint.NewExprParser().Parse(l)
		if err != nil {
			end := strings.Index(rest, "}}")
			if end < 0 {
				break
			}
			off = start + 3 + end + 2
			continue
		}
		out = append(out, expr{off: start, node: node})
		off = start + 3 + max(l.Offset(), 1)
	}
	return out
}

// mergedIntoInjection reports whether an actionlint error is its "potentially untrusted" check,
// which template-injection reports too — at the expression rather than the run: line, and for a
// superset of inputs — so that the user sees one finding per expression, not two.
func mergedIntoInjection(e *actionlint.Error) bool {
	return e.Kind == "expression" && strings.Contains(e.Message, "potentially untrusted")
}

// callerSet returns the first input the expression reads (outside a call that only answers
// true or false) that a caller in the repository sets from an attacker-controlled value
// (callers.go), with its flow.
func callerSet(f *File, n actionlint.ExprNode) (name string, v callerValue, ok bool) {
	valuePaths(n, func(p []string) bool {
		if len(p) == 2 && p[0] == "inputs" {
			if v, ok = f.callerInput(p[1]); ok {
				name = p[1]
			}
		}
		return ok
	})
	return name, v, ok
}
