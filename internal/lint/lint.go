// Package lint finds the CI files of a repository — GitHub and Gitea workflows, action metadata,
// Dockerfiles and molecule-ci's own config — lints them in parallel with the rules of its
// subpackages, applies suppressions and per-rule configuration, and returns one sorted report.
package lint

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/Molecule-AI/molecule-ci/internal/config"
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
}

// Options is everything lint needs; the CLI builds it from flags and config.
type Options struct {
	WorkDir string   // paths in findings are relative to it
	Paths   []string // files or directories; empty means WorkDir
	Ignore  []string // path globs never linted
	Rules   map[string]RuleConfig
	Jobs    int // files linted at once; 0 means GOMAXPROCS

	Workflow workflow.Options
	Scripts  scriptcheck.Options

	// DockerAllowRoot lists globs of Dockerfiles whose final stage may run as root.
	DockerAllowRoot     []string
	DockerPrivilegeDrop []string

	Contracts ContractOptions // contracts.go: repository contract and tree-wide secret scan
}

// ConfigRule is the rule id of problems found in .molecule-ci.yml files.
const ConfigRule = "config"

// Rules lists every rule lint can report, with its default severity and why it exists. The
// actionlint/* and buildkit/* families are open-ended and represented by their prefix.
func Rules() []report.Rule {
	rs := []report.Rule{
		{ID: "actionlint/*", Severity: report.Error, Doc: "every check of actionlint (syntax, expressions, types, runner labels, shellcheck, pyflakes...) reported as actionlint/<kind>", HelpURL: "https://github.com/rhysd/actionlint/blob/v1.7.12/docs/checks.md"},
		{ID: "buildkit/*", Severity: report.Warning, Doc: "BuildKit's own Dockerfile checks, as `docker build --check` reports them", HelpURL: "https://docs.docker.com/reference/build-checks/"},
		{ID: ConfigRule, Severity: report.Error, Doc: "a .molecule-ci.yml that molecule-ci cannot load fails every command that reads it"},
		{ID: RuleSuppression, Severity: report.Error, Doc: "an ignore comment must name a known rule and say why, and must still hide something"},
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
func Run(ctx context.Context, opts Options) (*report.Report, error) {
	if opts.WorkDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		opts.WorkDir = wd
	}
	for id := range opts.Rules {
		if !KnownRule(id) {
			return nil, fmt.Errorf("unknown rule %q in configuration (run `molecule-ci lint --list-rules`)", id)
		}
	}
	files, err := discover(opts.WorkDir, opts.Paths, opts.Ignore)
	if err != nil {
		return nil, err
	}
	if opts.Contracts.SecretsOnly || opts.Contracts.ContractOnly { // contracts.go
		files = nil
	}
	extra, extraFiles, err := runContracts(ctx, opts, files) // contracts.go
	if err != nil {
		return nil, err
	}

	var needWorkflow bool
	for _, f := range files {
		needWorkflow = needWorkflow || f.Kind == KindWorkflow || f.Kind == KindAction
	}
	var wl *workflow.Linter
	if needWorkflow {
		wopts := opts.Workflow
		if wopts.WorkDir == "" {
			wopts.WorkDir = opts.WorkDir
		}
		if opts.Scripts.Shellcheck != "" || opts.Scripts.Pyflakes != "" {
			sc, err := scriptcheck.New(opts.Scripts)
			if err != nil {
				return nil, err
			}
			wopts.Scripts = sc
		}
		if wl, err = workflow.New(wopts); err != nil {
			return nil, err
		}
	}

	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	results := make([][]report.Finding, len(files))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, f := range files {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			fs, err := lintFile(f, wl, opts)
			if err != nil {
				return fmt.Errorf("lint %s: %w", f.Path, err)
			}
			results[i] = fs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	var all []report.Finding
	for _, fs := range results {
		all = append(all, fs...)
	}
	all = append(all, extra...) // contracts.go
	return &report.Report{
		Command:      "lint",
		Findings:     report.Sort(all),
		FilesChecked: len(files) + extraFiles,
		Rules:        Rules(),
	}, nil
}

func lintFile(f file, wl *workflow.Linter, opts Options) ([]report.Finding, error) {
	src, err := os.ReadFile(f.Abs)
	if err != nil {
		return nil, err
	}
	var fs []report.Finding
	switch f.Kind {
	case KindWorkflow, KindAction:
		kind := workflow.KindWorkflow
		if f.Kind == KindAction {
			kind = workflow.KindAction
		}
		if fs, err = wl.Lint(f.Path, src, kind); err != nil {
			return nil, err
		}
	case KindDockerfile:
		fs = dockerfile.Lint(f.Path, src, dockerfile.Options{
			AllowRoot:     ignored(f.Path, opts.DockerAllowRoot),
			PrivilegeDrop: opts.DockerPrivilegeDrop,
		})
		fs = oneFindingPerSecret(append(fs, secretscan.Scan(f.Path, src)...))
	case KindConfig:
		fs = lintConfig(f.Path, src)
		fs = append(fs, secretscan.Scan(f.Path, src)...)
	}
	fs = applyRuleConfig(f.Path, fs, opts.Rules)
	return applySuppressions(f.Path, fs, parseSuppressions(src), KnownRule), nil
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
// settings for "actionlint" or "buildkit" apply to the whole family.
func applyRuleConfig(path string, fs []report.Finding, rules map[string]RuleConfig) []report.Finding {
	if len(rules) == 0 {
		return fs
	}
	kept := fs[:0]
	for _, f := range fs {
		rc, ok := rules[f.Rule]
		if !ok {
			if fam, _, found := strings.Cut(f.Rule, "/"); found {
				rc, ok = rules[fam+"/*"]
			}
		}
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
