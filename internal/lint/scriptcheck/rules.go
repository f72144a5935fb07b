package scriptcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rhysd/actionlint"
)

// The descriptions are actionlint's, so rule listings (SARIF rules, -format templates) match.
const (
	shellcheckDesc = "Checks for shell script sources in \"run:\" using shellcheck"
	pyflakesDesc   = "Checks for Python script when \"shell: python\" is configured using Pyflakes"
)

// shellcheckArgs are actionlint's, shell aside. The excluded codes are false positives in CI
// scripts or artifacts of replacing `${{ }}` with underscores:
// SC1091 sourced file not found locally; SC2194/SC2050/SC2157/SC2043 constant words, tests and
// loops made of a placeholder; SC2153/SC2154 variables set by `env:`.
// The scripts are given as files (many per process) and the results read back per file from
// json1, whose comments carry the same fields as actionlint's `-f json`.
func shellcheckArgs(sh string) []string {
	return []string{"--norc", "-f", "json1", "-x", "--shell", sh, "-e", "SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043"}
}

// pending is one script handed to a tool; its result is read by wait.
type pending struct {
	pos   *actionlint.Pos
	t     *ticket
	diags []diagnostic
	limit *LimitError
	err   error
}

// scripts tracks the asynchronous checks of one file, in step order, so the findings and the
// error returned are deterministic whatever order the processes finish in.
type scripts struct {
	c     *Checker
	list  []*pending
	limit *limitRule
	// deferred: VisitWorkflowPost leaves the results to File.Wait instead of waiting for them,
	// so the file's syntax tree is released while its scripts are still being checked.
	deferred bool
}

func (s *scripts) start(pos *actionlint.Pos, r request) {
	s.list = append(s.list, &pending{pos: pos, t: s.c.submit(r)})
}

// report turns a script over a limit into a finding of kind RuleLimit at its run:.
func (s *scripts) report(p *pending) {
	what := "lint.tool-timeout"
	if p.limit.Kind == LimitMemory {
		what = "lint.tool-memory"
	}
	s.limit.Errorf(p.pos, "this script was not checked: %s; simplify or split it, or raise %s", p.limit, what)
}

// limitRule only collects the RuleLimit findings of one file, so they carry their own kind.
type limitRule struct{ actionlint.RuleBase }

func newLimitRule() *limitRule {
	return &limitRule{RuleBase: actionlint.NewRuleBase(RuleLimit, "Reports run: scripts that shellcheck or pyflakes could not check within their time or memory limit")}
}

// wait returns the finished checks and clears the list; the first error in step order wins.
func (s *scripts) wait() ([]*pending, error) {
	list := s.list
	s.list = nil
	for _, p := range list {
		p.diags, p.limit, p.err = s.c.wait(p.t)
		p.t = nil
	}
	for _, p := range list {
		if p.err != nil {
			return nil, p.err
		}
	}
	return list, nil
}

// shellcheckRule mirrors actionlint's RuleShellcheck.
type shellcheckRule struct {
	actionlint.RuleBase
	scripts
	workflowShell string
	jobShell      string
	runnerShell   string
}

func newShellcheckRule(c *Checker, l *limitRule) *shellcheckRule {
	return &shellcheckRule{RuleBase: actionlint.NewRuleBase("shellcheck", shellcheckDesc), scripts: scripts{c: c, limit: l}}
}

func (r *shellcheckRule) VisitWorkflowPre(n *actionlint.Workflow) error {
	if n.Defaults != nil && n.Defaults.Run != nil && n.Defaults.Run.Shell != nil {
		r.workflowShell = n.Defaults.Run.Shell.Value
	}
	return nil
}

func (r *shellcheckRule) VisitJobPre(n *actionlint.Job) error {
	if n.Defaults != nil && n.Defaults.Run != nil && n.Defaults.Run.Shell != nil {
		r.jobShell = n.Defaults.Run.Shell.Value
	}
	if n.RunsOn != nil {
		for _, label := range n.RunsOn.Labels {
			l := strings.ToLower(label.Value)
			// The default shell on Windows runners is PowerShell, which shellcheck cannot check.
			if l == "windows" || strings.HasPrefix(l, "windows-") {
				r.runnerShell = "pwsh"
				break
			}
		}
	}
	return nil
}

func (r *shellcheckRule) VisitJobPost(*actionlint.Job) error {
	r.jobShell = ""
	r.runnerShell = ""
	return nil
}

func (r *shellcheckRule) shellName(run *actionlint.ExecRun) string {
	switch {
	case run.Shell != nil:
		return run.Shell.Value
	case r.jobShell != "":
		return r.jobShell
	case r.workflowShell != "":
		return r.workflowShell
	case r.runnerShell != "":
		return r.runnerShell
	}
	return "bash" // what GitHub-hosted Linux and macOS runners use
}

// shellcheckShell maps a `shell:` value to shellcheck's --shell, "" when shellcheck cannot check it.
func shellcheckShell(shell string) string {
	switch {
	case shell == "bash" || shell == "sh":
		return shell
	case strings.HasPrefix(shell, "bash "):
		return "bash"
	case strings.HasPrefix(shell, "sh "):
		return "sh"
	}
	return ""
}

func (r *shellcheckRule) VisitStep(n *actionlint.Step) error {
	run, ok := n.Exec.(*actionlint.ExecRun)
	if !ok || run.Run == nil {
		return nil
	}
	sh := shellcheckShell(r.shellName(run))
	if sh == "" {
		return nil
	}
	src := sanitizeExpressions(run.Run.Value)
	if sh == "bash" && r.c.skipLiteral && literalOnly(src) {
		r.c.skipped.Add(1) // nothing shellcheck could report (literal.go)
		return nil
	}
	pos := run.RunPos
	args := shellcheckArgs(sh)
	// The options GitHub runs the shell with, so shellcheck reasons about the same script.
	setup := "set -e"
	if sh == "bash" {
		setup = "set -eo pipefail"
	}
	t := r.c.shellcheck
	r.Debug("%s: Run shellcheck for %s script:\n%s", pos, sh, src)
	req := request{
		tool:  t,
		args:  args,
		shell: sh,
		stdin: fmt.Sprintf("%s\n%s\n", setup, src),
	}
	if len(t.args) > 0 {
		// A command line such as "docker run --rm -i koalaman/shellcheck" cannot see files
		// written here: the script goes on stdin, one per process, as actionlint does it.
		req.args = append(args, "-")
		req.parse = func(out []byte) ([]diagnostic, error) {
			m, err := parseShellcheck(out)
			tabColumns(req.stdin, m["-"])
			return m["-"], err
		}
	}
	r.start(pos, request{
		tool:  req.tool,
		args:  req.args,
		shell: req.shell,
		stdin: req.stdin,
		parse: req.parse,
		runErr: func(err error) error {
			return &ToolError{Tool: t.name, Err: err, msg: fmt.Sprintf("`%s %s` did not run successfully while checking script at %s: %v", t.exe, strings.Join(args, " "), pos, err)}
		},
	})
	return nil
}

// json1 is shellcheck's `-f json1` output: every comment names its file.
type json1 struct {
	Comments []struct {
		File string `json:"file"`
		diagnostic
	} `json:"comments"`
}

// tabColumns turns the columns of json1, which count characters, into those of `-f json`, which
// actionlint reads and which count a tab as far as the next tab stop of 8 (Parsec's columns): a
// finding after a tab is reported where actionlint reports it.
func tabColumns(script string, ds []diagnostic) {
	if !strings.Contains(script, "\t") {
		return
	}
	lines := strings.Split(script, "\n")
	for i, d := range ds {
		if d.Line < 1 || d.Line > len(lines) || !strings.Contains(lines[d.Line-1], "\t") {
			continue
		}
		col, n := 1, 0
		for _, r := range lines[d.Line-1] {
			if n++; n >= d.Column {
				break
			}
			if r == '\t' {
				col += 8 - (col-1)%8
			} else {
				col++
			}
		}
		if n < d.Column {
			col += d.Column - n // past the end of the line
		}
		ds[i].Column = col
	}
}

// parseShellcheck reads `-f json1` output into the diagnostics of each file, in output order.
func parseShellcheck(out []byte) (map[string][]diagnostic, error) {
	var j json1
	if err := json.Unmarshal(out, &j); err != nil {
		return nil, &ToolError{Tool: "shellcheck", Err: err, msg: fmt.Sprintf("could not parse JSON output from shellcheck: %v: stdout=%q", err, out)}
	}
	if j.Comments == nil {
		err := fmt.Errorf("no \"comments\" array")
		return nil, &ToolError{Tool: "shellcheck", Err: err, msg: fmt.Sprintf("could not parse JSON output from shellcheck: %v: stdout=%q", err, out)}
	}
	m := map[string][]diagnostic{}
	for _, c := range j.Comments {
		m[c.File] = append(m[c.File], c.diagnostic)
	}
	return m, nil
}

func (r *shellcheckRule) VisitWorkflowPost(*actionlint.Workflow) error {
	r.workflowShell = ""
	if r.deferred {
		return nil
	}
	return r.collect()
}

// collect waits for the file's scripts and reports what shellcheck found.
func (r *shellcheckRule) collect() error {
	done, err := r.wait()
	if err != nil {
		return err
	}
	// Findings point at `run:`: block scalars may drop indentation and blank lines, so a line in
	// the script cannot be mapped back to the file; the message carries the script position.
	for _, p := range done {
		if p.limit != nil {
			r.report(p)
			continue
		}
		for _, d := range p.diags {
			line := d.Line - 1 // the first line is the setup line added above
			msg := strings.TrimSuffix(d.Message, ".")
			r.Errorf(p.pos, "shellcheck reported issue in this script: SC%d:%s:%d:%d: %s", d.Code, d.Level, line, d.Column, msg)
		}
	}
	return nil
}

// pythonKind is whether a `shell:` selects Python, or is not set at this level.
type pythonKind int

const (
	pythonUnspecified pythonKind = iota
	pythonYes
	pythonNo
)

func shellPythonKind(shell *actionlint.String) pythonKind {
	if shell == nil {
		return pythonUnspecified
	}
	if shell.Value == "python" || strings.HasPrefix(shell.Value, "python ") {
		return pythonYes
	}
	return pythonNo
}

// pyflakesRule mirrors actionlint's RulePyflakes.
type pyflakesRule struct {
	actionlint.RuleBase
	scripts
	workflowKind pythonKind
	jobKind      pythonKind
}

func newPyflakesRule(c *Checker, l *limitRule) *pyflakesRule {
	return &pyflakesRule{RuleBase: actionlint.NewRuleBase("pyflakes", pyflakesDesc), scripts: scripts{c: c, limit: l}}
}

func (r *pyflakesRule) VisitWorkflowPre(n *actionlint.Workflow) error {
	if n.Defaults != nil && n.Defaults.Run != nil {
		r.workflowKind = shellPythonKind(n.Defaults.Run.Shell)
	}
	return nil
}

func (r *pyflakesRule) VisitJobPre(n *actionlint.Job) error {
	if n.Defaults != nil && n.Defaults.Run != nil {
		r.jobKind = shellPythonKind(n.Defaults.Run.Shell)
	}
	return nil
}

func (r *pyflakesRule) VisitJobPost(*actionlint.Job) error {
	r.jobKind = pythonUnspecified
	return nil
}

func (r *pyflakesRule) isPython(run *actionlint.ExecRun) bool {
	if k := shellPythonKind(run.Shell); k != pythonUnspecified {
		return k == pythonYes
	}
	if r.jobKind != pythonUnspecified {
		return r.jobKind == pythonYes
	}
	return r.workflowKind == pythonYes
}

func (r *pyflakesRule) VisitStep(n *actionlint.Step) error {
	run, ok := n.Exec.(*actionlint.ExecRun)
	if !ok || run.Run == nil || !r.isPython(run) {
		return nil
	}
	src := sanitizeExpressions(run.Run.Value)
	pos := run.RunPos
	t := r.c.pyflakes
	r.Debug("%s: Running %s for Python script:\n%s", pos, t.exe, src)
	r.start(pos, request{
		tool:  t,
		args:  []string{},
		shell: "python",
		stdin: src,
		parse: func(out []byte) ([]diagnostic, error) { return parsePyflakes(out, pos) },
		runErr: func(err error) error {
			return &ToolError{Tool: t.name, Err: err, msg: fmt.Sprintf("`%s` did not run successfully while checking script at %s: %v", t.exe, pos, err)}
		},
	})
	return nil
}

// parsePyflakes extracts every `<stdin>:line:col: message` line. A syntax error is followed by
// the offending source line and a caret, which are skipped (actionlint #411).
func parsePyflakes(out []byte, pos *actionlint.Pos) ([]diagnostic, error) {
	var d []diagnostic
	b := out
	for len(b) > 0 {
		i := bytes.Index(b, []byte("<stdin>:"))
		if i < 0 {
			break
		}
		b = b[i+len("<stdin>:"):]
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			return nil, &ToolError{Tool: "pyflakes", msg: fmt.Sprintf(`error message from pyflakes does not end with \n nor \r\n while checking script at %s. output: %q`, pos, out)}
		}
		msg := bytes.TrimRight(b[:j], "\r") // CRLF, and any stray CR before it: one line
		d = append(d, diagnostic{Message: string(msg)})
		b = b[j+1:]
	}
	return d, nil
}

func (r *pyflakesRule) VisitWorkflowPost(*actionlint.Workflow) error {
	r.workflowKind = pythonUnspecified
	if r.deferred {
		return nil
	}
	return r.collect()
}

// collect waits for the file's scripts and reports what pyflakes found.
func (r *pyflakesRule) collect() error {
	done, err := r.wait()
	if err != nil {
		return err
	}
	for _, p := range done {
		if p.limit != nil {
			r.report(p)
			continue
		}
		for _, d := range p.diags {
			r.Errorf(p.pos, "pyflakes reported issue in this script: %s", d.Message)
		}
	}
	return nil
}
