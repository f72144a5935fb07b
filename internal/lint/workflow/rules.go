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

// This file holds the pinning rules (unpinned-action, floating-ref), missing-timeout,
// excessive-permissions and merge-queue.

// ---- unpinned-action and floating-ref ----

var ruleUnpinned = &Rule{
	ID:       RuleUnpinned,
	Severity: report.Warning,
	Doc:      "a third-party action at a movable tag or branch (or a docker:// image without a digest) can change under the workflow; pin a full commit SHA",
	Fix:      "pin the action to a full 40-character commit SHA, with the tag in a comment: uses: owner/repo@<sha> # v1.2.3",
	Bad: `on: push
permissions: {contents: read}
jobs:
  lint:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: golangci/golangci-lint-action@v6
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  lint:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: golangci/golangci-lint-action@55c2c1448f86e01eaae002a5a3a9624417608d84 # v6.5.2
`,
	Applies: Workflows | Actions,
	Check:   func(f *File, r *Reporter) { checkPins(f, r, RuleUnpinned) },
}

var ruleFloating = &Rule{
	ID:       RuleFloating,
	Severity: report.Error,
	Doc:      "the org's own actions, reusable workflows and checkouts at a branch run whatever that branch holds at the time, so builds are not reproducible (a checkout the job pushes to must follow its branch and is not reported); a literal ref: branch checkout in a tag- or release-triggered workflow builds that branch, not the tag; a tag every release moves (@v1, @v1.2) is accepted unless lint.pinning.major-tags is refuse",
	Fix:      "call the org's actions and workflows at a release tag (v1, v1.2.3) or a commit SHA, and give checkouts of org repositories a ref:",
	Bad: `on: push
permissions: {contents: read}
jobs:
  lint:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: Molecule-AI/molecule-ci@main
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  lint:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: Molecule-AI/molecule-ci@v1
`,
	Applies: Workflows | Actions,
	Check:   func(f *File, r *Reporter) { checkPins(f, r, RuleFloating) },
}

// checkPins reports the pinning findings of one of the two pinning rules: both judge every
// uses: and checkout, each reports its own.
func checkPins(f *File, r *Reporter, rule string) {
	report := func(pos *actionlint.Pos, id, msg string) {
		if id == rule {
			r.Report(pos, msg)
		}
	}
	for _, j := range f.Jobs {
		if j.WorkflowCall != nil && j.WorkflowCall.Uses != nil {
			f.checkUses(j.WorkflowCall.Uses, "reusable workflow", report)
		}
		for _, s := range j.Steps {
			e := s.Action()
			if e == nil {
				continue
			}
			f.checkUses(e.Uses, "action", report)
			if isCheckout(e.Uses.Value) {
				checkCheckoutRef(s, e, report)
			}
		}
	}
}

// checkCheckoutRef judges the ref: and repository: of an actions/checkout step.
func checkCheckoutRef(s *Step, e *actionlint.ExecAction, report func(*actionlint.Pos, string, string)) {
	f := s.Job.File
	repo, ref := e.Inputs["repository"], e.Inputs["ref"]
	if ref != nil && ref.Value != nil && (repo == nil || repo.Value == nil || ownRepo.MatchString(repo.Value.Value)) {
		// The workflow's own repository at a literal branch: on a tag push that builds the
		// branch, not the tag that was pushed.
		v := strings.TrimSpace(ref.Value.Value)
		if trig := f.tagTrigger(); trig != "" && v != "" && !s.Job.pushesFrom(inputValue(e, "path")) && s.buildsAfter() && !strings.Contains(v, "${{") && !isFullSHA(v) && !isReleaseTag(v) && !strings.HasPrefix(v, "refs/tags/") {
			report(ref.Value.Pos, RuleFloating, fmt.Sprintf("actions/checkout at ref: %s in a workflow triggered by %s builds the head of %s, not the tag that was pushed; drop ref: (the default is the triggering tag) or use ${{ github.ref }}", v, trig, v))
		}
		return
	}
	if repo == nil || repo.Value == nil || ref != nil {
		return
	}
	v := repo.Value.Value
	if !f.isOrg(ownerOf(v)) {
		return
	}
	if s.Job.pushesFrom(inputValue(e, "path")) {
		return // the job commits to that repository, so it must follow its branch
	}
	report(repo.Value.Pos, RuleFloating, fmt.Sprintf("actions/checkout of %s has no ref:, so the job builds whatever its default branch holds when it runs; pin ref: to a tag or commit SHA", v))
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

// buildsAfter reports whether the job builds anything after step s: a run: step, a
// local action, or an action that builds or publishes. A job that only hands the checkout to
// an action that reads its history (to comment on released pull requests) builds nothing.
func (s *Step) buildsAfter() bool {
	for _, st := range s.Later() {
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
func (f *File) tagTrigger() string {
	for _, e := range f.Workflow.On {
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

// pushActionNames are the repositories of actions that commit and push from a job, whoever
// publishes them (forks such as tauri-apps/create-pull-request do the same).
var pushActionNames = []string{"git-auto-commit-action", "create-pull-request", "add-and-commit", "github-push-action"}

// isPushAction reports whether uses: names an action that commits and pushes.
func isPushAction(uses string) bool {
	u := strings.ToLower(uses)
	if i := strings.IndexByte(u, '@'); i >= 0 {
		u = u[:i]
	}
	if u == "github-actions-x/commit" {
		return true
	}
	_, name, ok := strings.Cut(u, "/")
	return ok && slices.Contains(pushActionNames, name)
}

// pushesFrom reports whether the job pushes commits from the checkout at dir ("" for
// the workspace root): `git push` in a run: step working there (working-directory:, a `cd dir`
// before the push, `git -C dir push`), or a commit-and-push action whose path: is dir.
func (j *Job) pushesFrom(dir string) bool {
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
	for _, s := range j.Steps {
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run == nil || !strings.Contains(e.Run.Value, "push") {
				continue
			}
			sc := s.Script()
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
			if !isPushAction(e.Uses.Value) {
				continue
			}
			where := ""
			for _, k := range []string{"path", "repository", "cwd"} {
				if in := e.Inputs[k]; in != nil && in.Value != nil {
					where = in.Value.Value
				}
			}
			if inDir(where) {
				return true
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

// checkUses judges one uses: reference, reporting through report under the rule it breaks.
func (f *File) checkUses(u *actionlint.String, what string, report func(*actionlint.Pos, string, string)) {
	spec := strings.TrimSpace(u.Value)
	if spec == "" || strings.HasPrefix(spec, "./") || strings.Contains(spec, "${{") {
		return
	}
	if strings.HasPrefix(spec, "docker://") {
		if !strings.Contains(spec, "@sha256:") {
			report(u.Pos, RuleUnpinned, fmt.Sprintf("container image %s is not pinned by digest; use docker://<image>@sha256:<digest>", spec))
		}
		return
	}
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return // actionlint reports the malformed spec
	}
	name, ref := spec[:at], spec[at+1:]
	owner := ownerOf(name)
	if f.isOrg(owner) {
		switch {
		case !isFullSHA(ref) && !isReleaseTag(ref):
			report(u.Pos, RuleFloating, fmt.Sprintf("%s %s is called at %q, a branch that moves under every caller; use a release tag (e.g. v1) or a commit SHA", what, name, ref))
		case f.opts.RefuseMajorTags && isMovingTag(ref):
			report(u.Pos, RuleFloating, fmt.Sprintf("%s %s is called at %q, a tag that every release moves, and lint.pinning.major-tags is refuse; call a release (e.g. %s.0) or its commit SHA with the version in a comment", what, name, ref, movingTagExample(ref)))
		}
		return
	}
	if isFullSHA(ref) {
		return
	}
	if f.opts.PinPolicy == PolicyTag || f.isFirstParty(owner) {
		if !isReleaseTag(ref) {
			report(u.Pos, RuleUnpinned, fmt.Sprintf("%s %s is at %q, which is not a release tag; pin a release tag or a full commit SHA", what, name, ref))
		}
		return
	}
	report(u.Pos, RuleUnpinned, fmt.Sprintf("third-party %s %s is pinned to %q, which its owner can move; pin a full 40-character commit SHA", what, name, ref))
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

// movingTag is a tag a release moves: the major (v1) or minor (v1.2) line it belongs to.
var movingTag = regexp.MustCompile(`^v?\d+(\.\d+)?$`)

func isMovingTag(s string) bool { return movingTag.MatchString(s) }

// movingTagExample is a release of the line a moving tag names: v1 -> v1.0, v1.2 -> v1.2 (the
// message appends ".0").
func movingTagExample(s string) string {
	if strings.Count(s, ".") == 0 {
		return s + ".0"
	}
	return s
}

// ---- missing-timeout ----

var ruleTimeout = &Rule{
	ID:       RuleTimeout,
	Severity: report.Warning,
	Doc:      "a job without timeout-minutes can hang for six hours, holding a runner",
	Fix:      "add timeout-minutes: to the job, a little above its usual duration",
	Bad: `on: push
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	Applies: Workflows,
	Check:   checkTimeouts,
}

func checkTimeouts(f *File, r *Reporter) {
	for _, j := range f.Jobs {
		// A job that calls a reusable workflow cannot set timeout-minutes; its jobs must. Gitea
		// 1.25 and earlier ignore timeout-minutes (act_runner's runner.timeout bounds the job).
		if f.Gitea || j.WorkflowCall != nil || j.TimeoutMinutes != nil || j.ID == nil {
			continue
		}
		r.Report(j.ID.Pos, fmt.Sprintf("job %q has no timeout-minutes, so a hung step holds the runner for the default 360 minutes", j.ID.Value))
	}
}

// ---- excessive-permissions ----

var rulePermissions = &Rule{
	ID:       RulePermissions,
	Severity: report.Warning,
	Doc:      "the GITHUB_TOKEN should have the least scopes: declare top-level permissions; on pull_request no write scopes other than those that report results (security-events, checks, statuses, pull-requests, issues); on pull_request_target, workflow_run and issue_comment, write scopes only matter in jobs that run the PR's code (see dangerous-trigger)",
	Fix:      "declare `permissions:` with the least scopes each job needs (e.g. contents: read)",
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
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	Applies: Workflows,
	Check:   checkPermissions,
}

// prReportScopes are the write scopes a pull_request workflow needs to report its results
// (code scanning, checks, statuses, PR comments). A fork's pull_request token is read-only
// whatever the workflow asks, and a same-repository branch's author can already write.
var prReportScopes = map[string]bool{"security-events": true, "checks": true, "statuses": true, "pull-requests": true, "issues": true}

// permissionsCheck is the state of excessive-permissions on one file.
type permissionsCheck struct {
	r *Reporter
	// onPR: the workflow runs on pull_request; untrustedEvent: on pull_request_target or
	// workflow_run, where the base repository's token and secrets are in reach.
	onPR           bool
	untrustedEvent string
}

func checkPermissions(f *File, r *Reporter) {
	c := &permissionsCheck{r: r, onPR: f.On("pull_request"), untrustedEvent: f.untrustedEvent()}
	if f.Gitea {
		return // Gitea 1.25 and earlier ignore permissions: (reported by gitea-compat)
	}
	w := f.Workflow
	if w.Permissions == nil {
		all := len(w.Jobs) > 0
		for _, j := range w.Jobs {
			all = all && j != nil && (j.Permissions != nil || j.WorkflowCall != nil)
		}
		if !all {
			r.Report(&actionlint.Pos{Line: 1, Col: 1}, "workflow has no top-level permissions:, so its jobs get the repository's default GITHUB_TOKEN scopes (often write-all); declare the least it needs, e.g. permissions: {contents: read}")
		}
	}
	// Workflow-level writes reach every job that does not declare its own permissions.
	runsPR := false
	for _, j := range f.Jobs {
		runsPR = runsPR || j.Permissions == nil && len(j.prCodeCheckouts()) > 0
	}
	c.checkWrites(w.Permissions, "workflow", runsPR)
	for _, j := range f.Jobs {
		if j.If != nil && pushOnly.MatchString(j.If.Value) && !strings.Contains(j.If.Value, "pull_request") {
			continue // the job never runs for a pull request, so its token never meets PR code
		}
		// The checkout itself is dangerous-trigger's finding; here, the scopes it reaches.
		if pc := j.prCodeCheckouts(); len(pc) > 0 {
			jc := *c
			jc.untrustedEvent = pc[0].event
			jc.checkWrites(j.Permissions, fmt.Sprintf("job %q", jobID(j.Job)), true)
		} else {
			c.checkWrites(j.Permissions, fmt.Sprintf("job %q", jobID(j.Job)), false)
		}
	}
}

// pushOnly matches job conditions that exclude pull request events.
var pushOnly = regexp.MustCompile(`github\.event_name\s*==\s*['"](push|schedule|workflow_dispatch|release)['"]|startsWith\(\s*github\.ref\s*,\s*['"]refs/tags/|github\.ref\s*==\s*['"]refs/(heads|tags)/`)

// checkWrites reports write scopes where a pull request can use them: on pull_request_target
// or workflow_run when the job runs the PR's code, and on pull_request except the scopes that
// only report results.
func (c *permissionsCheck) checkWrites(p *actionlint.Permissions, where string, runsPRCode bool) {
	if p == nil {
		return
	}
	switch {
	case runsPRCode:
		if p.All != nil && p.All.Value == "write-all" {
			c.r.Report(p.All.Pos, fmt.Sprintf("%s grants write-all on %s and checks out the pull request's code, which then runs with that token; keep write scopes out of jobs that run PR code", where, c.untrustedEvent))
		}
		for _, s := range scopes(p) {
			if s.Value != nil && s.Value.Value == "write" {
				c.r.Report(s.Value.Pos, fmt.Sprintf("%s grants %s: write on %s and checks out the pull request's code, which then runs with that token; move writes to a job that does not run PR code", where, s.Name.Value, c.untrustedEvent))
			}
		}
	case c.onPR:
		if p.All != nil && p.All.Value == "write-all" {
			c.r.Report(p.All.Pos, fmt.Sprintf("%s grants write-all on pull_request, where code from the repository's own branches runs with that token; grant only the scopes it needs", where))
		}
		for _, s := range scopes(p) {
			if s.Value != nil && s.Value.Value == "write" && !prReportScopes[s.Name.Value] {
				c.r.Report(s.Value.Pos, fmt.Sprintf("%s grants %s: write on pull_request, where code from the repository's own branches runs with that token; move writes to a push or release workflow", where, s.Name.Value))
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

var ruleMergeQueue = &Rule{
	ID:       RuleMergeQueue,
	Severity: report.Warning,
	Doc:      "a required pull_request workflow without a merge_group trigger never reports in the merge queue, which then stalls (workflows named for publishing, releases, deploys, previews, stats, comments, labels or notifications are not required checks and are not reported)",
	Fix:      "add `merge_group:` to the workflow's `on:` triggers",
	Bad: `on:
  pull_request:
    branches: [main]
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	Good: `on:
  pull_request:
    branches: [main]
  merge_group:
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	ExampleConfig: "lint:\n  merge-queue-branches: [main]\n",
	Applies:       Workflows,
	Check:         checkMergeQueue,
}

func checkMergeQueue(f *File, r *Reporter) {
	w := f.Workflow
	branches := f.opts.MergeQueueBranches
	// Gitea has no merge queue (no merge_group event), so its workflows cannot stall one.
	if len(branches) == 0 || f.Gitea || notACheck(f.Path, w) {
		return
	}
	var pr *actionlint.WebhookEvent
	for _, e := range w.On {
		if e.EventName() == "merge_group" {
			return
		}
		if we, ok := e.(*actionlint.WebhookEvent); ok && e.EventName() == "pull_request" {
			pr = we
		}
	}
	if pr == nil || pr.Hook == nil {
		return
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
		return
	}
	r.Report(pr.Hook.Pos, fmt.Sprintf("workflow runs on pull_request for %s but has no merge_group trigger, so in the merge queue its check never reports and the queue stalls", target))
}

// notCheckWords name workflows that run on pull requests without being a check anyone requires:
// bots that comment, label, greet, warn or merge, stats, notifiers, previews and publishing.
var notCheckWords = map[string]bool{
	"publish": true, "release": true, "deploy": true, "notify": true, "automerge": true, "warn": true, "warning": true, "notifier": true, "stats": true,
	"comment": true, "comments": true, "label": true, "labeler": true, "labels": true, "preview": true,
	"welcome": true, "greetings": true, "greeting": true, "stale": true, "triage": true, "size": true,
}

// notACheck reports whether the workflow's name or file name says it is not a required check.
func notACheck(file string, w *actionlint.Workflow) bool {
	names := []string{strings.TrimSuffix(path.Base(file), path.Ext(file))}
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
