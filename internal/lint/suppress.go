package lint

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/lint/secretscan"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ruleAliases are rule ids that also stand for a rule split from them, until the next major
// version (aliasUntil): a suppression or a lint.rules entry written for the old id keeps doing
// what it did, and says so with a deprecation notice (an info finding, which fails no gate at
// the default --fail-on). secret-exposure covered committed credentials until they became
// secret-committed; it stays the rule of secrets misused inside workflows.
var ruleAliases = map[string]string{"secret-exposure": secretscan.Rule}

// aliasUntil is the release in which ruleAliases stop working.
const aliasUntil = "v2"

// aliasOf returns the rule that id also stands for, or "".
func aliasOf(id string) string { return ruleAliases[id] }

// RuleSuppression is the rule id of problems with `# molecule-ci: ignore[...]` comments themselves.
const RuleSuppression = "suppression"

// suppressRE matches `# molecule-ci: ignore[rule-a,rule-b] reason`. The comment marker is part of
// the pattern so that the words in a string or a script body do not count.
var suppressRE = regexp.MustCompile(`#\s*molecule-ci:\s*ignore\[([^\]]*)\]\s*(.*)$`)

type suppression struct {
	line   int // the line the comment is on
	col    int
	rules  []string
	reason string
	used   bool
	// aliased are the old ids of ruleAliases by which the suppression hid a finding of the new
	// rule, for the deprecation notice.
	aliased []string
}

// parseSuppressions finds every suppression comment in src. A comment applies to findings on
// its own line and on the line below it.
func parseSuppressions(src []byte) []*suppression {
	if !bytes.Contains(src, []byte("molecule-ci:")) {
		return nil
	}
	var out []*suppression
	for i, line := range bytes.Split(src, []byte("\n")) {
		m := suppressRE.FindSubmatchIndex(line)
		if m == nil {
			continue
		}
		var rules []string
		for _, r := range strings.Split(string(line[m[2]:m[3]]), ",") {
			if r = strings.TrimSpace(r); r != "" {
				rules = append(rules, r)
			}
		}
		out = append(out, &suppression{
			line:   i + 1,
			col:    m[0] + 1,
			rules:  rules,
			reason: strings.TrimSpace(string(bytes.TrimRight(line[m[4]:m[5]], "\r"))),
		})
	}
	return out
}

// applySuppressions drops the findings that a valid suppression covers and reports suppressions
// that are malformed (no rule, no reason, unknown rule) or that matched nothing, so a stale
// ignore does not outlive the problem it hid.
func applySuppressions(path string, fs []report.Finding, sups []*suppression, known func(string) bool) []report.Finding {
	if len(sups) == 0 {
		return fs
	}
	var problems []report.Finding
	valid := sups[:0:0]
	for _, s := range sups {
		bad := func(msg string) {
			problems = append(problems, report.Finding{
				Path: path, Line: s.line, Col: s.col, Rule: RuleSuppression, Severity: report.Error,
				Message: msg, Help: "write `# molecule-ci: ignore[rule-id] why this is safe` on the line or the line above",
			})
		}
		switch {
		case len(s.rules) == 0:
			bad("suppression names no rule")
			continue
		case s.reason == "":
			bad(fmt.Sprintf("suppression of %s has no reason", strings.Join(s.rules, ", ")))
			continue
		}
		ok := true
		for _, r := range s.rules {
			if !known(r) {
				bad(fmt.Sprintf("suppression names unknown rule %q", r))
				ok = false
			}
		}
		if ok {
			valid = append(valid, s)
		}
	}
	kept := fs[:0:0]
	for _, f := range fs {
		if covered(f, valid) {
			continue
		}
		kept = append(kept, f)
	}
	for _, s := range valid {
		for _, old := range s.aliased {
			problems = append(problems, report.Finding{
				Path: path, Line: s.line, Col: s.col, Rule: RuleSuppression, Severity: report.Info,
				Message: fmt.Sprintf("ignore[%s] hid a %s finding: that rule was split from %s, which stops covering it in %s; write ignore[%s]",
					old, aliasOf(old), old, aliasUntil, aliasOf(old)),
				Help: fmt.Sprintf("name %s in the suppression (keep %s too if it also hides a finding of that rule)", aliasOf(old), old),
			})
		}
		if !s.used {
			problems = append(problems, report.Finding{
				Path: path, Line: s.line, Col: s.col, Rule: RuleSuppression, Severity: report.Warning,
				Message: fmt.Sprintf("suppression of %s matches no finding on this line or the next; remove it", strings.Join(s.rules, ", ")),
			})
		}
	}
	return append(kept, problems...)
}

func covered(f report.Finding, sups []*suppression) bool {
	hit := false
	for _, s := range sups {
		if f.Line != s.line && f.Line != s.line+1 {
			continue
		}
		for _, r := range s.rules {
			switch {
			case r == f.Rule:
				s.used, hit = true, true
			case aliasOf(r) == f.Rule && !slices.Contains(s.rules, f.Rule):
				s.used, hit = true, true
				if !slices.Contains(s.aliased, r) {
					s.aliased = append(s.aliased, r)
				}
			}
		}
	}
	return hit
}
