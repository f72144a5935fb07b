package workflow

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// gating reports whether the workflow runs where a failure blocks something: a push, a pull
// request, the merge queue, a release or a caller. A workflow that only runs on a schedule, by
// hand or for a comment (a cache warmer, a nightly report, a bot) gates nothing, so swallowing
// its failures is a choice.
func (f *File) gating() bool {
	if len(f.Workflow.On) == 0 {
		return true
	}
	for _, e := range f.Workflow.On {
		if !nonGating[e.EventName()] {
			return true
		}
	}
	return false
}

// nonGating events start workflows nothing waits on: timers, manual runs, bots answering
// comments, issues and labels.
var nonGating = map[string]bool{
	"schedule": true, "workflow_dispatch": true, "issue_comment": true, "issues": true,
	"discussion": true, "discussion_comment": true, "label": true, "milestone": true, "watch": true,
	"fork": true, "gollum": true, "public": true, "page_build": true, "project": true,
	"project_card": true, "project_column": true,
}

// ---- gate-cannot-fail ----

var ruleGate = &Rule{
	ID:       RuleGate,
	Severity: report.Error,
	Doc:      "a test, lint, build or scan step (known tool, gate-named make target/npm script/script file, or a step named for what it gates) whose failure is swallowed (|| true, ; true without -e, set +e, continue-on-error on the step or its job, a pipe into tee/tail/grep without pipefail) is a gate that can never fail; decided on the parsed script from the command that determines the step's status and the effective shell, not reported in workflows that only run on schedule/workflow_dispatch, nor when a later step checks the file the gate's output went to",
	Fix:      "let the step fail: remove `|| true`/`set +e`, use `shell: bash` (pipefail), or give continue-on-error a reason in a comment on its line",
	Bad: `on: push
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test || true
`,
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
	Check:   checkGates,
}

func checkGates(f *File, r *Reporter) {
	if !f.gating() {
		return
	}
	for _, j := range f.Jobs {
		g := &gateJob{r: r, job: j}
		g.start()
		for _, s := range j.Steps {
			g.step(s)
		}
		g.end()
	}
}

// gateJob is the state of gate-cannot-fail on one job.
type gateJob struct {
	r        *Reporter
	job      *Job
	jobGates []string
	// jobReported is set when a step of the job got a finding: the job's continue-on-error is
	// then the same problem, reported once.
	jobReported bool
	// jobIntended is set when a step of the job is deliberately allowed to fail.
	jobIntended bool
}

// gateActions are actions that run a test, lint, build or scan: continue-on-error on them
// swallows a gate just like `|| true` does.
var gateActions = []string{
	"golangci/golangci-lint-action", "aquasecurity/trivy-action", "securego/gosec",
	"hadolint/hadolint-action", "ludeeus/action-shellcheck", "reviewdog/", "raven-actions/actionlint",
	"rhysd/actionlint", "docker/build-push-action", "docker/bake-action", "github/codeql-action/analyze",
	"super-linter/super-linter", "github/super-linter", "pre-commit/action", "anchore/scan-action",
	"snyk/actions", "returntocorp/semgrep-action", "semgrep/semgrep-action", "codespell-project/actions-codespell",
}

func (r *gateJob) gateAction(uses string) string {
	l := strings.ToLower(uses)
	if at := strings.IndexByte(l, '@'); at >= 0 {
		l = l[:at]
	}
	for _, g := range gateActions {
		if strings.HasPrefix(l, g) {
			return l
		}
	}
	// molecule-ci itself, or the organisation's copy of it.
	for _, mc := range []string{"molecule-ai/molecule-ci", strings.ToLower(r.job.File.opts.Org) + "/molecule-ci"} {
		if l == mc || strings.HasPrefix(l, mc+"/") {
			return l
		}
	}
	return ""
}

// stepGateName returns the step's name when it says the step is a gate: its first words (after
// "run") name one — "Test", "Lint", "Run unit tests", "Check formatting", "Build" — and no
// setup, upload or report word. "Set issue id for v1-10-test" is not one.
func stepGateName(n *actionlint.String) string {
	if n == nil || strings.Contains(n.Value, "${{") {
		return ""
	}
	ts := tokens(n.Value)
	for _, t := range ts {
		if setupWords[t] {
			return ""
		}
	}
	if len(ts) > 0 && (ts[0] == "run" || ts[0] == "execute") {
		ts = ts[1:]
	}
	for i, t := range ts {
		if i > 1 {
			break
		}
		if gateWords[t] {
			return n.Value
		}
	}
	return ""
}

// allowedToFail matches job and step names and ids that say the failure is expected:
// "tests-quarantined", "unstable minors", "experimental", "allowed failures", "flaky".
var allowedToFail = regexp.MustCompile(`(?i)quarantin|unstable|experimental|allow(ed)?[-_ ]?fail|may[-_ ]fail|flaky|optional|non[-_ ]?blocking|informational|canary|nightly`)

// allowedToFailWords hold a literal part of every alternative of allowedToFail, in lower case.
var allowedToFailWords = []string{"quarantin", "unstable", "experimental", "fail", "flaky", "optional", "blocking", "informational", "canary", "nightly"}

// namedAllowedToFail is allowedToFail.MatchString, with the expression run only on names that
// may match: most names hold none of its words.
func namedAllowedToFail(name string) bool {
	return mayMatchFold(name, allowedToFailWords) && allowedToFail.MatchString(name)
}

// mayMatchFold is a necessary condition of a (?i) expression whose every match holds one of
// words (lower case): s holds one of them in any ASCII case, or s is not ASCII (case folding
// maps some non-ASCII letters onto ASCII ones: K U+212A, ſ U+017F), where the expression judges.
func mayMatchFold(s string, words []string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	l := strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// announces reports whether a script reports its own failure as an annotation (::warning or
// ::error), which makes continue-on-error a visible, deliberate choice.
func announces(s string) bool {
	return strings.Contains(s, "::warning") || strings.Contains(s, "::error")
}

func (r *gateJob) start() {
	j := r.job
	if j.WorkflowCall != nil && j.WorkflowCall.Uses != nil {
		u := j.WorkflowCall.Uses.Value
		if i := strings.IndexByte(u, '@'); i >= 0 {
			u = u[:i]
		}
		if isGateTarget(strings.TrimSuffix(path.Base(u), path.Ext(u))) {
			r.jobGates = append(r.jobGates, j.WorkflowCall.Uses.Value)
		}
	}
}

func (r *gateJob) step(s *Step) {
	f := r.job.File
	stepGate := stepGateName(s.Name)
	var gates []string
	reported, deferred := false, false
	switch e := s.Exec.(type) {
	case *actionlint.ExecRun:
		if e.Run == nil {
			return
		}
		mode := s.Shell()
		sc := s.Script()
		res := analyzeGates(sc, mode, stepGate)
		if !mode.analyze {
			// PowerShell and the like: the script is not read as a shell, but where it keeps
			// its output (Tee-Object, Out-File) tells a deferred gate all the same.
			res.files = append(res.files, psOutputFiles(e.Run.Value)...)
		}
		for _, out := range res.files {
			if r.checkedLater(s, out, sc, len(sc.Src)) {
				deferred = true
			}
		}
		reporter := r.reportedLater(s)
		if reporter {
			deferred = true
		}
		for _, is := range res.issues {
			if is.file != "" && r.checkedLater(s, is.file, sc, is.off) || reporter {
				continue // a deferred gate: a later command fails on what the gate wrote
			}
			r.r.Report(f.Pos(e.Run, is.off), is.msg)
			reported = true
		}
		gates = res.gates
	case *actionlint.ExecAction:
		if e.Uses != nil {
			if g := r.gateAction(e.Uses.Value); g != "" {
				gates = []string{g}
			}
		}
	}
	if len(gates) == 0 && stepGate != "" {
		gates = []string{stepGate}
	}
	if len(gates) == 0 {
		return
	}
	r.jobGates = append(r.jobGates, gates...)
	if reported {
		r.jobReported = true
	}
	if deferred || stepAllowedToFail(s.Step) || r.outcomeConsulted(s) || r.reportedLater(s) {
		if isTrue(s.ContinueOnError) {
			r.jobIntended = true // the job's continue-on-error carries the same decision
		}
		return
	}
	// One finding per step: a script that swallows its gate already says so.
	if coe := s.ContinueOnError; !reported && coe != nil && coe.Expression == nil && coe.Value && coe.Pos != nil && !f.hasComment(coe.Pos.Line) {
		r.r.Report(coe.Pos, fmt.Sprintf("continue-on-error: true lets `%s` fail without failing the job; if that is intended, say why in a comment on this line", gates[0]))
		r.jobReported = true
	}
}

// outcomeConsulted reports whether a later step of the job branches on this step's outcome
// (if: steps.<id>.outcome == 'failure'): continue-on-error is then how the job reads it.
func (r *gateJob) outcomeConsulted(s *Step) bool {
	if s.ID == nil {
		return false
	}
	for _, k := range []string{"steps." + s.ID.Value + ".outcome", "steps." + s.ID.Value + ".conclusion"} {
		for _, st := range r.job.Steps {
			if st.If != nil && strings.Contains(st.If.Value, k) {
				return true
			}
		}
	}
	return false
}

// stepAllowedToFail: a step named for an expected failure, or whose script announces its own
// failure as an annotation.
func stepAllowedToFail(s *actionlint.Step) bool {
	if s.Name != nil && namedAllowedToFail(s.Name.Value) {
		return true
	}
	if e, ok := s.Exec.(*actionlint.ExecRun); ok && e.Run != nil && announces(e.Run.Value) {
		return true
	}
	return false
}

// reporterActions publish test results as a check run of their own whose conclusion is failure
// when a test failed (mikepenz/action-junit-report, dorny/test-reporter,
// EnricoMi/publish-unit-test-result-action): a test step before one that may fail is a
// deferred gate, not a swallowed one.
var reporterActions = []string{
	"mikepenz/action-junit-report", "dorny/test-reporter", "enricomi/publish-unit-test-result-action",
	"scacap/action-surefire-report",
}

// reportedLater reports whether a step of the job after s publishes test results with a
// reporter that fails on a failed test.
func (r *gateJob) reportedLater(s *Step) bool {
	j := r.job
	if !j.reporterDone {
		j.reporterDone, j.lastReporter = true, -1
		for i := len(j.Steps) - 1; i >= 0; i-- {
			if reports(j.Steps[i : i+1]) {
				j.lastReporter = i
				break
			}
		}
	}
	return j.lastReporter > s.Index
}

// reports reports whether one of steps publishes test results with a reporter whose check run
// fails when a test failed — not told otherwise: EnricoMi's fail_on: nothing, or mikepenz's
// annotate_only: true (no check run) without fail_on_failure: true.
func reports(steps []*Step) bool {
	for _, st := range steps {
		a, ok := st.Exec.(*actionlint.ExecAction)
		if !ok || a.Uses == nil {
			continue
		}
		u := strings.ToLower(a.Uses.Value)
		i := slices.IndexFunc(reporterActions, func(p string) bool { return strings.HasPrefix(u, p+"@") })
		if i < 0 {
			continue
		}
		in := func(k string) string {
			if v := a.Inputs[k]; v != nil && v.Value != nil {
				return strings.ToLower(strings.TrimSpace(v.Value.Value))
			}
			return ""
		}
		switch reporterActions[i] {
		case "enricomi/publish-unit-test-result-action":
			if in("fail_on") == "nothing" {
				continue
			}
		case "mikepenz/action-junit-report":
			if in("annotate_only") == "true" && in("fail_on_failure") != "true" {
				continue
			}
		}
		return true
	}
	return false
}

// psOutput finds where a PowerShell script keeps a command's output: `| Tee-Object -FilePath f`,
// `| Out-File f`.
var psOutput = regexp.MustCompile(`(?i)\b(?:Tee-Object|Out-File)\s+(?:-FilePath\s+|-Path\s+)?["']?([^"'\s|;)]+)`)

func psOutputFiles(script string) []string {
	var out []string
	for _, m := range psOutput.FindAllStringSubmatch(script, -1) {
		if f := m[1]; !strings.HasPrefix(f, "$") && !strings.HasPrefix(f, "-") {
			out = append(out, strings.ReplaceAll(f, `\`, "/"))
		}
	}
	return out
}

// checkScript recognises a later command that checks a file it is given: a script of the
// repository named for a check (./.github/scripts/check_build_result.sh out.log).
func checkScript(line, base string) bool {
	f := strings.Fields(line)
	if len(f) < 2 || !slices.ContainsFunc(f[1:], func(a string) bool { return strings.Contains(a, base) }) {
		return false
	}
	w := f[0]
	if interpreters[path.Base(w)] && len(f) > 2 {
		w = f[1]
	}
	if !strings.Contains(w, "/") && !strings.Contains(w, ".") {
		return false
	}
	name := strings.TrimSuffix(path.Base(w), path.Ext(w))
	for _, t := range tokens(name) {
		if checkWords[t] {
			return true
		}
	}
	return false
}

// checkWords name a script that judges a result.
var checkWords = map[string]bool{"check": true, "verify": true, "validate": true, "assert": true, "evaluate": true}

// checkRe recognises a command that fails on a file's contents: `test -s f && exit 1`,
// `[ -s f ]`, `grep ... f`, `wc -l < f`, `if [ -n "$(cat f)" ]`, `::error`.
// A grep for some patterns is not such a check: it misses a crash or a build failure.
var checkRe = regexp.MustCompile(`exit\s+[1-9]|-s\s|\bwc\b|::error`)

// checkedLater reports whether the gate's output file is checked after it: later in the same
// script, or in a later step of the job.
func (r *gateJob) checkedLater(s *Step, file string, sc *shell.Script, off int) bool {
	base := path.Base(strings.ReplaceAll(file, `\`, "/"))
	if base == "." || base == "/" || base == "/dev/null" || base == "null" {
		return false
	}
	mentions := func(s string) bool {
		if !strings.Contains(s, base) {
			return false
		}
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, base) && (checkRe.MatchString(line) || checkScript(line, base)) {
				return true
			}
		}
		return false
	}
	if rest := sc.Src[min(off, len(sc.Src)):]; strings.Count(rest, base) > 1 && mentions(rest[strings.Index(rest, base)+len(base):]) {
		return true
	}
	// A later step reads the file (it may turn it into a report first), and that step or one
	// after it fails on what it found.
	later := s.Later()
	read := -1
	for i, st := range later {
		run, ok := st.Exec.(*actionlint.ExecRun)
		if !ok || run.Run == nil || !strings.Contains(run.Run.Value, base) {
			continue
		}
		if mentions(run.Run.Value) {
			return true
		}
		if read < 0 {
			read = i
		}
	}
	if read >= 0 {
		for _, st := range later[read:] {
			if run, ok := st.Exec.(*actionlint.ExecRun); ok && run.Run != nil && mayMatchFold(run.Run.Value, failsOnFindingWords) && failsOnFinding.MatchString(run.Run.Value) {
				return true
			}
		}
	}
	return false
}

// failsOnFinding recognises a script that fails conditionally on what an earlier step found:
// `if [ "$numFail" -gt 0 ]; then exit 2; fi`, `test -s f && exit 1`, `::error`.
var failsOnFinding = regexp.MustCompile(`(?im)(\bif\b|\bthen\b|&&|\|\|).*\bexit\s+[1-9]|::error`)

// failsOnFindingWords hold a literal part of every match of failsOnFinding.
var failsOnFindingWords = []string{"exit", "::error"}

func (r *gateJob) end() {
	j := r.job
	if j.File.Gitea {
		return // Gitea ignores a job's continue-on-error (reported by gitea-compat)
	}
	if r.jobReported || r.jobIntended || reports(j.Steps) || j.ID != nil && namedAllowedToFail(j.ID.Value) || j.Name != nil && namedAllowedToFail(j.Name.Value) {
		return
	}
	if coe := j.ContinueOnError; coe != nil && coe.Expression == nil && coe.Value && coe.Pos != nil && len(r.jobGates) > 0 && !j.File.hasComment(coe.Pos.Line) {
		r.r.Report(coe.Pos, fmt.Sprintf("continue-on-error: true on job %q lets `%s` fail without failing the workflow; if that is intended, say why in a comment on this line", jobID(j.Job), r.jobGates[0]))
	}
}

func jobID(j *actionlint.Job) string {
	if j.ID == nil {
		return ""
	}
	return j.ID.Value
}
