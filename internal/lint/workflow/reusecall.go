package workflow

import (
	"strconv"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// RuleReusableCall is a call into a reusable workflow that does not fit the callee's interface.
const RuleReusableCall = "reusable-call"

var ruleReusableCall = &Rule{
	ID:       RuleReusableCall,
	Severity: report.Error,
	Doc: "a call into a reusable workflow that does not fit what the workflow declares under on.workflow_call at the pinned ref — an unknown or a missing required input, a value of a type GitHub refuses, an undeclared or a missing required secret, a ref or a file that does not exist — fails before any job runs (startup_failure, without logs), and an undeclared output reads as empty; " +
		"a call whose callee could not be read is an info finding saying why, never a silent pass",
	Fix:     "make the call match the called workflow's on.workflow_call (input names, required inputs, types, secrets, outputs) at the ref it pins",
	Checks:  "every `jobs.<id>.uses:` of a workflow, against the callee read from the repository's own files, a local checkout at the pinned ref (`lint.reusable.checkouts`, a fleet's sibling) or, with a token, the GitHub API",
	Applies: Workflows,
	ExampleFiles: []ExampleFile{{Path: ".github/workflows/build.yml", Text: `on:
  workflow_call:
    inputs:
      runtime_version:
        type: string
        required: true
      push:
        type: boolean
        default: false
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - run: make build
`}},
	Bad: `on: push
permissions: {contents: read}
jobs:
  build:
    uses: ./.github/workflows/build.yml
    with:
      runtime_versoin: "3.12"
      push: 'true'
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  build:
    uses: ./.github/workflows/build.yml
    with:
      runtime_version: "3.12"
      push: true
`,
	Check: checkReusableCalls,
}

// checkReusableCalls resolves the callee of every reusable-workflow call of the file (once per
// run: the Resolver remembers) and holds the call to its interface.
//
// actionlint's workflow-call and expression rules already check a local call (./...) when they
// find the repository (a .git beside .github/workflows): unknown and required inputs, secrets,
// literal types of number and string inputs, outputs. There this rule reports only what they do
// not — a boolean input given a non-boolean, a required input left out because it has a
// default, a number whose text GitHub changes — so that no problem is reported twice.
// Everywhere else it reports everything. A local callee that cannot be read, parsed or called is
// this rule's alone (see localCalleeUnread): actionlint's cache reports it only to the first
// file of a run that looks it up, which in a parallel run is any of them.
func checkReusableCalls(f *File, r *Reporter) {
	if f.Kind != KindWorkflow {
		return
	}
	calls := reusable.CallsOfSource(f.Path, f.Workflow, f.Src)
	caller := reusable.Caller{Repo: f.opts.Repository, Root: f.opts.Root}
	for _, c := range calls {
		if f.ctx.Err() != nil {
			return // the run is over; what was not checked is not reported as checked
		}
		at := &actionlint.Pos{Line: c.UsesPos.Line, Col: c.UsesPos.Col}
		if c.UsesErr != "" {
			if strings.Contains(c.Uses.Raw, "${{") || actionlintAcceptsUses(c.Uses.Raw) {
				r.ReportAs(at, report.Info, "call not checked: "+c.UsesErr)
			} // else actionlint's workflow-call rule reports the malformed reference
			continue
		}
		actionlintSpeaks := c.Uses.Local && f.localCallsChecked
		res := f.opts.Calls.Resolve(f.ctx, caller, c.Uses)
		switch res.Status {
		case reusable.Unchecked:
			if f.ctx.Err() == nil {
				r.ReportAs(at, report.Info, "call not checked: "+res.Reason)
			}
		case reusable.RefMissing, reusable.FileMissing, reusable.NotCallable:
			r.Report(at, "the call fails on GitHub: "+res.Reason)
		case reusable.Resolved:
			for _, p := range reusable.Check(c, res.Interface, c.Uses.Raw) {
				if actionlintSpeaks && !beyondActionlint(p) {
					continue
				}
				sev := report.Severity(0)
				if p.Kind == reusable.NumberAsString {
					sev = report.Warning // the call runs, with another value
				}
				r.ReportAs(&actionlint.Pos{Line: p.Pos.Line, Col: p.Pos.Col}, sev, p.Msg)
			}
		}
	}
}

// beyondActionlint: the problems of a local call that actionlint's rules do not report.
// actionlint's boolean type accepts any value, it types a literal by its text whether quoted or
// not ("3" is a number to it), it takes an input with a default as not required, and it has no
// view on a number's text.
func beyondActionlint(p reusable.Problem) bool {
	switch p.Kind {
	case reusable.WrongType:
		if p.Input.Type == reusable.TypeBoolean {
			return true
		}
		v := strings.TrimSpace(p.Given.Value)
		_, err := strconv.ParseFloat(v, 64)
		return p.Given.Quoted && !strings.Contains(v, "${{") && err == nil
	case reusable.MissingInput:
		return p.Input.Default != nil
	case reusable.NumberAsString:
		return true
	}
	return false
}

// actionlintAcceptsUses mirrors actionlint's two formats of a reusable-workflow reference
// (./path, owner/repo/path@ref): one it accepts and molecule-ci's stricter parse refuses (an
// owner name GitHub does not allow, a file that is not .yml) is this rule's to report.
func actionlintAcceptsUses(u string) bool {
	if rest, ok := strings.CutPrefix(u, "./"); ok {
		return rest != "" && !strings.Contains(rest, "@")
	}
	if strings.HasPrefix(u, ".") {
		return false
	}
	owner, rest, ok := strings.Cut(u, "/")
	if !ok || owner == "" {
		return false
	}
	repo, rest, ok := strings.Cut(rest, "/")
	if !ok || repo == "" {
		return false
	}
	p, ref, ok := strings.Cut(rest, "@")
	return ok && p != "" && ref != ""
}

// localCalleeUnread matches actionlint's report that a local callee could not be read or parsed
// (a missing file, a workflow without workflow_call): reusable-call reports that on every call,
// actionlint on whichever call first filled its cache.
func localCalleeUnread(e *actionlint.Error) bool {
	return (e.Kind == "workflow-call" || e.Kind == "expression") &&
		(strings.HasPrefix(e.Message, "could not read reusable workflow file for ") || strings.HasPrefix(e.Message, "error while parsing reusable workflow "))
}
