// Package workflow owns the linting of GitHub Actions workflows and action metadata: every check
// of actionlint (used as a library, one parse per file) reported as actionlint/<kind>, plus the
// organisation's own rules — gates that cannot fail, unpinned and floating action refs, missing
// timeouts, excessive permissions, secret exposure and merge-queue triggers — implemented as
// actionlint rules so that they walk the same syntax tree.
//
// A Linter is safe for concurrent use: actionlint's Linter is not (its project cache mutates),
// so this package drives actionlint.Parse and the rule list itself, the way Linter.check does,
// and shares only the thread-safe per-project caches.
package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/lint/scriptcheck"
	"github.com/Molecule-AI/molecule-ci/internal/lint/secretscan"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Kind says whether a file is a workflow or action metadata.
type Kind int

// The kinds of file Lint understands. .github/workflows/*, .gitea/workflows/* and
// workflows-shared/** are workflows; action.yml and action.yaml are action metadata.
const (
	KindWorkflow Kind = iota
	KindAction
)

// Options configures a Linter. The zero value is the organisation's defaults.
type Options struct {
	// Org owns the actions and reusable workflows that must not float; default "Molecule-AI".
	Org string
	// PinPolicy is "sha" (default: third-party actions at full commit SHAs, trusted owners may use
	// tags) or "tag" (release tags are enough).
	PinPolicy string
	// TrustedOwners may use release tags under policy sha; default {"actions", "github"}.
	TrustedOwners []string
	// MergeQueueBranches have a merge queue; pull_request workflows for them need merge_group.
	MergeQueueBranches []string
	// RunnerLabels are extra self-hosted runner labels for actionlint's runner-label check.
	RunnerLabels []string
	// Scripts adds shellcheck/pyflakes rules; nil runs none.
	Scripts *scriptcheck.Checker
	// WorkDir is where relative paths start; it enables local action and reusable workflow
	// resolution. Empty disables both.
	WorkDir string
}

// The pin policies.
const (
	PolicySHA = "sha"
	PolicyTag = "tag"
)

// Linter lints workflow and action metadata files. It is safe for concurrent use.
type Linter struct {
	opts    Options
	cwd     string
	trusted map[string]bool

	mu       sync.Mutex
	byDir    map[string]*project // every directory looked up, including misses
	byRoot   map[string]*project
	noProj   *project
	baseConf *actionlint.Config
}

// project is one repository's shared, thread-safe actionlint caches.
type project struct {
	proj      *actionlint.Project
	actions   *actionlint.LocalActionsCache
	workflows *actionlint.LocalReusableWorkflowCache
	config    *actionlint.Config
}

// New validates opts and returns a Linter.
func New(opts Options) (*Linter, error) {
	if opts.Org == "" {
		opts.Org = "Molecule-AI"
	}
	switch opts.PinPolicy {
	case "":
		opts.PinPolicy = PolicySHA
	case PolicySHA, PolicyTag:
	default:
		return nil, fmt.Errorf("unknown pin policy %q (valid: %s, %s)", opts.PinPolicy, PolicySHA, PolicyTag)
	}
	if opts.TrustedOwners == nil {
		opts.TrustedOwners = []string{"actions", "github"}
	}
	l := &Linter{
		opts:    opts,
		trusted: map[string]bool{},
		byDir:   map[string]*project{},
		byRoot:  map[string]*project{},
	}
	for _, o := range opts.TrustedOwners {
		l.trusted[strings.ToLower(o)] = true
	}
	if opts.WorkDir != "" {
		abs, err := filepath.Abs(opts.WorkDir)
		if err != nil {
			return nil, fmt.Errorf("workflow linter: work dir %q: %w", opts.WorkDir, err)
		}
		l.cwd = abs
	}
	if len(opts.RunnerLabels) > 0 {
		l.baseConf = &actionlint.Config{}
		l.baseConf.SelfHostedRunner.Labels = slices.Clone(opts.RunnerLabels)
	}
	l.noProj = &project{
		actions:   actionlint.NewLocalActionsCache(nil, nil),
		workflows: actionlint.NewLocalReusableWorkflowCache(nil, l.cwd, nil),
		config:    l.baseConf,
	}
	return l, nil
}

// projectFor finds the repository a file belongs to (a directory with .github/workflows and
// .git, as actionlint decides) and its caches. Lookups are memoised per directory so that 1,500
// files in a few directories cost a few stats.
func (l *Linter) projectFor(path string) (*project, error) {
	if l.cwd == "" {
		return l.noProj, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.cwd, path)
	}
	dir := filepath.Dir(path)
	l.mu.Lock()
	defer l.mu.Unlock()
	var visited []string
	found := l.noProj
	for d := dir; ; {
		if p, ok := l.byDir[d]; ok {
			found = p
			break
		}
		visited = append(visited, d)
		if isDir(filepath.Join(d, ".github", "workflows")) && exists(filepath.Join(d, ".git")) {
			p, ok := l.byRoot[d]
			if !ok {
				ap, err := actionlint.NewProject(d)
				if err != nil {
					return nil, fmt.Errorf("load actionlint project %s: %w", d, err)
				}
				p = &project{
					proj:      ap,
					actions:   actionlint.NewLocalActionsCache(ap, nil),
					workflows: actionlint.NewLocalReusableWorkflowCache(ap, l.cwd, nil),
					config:    l.mergeConfig(ap.Config()),
				}
				l.byRoot[d] = p
			}
			found = p
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	for _, d := range visited {
		l.byDir[d] = found
	}
	return found, nil
}

// mergeConfig adds our runner labels to a repository's actionlint.yaml, without changing it.
func (l *Linter) mergeConfig(c *actionlint.Config) *actionlint.Config {
	if c == nil {
		return l.baseConf
	}
	if len(l.opts.RunnerLabels) == 0 {
		return c
	}
	m := *c
	m.SelfHostedRunner.Labels = append(slices.Clone(c.SelfHostedRunner.Labels), l.opts.RunnerLabels...)
	return &m
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Lint lints one file. path is what findings show and, when relative, is resolved against
// WorkDir for local action lookups. The error is only for the tool itself failing (a script
// checker crashed, a repository's actionlint.yaml is broken); problems in src are findings.
func (l *Linter) Lint(path string, src []byte, kind Kind) ([]report.Finding, error) {
	fs, pending, err := l.LintDeferred(path, src, kind)
	if err != nil || pending == nil {
		return fs, err
	}
	more, err := pending()
	if err != nil {
		return nil, err
	}
	return report.Sort(append(fs, more...)), nil
}

// Pending returns the findings of a file's script checks once the tools have answered, or the
// error of a tool that failed.
type Pending func() ([]report.Finding, error)

// LintDeferred is Lint with the script checks' findings left to pending (nil when there are
// none): the caller can lint many files, releasing each syntax tree, while the tools check
// their scripts in large batches, and collect the results at the end.
func (l *Linter) LintDeferred(path string, src []byte, kind Kind) (fs []report.Finding, pending Pending, err error) {
	defer func() {
		// A panic inside actionlint on hostile input must not take down a parallel lint run; it is
		// a defect in the tool, reported as such with the stack for the bug report.
		if r := recover(); r != nil {
			fs, pending, err = nil, nil, fmt.Errorf("workflow linter panicked on %s: %v\n%s", path, r, debug.Stack())
		}
	}()
	p, err := l.projectFor(path)
	if err != nil {
		return nil, nil, err
	}
	fc := &fileCtx{path: path, src: src, kind: kind, l: l, gitea: giteaFile(path)}
	switch kind {
	case KindAction:
		err = l.lintAction(fc, p)
	default:
		err = l.lintWorkflow(fc, p)
	}
	if err != nil {
		return nil, nil, err
	}
	fc.findings = append(fc.findings, secretscan.Scan(path, src)...)
	return report.Sort(fc.findings), fc.pending, nil
}

// ActionlintHelp is the documentation every actionlint/<kind> finding links to.
const ActionlintHelp = "https://github.com/rhysd/actionlint/blob/v1.7.12/docs/checks.md"

func (l *Linter) lintWorkflow(fc *fileCtx, p *project) error {
	w, errs := actionlint.Parse(fc.src)
	if w != nil {
		rules := []actionlint.Rule{
			actionlint.NewRuleMatrix(),
			actionlint.NewRuleCredentials(),
			actionlint.NewRuleShellName(),
			actionlint.NewRuleRunnerLabel(),
			actionlint.NewRuleEvents(),
			actionlint.NewRuleJobNeeds(),
			actionlint.NewRuleAction(p.actions),
			actionlint.NewRuleEnvVar(),
			actionlint.NewRuleID(),
			actionlint.NewRuleGlob(),
			actionlint.NewRulePermissions(),
			actionlint.NewRuleWorkflowCall(fc.path, p.workflows),
			actionlint.NewRuleExpression(p.actions, p.workflows),
			actionlint.NewRuleDeprecatedCommands(),
			actionlint.NewRuleIfCond(),
		}
		found, err := l.visit(fc, p, w, l.withScripts(fc, p, append(rules, orgRules(fc)...)))
		if err != nil {
			return err
		}
		errs = append(errs, found...)
		fc.reportLimits(w)
	}
	fc.addActionlint(errs, p.config)
	return nil
}

// withScripts appends the script checkers' rules for the file, when configured, and makes the
// file's pending findings collect them. The closure keeps what addActionlint needs, not the
// file's syntax tree.
func (l *Linter) withScripts(fc *fileCtx, p *project, rules []actionlint.Rule) []actionlint.Rule {
	if l.opts.Scripts == nil {
		return rules
	}
	scripts := l.opts.Scripts.File()
	path, gitea, cfg := fc.path, fc.gitea, p.config
	fc.pending = func() ([]report.Finding, error) {
		errs, err := scripts.Wait()
		if err != nil {
			return nil, fmt.Errorf("lint %s: %w", path, err)
		}
		out := &fileCtx{path: path, gitea: gitea}
		out.addActionlint(errs, cfg)
		return out.findings, nil
	}
	return append(rules, scripts.Rules()...)
}

// visit runs rules over one parsed workflow in a single pass and collects what they found (the
// deferred script rules' findings come later, from their Wait).
func (l *Linter) visit(fc *fileCtx, p *project, w *actionlint.Workflow, rules []actionlint.Rule) ([]*actionlint.Error, error) {
	v := actionlint.NewVisitor()
	for _, r := range rules {
		if p.config != nil {
			r.SetConfig(p.config)
		}
		v.AddPass(r)
	}
	if err := v.Visit(w); err != nil {
		return nil, fmt.Errorf("lint %s: %w", fc.path, err)
	}
	var errs []*actionlint.Error
	for _, r := range rules {
		errs = append(errs, r.Errs()...)
	}
	return errs, nil
}

// addActionlint turns actionlint errors into findings, dropping those the repository's
// actionlint.yaml ignores for this path, as the actionlint CLI would.
func (fc *fileCtx) addActionlint(errs []*actionlint.Error, cfg *actionlint.Config) {
	pcs := cfg.PathConfigs(fc.path)
next:
	for _, e := range errs {
		if mergedIntoInjection(e) {
			continue
		}
		for _, pc := range pcs {
			if pc.Ignore.Match(e) {
				continue next
			}
		}
		if fc.gitea && e.Kind == "runner-label" {
			continue // Gitea's labels are whatever its runners registered
		}
		fc.findings = append(fc.findings, report.Finding{
			Path: fc.path,
			// A YAML error at the end of the stream comes with line 0; the file still has a line 1.
			Line:     max(e.Line, 1),
			Col:      max(e.Column, 1),
			Rule:     "actionlint/" + e.Kind,
			Severity: actionlintSeverity(e),
			Message:  e.Message,
			Help:     ActionlintHelp,
		})
	}
}

// shellcheckLevel finds shellcheck's own level in the message actionlint builds from it:
// "shellcheck reported issue in this script: SC2129:style:20:1: ...".
var shellcheckLevel = regexp.MustCompile(`: SC\d+:(style|info|warning|error):`)

// actionlintSeverity is error for everything actionlint finds, except shellcheck's style and
// info notes (info) and its warnings (warning): a required check that fails on "consider
// { cmd1; cmd2; } >> file" teaches people to ignore it.
func actionlintSeverity(e *actionlint.Error) report.Severity {
	if e.Kind != "shellcheck" {
		return report.Error
	}
	m := shellcheckLevel.FindStringSubmatch(e.Message)
	if m == nil {
		return report.Error
	}
	switch m[1] {
	case "style", "info":
		return report.Info
	case "warning":
		return report.Warning
	}
	return report.Error
}

// The rule ids of this package.
const (
	RuleGate           = "gate-cannot-fail"
	RuleUnpinned       = "unpinned-action"
	RuleFloating       = "floating-ref"
	RuleTimeout        = "missing-timeout"
	RulePermissions    = "excessive-permissions"
	RuleSecret         = "secret-exposure"
	RuleMergeQueue     = "merge-queue"
	RuleActionMetadata = "action-metadata"
	RuleInjection      = "template-injection"
	// RuleScriptNotAnalyzed is a run: script over the shell analysis's limits, which no org rule
	// could read.
	RuleScriptNotAnalyzed = "script-not-analyzed"
)

var ruleTable = []report.Rule{
	{ID: RuleGitea, Severity: report.Warning, Doc: "a .gitea/workflows file uses a key Gitea Actions ignores (concurrency, permissions, timeout-minutes, a job's continue-on-error, environment) or a runs-on group it does not support, so the limit or protection it states does not hold"},
	{ID: RuleGate, Severity: report.Error, Doc: "a test, lint, build or scan step (known tool, gate-named make target/npm script/script file, or a step named for what it gates) whose failure is swallowed (|| true, ; true without -e, set +e, continue-on-error on the step or its job, a pipe into tee/tail/grep without pipefail) is a gate that can never fail; decided on the parsed script from the command that determines the step's status and the effective shell, not reported in workflows that only run on schedule/workflow_dispatch, nor when a later step checks the file the gate's output went to"},
	{ID: RuleUnpinned, Severity: report.Warning, Doc: "a third-party action at a movable tag or branch (or a docker:// image without a digest) can change under the workflow; pin a full commit SHA"},
	{ID: RuleFloating, Severity: report.Error, Doc: "the org's own actions, reusable workflows and checkouts at a branch run whatever that branch holds at the time, so builds are not reproducible (a checkout the job pushes to must follow its branch and is not reported); a literal ref: branch checkout in a tag- or release-triggered workflow builds that branch, not the tag"},
	{ID: RuleTimeout, Severity: report.Warning, Doc: "a job without timeout-minutes can hang for six hours, holding a runner"},
	{ID: RulePermissions, Severity: report.Warning, Doc: "the GITHUB_TOKEN should have the least scopes: declare top-level permissions; on pull_request no write scopes other than those that report results (security-events, checks, statuses, pull-requests, issues); on pull_request_target/workflow_run, write scopes only matter in jobs that check out or fetch the PR's code (checkout ref:/repository: naming the PR head directly or through env:/step outputs, gh pr checkout, git fetch ... pull/...) and then run it, and such a checkout is an error"},
	{ID: RuleSecret, Severity: report.Error, Doc: "a credential printed (echo/printf/cat/env, set -x), written into the job summary or into a file the job commits or uploads, placed in a front-end public build variable (NEXT_PUBLIC_*, VITE_*, REACT_APP_*, PUBLIC_*...), or handed to a job that runs the pull request's code is a leak (error); ${{ secrets.X }} interpolated into run: is a warning (use env:); secrets named for configuration (…_ENDPOINT, …_NAME, …_REGION) are not reported (a credential committed in plain text is secret-committed)"},
	{ID: RuleMergeQueue, Severity: report.Warning, Doc: "a required pull_request workflow without a merge_group trigger never reports in the merge queue, which then stalls (workflows named for publishing, releases, deploys, previews, stats, comments, labels or notifications are not required checks and are not reported)"},
	{ID: RuleInjection, Severity: report.Error, Doc: "an attacker-controlled value (PR title/body/branch, issue or comment text, commit message or author, workflow_run branch/commit, outputs read from a workflow_run artifact or a pull_request_target checkout) in ${{ }} inside run: or a github-script script: is pasted into the script and runs as code"},
	{ID: RuleScriptNotAnalyzed, Severity: report.Warning, Doc: "a run: script over the shell analysis's limits (256 KiB, or ( { $( ` nested more than 128 deep) is not read by the org rules, so nothing they check is known about it; a hostile script must not exhaust the runner, and an unread one must not look clean"},
	{ID: RuleActionMetadata, Severity: report.Error, Doc: "action.yml must have name, description and a valid runs: section; composite run steps must declare shell"},
}

var ruleHelp = map[string]string{
	RuleGitea:             "https://docs.gitea.com/usage/actions/comparison",
	RuleGate:              "let the step fail: remove `|| true`/`set +e`, use `shell: bash` (pipefail), or give continue-on-error a reason in a comment on its line",
	RuleUnpinned:          "pin the action to a full 40-character commit SHA, with the tag in a comment: uses: owner/repo@<sha> # v1.2.3",
	RuleFloating:          "call the org's actions and workflows at a release tag (v1, v1.2.3) or a commit SHA, and give checkouts of org repositories a ref:",
	RuleTimeout:           "add timeout-minutes: to the job, a little above its usual duration",
	RulePermissions:       "declare `permissions:` with the least scopes each job needs (e.g. contents: read)",
	RuleSecret:            "pass secrets to scripts through env: and never print them",
	RuleMergeQueue:        "add `merge_group:` to the workflow's `on:` triggers",
	RuleActionMetadata:    "https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax",
	RuleInjection:         "https://docs.github.com/en/actions/reference/security/secure-use#good-practices-for-mitigating-script-injection-attacks",
	RuleScriptNotAnalyzed: "move the script into a file of the repository and run that file",
}

// Rules lists the rules of this package (actionlint's own are the open actionlint/* family).
func Rules() []report.Rule {
	out := make([]report.Rule, len(ruleTable))
	for i, r := range ruleTable {
		// Only a URL can be SARIF's helpUri; the other rules carry their one-line fix in each
		// finding's Help instead.
		if h := ruleHelp[r.ID]; strings.HasPrefix(h, "https://") {
			r.HelpURL = h
		}
		out[i] = r
	}
	return out
}

func defaultSeverity(rule string) report.Severity {
	for _, r := range ruleTable {
		if r.ID == rule {
			return r.Severity
		}
	}
	return report.Error
}
