package workflow

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// The org rules are actionlint rules (they embed RuleBase and walk the same tree as actionlint's
// own) but write report.Findings straight into the file's context, because one rule may report at
// different severities and at positions inside scripts that actionlint's Error cannot carry.
// Their Errs() is therefore always empty.

// orgRules returns fresh instances of the org rules for one workflow file. The tracker must come
// first: it records the workflow and job being visited for the rules after it.
func orgRules(fc *fileCtx) []actionlint.Rule {
	return []actionlint.Rule{
		&tracker{base("molecule-ci/tracker"), fc},
		&gateRule{RuleBase: base(RuleGate), fc: fc},
		&pinRule{base("molecule-ci/pinning"), fc},
		&timeoutRule{base(RuleTimeout), fc},
		&permissionsRule{RuleBase: base(RulePermissions), fc: fc},
		&secretRule{RuleBase: base(RuleSecret), fc: fc},
		&mergeQueueRule{base(RuleMergeQueue), fc},
		&injectionRule{RuleBase: base(RuleInjection), fc: fc},
	}
}

// stepRules are the org rules that apply to composite action steps.
func stepRules(fc *fileCtx) []actionlint.Rule {
	return []actionlint.Rule{
		&tracker{base("molecule-ci/tracker"), fc},
		&gateRule{RuleBase: base(RuleGate), fc: fc},
		&pinRule{base("molecule-ci/pinning"), fc},
		&secretRule{RuleBase: base(RuleSecret), fc: fc},
		&injectionRule{RuleBase: base(RuleInjection), fc: fc},
	}
}

func base(name string) actionlint.RuleBase {
	return actionlint.NewRuleBase(name, "molecule-ci org rule")
}

type tracker struct {
	actionlint.RuleBase
	fc *fileCtx
}

func (r *tracker) VisitWorkflowPre(n *actionlint.Workflow) error { r.fc.wf = n; return nil }
func (r *tracker) VisitJobPre(n *actionlint.Job) error           { r.fc.job = n; return nil }

// effectiveShell resolves the shell of a run: step: step > job defaults > workflow defaults.
func (fc *fileCtx) effectiveShell(e *actionlint.ExecRun) shellMode {
	spec := ""
	switch {
	case e.Shell != nil:
		spec = e.Shell.Value
	case fc.job != nil && fc.job.Defaults != nil && fc.job.Defaults.Run != nil && fc.job.Defaults.Run.Shell != nil:
		spec = fc.job.Defaults.Run.Shell.Value
	case fc.wf != nil && fc.wf.Defaults != nil && fc.wf.Defaults.Run != nil && fc.wf.Defaults.Run.Shell != nil:
		spec = fc.wf.Defaults.Run.Shell.Value
	}
	windows := false
	if fc.job != nil && fc.job.RunsOn != nil {
		for _, l := range fc.job.RunsOn.Labels {
			if l != nil && strings.Contains(strings.ToLower(l.Value), "windows") {
				windows = true
			}
		}
	}
	return resolveShell(spec, windows)
}

// script parses a run: body once per step for all the rules that read it.
func (fc *fileCtx) script(s *actionlint.String) []command {
	if fc.scriptOf != s {
		fc.scriptOf, fc.scriptCmds = s, parseScript(s.Value)
	}
	return fc.scriptCmds
}

// ---- gate-cannot-fail ----

type gateRule struct {
	actionlint.RuleBase
	fc       *fileCtx
	jobGates []string
}

// gateActions are actions that run a test, lint, build or scan: continue-on-error on them
// swallows a gate just like `|| true` does.
var gateActions = []string{
	"golangci/golangci-lint-action", "aquasecurity/trivy-action", "securego/gosec",
	"hadolint/hadolint-action", "ludeeus/action-shellcheck", "reviewdog/", "raven-actions/actionlint",
	"rhysd/actionlint", "docker/build-push-action", "docker/bake-action", "github/codeql-action/analyze",
	"super-linter/super-linter", "github/super-linter", "pre-commit/action", "anchore/scan-action",
	"snyk/actions", "returntocorp/semgrep-action", "semgrep/semgrep-action",
}

func (r *gateRule) gateAction(uses string) string {
	l := strings.ToLower(uses)
	if at := strings.IndexByte(l, '@'); at >= 0 {
		l = l[:at]
	}
	for _, g := range gateActions {
		if strings.HasPrefix(l, g) {
			return l
		}
	}
	org := strings.ToLower(r.fc.l.opts.Org) + "/molecule-ci"
	if l == org || strings.HasPrefix(l, org+"/") {
		return l
	}
	return ""
}

func (r *gateRule) VisitJobPre(*actionlint.Job) error { r.jobGates = r.jobGates[:0]; return nil }

func (r *gateRule) VisitStep(s *actionlint.Step) error {
	var gates []string
	switch e := s.Exec.(type) {
	case *actionlint.ExecRun:
		if e.Run == nil {
			return nil
		}
		mode := r.fc.effectiveShell(e)
		// Without |, ; or set, under errexit, nothing can swallow a failure; the script needs
		// reading only when continue-on-error asks which gates it runs.
		coe := isTrue(s.ContinueOnError) || r.fc.job != nil && isTrue(r.fc.job.ContinueOnError)
		if !coe && (!mode.analyze || mode.errexit && !strings.ContainsAny(e.Run.Value, "|;") && !strings.Contains(e.Run.Value, "set")) {
			return nil
		}
		res := analyzeGates(r.fc.script(e.Run), mode)
		for _, is := range res.issues {
			r.fc.add(r.fc.scriptPos(e.Run, is.off), RuleGate, 0, is.msg)
		}
		gates = res.gates
	case *actionlint.ExecAction:
		if e.Uses != nil {
			if g := r.gateAction(e.Uses.Value); g != "" {
				gates = []string{g}
			}
		}
	}
	if len(gates) == 0 {
		return nil
	}
	r.jobGates = append(r.jobGates, gates...)
	if coe := s.ContinueOnError; coe != nil && coe.Expression == nil && coe.Value && coe.Pos != nil && !r.fc.hasComment(coe.Pos.Line) {
		r.fc.add(coe.Pos, RuleGate, 0, fmt.Sprintf("continue-on-error: true lets `%s` fail without failing the job; if that is intended, say why in a comment on this line", gates[0]))
	}
	return nil
}

func (r *gateRule) VisitJobPost(j *actionlint.Job) error {
	if coe := j.ContinueOnError; coe != nil && coe.Expression == nil && coe.Value && coe.Pos != nil && len(r.jobGates) > 0 && !r.fc.hasComment(coe.Pos.Line) {
		r.fc.add(coe.Pos, RuleGate, 0, fmt.Sprintf("continue-on-error: true on job %q lets `%s` fail without failing the workflow; if that is intended, say why in a comment on this line", jobID(j), r.jobGates[0]))
	}
	return nil
}

func jobID(j *actionlint.Job) string {
	if j.ID == nil {
		return ""
	}
	return j.ID.Value
}

// ---- unpinned-action and floating-ref ----

type pinRule struct {
	actionlint.RuleBase
	fc *fileCtx
}

func (r *pinRule) VisitJobPre(j *actionlint.Job) error {
	if j.WorkflowCall != nil && j.WorkflowCall.Uses != nil {
		r.fc.checkUses(j.WorkflowCall.Uses, "reusable workflow")
	}
	return nil
}

func (r *pinRule) VisitStep(s *actionlint.Step) error {
	e, ok := s.Exec.(*actionlint.ExecAction)
	if !ok || e.Uses == nil {
		return nil
	}
	r.fc.checkUses(e.Uses, "action")
	if !isCheckout(e.Uses.Value) {
		return nil
	}
	repo := e.Inputs["repository"]
	if repo == nil || repo.Value == nil || e.Inputs["ref"] != nil {
		return nil
	}
	if v := repo.Value.Value; strings.HasPrefix(strings.ToLower(v), strings.ToLower(r.fc.l.opts.Org)+"/") {
		r.fc.add(repo.Value.Pos, RuleFloating, 0, fmt.Sprintf("actions/checkout of %s has no ref:, so the job builds whatever its default branch holds when it runs; pin ref: to a tag or commit SHA", v))
	}
	return nil
}

func isCheckout(uses string) bool {
	return strings.HasPrefix(strings.ToLower(uses), "actions/checkout@")
}

func (fc *fileCtx) checkUses(u *actionlint.String, what string) {
	spec := strings.TrimSpace(u.Value)
	if spec == "" || strings.HasPrefix(spec, "./") || strings.Contains(spec, "${{") {
		return
	}
	if strings.HasPrefix(spec, "docker://") {
		if !strings.Contains(spec, "@sha256:") {
			fc.add(u.Pos, RuleUnpinned, 0, fmt.Sprintf("container image %s is not pinned by digest; use docker://<image>@sha256:<digest>", spec))
		}
		return
	}
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return // actionlint reports the malformed spec
	}
	name, ref := spec[:at], spec[at+1:]
	owner, _, _ := strings.Cut(name, "/")
	opts := fc.l.opts
	if strings.EqualFold(owner, opts.Org) {
		if !isFullSHA(ref) && !isReleaseTag(ref) {
			fc.add(u.Pos, RuleFloating, 0, fmt.Sprintf("%s %s is called at %q, a branch that moves under every caller; use a release tag (e.g. v1) or a commit SHA", what, name, ref))
		}
		return
	}
	if isFullSHA(ref) {
		return
	}
	if opts.PinPolicy == PolicyTag || fc.l.trusted[strings.ToLower(owner)] {
		if !isReleaseTag(ref) {
			fc.add(u.Pos, RuleUnpinned, 0, fmt.Sprintf("%s %s is at %q, which is not a release tag; pin a release tag or a full commit SHA", what, name, ref))
		}
		return
	}
	fc.add(u.Pos, RuleUnpinned, 0, fmt.Sprintf("third-party %s %s is pinned to %q, which its owner can move; pin a full 40-character commit SHA", what, name, ref))
}

func isFullSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// releaseTag is semver-ish: v1, v1.2, v1.2.3, 1.2.3-rc.1.
var releaseTag = regexp.MustCompile(`^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$`)

func isReleaseTag(s string) bool { return releaseTag.MatchString(s) }

// ---- missing-timeout ----

type timeoutRule struct {
	actionlint.RuleBase
	fc *fileCtx
}

func (r *timeoutRule) VisitJobPre(j *actionlint.Job) error {
	// A job that calls a reusable workflow cannot set timeout-minutes; its jobs must.
	if j.WorkflowCall != nil || j.TimeoutMinutes != nil || j.ID == nil {
		return nil
	}
	r.fc.add(j.ID.Pos, RuleTimeout, 0, fmt.Sprintf("job %q has no timeout-minutes, so a hung step holds the runner for the default 360 minutes", j.ID.Value))
	return nil
}

// ---- excessive-permissions ----

type permissionsRule struct {
	actionlint.RuleBase
	fc               *fileCtx
	onPR, onPRTarget bool
	prEvent          string
}

func (r *permissionsRule) VisitWorkflowPre(w *actionlint.Workflow) error {
	for _, e := range w.On {
		switch e.EventName() {
		case "pull_request":
			r.onPR = true
			if r.prEvent == "" {
				r.prEvent = "pull_request"
			}
		case "pull_request_target":
			r.onPR, r.onPRTarget = true, true
			r.prEvent = "pull_request_target"
		}
	}
	if w.Permissions == nil {
		all := len(w.Jobs) > 0
		for _, j := range w.Jobs {
			all = all && j != nil && (j.Permissions != nil || j.WorkflowCall != nil)
		}
		if !all {
			r.fc.add(&actionlint.Pos{Line: 1, Col: 1}, RulePermissions, 0, "workflow has no top-level permissions:, so its jobs get the repository's default GITHUB_TOKEN scopes (often write-all); declare the least it needs, e.g. permissions: {contents: read}")
		}
	}
	r.checkWrites(w.Permissions, "workflow")
	return nil
}

func (r *permissionsRule) VisitJobPre(j *actionlint.Job) error {
	if j.If != nil && pushOnly.MatchString(j.If.Value) && !strings.Contains(j.If.Value, "pull_request") {
		return nil // the job never runs for a pull request, so its token never meets PR code
	}
	r.checkWrites(j.Permissions, fmt.Sprintf("job %q", jobID(j)))
	return nil
}

// pushOnly matches job conditions that exclude pull request events.
var pushOnly = regexp.MustCompile(`github\.event_name\s*==\s*['"](push|schedule|workflow_dispatch|release)['"]`)

func (r *permissionsRule) checkWrites(p *actionlint.Permissions, where string) {
	if p == nil || !r.onPR {
		return
	}
	if p.All != nil && p.All.Value == "write-all" {
		r.fc.add(p.All.Pos, RulePermissions, 0, fmt.Sprintf("%s grants write-all on %s, where the pull request's code runs with that token; keep write scopes out of PR workflows", where, r.prEvent))
	}
	for _, s := range scopes(p) {
		if s.Value != nil && s.Value.Value == "write" {
			r.fc.add(s.Value.Pos, RulePermissions, 0, fmt.Sprintf("%s grants %s: write on %s, where the pull request's code runs with that token; move writes to a workflow that does not run PR code", where, s.Name.Value, r.prEvent))
		}
	}
}

func scopes(p *actionlint.Permissions) []*actionlint.PermissionScope {
	out := make([]*actionlint.PermissionScope, 0, len(p.Scopes))
	for _, s := range p.Scopes {
		if s != nil && s.Name != nil {
			out = append(out, s)
		}
	}
	return out // map order does not leak out: findings are sorted by position
}

var prHead = []string{"github.event.pull_request.head.sha", "github.event.pull_request.head.ref", "github.head_ref", "refs/pull/"}

func (r *permissionsRule) VisitStep(s *actionlint.Step) error {
	if !r.onPRTarget {
		return nil
	}
	e, ok := s.Exec.(*actionlint.ExecAction)
	if !ok || e.Uses == nil || !isCheckout(e.Uses.Value) {
		return nil
	}
	ref := e.Inputs["ref"]
	if ref == nil || ref.Value == nil {
		return nil
	}
	v := ref.Value.Value
	for _, h := range prHead {
		if strings.Contains(v, h) {
			r.fc.add(ref.Value.Pos, RulePermissions, report.Error, fmt.Sprintf("pull_request_target checks out the pull request's head (%s): untrusted code then runs with the base repository's secrets and a write token", strings.TrimSpace(v)))
			break
		}
	}
	return nil
}

// ---- secret-exposure ----

type secretRule struct {
	actionlint.RuleBase
	fc                 *fileCtx
	wfSecrets, jobSecr map[string]string
}

var secretExpr = regexp.MustCompile(`\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([^'"]+)['"]\s*\])`)

// secretEnv returns the env vars whose values come from secrets, by name.
func secretEnv(env *actionlint.Env) map[string]string {
	if env == nil {
		return nil
	}
	var out map[string]string
	for _, v := range env.Vars {
		if v == nil || v.Name == nil || v.Value == nil || !strings.Contains(v.Value.Value, "secrets") {
			continue
		}
		if m := secretExpr.FindStringSubmatch(v.Value.Value); m != nil {
			if out == nil {
				out = map[string]string{}
			}
			out[v.Name.Value] = "secrets." + m[1] + m[2]
		}
	}
	return out
}

func (r *secretRule) VisitWorkflowPre(w *actionlint.Workflow) error {
	r.wfSecrets = secretEnv(w.Env)
	return nil
}

func (r *secretRule) VisitJobPre(j *actionlint.Job) error {
	r.jobSecr = secretEnv(j.Env)
	return nil
}

func (r *secretRule) VisitStep(s *actionlint.Step) error {
	e, ok := s.Exec.(*actionlint.ExecRun)
	if !ok || e.Run == nil {
		return nil
	}
	v := e.Run.Value
	hasExpr := strings.Contains(v, "${{")
	stepSecr := secretEnv(s.Env)
	if !hasExpr && len(stepSecr) == 0 && len(r.jobSecr) == 0 && len(r.wfSecrets) == 0 {
		return nil
	}
	cmds := r.fc.script(e.Run)
	if hasExpr {
		for off := 0; ; {
			i := strings.Index(v[off:], "${{")
			if i < 0 {
				break
			}
			i += off
			j := strings.Index(v[i:], "}}")
			if j < 0 {
				break
			}
			off = i + j + 2
			m := secretExpr.FindStringSubmatch(v[i+3 : i+j])
			if m == nil {
				continue
			}
			name := "secrets." + m[1] + m[2]
			msg := fmt.Sprintf("${{ %s }} is interpolated into the run: script, where it is written into the script file and breaks on a quote; pass it through env: and use \"$%s\"", name, envName(m[1]+m[2]))
			if c := commandAt(cmds, i); c != nil && prints(c) {
				msg = fmt.Sprintf("`%s` prints ${{ %s }} to the log; never print a secret (the log mask misses transformed values)", cmdName(c), name)
			}
			r.fc.add(r.fc.scriptPos(e.Run, i), RuleSecret, 0, msg)
		}
	}
	// echo $TOKEN where TOKEN comes from a secret.
	for i := range cmds {
		c := &cmds[i]
		if !prints(c) {
			continue
		}
		args := c.args()
		if masks(args) {
			continue
		}
		for _, w := range args[1:] {
			if name, expr := r.secretVarIn(w.raw, stepSecr); name != "" {
				r.fc.add(r.fc.scriptPos(e.Run, w.start), RuleSecret, 0, fmt.Sprintf("`%s` prints $%s, which holds ${{ %s }}; never print a secret (the log mask misses transformed values)", cmdName(c), name, expr))
				break
			}
		}
	}
	return nil
}

// masks reports whether an echo registers a value with the log mask (::add-mask::), which is
// how a secret is hidden, not leaked.
func masks(args []word) bool {
	for _, w := range args {
		if strings.Contains(w.raw, "::add-mask::") {
			return true
		}
	}
	return false
}

func envName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}

// secretVarIn finds an expansion $NAME or ${NAME...} of an env var holding a secret in a word.
// Single-quoted text and command substitutions are skipped: the first is not expanded, the
// second prints its command's output, not the variable.
func (r *secretRule) secretVarIn(raw string, step map[string]string) (string, string) {
	inDouble := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '\\':
			i++
			continue
		case c == '"':
			inDouble = !inDouble
			continue
		case c == '\'' && !inDouble:
			i = skipSingle(raw, i) - 1
			continue
		case c == '`':
			i = skipBacktick(raw, i) - 1
			continue
		case c != '$' || i+1 >= len(raw):
			continue
		}
		if raw[i+1] == '(' {
			i = skipBalanced(raw, i+1) - 1
			continue
		}
		j := i + 1
		if raw[j] == '{' {
			j++
		}
		k := j
		for k < len(raw) && (raw[k] == '_' || raw[k] >= 'A' && raw[k] <= 'Z' || raw[k] >= 'a' && raw[k] <= 'z' || k > j && raw[k] >= '0' && raw[k] <= '9') {
			k++
		}
		name := raw[j:k]
		if name == "" {
			continue
		}
		for _, m := range []map[string]string{step, r.jobSecr, r.wfSecrets} {
			if expr, ok := m[name]; ok {
				return name, expr
			}
		}
	}
	return "", ""
}

// prints reports whether a command writes its arguments to the step log: an echo or printf
// whose output is neither redirected to a file nor piped into another command.
func prints(c *command) bool {
	n := cmdName(c)
	return (n == "echo" || n == "printf") && !c.redirected && c.op != "|" && c.op != "|&"
}

func commandAt(cmds []command, off int) *command {
	for i := range cmds {
		for _, w := range cmds[i].words {
			if off >= w.start && off < w.end {
				return &cmds[i]
			}
		}
	}
	return nil
}

// ---- merge-queue ----

type mergeQueueRule struct {
	actionlint.RuleBase
	fc *fileCtx
}

func (r *mergeQueueRule) VisitWorkflowPre(w *actionlint.Workflow) error {
	branches := r.fc.l.opts.MergeQueueBranches
	if len(branches) == 0 {
		return nil
	}
	var pr *actionlint.WebhookEvent
	for _, e := range w.On {
		if e.EventName() == "merge_group" {
			return nil
		}
		if we, ok := e.(*actionlint.WebhookEvent); ok && e.EventName() == "pull_request" {
			pr = we
		}
	}
	if pr == nil || pr.Hook == nil {
		return nil
	}
	var matched []string
	if pr.Branches.IsEmpty() {
		matched = branches
	} else {
		for _, q := range branches {
			for _, b := range pr.Branches.Values {
				if b != nil && (b.Value == q || globMatch(b.Value, q)) {
					matched = append(matched, q)
					break
				}
			}
		}
	}
	target := strings.Join(matched, ", ")
	if target == "" {
		return nil
	}
	r.fc.add(pr.Hook.Pos, RuleMergeQueue, 0, fmt.Sprintf("workflow runs on pull_request for %s but has no merge_group trigger, so in the merge queue its check never reports and the queue stalls", target))
	return nil
}

func globMatch(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

func isTrue(b *actionlint.Bool) bool {
	return b != nil && b.Expression == nil && b.Value
}
