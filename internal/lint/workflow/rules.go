package workflow

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/shell"
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
		&giteaRule{base(RuleGitea), fc},
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
	repo, ref := e.Inputs["repository"], e.Inputs["ref"]
	if ref != nil && ref.Value != nil && (repo == nil || repo.Value == nil || ownRepo.MatchString(repo.Value.Value)) {
		// The workflow's own repository at a literal branch: on a tag push that builds the
		// branch, not the tag that was pushed.
		v := strings.TrimSpace(ref.Value.Value)
		if trig := r.fc.tagTrigger(); trig != "" && v != "" && !r.fc.jobPushesFrom(inputValue(e, "path")) && r.fc.buildsAfter(s) && !strings.Contains(v, "${{") && !isFullSHA(v) && !isReleaseTag(v) && !strings.HasPrefix(v, "refs/tags/") {
			r.fc.add(ref.Value.Pos, RuleFloating, 0, fmt.Sprintf("actions/checkout at ref: %s in a workflow triggered by %s builds the head of %s, not the tag that was pushed; drop ref: (the default is the triggering tag) or use ${{ github.ref }}", v, trig, v))
		}
		return nil
	}
	if repo == nil || repo.Value == nil || ref != nil {
		return nil
	}
	v := repo.Value.Value
	if !strings.HasPrefix(strings.ToLower(v), strings.ToLower(r.fc.l.opts.Org)+"/") {
		return nil
	}
	if r.fc.jobPushesFrom(inputValue(e, "path")) {
		return nil // the job commits to that repository, so it must follow its branch
	}
	r.fc.add(repo.Value.Pos, RuleFloating, 0, fmt.Sprintf("actions/checkout of %s has no ref:, so the job builds whatever its default branch holds when it runs; pin ref: to a tag or commit SHA", v))
	return nil
}

// buildActions build, package or publish what is checked out.
var buildActions = []string{
	"docker/build-push-action", "docker/bake-action", "goreleaser/goreleaser-action", "softprops/action-gh-release",
	"svenstaro/upload-release-action", "actions/upload-release-asset", "actions/upload-artifact",
	"pypa/gh-action-pypi-publish", "actions-rs/cargo", "gradle/gradle-build-action", "gradle/actions",
	"peaceiris/actions-gh-pages", "jamesives/github-pages-deploy-action", "actions/upload-pages-artifact",
	"ncipollo/release-action", "jreleaser/release-action", "samuelmeuli/action-electron-builder",
}

var buildOrGateActions = append(slices.Clip(buildActions), gateActions...)

// buildsAfter reports whether the current job builds anything after step s: a run: step, a
// local action, or an action that builds or publishes. A job that only hands the checkout to
// an action that reads its history (to comment on released pull requests) builds nothing.
func (fc *fileCtx) buildsAfter(s *actionlint.Step) bool {
	if fc.job == nil {
		return true
	}
	i := slices.Index(fc.job.Steps, s)
	if i < 0 {
		return true
	}
	for _, st := range fc.job.Steps[i+1:] {
		switch e := st.Exec.(type) {
		case *actionlint.ExecRun:
			return true
		case *actionlint.ExecAction:
			if e.Uses == nil {
				continue
			}
			u := strings.ToLower(e.Uses.Value)
			if strings.HasPrefix(u, "./") || strings.HasPrefix(u, "docker://") ||
				slices.ContainsFunc(buildOrGateActions, func(p string) bool { return strings.HasPrefix(u, p) }) {
				return true
			}
		}
	}
	return false
}

// ownRepo matches a repository: input that names the workflow's own repository.
var ownRepo = regexp.MustCompile(`^\s*\$\{\{\s*github\.repository\s*\}\}\s*$`)

// tagTrigger names the trigger that runs the workflow for a tag: push with tags:, or release.
func (fc *fileCtx) tagTrigger() string {
	if fc.wf == nil {
		return ""
	}
	for _, e := range fc.wf.On {
		we, ok := e.(*actionlint.WebhookEvent)
		if !ok {
			continue
		}
		switch e.EventName() {
		case "release":
			return "release"
		case "push":
			if !we.Tags.IsEmpty() {
				return "push of tags"
			}
		}
	}
	return ""
}

// pushActions commit and push from a job.
var pushActions = []string{"stefanzweifel/git-auto-commit-action", "peter-evans/create-pull-request", "endbug/add-and-commit", "ad-m/github-push-action", "github-actions-x/commit"}

// jobPushesFrom reports whether the current job pushes commits from the checkout at dir ("" for
// the workspace root): `git push` in a run: step working there (working-directory:, a `cd dir`
// before the push, `git -C dir push`), or a commit-and-push action whose path: is dir.
func (fc *fileCtx) jobPushesFrom(dir string) bool {
	if fc.job == nil {
		return false
	}
	dir = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(dir), "./"), "/")
	if dir == "." {
		dir = ""
	}
	inDir := func(d string) bool {
		d = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(d), "./"), "/")
		d = strings.TrimPrefix(strings.TrimPrefix(d, "$GITHUB_WORKSPACE/"), "${{ github.workspace }}/")
		if d == "." {
			d = ""
		}
		return d == dir
	}
	for _, s := range fc.job.Steps {
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run == nil || !strings.Contains(e.Run.Value, "push") {
				continue
			}
			sc, err := shell.Parse(e.Run.Value, shell.Options{MaskExpressions: true})
			if err != nil {
				continue
			}
			cwd := ""
			if e.WorkingDirectory != nil {
				cwd = e.WorkingDirectory.Value
			}
			for _, c := range sc.Cmds {
				args, _ := shell.Unwrap(c.Args)
				v := shell.Values(args)
				if len(v) > 1 && (v[0] == "cd" || v[0] == "pushd") {
					cwd = v[1]
				}
				if len(v) < 2 || v[0] != "git" || !slices.Contains(v[1:], "push") {
					continue
				}
				where := cwd
				if v[1] == "-C" && len(v) > 2 {
					where = v[2]
				}
				if inDir(where) {
					return true
				}
			}
		case *actionlint.ExecAction:
			if e.Uses == nil {
				continue
			}
			u := strings.ToLower(e.Uses.Value)
			for _, p := range pushActions {
				if !strings.HasPrefix(u, p+"@") {
					continue
				}
				where := ""
				for _, k := range []string{"path", "repository"} {
					if in := e.Inputs[k]; in != nil && in.Value != nil {
						where = in.Value.Value
					}
				}
				if inDir(where) {
					return true
				}
			}
		}
	}
	return false
}

func inputValue(e *actionlint.ExecAction, name string) string {
	if in := e.Inputs[name]; in != nil && in.Value != nil {
		return in.Value.Value
	}
	return ""
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
	// A job that calls a reusable workflow cannot set timeout-minutes; its jobs must. Gitea 1.25
	// and earlier ignore timeout-minutes (act_runner's runner.timeout bounds the job).
	if r.fc.gitea || j.WorkflowCall != nil || j.TimeoutMinutes != nil || j.ID == nil {
		return nil
	}
	r.fc.add(j.ID.Pos, RuleTimeout, 0, fmt.Sprintf("job %q has no timeout-minutes, so a hung step holds the runner for the default 360 minutes", j.ID.Value))
	return nil
}

// ---- excessive-permissions ----

type permissionsRule struct {
	actionlint.RuleBase
	fc *fileCtx
	// onPR: the workflow runs on pull_request; untrustedEvent: on pull_request_target or
	// workflow_run, where the base repository's token and secrets are in reach.
	onPR           bool
	untrustedEvent string
	// prCodeJobs are the jobs that check out or fetch the pull request's code.
	prCodeJobs map[*actionlint.Job][]prCheckout
}

// prReportScopes are the write scopes a pull_request workflow needs to report its results
// (code scanning, checks, statuses, PR comments). A fork's pull_request token is read-only
// whatever the workflow asks, and a same-repository branch's author can already write.
var prReportScopes = map[string]bool{"security-events": true, "checks": true, "statuses": true, "pull-requests": true, "issues": true}

func (r *permissionsRule) VisitWorkflowPre(w *actionlint.Workflow) error {
	for _, e := range w.On {
		switch e.EventName() {
		case "pull_request":
			r.onPR = true
		case "pull_request_target", "workflow_run":
			r.untrustedEvent = e.EventName()
		}
	}
	if r.fc.gitea {
		return nil // Gitea 1.25 and earlier ignore permissions: (reported by gitea-compat)
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
	r.prCodeJobs = map[*actionlint.Job][]prCheckout{}
	if r.untrustedEvent != "" {
		saved := r.fc.job
		for _, j := range w.Jobs {
			r.fc.job = j
			if cs := r.fc.prCodeCheckouts(j); len(cs) > 0 {
				r.prCodeJobs[j] = cs
			}
		}
		r.fc.job = saved
	}
	// Workflow-level writes reach every job that does not declare its own permissions.
	var runsPR []*actionlint.Job
	for j := range r.prCodeJobs {
		if j.Permissions == nil {
			runsPR = append(runsPR, j)
		}
	}
	r.checkWrites(w.Permissions, "workflow", len(runsPR) > 0)
	return nil
}

func (r *permissionsRule) VisitJobPre(j *actionlint.Job) error {
	if r.fc.gitea {
		return nil
	}
	if j.If != nil && pushOnly.MatchString(j.If.Value) && !strings.Contains(j.If.Value, "pull_request") {
		return nil // the job never runs for a pull request, so its token never meets PR code
	}
	r.checkWrites(j.Permissions, fmt.Sprintf("job %q", jobID(j)), len(r.prCodeJobs[j]) > 0)
	for _, c := range r.prCodeJobs[j] {
		r.fc.add(c.pos, RulePermissions, report.Error, fmt.Sprintf("%s checks out the pull request's code (%s): untrusted code then runs with the base repository's secrets and token", r.untrustedEvent, c.what))
	}
	return nil
}

// pushOnly matches job conditions that exclude pull request events.
var pushOnly = regexp.MustCompile(`github\.event_name\s*==\s*['"](push|schedule|workflow_dispatch|release)['"]|startsWith\(\s*github\.ref\s*,\s*['"]refs/tags/|github\.ref\s*==\s*['"]refs/(heads|tags)/`)

// checkWrites reports write scopes where a pull request can use them: on pull_request_target
// or workflow_run when the job runs the PR's code, and on pull_request except the scopes that
// only report results.
func (r *permissionsRule) checkWrites(p *actionlint.Permissions, where string, runsPRCode bool) {
	if p == nil {
		return
	}
	switch {
	case runsPRCode:
		if p.All != nil && p.All.Value == "write-all" {
			r.fc.add(p.All.Pos, RulePermissions, 0, fmt.Sprintf("%s grants write-all on %s and checks out the pull request's code, which then runs with that token; keep write scopes out of jobs that run PR code", where, r.untrustedEvent))
		}
		for _, s := range scopes(p) {
			if s.Value != nil && s.Value.Value == "write" {
				r.fc.add(s.Value.Pos, RulePermissions, 0, fmt.Sprintf("%s grants %s: write on %s and checks out the pull request's code, which then runs with that token; move writes to a job that does not run PR code", where, s.Name.Value, r.untrustedEvent))
			}
		}
	case r.onPR:
		if p.All != nil && p.All.Value == "write-all" {
			r.fc.add(p.All.Pos, RulePermissions, 0, fmt.Sprintf("%s grants write-all on pull_request, where code from the repository's own branches runs with that token; grant only the scopes it needs", where))
		}
		for _, s := range scopes(p) {
			if s.Value != nil && s.Value.Value == "write" && !prReportScopes[s.Name.Value] {
				r.fc.add(s.Value.Pos, RulePermissions, 0, fmt.Sprintf("%s grants %s: write on pull_request, where code from the repository's own branches runs with that token; move writes to a push or release workflow", where, s.Name.Value))
			}
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

// ---- merge-queue ----

type mergeQueueRule struct {
	actionlint.RuleBase
	fc *fileCtx
}

func (r *mergeQueueRule) VisitWorkflowPre(w *actionlint.Workflow) error {
	branches := r.fc.l.opts.MergeQueueBranches
	// Gitea has no merge queue (no merge_group event), so its workflows cannot stall one.
	if len(branches) == 0 || r.fc.gitea || r.notACheck(w) {
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

// notCheckWords name workflows that run on pull requests without being a check anyone requires:
// bots that comment, label, greet, warn or merge, stats, notifiers, previews and publishing.
var notCheckWords = map[string]bool{
	"publish": true, "release": true, "deploy": true, "notify": true, "automerge": true, "warn": true, "warning": true, "notifier": true, "stats": true,
	"comment": true, "comments": true, "label": true, "labeler": true, "labels": true, "preview": true,
	"welcome": true, "greetings": true, "greeting": true, "stale": true, "triage": true, "size": true,
}

// notACheck reports whether the workflow's name or file name says it is not a required check.
func (r *mergeQueueRule) notACheck(w *actionlint.Workflow) bool {
	names := []string{strings.TrimSuffix(path.Base(r.fc.path), path.Ext(r.fc.path))}
	if w.Name != nil {
		names = append(names, w.Name.Value)
	}
	for _, n := range names {
		ts := tokens(n)
		for _, t := range ts {
			if notCheckWords[t] {
				return true
			}
		}
		// A benchmark only prints timings, unless the workflow says it also tests or lints.
		if slices.ContainsFunc(ts, func(t string) bool { return t == "benchmark" || t == "benchmarks" }) &&
			!slices.ContainsFunc(ts, func(t string) bool { return gateWords[t] }) {
			return true
		}
	}
	return false
}

func globMatch(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

func isTrue(b *actionlint.Bool) bool {
	return b != nil && b.Expression == nil && b.Value
}
