// Package workflow owns the linting of GitHub Actions workflows and action metadata: every check
// of actionlint (used as a library, one parse per file) reported as actionlint/<kind>, plus the
// organisation's own rules — gates that cannot fail, unpinned and floating action refs, missing
// timeouts, excessive permissions, secret exposure, template injection and merge-queue
// triggers.
//
// Each org rule is one value in one table (registry.go): its id, default severity, why it exists,
// how to fix it, a failing and a passing example, and a check that reads a File — the parsed
// workflow with facts computed once and shared by every rule (the shell analysis of each run:
// script, the pull request checkouts of each job, the flow of attacker-controlled values) — and
// reports through a Reporter that carries the rule's id and severity. --list-rules, SARIF's rule
// metadata, the config's lint.rules validation and docs/rules.md all read that table.
//
// A Linter is safe for concurrent use: actionlint's Linter is not (its project cache mutates),
// so this package drives actionlint.Parse and actionlint's rule list itself, the way
// Linter.check does, and shares only the thread-safe per-project caches.
package workflow

import (
	"context"
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
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
	"github.com/Molecule-AI/molecule-ci/internal/shell"
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
	// Org is the organisation, "first party" for every rule that asks (with TrustedOwners): its
	// actions, reusable workflows and checkouts must not float (floating-ref), and need no
	// commit SHA. Default "Molecule-AI"; the CLI passes lint.org, by default the owner of the
	// linted repository.
	Org string
	// PinPolicy is "sha" (default: third-party actions at full commit SHAs, trusted owners may use
	// tags) or "tag" (release tags are enough).
	PinPolicy string
	// TrustedOwners may use release tags under policy sha; default {"actions", "github"}.
	TrustedOwners []string
	// RefuseMajorTags judges the org's own actions and workflows called at a tag every release
	// moves (v1, v1.2) like a branch (floating-ref): lint.pinning.major-tags: refuse.
	RefuseMajorTags bool
	// MergeQueueBranches have a merge queue; pull_request workflows for them need merge_group.
	MergeQueueBranches []string
	// RunnerLabels are extra self-hosted runner labels for actionlint's runner-label check.
	RunnerLabels []string
	// PrivateRepository says the linted repository is private, so a pull request from outside
	// cannot reach its runners; false (unknown) is judged as public.
	PrivateRepository bool
	// Scripts adds shellcheck/pyflakes rules; nil runs none.
	Scripts *scriptcheck.Checker
	// WorkDir is where relative paths start; it enables local action and reusable workflow
	// resolution. Empty disables both.
	WorkDir string
	// Root is the root of the linted repository, where the reusable-call rule reads the callees of
	// local calls (./.github/workflows/x.yml) and template-injection the callers of local actions
	// and reusable workflows (its .github/workflows, once per run). Empty means WorkDir.
	Root string
	// Repository is OWNER/REPO of the linted repository, "" when unknown: a call into it at a ref
	// is read from its own git history.
	Repository string
	// Calls finds the callees of reusable-workflow calls (the reusable-call rule). One Resolver
	// serves a whole run — every repository of a fleet — so each callee is read once. Nil: a
	// Resolver without checkouts or API, which reads local callees only.
	Calls *reusable.Resolver
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
	callers  map[string]*callerIndex // by repository root (callers.go)
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
	if opts.Calls == nil {
		opts.Calls = &reusable.Resolver{}
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
	if opts.Root == "" {
		opts.Root = opts.WorkDir
	}
	if opts.Root != "" {
		abs, err := filepath.Abs(opts.Root)
		if err != nil {
			return nil, fmt.Errorf("workflow linter: root %q: %w", opts.Root, err)
		}
		l.opts.Root = abs
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
	fs, pending, err := l.LintDeferred(context.Background(), path, src, kind)
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
// their scripts in large batches, and collect the results at the end. ctx bounds what the rules
// wait for (the reusable-call rule reads callees from git and the GitHub API).
func (l *Linter) LintDeferred(ctx context.Context, path string, src []byte, kind Kind) (fs []report.Finding, pending Pending, err error) {
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
	var w *actionlint.Workflow
	var errs []*actionlint.Error
	scope := Workflows
	switch kind {
	case KindAction:
		scope = Actions
		if steps := readAction(src, &Reporter{rule: ruleActionMetadata, path: path, findings: &fs}); len(steps) > 0 {
			// The composite steps, as the steps of one job of a workflow without triggers.
			id := &actionlint.String{Value: "composite", Pos: steps[0].Pos}
			job := &actionlint.Job{ID: id, Steps: steps, Pos: steps[0].Pos}
			w = &actionlint.Workflow{Jobs: map[string]*actionlint.Job{"composite": job}}
		}
	default:
		w, errs = actionlint.Parse(src)
	}
	if w != nil {
		var rules []actionlint.Rule
		if kind == KindWorkflow {
			rules = actionlintRules(path, p)
		}
		if l.opts.Scripts != nil {
			var scripts []actionlint.Rule
			scripts, pending = l.scriptRules(path, p)
			rules = append(rules, scripts...)
		}
		found, err := visit(path, p, w, rules)
		if err != nil {
			return nil, nil, err
		}
		errs = append(errs, found...)
		f := newFile(l, path, src, kind, w)
		f.ctx, f.localCallsChecked = ctx, p.proj != nil
		check(f, scope, &fs)
	}
	fs = append(fs, actionlintFindings(path, errs, p.config)...)
	fs = append(fs, secretscan.Scan(path, src)...)
	return report.Sort(fs), pending, nil
}

// ActionlintHelp is the documentation every actionlint/<kind> finding links to.
const ActionlintHelp = "https://github.com/rhysd/actionlint/blob/v1.7.12/docs/checks.md"

// actionlintRules returns fresh instances of actionlint's rules for one workflow, as
// actionlint's own Linter creates them (TestActionlintRuleSet fails when its set changes).
func actionlintRules(path string, p *project) []actionlint.Rule {
	return []actionlint.Rule{
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
		actionlint.NewRuleWorkflowCall(path, p.workflows),
		actionlint.NewRuleExpression(p.actions, p.workflows),
		actionlint.NewRuleDeprecatedCommands(),
		actionlint.NewRuleIfCond(),
	}
}

// scriptRules returns the script checkers' rules for one file and the Pending that collects
// their findings. The closure keeps what actionlintFindings needs, not the file's syntax tree.
func (l *Linter) scriptRules(path string, p *project) ([]actionlint.Rule, Pending) {
	scripts := l.opts.Scripts.File()
	cfg := p.config
	return scripts.Rules(), func() ([]report.Finding, error) {
		errs, err := scripts.Wait()
		if err != nil {
			return nil, fmt.Errorf("lint %s: %w", path, err)
		}
		return actionlintFindings(path, errs, cfg), nil
	}
}

// visit runs actionlint rules over one parsed workflow in a single pass and collects what they
// found (the deferred script rules' findings come later, from their Wait).
func visit(path string, p *project, w *actionlint.Workflow, rules []actionlint.Rule) ([]*actionlint.Error, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	v := actionlint.NewVisitor()
	for _, r := range rules {
		if p.config != nil {
			r.SetConfig(p.config)
		}
		v.AddPass(r)
	}
	if err := v.Visit(w); err != nil {
		return nil, fmt.Errorf("lint %s: %w", path, err)
	}
	var errs []*actionlint.Error
	for _, r := range rules {
		errs = append(errs, r.Errs()...)
	}
	return errs, nil
}

// actionlintFindings turns actionlint errors into findings, dropping those the repository's
// actionlint.yaml ignores for this path, as the actionlint CLI would.
func actionlintFindings(path string, errs []*actionlint.Error, cfg *actionlint.Config) []report.Finding {
	var out []report.Finding
	gitea := giteaFile(path)
	pcs := cfg.PathConfigs(path)
next:
	for _, e := range errs {
		if mergedIntoInjection(e) || localCalleeUnread(e) {
			continue
		}
		for _, pc := range pcs {
			if pc.Ignore.Match(e) {
				continue next
			}
		}
		if gitea && e.Kind == "runner-label" {
			continue // Gitea's labels are whatever its runners registered
		}
		out = append(out, report.Finding{
			Path: path,
			// A YAML error at the end of the stream comes with line 0; the file still has a line 1.
			Line:     max(e.Line, 1),
			Col:      max(e.Column, 1),
			Rule:     "actionlint/" + e.Kind,
			Severity: actionlintSeverity(e),
			Message:  e.Message,
			Help:     ActionlintHelp,
		})
	}
	return out
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
	RuleGate              = "gate-cannot-fail"
	RuleUnpinned          = "unpinned-action"
	RuleFloating          = "floating-ref"
	RuleTimeout           = "missing-timeout"
	RulePermissions       = "excessive-permissions"
	RuleSecret            = "secret-exposure"
	RuleMergeQueue        = "merge-queue"
	RuleActionMetadata    = "action-metadata"
	RuleInjection         = "template-injection"
	RuleEnvFile           = "env-file-injection"
	RuleDangerousTrigger  = "dangerous-trigger"
	RuleArtifactPoisoning = "artifact-poisoning"
	RuleArtipacked        = "credentials-in-artifact"
	RuleSelfHosted        = "self-hosted-runner"
	RuleCachePoisoning    = "cache-poisoning"
	RuleOverprovisioned   = "overprovisioned-secrets"
	RuleBotCondition      = "bot-condition"
	RuleInsecureCommands  = "insecure-commands"
	// RuleScriptNotAnalyzed is a run: script over the shell analysis's limits, which no org rule
	// could read.
	RuleScriptNotAnalyzed = "script-not-analyzed"
)

var ruleScriptNotAnalyzed = &Rule{
	ID:       RuleScriptNotAnalyzed,
	Severity: report.Warning,
	Doc:      "a run: script over the shell analysis's limits (256 KiB, or subshells, groups, substitutions and backquotes nested more than 128 deep) is not read by the org rules, so nothing they check is known about it; a hostile script must not exhaust the runner, and an unread one must not look clean",
	Fix:      "move the script into a file of the repository and run that file",
	Bad:      scriptNotAnalyzedBad,
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
	Applies: Workflows | Actions,
	Check:   checkScriptLimits,
}

// scriptNotAnalyzedBad nests command substitutions past the shell analysis's depth limit.
var scriptNotAnalyzedBad = "on: push\npermissions: {contents: read}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n    steps:\n      - run: echo " +
	strings.Repeat("$(", 130) + "date" + strings.Repeat(")", 130) + "\n"

// checkScriptLimits reports every run: script over the shell analysis's limits, once: the org
// rules read such a script as nothing, which must not look like a clean one.
func checkScriptLimits(f *File, r *Reporter) {
	for _, j := range f.Jobs {
		for _, s := range j.Steps {
			if e := s.Run(); e != nil {
				if err := shell.CheckLimits(e.Run.Value, shell.Limits{}); err != nil {
					r.Report(e.Run.Pos, err.Error()+"; split it into a script file")
				}
			}
		}
	}
}
