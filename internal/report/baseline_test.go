package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// baselineReport is a lint run compared with a baseline: one new finding, two known (one of them
// hostile: a workflow command and a mention in its message), two stale entries (one with a path
// holding a colon and a newline).
func baselineReport() *Report {
	return &Report{
		Tool: "molecule-ci", Version: "1.2.3", Command: "lint", FilesChecked: 3,
		Rules: []Rule{
			{ID: "floating-ref", Severity: Error, Doc: "a call at a branch runs whatever the branch holds"},
			{ID: "missing-timeout", Severity: Warning, Doc: "a job without timeout-minutes can hold a runner for 6 hours"},
		},
		Findings: []Finding{
			{Path: ".github/workflows/ci.yml", Line: 30, Col: 15, Rule: "floating-ref", Severity: Error,
				Message: `action Molecule-AI/molecule-ci is called at "staging", a branch that moves under every caller`},
		},
		Baseline: &Baseline{
			File:   ".molecule-ci-baseline.json",
			Shrink: "molecule-ci lint --baseline .molecule-ci-baseline.json --write-baseline .molecule-ci-baseline.json",
			Known: []Finding{
				{Path: ".github/workflows/ci.yml", Line: 9, Col: 3, Rule: "missing-timeout", Severity: Warning,
					Message: `job "test" has no timeout-minutes`},
				{Path: ".github/workflows/ci.yml", Line: 4, Col: 3, Rule: "missing-timeout", Severity: Warning,
					Message: "job \"build\" has no timeout-minutes\n::error::injected @org/team"},
			},
			Stale: []Finding{
				{Path: ".github/workflows/old.yml", Rule: "floating-ref", Severity: Info,
					Message: `action Molecule-AI/molecule-ci is called at "main", a branch that moves under every caller`},
				{Path: "a:b\nc.yml", Rule: "missing-timeout", Severity: Info, Message: `job "x" has no timeout-minutes`},
			},
		},
	}
}

// TestBaselineGolden: the new, known and stale findings of a baseline run in every format.
func TestBaselineGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, baselineReport(), Options{}); err != nil {
				t.Fatal(err)
			}
			if (format == "json" || format == "sarif") && !json.Valid(buf.Bytes()) {
				t.Fatalf("invalid JSON:\n%s", buf.Bytes())
			}
			golden.Check(t, filepath.Join("testdata", "baseline-"+format+".golden"), buf.Bytes())
		})
	}
	md := Markdown(baselineReport())
	markdowntest.Check(t, md)
	golden.Check(t, filepath.Join("testdata", "baseline-markdown.golden"), []byte(md))

	// Nothing new: the verdict says so, and the known findings are still shown.
	rep := baselineReport()
	rep.Findings = nil
	var buf bytes.Buffer
	if err := Write(&buf, "human", rep, Options{}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "baseline-nothing-new-human.golden"), buf.Bytes())
}

// The known findings and stale entries are never annotations: only the new finding is a
// workflow command; the rest is fenced by stop-commands.
func TestBaselineGitHubAnnotatesOnlyNew(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "github", baselineReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	var commands []string
	stopped := ""
	for _, l := range strings.Split(buf.String(), "\n") {
		switch {
		case stopped != "" && l == "::"+stopped+"::":
			stopped = ""
		case stopped != "":
		case strings.HasPrefix(l, "::stop-commands::"):
			stopped = strings.TrimPrefix(l, "::stop-commands::")
		case strings.HasPrefix(l, "::"):
			commands = append(commands, l)
		}
	}
	if len(commands) != 1 || !strings.HasPrefix(commands[0], "::error ") || !strings.Contains(commands[0], "line=30") {
		t.Errorf("workflow commands outside a fence: %q, want only the new finding's", commands)
	}
}

// Known and stale findings are redacted and validated like the findings.
func TestBaselineRedactedAndValidated(t *testing.T) {
	rep := baselineReport()
	token := "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8" // split so no scanner flags this file
	rep.Baseline.Known[0].Message += " " + token
	rep.Baseline.Stale[0].Message += " " + token
	for _, format := range Formats() {
		var buf bytes.Buffer
		if err := Write(&buf, format, rep, Options{}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), token) {
			t.Errorf("%s shows the token", format)
		}
	}
	rep.Baseline.Stale[1].Rule = ""
	if err := Write(&bytes.Buffer{}, "json", rep, Options{}); err == nil || !strings.Contains(err.Error(), "empty rule") {
		t.Errorf("a stale entry without a rule: %v", err)
	}
}
