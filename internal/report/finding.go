// Package report owns the findings model shared by every command and every format they are
// written in: human text, JSON, SARIF 2.1.0, GitHub workflow commands and the Markdown of the job
// summary, pull-request comments and issue bodies. A command returns a Report: its findings, and
// its own typed result as a Summary (coverage's table, probe's services, build's images, triage's
// queue), whose parts this package lays out and encodes; one JSON schema holds the findings of
// every command. It never reads the environment and never decides exit codes; it only turns
// data into bytes.
//
// Markdown is rendered in one place (RenderMarkdown), where every data string is redacted, then
// escaped or put in a code span, so that nothing a pull request or a server controls becomes a
// mention, a link, an image or HTML in a summary or a comment.
//
// Redaction happens here, once, for every sink: Write and Markdown render Redacted(rep), whose
// findings have every credential shape masked in each text field, and the human format masks the
// source line it quotes; callers that send findings elsewhere (the Checks API) call Redacted.
// Encoding for the log (control characters, stray workflow commands) is internal/logsafe's, at
// the process boundary; the github format's own commands come from ghaction.FormatCommand, the
// one privileged path.
package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings: Error fails a gate, Warning and Info do not.
type Severity int

// The severities, lowest first. The zero value is not a valid severity, so a Finding built without
// one is caught by Validate instead of silently becoming an error or a note.
const (
	Info Severity = iota + 1
	Warning
	Error
)

var severityNames = map[Severity]string{Info: "info", Warning: "warning", Error: "error"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity maps "error", "warning" or "info" to a Severity.
func ParseSeverity(s string) (Severity, error) {
	for k, v := range severityNames {
		if v == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (valid: error, warning, info)", s)
}

// MarshalText writes the severity's name, so JSON and YAML carry "error" rather than 3.
func (s Severity) MarshalText() ([]byte, error) {
	if _, ok := severityNames[s]; !ok {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts the names MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one problem at one place. Findings are data, not errors: a command that finds
// problems has still succeeded as a program.
type Finding struct {
	// Path is slash-separated and relative to the working directory; "" for a finding about the
	// whole run (a coverage total, a gate that is not configured), which every format shows
	// without a location.
	Path string
	// Line and Col are 1-based; 0 means "the whole file" or "the whole line".
	Line, Col int
	// EndLine is the last line of a multi-line finding; 0 or Line for a single line.
	EndLine  int
	Rule     string
	Severity Severity
	Message  string
	// Help is a URL or one line of text on how to fix it.
	Help string
}

// String is the one canonical text form, parsed by the problem matcher in .github/:
// path:line:col: message [rule]. A finding about the whole run (no Path) has no location to
// show: "message [rule]".
func (f Finding) String() string {
	if f.Path == "" {
		return fmt.Sprintf("%s [%s]", f.Message, f.Rule)
	}
	return fmt.Sprintf("%s:%d:%d: %s [%s]", f.Path, f.Line, f.Col, f.Message, f.Rule)
}

// Compare orders findings by path, line, column, rule, then message, so output is deterministic
// however the findings were produced.
func Compare(a, b Finding) int {
	return cmp.Or(
		strings.Compare(a.Path, b.Path),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Col, b.Col),
		strings.Compare(a.Rule, b.Rule),
		strings.Compare(a.Message, b.Message),
	)
}

// Sort sorts findings in place with Compare and drops exact duplicates.
func Sort(fs []Finding) []Finding {
	slices.SortFunc(fs, Compare)
	return slices.Compact(fs)
}

// Rule is the metadata of a rule that can produce findings, for SARIF's tool driver, the README
// and `molecule-ci lint --list-rules`.
type Rule struct {
	ID       string
	Severity Severity // default severity
	Doc      string   // one line: why the rule exists
	HelpURL  string
}

// Report is what a command found: the findings, how many files it looked at, and the rules that
// could have fired.
type Report struct {
	Tool         string // e.g. "molecule-ci"
	Version      string
	Command      string // e.g. "lint"
	Findings     []Finding
	FilesChecked int
	Rules        []Rule
	// Sources are the files the findings point into, by Path, as they were when checked: the
	// human format's excerpts then show what was checked, without reading the files again.
	// Optional (Options.Source is asked for the others); part of no format.
	Sources map[string][]byte
	// Summary is the command's own result (coverage's table, probe's services), rendered with
	// the findings in every format; nil for a command that has findings only (lint).
	Summary Summary
	// Baseline is set when the findings were compared with a baseline (lint --baseline): then
	// Findings are the new findings, the only ones a gate judges (see Baseline).
	Baseline *Baseline
	// Scope is what the run checked (lint sets it): a baseline entry outside it is not stale.
	// Nil: everything. Part of no format.
	Scope *Scope
}

// Counts returns how many findings there are of each severity.
func (r *Report) Counts() (errors, warnings, infos int) {
	for _, f := range r.Findings {
		switch f.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		case Info:
			infos++
		}
	}
	return errors, warnings, infos
}
