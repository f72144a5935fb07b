package workflow

import (
	"fmt"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ---- env-file-injection ----
//
// A step that appends attacker-controlled text to $GITHUB_ENV sets environment variables for
// every later step of the job: a line break in the text starts another NAME=value line, so a
// pull request title of "x\nNODE_OPTIONS=--require=/tmp/p.js" (or LD_PRELOAD, BASH_ENV) runs the
// attacker's code in the next step that starts node (or any dynamically linked program, any
// bash). $GITHUB_PATH puts a directory the attacker names in front of every later step's PATH.
// zizmor's github-env audit reports any write on a dangerous trigger; this rule follows the
// value (scriptWrites): through env: variables, shell variables and command substitutions, out
// of a downloaded artifact's or a pull request checkout's files, and reports the writes that
// carry attacker-controlled text, with the path it took. Writes into $GITHUB_OUTPUT become
// tainted step outputs (template-injection reports where ${{ }} pastes them into a script).

var ruleEnvFile = &Rule{
	ID:       RuleEnvFile,
	Severity: report.Error,
	Doc:      "attacker-controlled text (a PR title or branch, an issue or comment, a file of the triggering run's artifact or of a pull request checkout — followed through env:, shell variables and command substitutions) appended to $GITHUB_ENV or $GITHUB_PATH on pull_request_target, workflow_run, issue_comment or issues: a line break in it sets NODE_OPTIONS, LD_PRELOAD or BASH_ENV for every later step, which then runs the attacker's code with the job's token and secrets (a warning in actions and reusable workflows, whose caller's trigger decides)",
	Fix:      "do not write attacker-controlled text into $GITHUB_ENV/$GITHUB_PATH: pass it to later steps through step outputs read as env: values, or strip line breaks first (tr -d '\\n') and validate it (e.g. digits only)",
	Bad: `on: pull_request_target
permissions: {contents: read}
jobs:
  label:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo "TITLE=$TITLE" >> "$GITHUB_ENV"
        env:
          TITLE: ${{ github.event.pull_request.title }}
      - uses: actions/checkout@v4
      - run: node scripts/label.js
`,
	Good: `on: pull_request_target
permissions: {contents: read}
jobs:
  label:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
      - run: node scripts/label.js
        env:
          TITLE: ${{ github.event.pull_request.title }}
`,
	HelpURL: "https://docs.github.com/en/actions/reference/security/secure-use#good-practices-for-mitigating-script-injection-attacks",
	Applies: Workflows | Actions,
	Check:   checkEnvFiles,
}

func checkEnvFiles(f *File, r *Reporter) {
	if f.privilegedTrigger() == "" && !f.unknownCaller() {
		return // the attacker's text only reaches runs that hold nothing the attacker lacks
	}
	t := f.taint()
	for _, j := range f.Jobs {
		for _, s := range j.Steps {
			for _, w := range t.writes[s] {
				var harm string
				if w.flow.oneLine {
					continue // no line break, no second variable (template-injection reports the ${{ }})
				}
				switch w.file {
				case "GITHUB_ENV":
					harm = "a line break in the value sets any other variable — NODE_OPTIONS, LD_PRELOAD, BASH_ENV — for every later step of the job"
				case "GITHUB_PATH":
					harm = "the attacker names a directory that comes first in PATH for every later step of the job, so a program there replaces git, node or bash"
				default:
					continue // a tainted step output: template-injection reports its use
				}
				// Reported on the trigger where the source is the attacker's; in an action or a
				// reusable workflow, as a warning: the caller's trigger decides.
				sev, trigger := report.Severity(0), w.flow.trigger(f)
				if trigger == "" {
					if !f.unknownCaller() {
						continue
					}
					sev, trigger = report.Warning, "a pull_request_target, workflow_run or issue_comment workflow that runs it"
				}
				r.ReportAs(f.Pos(s.Run().Run, w.off), sev, fmt.Sprintf("%s: %s, which then runs the attacker's code with the job's token and secrets on %s; write only values that cannot hold a line break (validate them, or strip them with tr -d '\\n')", w.flow, harm, trigger))
			}
		}
	}
}
