// Package lint finds the CI files of a repository — GitHub and Gitea workflows, action metadata,
// Dockerfiles and molecule-ci's own config — lints them in parallel with the rules of its
// subpackages, applies suppressions and per-rule configuration, and returns one sorted report.
package lint

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/lint/contract"
	"github.com/Molecule-AI/molecule-ci/internal/lint/dockerfile"
	"github.com/Molecule-AI/molecule-ci/internal/lint/scriptcheck"
	"github.com/Molecule-AI/molecule-ci/internal/lint/secretscan"
	"github.com/Molecule-AI/molecule-ci/internal/lint/workflow"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// RuleConfig is what `.molecule-ci.yml` may say about one rule.
type RuleConfig struct {
	Severity report.Severity // 0 keeps the rule's default
	Disabled bool
	Ignore   []string // path globs where the rule does not apply
	// Path, Line and Col are where the rule id is written in the config (Path relative to the
	// working directory), for notices about the entry itself; zero when not from a file.
	Path      string
	Line, Col int
}

// Options is everything lint needs; the CLI builds it from flags and config.
type Options struct {
	WorkDir string   // paths in findings are relative to it
	Paths   []string // files or directories; empty means WorkDir
	// Root is the repository the paths belong to: ignore globs (Ignore, rule ignores,
	// DockerAllowRoot) are relative to it. Empty means WorkDir.
	Root   string
	Ignore []string // path globs never linted
	Rules  map[string]RuleConfig
	Jobs   int // files linted at once; 0 means GOMAXPROCS
	// MaxFileSize is the largest file lint reads, in bytes; 0 means DefaultMaxFileSize. A larger
	// file is a RuleNotLinted finding (a usage error when named on the command line).
	MaxFileSize int64

	Workflow workflow.Options
	Scripts  scriptcheck.Options
	// SharedScripts, when set, checks the scripts instead of a checker made from Scripts: one
	// checker for many runs (a fleet of repositories) resolves the tools once and fills its
	// batches with every run's scripts. Run holds it while it lints and never waits for it as a
	// whole; its owner does.
	SharedScripts *scriptcheck.Checker

	// DockerAllowRoot lists globs of Dockerfiles whose final stage may run as root.
	DockerAllowRoot     []string
	DockerPrivilegeDrop []string

	Contracts ContractOptions // contracts.go: repository contract and tree-wide secret scan
}

// ConfigRule is the rule id of problems found in .molecule-ci.yml files.
const ConfigRule = "config"

// RuleNotLinted is the rule id of a file lint found but could not read: a FIFO, device or
// socket with a lintable name, a symlink leading outside the repository, a file over the size
// limit. Never silently skipped: a file that is not linted must not look like a clean one.
const RuleNotLinted = "file-not-linted"

// RuleScriptLimit is the rule id of a run: script that shellcheck or pyflakes could not check
// within its time or memory limit.
const RuleScriptLimit = scriptcheck.RuleLimit

// DefaultMaxFileSize bounds every file lint reads: far above any real workflow, Dockerfile or
// config (the largest of actionlint's 1,503 real-world workflows is 60 KB), far below what would
// hurt a runner.
const DefaultMaxFileSize = 8 << 20

// Rules lists every rule lint can report, with its default severity and why it exists. The
// actionlint/* and buildkit/* families are open-ended and represented by their prefix.
func Rules() []report.Rule {
	rs := []report.Rule{
		{ID: "actionlint/*", Severity: report.Error, Doc: "every check of actionlint (syntax, expressions, types, runner labels, shellcheck, pyflakes...) reported as actionlint/<kind>", HelpURL: "https://github.com/rhysd/actionlint/blob/v1.7.12/docs/checks.md"},
		{ID: "buildkit/*", Severity: report.Warning, Doc: "BuildKit's own Dockerfile checks, as `docker build --check` reports them", HelpURL: "https://docs.docker.com/reference/build-checks/"},
		{ID: ConfigRule, Severity: report.Error, Doc: "a .molecule-ci.yml that molecule-ci cannot load fails every command that reads it"},
		{ID: RuleSuppression, Severity: report.Error, Doc: "an ignore comment must name a known rule and say why, and must still hide something"},
		{ID: RuleNotLinted, Severity: report.Error, Doc: "a file with a lintable name that lint cannot read (FIFO, device, socket, a symlink outside the repository, over lint.max-file-size) is reported, never skipped in silence"},
		{ID: RuleScriptLimit, Severity: report.Warning, Doc: "a run: script that shellcheck or pyflakes could not check within lint.tool-timeout or lint.tool-memory was not checked; a hostile script must not hang or exhaust the runner"},
	}
	rs = append(rs, workflow.Rules()...)
	rs = append(rs, dockerfile.Rules()...)
	rs = append(rs, contract.Rules()...)
	slices.SortFunc(rs, func(a, b report.Rule) int { return strings.Compare(a.ID, b.ID) })
	return slices.CompactFunc(rs, func(a, b report.Rule) bool { return a.ID == b.ID })
}

// KnownRule reports whether id names a rule lint can report, so config and suppressions naming
// a misspelt rule fail loudly instead of silently doing nothing.
func KnownRule(id string) bool {
	if strings.HasPrefix(id, "actionlint/") || strings.HasPrefix(id, "buildkit/") {
		return len(id) > strings.Index(id, "/")+1
	}
	return ruleIDs()[id]
}

var ruleIDs = sync.OnceValue(func() map[string]bool {
	ids := map[string]bool{}
	for _, r := range Rules() {
		ids[r.ID] = true
	}
	return ids
})

// Run lints everything under opts.Paths. An error means the tool itself failed (a file could not
// be read, shellcheck crashed); problems in the files are findings in the report.
//
// The run has four parts: find what to lint (gather), set up the workflow linter and its script
// checker (workflowLinter), lint the files in parallel and finish their deferred script checks
// (lintAll), and judge suppressions once per file over all its findings (suppress).
func Run(ctx context.Context, opts Options) (*report.Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	in, err := gather(ctx, opts)
	if err != nil {
		return nil, err
	}
	wl, release, stop, err := workflowLinter(ctx, in.files, opts)
	if err != nil {
		return nil, err
	}
	defer stop()
	results, err := lintAll(ctx, in.files, wl, release, opts)
	if err != nil {
		return nil, err
	}
	findings, srcs := suppress(in, results, opts)
	// Notices about the config's own entries, which no comment in a file can suppress.
	findings = append(findings, aliasNotices(opts.Rules)...)
	return &report.Report{
		Command:      "lint",
		Findings:     report.Sort(findings),
		FilesChecked: len(in.files) + in.extraFiles,
		Rules:        Rules(),
		Sources:      srcs,
		Scope:        scope(opts), // scope.go
	}, nil
}

// withDefaults fills in what the options leave out and refuses rule settings for unknown rules.
func (opts Options) withDefaults() (Options, error) {
	if opts.WorkDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return opts, err
		}
		opts.WorkDir = wd
	}
	for id := range opts.Rules {
		if !KnownRule(id) {
			return opts, fmt.Errorf("unknown rule %q in configuration (run `molecule-ci lint --list-rules`)", id)
		}
	}
	if opts.Root == "" {
		opts.Root = opts.WorkDir
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	return opts, nil
}

// inputs are what a run lints: the CI files, and what the repository contract and the tree-wide
// secret scan found in the files they read (extra findings, how many files, their contents).
type inputs struct {
	files      []file
	extra      []report.Finding
	extraFiles int
	scanned    map[string][]byte
}

// gather finds the CI files under the paths and runs the contract and secret checks; a run that
// found nothing to check is an error, because a gate that checked nothing must not pass.
func gather(ctx context.Context, opts Options) (inputs, error) {
	var in inputs
	var err error
	if !opts.Contracts.SecretsOnly && !opts.Contracts.ContractOnly { // contracts.go: no CI files then
		if in.files, err = discover(ctx, opts.WorkDir, opts.Root, opts.Paths, opts.Ignore, opts.MaxFileSize); err != nil {
			return in, err
		}
	}
	in.extra, in.extraFiles, in.scanned, err = runContracts(ctx, opts, in.files) // contracts.go
	if cerr := ctx.Err(); cerr != nil {
		return in, cerr
	}
	if err != nil {
		return in, err
	}
	if len(in.files) == 0 && in.extraFiles == 0 && len(in.extra) == 0 && !opts.Contracts.SecretsOnly {
		return in, &PathError{Path: strings.Join(orDot(opts.Paths), " "), Msg: "nothing to lint: no workflow, action.yml, Dockerfile, .molecule-ci.yml, repository contract or text file in it"}
	}
	return in, nil
}

// workflowLinter sets up the workflow linter when a workflow or action is among the files, with
// its script checker when shellcheck or pyflakes is configured. release lets the held script
// checks go to the tools; stop, deferred by Run, ends the tool processes and removes their
// temporary files, also when the run failed (scripts still queued are dropped) or was cancelled.
func workflowLinter(ctx context.Context, files []file, opts Options) (wl *workflow.Linter, release, stop func(), err error) {
	release, stop = func() {}, func() {}
	if !slices.ContainsFunc(files, func(f file) bool { return f.Kind == KindWorkflow || f.Kind == KindAction }) {
		return nil, release, stop, nil
	}
	wopts := opts.Workflow
	if wopts.WorkDir == "" {
		wopts.WorkDir = opts.WorkDir
	}
	if wopts.Root == "" {
		wopts.Root = opts.Root
	}
	if sc := opts.SharedScripts; sc != nil {
		release = sc.Hold()
		stop = release
		wopts.Scripts = sc
	} else if opts.Scripts.Shellcheck != "" || opts.Scripts.Pyflakes != "" {
		sctx, cancelScripts := context.WithCancel(ctx)
		sc, err := scriptcheck.NewContext(sctx, opts.Scripts)
		if err != nil {
			cancelScripts()
			return nil, release, stop, err
		}
		// Every file queues its scripts while it is linted and the results are collected once
		// all files are: held until then, the tools get them in full batches (a shellcheck
		// start costs more than checking a dozen scripts).
		release = sc.Hold()
		stop = func() {
			cancelScripts()
			release()
			sc.Wait()
		}
		wopts.Scripts = sc
	}
	if wl, err = workflow.New(wopts); err != nil {
		stop()
		return nil, func() {}, func() {}, err
	}
	return wl, release, stop, nil
}

// lintAll lints the files, opts.Jobs at once, into their own slots; then, once release has let
// the held scripts go to the tools, finishes each file's script checks in file order, so the
// first tool failure is the one reported. An interrupted run returns the context's error: its
// partial results are not a clean lint.
func lintAll(ctx context.Context, files []file, wl *workflow.Linter, release func(), opts Options) ([]fileResult, error) {
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	results := make([]fileResult, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, f := range files {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			res, err := lintFile(gctx, f, wl, opts)
			if err != nil {
				return fileError(gctx, f, err)
			}
			results[i] = res
			return nil
		})
	}
	err := g.Wait()
	release()
	if err == nil {
		for i, f := range files {
			if err = ctx.Err(); err != nil {
				break
			}
			if results[i].pending == nil {
				continue
			}
			if results[i].findings, err = finishFile(ctx, f, results[i], opts); err != nil {
				err = fileError(ctx, f, err)
				break
			}
		}
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}

// suppress judges suppression comments once per file, over all its findings: lint's, the secret
// scan's and the contract's (an unused suppression is itself a finding). It returns the findings
// kept and the sources of the files that have some, for the human format's excerpts.
func suppress(in inputs, results []fileResult, opts Options) ([]report.Finding, map[string][]byte) {
	byPath := map[string][]report.Finding{}
	for _, f := range in.extra {
		byPath[f.Path] = append(byPath[f.Path], f)
	}
	var all []report.Finding
	srcs := map[string][]byte{}
	for i, res := range results {
		fs := append(res.findings, byPath[in.files[i].Path]...)
		delete(byPath, in.files[i].Path)
		if res.src != nil {
			fs = applySuppressions(in.files[i].Path, fs, parseSuppressions(res.src), KnownRule)
		}
		all = append(all, fs...)
		if len(fs) > 0 && res.src != nil {
			srcs[in.files[i].Path] = res.src
		}
	}
	for _, path := range slices.Sorted(maps.Keys(byPath)) {
		all = append(all, applySuppressions(path, byPath[path], suppressionsOf(path, in.scanned, opts), KnownRule)...)
	}
	return all, srcs
}

// fileError gives a file's error the file's name, unless it already names it or is the end of
// the run.
func fileError(ctx context.Context, f file, err error) error {
	var pe *PathError
	if errors.As(err, &pe) || ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("lint %s: %w", f.Path, err)
}

// fileResult is what linting one file gave: its findings, its text as it was checked, and for a
// workflow or action whose scripts are still being checked, their pending findings — then
// findings are not final yet (finishFile).
type fileResult struct {
	findings []report.Finding
	src      []byte
	pending  workflow.Pending
}

// finishFile adds a file's script findings and applies the rule settings.
func finishFile(ctx context.Context, f file, res fileResult, opts Options) ([]report.Finding, error) {
	more, err := res.pending()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return applyRuleConfig(scriptLimits(append(res.findings, more...)), opts.Root, opts.WorkDir, opts.Rules), nil
}

// suppressionsOf returns the suppression comments of a file lint did not read itself: from the
// secret scan, which read it, or else read now (bounded, as lint reads files). A file that cannot
// be read has none.
func suppressionsOf(path string, scanned map[string][]byte, opts Options) []*suppression {
	src, ok := scanned[path]
	if !ok {
		var err error
		if src, err = fsutil.ReadRegular(filepath.Join(opts.WorkDir, filepath.FromSlash(path)), opts.MaxFileSize); err != nil {
			return nil
		}
	}
	return parseSuppressions(src)
}

// lintFile lints one file. ctx is checked between the stages of the work; the workflow linter
// also honours it inside (its script checks kill their tool processes).
func lintFile(ctx context.Context, f file, wl *workflow.Linter, opts Options) (fileResult, error) {
	if f.Problem != "" {
		return fileResult{findings: applyRuleConfig([]report.Finding{notLinted(f, f.Problem)}, opts.Root, opts.WorkDir, opts.Rules)}, nil
	}
	src, err := fsutil.ReadRegular(f.Abs, opts.MaxFileSize)
	if err != nil {
		if !fsutil.IsLimit(err) {
			return fileResult{}, err
		}
		if f.Explicit {
			return fileResult{}, readProblem(f.Path, err)
		}
		msg := "not linted: " + readProblem(f.Path, err).(*PathError).Msg
		return fileResult{findings: applyRuleConfig([]report.Finding{notLinted(f, msg)}, opts.Root, opts.WorkDir, opts.Rules)}, nil
	}
	if err := ctx.Err(); err != nil {
		return fileResult{}, err
	}
	res := fileResult{src: src}
	var fs []report.Finding
	switch f.Kind {
	case KindWorkflow, KindAction:
		kind := workflow.KindWorkflow
		if f.Kind == KindAction {
			kind = workflow.KindAction
		}
		if fs, res.pending, err = wl.LintDeferred(ctx, f.Path, src, kind); err != nil {
			return fileResult{}, err
		}
		if res.pending != nil {
			res.findings = fs // finished by finishFile, with the script findings
			return res, nil
		}
		fs = scriptLimits(fs)
	case KindDockerfile:
		if fs, err = dockerfile.LintContext(ctx, f.Path, src, dockerfile.Options{
			AllowRoot:       ignored(f.Rel, opts.DockerAllowRoot),
			PrivilegeDrop:   opts.DockerPrivilegeDrop,
			ContainerAction: containerAction(f.Abs, opts.Root),
		}); err != nil {
			return fileResult{}, err
		}
		fs = oneFindingPerSecret(append(fs, secretscan.Scan(f.Path, src)...))
	case KindConfig:
		fs = lintConfig(f.Path, src)
		fs = append(fs, secretscan.Scan(f.Path, src)...)
	}
	if err := ctx.Err(); err != nil {
		return fileResult{}, err
	}
	res.findings = applyRuleConfig(fs, opts.Root, opts.WorkDir, opts.Rules)
	return res, nil
}

func orDot(paths []string) []string {
	if len(paths) == 0 {
		return []string{"."}
	}
	return paths
}

func notLinted(f file, msg string) report.Finding {
	return report.Finding{
		Path: f.Path, Rule: RuleNotLinted, Severity: report.Error, Message: msg,
		Help: "make it a regular file inside the repository, or add it to lint.ignore",
	}
}

// scriptLimits gives the script checker's limit findings, which the workflow linter reports as
// actionlint/<kind> errors like every actionlint rule, their own rule id and severity.
func scriptLimits(fs []report.Finding) []report.Finding {
	for i := range fs {
		if fs[i].Rule == "actionlint/"+scriptcheck.RuleLimit {
			fs[i].Rule = RuleScriptLimit
			fs[i].Severity = report.Warning
			fs[i].Help = "split or simplify the script, or raise lint.tool-timeout / lint.tool-memory"
		}
	}
	return fs
}

// oneFindingPerSecret keeps docker-secret, the most specific finding, where BuildKit's
// SecretsUsedInArgOrEnv check or the token scan found the same secret on the same line: one
// secret, one finding to fix.
func oneFindingPerSecret(fs []report.Finding) []report.Finding {
	lines := map[int]bool{}
	for _, f := range fs {
		if f.Rule == dockerfile.RuleSecret {
			lines[f.Line] = true
		}
	}
	if len(lines) == 0 {
		return fs
	}
	kept := fs[:0]
	for _, f := range fs {
		if lines[f.Line] && (f.Rule == secretscan.Rule || f.Rule == "buildkit/SecretsUsedInArgOrEnv") {
			continue
		}
		kept = append(kept, f)
	}
	return kept
}

// lintConfig reports why a .molecule-ci.yml would not load, at the line the loader names.
func lintConfig(path string, src []byte) []report.Finding {
	_, err := config.Parse(path, src)
	if err == nil {
		return nil
	}
	errs := config.AsErrors(err)
	if len(errs) == 0 {
		return []report.Finding{{Path: path, Rule: ConfigRule, Severity: report.Error, Message: err.Error()}}
	}
	var out []report.Finding
	for _, e := range errs {
		out = append(out, report.Finding{Path: path, Line: e.Line, Col: e.Col, Rule: ConfigRule, Severity: report.Error, Message: e.Msg})
	}
	return out
}

// applyRuleConfig drops disabled and path-ignored findings and applies severity overrides. Rule
// settings for "actionlint" or "buildkit" apply to the whole family. Rule ignore globs match the
// finding's path relative to root (findings show it relative to workDir).
func applyRuleConfig(fs []report.Finding, root, workDir string, rules map[string]RuleConfig) []report.Finding {
	if len(rules) == 0 {
		return fs
	}
	kept := fs[:0]
	for _, f := range fs {
		path := relTo(root, filepath.Join(workDir, filepath.FromSlash(f.Path)))
		rc, ok := ruleConfigFor(f.Rule, rules)
		if ok {
			if rc.Disabled || ignored(path, rc.Ignore) {
				continue
			}
			if rc.Severity != 0 {
				f.Severity = rc.Severity
			}
		}
		kept = append(kept, f)
	}
	return kept
}

// ruleConfigFor is the configuration that applies to rule: its own entry, else its family's
// (actionlint/*, buildkit/*), else the entry of an old id it was split from (ruleAliases).
func ruleConfigFor(rule string, rules map[string]RuleConfig) (RuleConfig, bool) {
	if rc, ok := rules[rule]; ok {
		return rc, true
	}
	if fam, _, found := strings.Cut(rule, "/"); found {
		if rc, ok := rules[fam+"/*"]; ok {
			return rc, true
		}
	}
	for old, now := range ruleAliases {
		if now == rule {
			if rc, ok := rules[old]; ok {
				return rc, true
			}
		}
	}
	return RuleConfig{}, false
}

// aliasNotices are the deprecation notices of lint.rules entries that name an old id of
// ruleAliases without an entry for the rule split from it: the entry still configures that
// rule, until aliasUntil.
func aliasNotices(rules map[string]RuleConfig) []report.Finding {
	var out []report.Finding
	for _, old := range slices.Sorted(maps.Keys(rules)) {
		now := aliasOf(old)
		if now == "" {
			continue
		}
		if _, ok := rules[now]; ok {
			continue
		}
		rc := rules[old]
		out = append(out, report.Finding{
			Path: rc.Path, Line: rc.Line, Col: rc.Col, Rule: ConfigRule, Severity: report.Info,
			Message: fmt.Sprintf("lint.rules.%s also configures %s, the rule split from it; it stops doing so in %s: add a lint.rules.%s entry (an empty one keeps %s's defaults)",
				old, now, aliasUntil, now, now),
			Help: fmt.Sprintf("copy the settings meant for %s to lint.rules.%s", now, now),
		})
	}
	return out
}

// actionImage reads the image of a Docker container action's metadata: `image: 'Dockerfile'`.
var actionImage = regexp.MustCompile(`(?m)^\s+image:\s*['"]?([^'"\s#]+)`)

// containerAction reports whether the Dockerfile at abs is the image of a Docker container
// action: an action.yml or action.yaml in its directory or up to three directories above it
// (inside root) with `using: docker` and an `image:` that names this file. Such an image must run
// as root (GitHub's runner mounts the workspace owned by root), so docker-root-user does not apply.
func containerAction(abs, root string) bool {
	dir := filepath.Dir(abs)
	for range 4 {
		for _, name := range []string{"action.yml", "action.yaml"} {
			meta, err := fsutil.ReadRegular(filepath.Join(dir, name), 1<<20)
			if err != nil || !dockerfile.IsContainerAction(meta) {
				continue
			}
			if m := actionImage.FindSubmatch(meta); m != nil && filepath.Join(dir, filepath.FromSlash(string(m[1]))) == abs {
				return true
			}
		}
		if dir == root || dir == filepath.Dir(dir) {
			break
		}
		dir = filepath.Dir(dir)
	}
	return false
}
