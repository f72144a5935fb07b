package report

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// SARIF identity of the tool, as GitHub code scanning shows it.
const (
	sarifToolName = "molecule-ci"
	sarifToolURI  = "https://github.com/Molecule-AI/molecule-ci"
	// srcRoot is the uriBaseId GitHub resolves against the checkout.
	srcRoot = "%SRCROOT%"
)

var sarifLevels = map[Severity]string{Error: sarif.LevelError, Warning: sarif.LevelWarning, Info: sarif.LevelNote}

// writeSARIF writes one SARIF 2.1.0 run in the shape github/codeql-action/upload-sarif accepts:
// every ruleId present in tool.driver.rules, and every region starting at line 1 or later.
func writeSARIF(w *output, rep *Report, _ Options) error {
	run := sarif.NewRunWithInformationURI(sarifToolName, sarifToolURI)
	if rep.Version != "" {
		run.Tool.Driver.WithVersion(rep.Version)
	}
	all := rep.Findings
	if rep.Baseline != nil {
		all = slices.Concat(rep.Findings, rep.Baseline.Known, rep.Baseline.Stale)
	}
	rules := sarifRules(rep.Rules, all)
	index := make(map[string]int, len(rules))
	for i, r := range rules {
		index[r.ID] = i
		d := sarif.NewRule(r.ID).
			WithShortDescription(sarif.NewMultiformatMessageString().WithText(cmp.Or(r.Doc, r.ID)))
		if r.HelpURL != "" {
			d.WithHelpURI(r.HelpURL)
		}
		if lvl, ok := sarifLevels[r.Severity]; ok {
			d.WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(lvl))
		}
		run.Tool.Driver.AddRule(d)
	}
	var runLevel *sarif.Invocation
	for _, f := range rep.Findings {
		if f.Path == "" {
			// Code scanning refuses a whole upload when one result has no location
			// ("locationFromSarifResult: expected at least one location"), and a finding about
			// the whole run has none: it is a notification of the run's invocation (SARIF
			// 3.20.21), naming its rule.
			if runLevel == nil {
				runLevel = sarif.NewInvocation().WithExecutionSuccessful(true)
			}
			runLevel.AddToolExecutionNotification(sarif.NewNotification().
				WithLevel(sarifLevels[f.Severity]).
				WithMessage(sarif.NewTextMessage(f.Message)).
				WithAssociatedRule(sarif.NewReportingDescriptorReference().WithID(f.Rule).WithIndex(index[f.Rule])))
			continue
		}
		res := sarifResult(f, index)
		if rep.Baseline != nil {
			res.WithBaselineState(sarifNew)
		}
		run.AddResult(res)
	}
	if rep.Baseline != nil {
		sarifBaselineResults(run, rep.Baseline, index)
	}
	if runLevel != nil {
		run.AddInvocation(runLevel)
	}
	if err := sarif.NewReport().AddRun(run).PrettyWrite(w); err != nil {
		return err
	}
	w.WriteByte('\n')
	return nil
}

// sarifResult is a finding with a location as a SARIF result.
func sarifResult(f Finding, index map[string]int) *sarif.Result {
	res := sarif.NewRuleResult(f.Rule).
		WithRuleIndex(index[f.Rule]).
		WithLevel(sarifLevels[f.Severity]).
		WithMessage(sarif.NewTextMessage(f.Message))
	res.AddLocation(sarif.NewLocationWithPhysicalLocation(
		sarif.NewPhysicalLocation().
			WithArtifactLocation(sarifArtifact(f.Path)).
			WithRegion(sarifRegion(f))))
	return res
}

// sarifRules is rep.Rules sorted by ID, then every rule that only findings name (actionlint and
// BuildKit rules are dynamic: "actionlint/syntax-check" under the documented "actionlint/*").
// A dynamic rule takes its help and default level from the longest wildcard rule covering it,
// or else the worst severity it was reported with.
func sarifRules(known []Rule, fs []Finding) []Rule {
	rules := slices.Clone(known)
	slices.SortStableFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	rules = slices.CompactFunc(rules, func(a, b Rule) bool { return a.ID == b.ID })
	have := make(map[string]bool, len(rules))
	for _, r := range rules {
		have[r.ID] = true
	}
	worst := map[string]Severity{}
	for _, f := range fs {
		if !have[f.Rule] {
			worst[f.Rule] = max(worst[f.Rule], f.Severity)
		}
	}
	ids := make([]string, 0, len(worst))
	for id := range worst {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := Rule{ID: id, Severity: worst[id]}
		if parent, ok := wildcardRule(rules, id); ok {
			r.Doc, r.HelpURL = parent.Doc, parent.HelpURL
			if _, valid := severityNames[parent.Severity]; valid {
				r.Severity = parent.Severity
			}
		}
		rules = append(rules, r)
	}
	return rules
}

// wildcardRule finds the most specific "prefix/*" rule covering id.
func wildcardRule(rules []Rule, id string) (Rule, bool) {
	var best Rule
	found := false
	for _, r := range rules {
		prefix, ok := strings.CutSuffix(r.ID, "*")
		if ok && strings.HasPrefix(id, prefix) && (!found || len(r.ID) > len(best.ID)) {
			best, found = r, true
		}
	}
	return best, found
}

// sarifArtifact makes a URI reference of a slash-separated path: relative paths resolve against
// %SRCROOT%; each segment is percent-encoded, including ':' so "a:b/c" is not read as a scheme.
func sarifArtifact(path string) *sarif.ArtifactLocation {
	if strings.HasPrefix(path, "/") {
		return sarif.NewSimpleArtifactLocation((&url.URL{Scheme: "file", Path: path}).String())
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return sarif.NewSimpleArtifactLocation(strings.Join(segs, "/")).WithURIBaseID(srcRoot)
}

// sarifRegion leaves out what is unknown rather than writing 0, which GitHub rejects; a
// whole-file finding points at line 1.
func sarifRegion(f Finding) *sarif.Region {
	if f.Line <= 0 {
		return sarif.NewRegion().WithStartLine(1)
	}
	r := sarif.NewRegion().WithStartLine(f.Line)
	if f.Col > 0 {
		r.WithStartColumn(f.Col)
	}
	if f.EndLine > 0 {
		r.WithEndLine(endLine(f))
	}
	return r
}
