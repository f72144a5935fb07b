package workflow

import (
	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/lint/secretscan"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Rule is one org rule, self-contained: what it is called, how severe its findings are by
// default, why it exists and how to fix what it finds (for --list-rules, SARIF's rule metadata,
// the config's lint.rules validation and the rules reference, docs/rules.md), an example that
// fails it and one that passes, and its check.
type Rule struct {
	ID       string
	Severity report.Severity // default; a finding may be reported lower or higher
	// Doc says why the rule exists, in one line.
	Doc string
	// Fix says how to fix a finding, in one line.
	Fix string
	// HelpURL is further reading; a finding's help is HelpURL when set, else Fix.
	HelpURL string
	// Bad is a small file with the problem, Good the same file without it: the reference shows
	// them and TestRuleExamples holds them to it (Bad gets findings of the rule and of no other,
	// Good none at all), linted as ExampleAs (default .github/workflows/ci.yml; action metadata
	// for a rule that applies to actions only) with the lint: settings of ExampleConfig.
	Bad, Good     string
	ExampleAs     string
	ExampleConfig string
	// ExampleFiles are other files of the examples' repository (a called workflow): the reference
	// shows them, and TestRuleExamples writes them beside the example it lints.
	ExampleFiles []ExampleFile
	// Checks says which files the rule reads when Applies does not say it all (the reference).
	Checks string
	// ExamplesIn replaces Bad and Good for a rule whose examples would themselves be what it
	// reports (committed credentials): the directory of its golden cases, from the repository root.
	ExamplesIn string
	// Applies says which files the rule checks.
	Applies Scope
	// Check reports the rule's findings on one file. It reads the file and its facts (shared,
	// computed once) and writes only through r. Nil for a rule whose findings come from reading
	// the file itself (action-metadata).
	Check func(f *File, r *Reporter)
}

// ExampleFile is a file of a rule's examples' repository, by its path from the root.
type ExampleFile struct {
	Path, Text string
}

// Scope is the set of files a rule checks.
type Scope int

// The scopes: workflows, and the composite steps of action metadata (checked as the steps of
// one job of a workflow without triggers).
const (
	Workflows Scope = 1 << iota
	Actions
)

// registry is every org rule, in the order --list-rules shows them.
var registry = []*Rule{
	ruleGitea,
	ruleGate,
	ruleUnpinned,
	ruleFloating,
	ruleTimeout,
	rulePermissions,
	ruleSecret,
	ruleMergeQueue,
	ruleInjection,
	ruleEnvFile,
	ruleDangerousTrigger,
	ruleArtifactPoisoning,
	ruleArtipacked,
	ruleSelfHosted,
	ruleCachePoisoning,
	ruleOverprovisioned,
	ruleReusableCall,
	ruleBotCondition,
	ruleInsecureCommands,
	ruleScriptNotAnalyzed,
	ruleActionMetadata,
	ruleSecretCommitted,
}

// ruleSecretCommitted is internal/lint/secretscan's committed-credential scan. Lint runs it on
// every workflow and action file it reads, parsed or not (and lint's tree scan on every other text
// file), so its findings come from reading the file itself: no Check.
var ruleSecretCommitted = &Rule{
	ID:         secretscan.RuleInfo.ID,
	Severity:   secretscan.RuleInfo.Severity,
	Doc:        secretscan.RuleInfo.Doc,
	Fix:        secretscan.Help,
	Applies:    Workflows | Actions,
	Checks:     "every text file of the repository (workflows and action metadata as lint reads them, the rest by its tree scan, --secrets-only and --diff)",
	ExamplesIn: "internal/lint/secretscan/testdata",
}

// Registry returns the org rules (actionlint's own are the open actionlint/* family).
func Registry() []*Rule { return registry }

// Rules lists the metadata of the org rules.
func Rules() []report.Rule {
	out := make([]report.Rule, len(registry))
	for i, r := range registry {
		out[i] = report.Rule{ID: r.ID, Severity: r.Severity, Doc: r.Doc, HelpURL: r.HelpURL}
	}
	return out
}

// help is what a finding of the rule carries as its help.
func (r *Rule) help() string {
	if r.HelpURL != "" {
		return r.HelpURL
	}
	return r.Fix
}

// Reporter collects the findings of one rule on one file: it carries the rule's id, default
// severity and help, so a rule states only where and what.
type Reporter struct {
	rule     *Rule
	path     string
	findings *[]report.Finding
}

// Report adds a finding at pos with the rule's default severity.
func (r *Reporter) Report(pos *actionlint.Pos, msg string) { r.ReportAs(pos, 0, msg) }

// ReportAs adds a finding at pos with severity sev (0: the rule's default). A nil pos is the
// start of the file.
func (r *Reporter) ReportAs(pos *actionlint.Pos, sev report.Severity, msg string) {
	line, col := 1, 1
	if pos != nil {
		line, col = pos.Line, pos.Col
	}
	if sev == 0 {
		sev = r.rule.Severity
	}
	*r.findings = append(*r.findings, report.Finding{
		Path:     r.path,
		Line:     line,
		Col:      col,
		Rule:     r.rule.ID,
		Severity: sev,
		Message:  msg,
		Help:     r.rule.help(),
	})
}

// check runs every rule that applies to the file's scope over it.
func check(f *File, scope Scope, findings *[]report.Finding) {
	for _, rule := range registry {
		if rule.Check == nil || rule.Applies&scope == 0 {
			continue
		}
		rule.Check(f, &Reporter{rule: rule, path: f.Path, findings: findings})
	}
}
