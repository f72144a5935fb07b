package report

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Validate reports why a finding cannot be written faithfully in every format. It is the check
// the Severity zero value relies on: a Finding built without a severity fails here rather than
// silently becoming an error or a note.
func (f Finding) Validate() error {
	var problems []string
	if _, ok := severityNames[f.Severity]; !ok {
		problems = append(problems, fmt.Sprintf("invalid severity %d (valid: error, warning, info)", int(f.Severity)))
	}
	if f.Line < 0 || f.Col < 0 || f.EndLine < 0 {
		problems = append(problems, fmt.Sprintf("negative position %d:%d (end line %d)", f.Line, f.Col, f.EndLine))
	}
	// The canonical form ends in "[rule]" and the problem matcher reads the rule as [^\]]+, and
	// GitHub's runner trims the title property, so a rule must be non-empty with no brackets or
	// spaces.
	if f.Rule == "" {
		problems = append(problems, "empty rule")
	} else if strings.ContainsFunc(f.Rule, func(r rune) bool {
		return r == '[' || r == ']' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		problems = append(problems, fmt.Sprintf("rule %q has a bracket, space or control character", f.Rule))
	}
	if f.Path == "" && (f.Line > 0 || f.Col > 0 || f.EndLine > 0) {
		problems = append(problems, fmt.Sprintf("position %d:%d without a path", f.Line, f.Col))
	}
	if f.Message == "" {
		problems = append(problems, "empty message")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("invalid finding %s:%d:%d [%s]: %s", f.Path, f.Line, f.Col, f.Rule, strings.Join(problems, "; "))
}

// Validate checks every finding, so a writer fails before it has written anything.
func (r *Report) Validate() error {
	var errs []error
	for _, f := range r.Findings {
		if err := f.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, r.Baseline.validate()...)
	if r.FilesChecked < 0 {
		errs = append(errs, fmt.Errorf("invalid report: negative files checked %d", r.FilesChecked))
	}
	return errors.Join(errs...)
}
