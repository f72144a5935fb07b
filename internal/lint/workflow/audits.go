package workflow

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// This file holds the smaller audits: overprovisioned-secrets, bot-condition and
// insecure-commands.

// ---- overprovisioned-secrets ----

var ruleOverprovisioned = &Rule{
	ID:       RuleOverprovisioned,
	Severity: report.Warning,
	Doc:      "`secrets: inherit` into a reusable workflow outside the organisation (lint.org and lint.pinning.trusted-owners) hands it every secret of the repository, its organisation and its environments; `${{ toJSON(secrets) }}` and `secrets[<expression>]` put every secret into one value a step can print or send",
	Fix:      "pass the secrets the called workflow or the step needs by name (secrets: {TOKEN: ${{ secrets.TOKEN }}}), never the whole secrets context",
	Bad: `on: push
permissions: {contents: read}
jobs:
  release:
    uses: other-org/workflows/.github/workflows/release.yml@0123456789abcdef0123456789abcdef01234567
    secrets: inherit
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  release:
    uses: other-org/workflows/.github/workflows/release.yml@0123456789abcdef0123456789abcdef01234567
    secrets:
      npm-token: ${{ secrets.NPM_TOKEN }}
`,
	HelpURL: "https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idsecretsinherit",
	Applies: Workflows | Actions,
	Check:   checkOverprovisioned,
}

func checkOverprovisioned(f *File, r *Reporter) {
	for _, j := range f.Jobs {
		wc := j.WorkflowCall
		if wc == nil || wc.Uses == nil || !wc.InheritSecrets {
			continue
		}
		u := strings.TrimSpace(wc.Uses.Value)
		if strings.HasPrefix(u, "./") || strings.Contains(u, "${{") {
			continue // the repository's own workflow
		}
		owner := ownerOf(u)
		if f.isFirstParty(owner) {
			continue
		}
		pos := f.search(lineOf(wc.Uses.Pos), "inherit", wc.Uses.Pos)
		r.Report(pos, fmt.Sprintf("`secrets: inherit` hands every secret of the repository, its organisation and its environments to %s, a workflow outside the organisation (lint.org %s): whoever can change it, or move the ref it is called at, reads them all; pass the secrets it needs by name", u, f.opts.Org))
	}
	src := string(f.Src)
	if !strings.Contains(src, "secrets[") && !strings.Contains(src, "JSON(") && !strings.Contains(src, "json(") && !strings.Contains(src, "Json(") {
		return // neither toJSON( in any of its usual spellings nor an index into secrets
	}
	for _, e := range secretsWholesale(src) {
		what := ""
		actionlint.VisitExprNode(e.node, func(n, _ actionlint.ExprNode, entering bool) {
			if !entering || what != "" {
				return
			}
			switch n := n.(type) {
			case *actionlint.FuncCallNode:
				if strings.EqualFold(n.Callee, "toJSON") && len(n.Args) == 1 && isSecretsVar(n.Args[0]) {
					what = "`toJSON(secrets)` puts every secret of the repository into one value: a step that prints, stores or sends it leaks them all, and the log's masking misses a secret inside JSON"
				}
			case *actionlint.IndexAccessNode:
				if _, lit := n.Index.(*actionlint.StringNode); !lit && isSecretsVar(n.Operand) {
					what = "`secrets[...]` with a computed name leaves GitHub unable to tell which secrets the job uses, so the runner gets all of them, where every step of the job can read them"
				}
			}
		})
		if what == "" {
			continue
		}
		line, col := f.lineCol(e.off)
		if f.inComment(line, col) {
			continue
		}
		r.Report(&actionlint.Pos{Line: line, Col: col}, what+"; name the secrets the step needs")
	}
}

// maxExprSpan bounds how far secretsWholesale looks for the ${{ and }} around a word.
const maxExprSpan = 1024

// secretsWholesale parses the ${{ }} expressions of src that may hand over the secrets context
// wholesale — their text holds toJSON( and secrets, or secrets[ — and skips the rest unparsed.
func secretsWholesale(src string) []expr {
	var out []expr
	for off := 0; off < len(src); {
		i := strings.Index(src[off:], "secrets")
		if i < 0 {
			break
		}
		i += off
		off = i + len("secrets")
		// The enclosing ${{ }}, looked for nearby: an expression longer than that is not one a
		// person wrote, and an unbounded search would make a file full of the word quadratic.
		lo := max(0, i-maxExprSpan)
		start := strings.LastIndex(src[lo:i], "${{")
		end := strings.Index(src[i:min(len(src), i+maxExprSpan)], "}}")
		if start < 0 || end < 0 {
			continue
		}
		start += lo
		if strings.Contains(src[start:i], "}}") {
			continue
		}
		text := src[start : i+end]
		if !strings.Contains(strings.ToLower(text), "tojson(") && !strings.Contains(text, "secrets[") {
			continue
		}
		if es := expressions(src[start : i+end+2]); len(es) > 0 {
			out = append(out, expr{off: start, node: es[0].node})
		}
		off = i + end + 2
	}
	return out
}

func isSecretsVar(n actionlint.ExprNode) bool {
	v, ok := n.(*actionlint.VariableNode)
	return ok && strings.EqualFold(v.Name, "secrets")
}

// lineCol converts a byte offset of the file into a 1-based line and rune column.
func (f *File) lineCol(off int) (int, int) {
	f.line(1)
	lo, hi := 0, len(f.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	l := f.line(lo + 1)
	return lo + 1, runeCol(l, off-f.lineStarts[lo])
}

// inComment reports whether column col of line n is inside a YAML comment.
func (f *File) inComment(n, col int) bool {
	line := f.line(n)
	i := commentStart(line)
	return i >= 0 && i < byteCol(line, col)
}

// ---- bot-condition ----

var ruleBotCondition = &Rule{
	ID:       RuleBotCondition,
	Severity: report.Error,
	Doc:      "on pull_request_target or workflow_run, an if: that trusts `github.actor` (or triggering_actor, event.sender.login) being a bot such as dependabot[bot] is spoofable: the actor is whoever caused the latest event, and an attacker's pull request gets a bot as its actor when the bot updates the branch in the attacker's fork; the job then runs with the base repository's token and secrets",
	Fix:      "check who opened the pull request instead: github.event.pull_request.user.login == 'dependabot[bot]' (nobody else can open a pull request as the bot)",
	Bad: `on: pull_request_target
permissions: {contents: read}
jobs:
  automerge:
    if: github.actor == 'dependabot[bot]'
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: gh pr merge --auto --squash "$PR"
        env:
          GH_TOKEN: ${{ secrets.MERGE_TOKEN }}
          PR: ${{ github.event.pull_request.html_url }}
`,
	Good: `on: pull_request_target
permissions: {contents: read}
jobs:
  automerge:
    if: github.event.pull_request.user.login == 'dependabot[bot]'
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: gh pr merge --auto --squash "$PR"
        env:
          GH_TOKEN: ${{ secrets.MERGE_TOKEN }}
          PR: ${{ github.event.pull_request.html_url }}
`,
	HelpURL: "https://www.synacktiv.com/publications/github-actions-exploitation-dependabot",
	Applies: Workflows,
	Check:   checkBotConditions,
}

// botActor matches an equality between the run's actor and a bot's login.
var botActor = regexp.MustCompile(`(?i)(github\.(?:actor|triggering_actor)|github\.event\.sender\.login)\s*==\s*['"]([^'"]*\[bot\])['"]|['"]([^'"]*\[bot\])['"]\s*==\s*(github\.(?:actor|triggering_actor)|github\.event\.sender\.login)`)

func checkBotConditions(f *File, r *Reporter) {
	trigger := ""
	for _, e := range f.Workflow.On {
		if n := e.EventName(); (n == "pull_request_target" || n == "workflow_run") && trigger == "" {
			trigger = n
		}
	}
	if trigger == "" {
		return
	}
	check := func(cond *actionlint.String, where string) {
		if cond == nil || !strings.Contains(cond.Value, "[bot]") || botAuthorGuard.MatchString(cond.Value) || strings.Contains(cond.Value, "pull_request.user.login") {
			return
		}
		m := botActor.FindStringSubmatchIndex(cond.Value)
		if m == nil {
			return
		}
		expr := cond.Value[m[0]:m[1]]
		r.Report(f.Pos(cond, m[0]), fmt.Sprintf("%s trusts `%s` on %s: the actor is whoever caused the latest event — an attacker's pull request has the bot as its actor once the bot updates the branch in the attacker's fork — and %s then runs with the base repository's token and secrets; check who opened the pull request: github.event.pull_request.user.login", where, expr, trigger, where))
	}
	for _, j := range f.Jobs {
		check(j.If, fmt.Sprintf("job %q", jobID(j.Job)))
		for _, s := range j.Steps {
			name := fmt.Sprintf("step %d of job %q", s.Index+1, jobID(j.Job))
			if s.Name != nil {
				name = fmt.Sprintf("step %q", s.Name.Value)
			}
			check(s.If, name)
		}
	}
}

// ---- insecure-commands ----

var ruleInsecureCommands = &Rule{
	ID:       RuleInsecureCommands,
	Severity: report.Error,
	Doc:      "ACTIONS_ALLOW_UNSECURE_COMMANDS: true turns the ::set-env and ::add-path workflow commands back on, so any line a step prints — a pull request title echoed, a test's output, a dependency's log — can set NODE_OPTIONS or PATH for every later step: an error on triggers where an outsider controls what gets printed (pull_request_target, workflow_run, issue_comment, issues), a warning elsewhere",
	Fix:      "remove ACTIONS_ALLOW_UNSECURE_COMMANDS and write to $GITHUB_ENV and $GITHUB_PATH instead (or update the action that still prints ::set-env)",
	Bad: `on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    env:
      ACTIONS_ALLOW_UNSECURE_COMMANDS: true
    steps:
      - uses: actions/checkout@v4
      - run: make
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make
`,
	HelpURL: "https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/",
	Applies: Workflows | Actions,
	Check:   checkInsecureCommands,
}

func checkInsecureCommands(f *File, r *Reporter) {
	sev, why := report.Warning, ""
	if t := f.privilegedTrigger(); t != "" {
		sev, why = report.Error, fmt.Sprintf(" On %s an outsider controls text the job prints.", t)
	}
	check := func(env *actionlint.Env) {
		if env == nil {
			return
		}
		for _, v := range env.Vars {
			if v == nil || v.Name == nil || v.Value == nil || !strings.EqualFold(v.Name.Value, "ACTIONS_ALLOW_UNSECURE_COMMANDS") {
				continue
			}
			val := strings.ToLower(strings.Trim(strings.TrimSpace(v.Value.Value), `"'`))
			if val != "true" && !strings.Contains(val, "${{") {
				continue
			}
			r.ReportAs(v.Name.Pos, sev, "ACTIONS_ALLOW_UNSECURE_COMMANDS turns ::set-env and ::add-path back on: any line a later command prints can set NODE_OPTIONS, LD_PRELOAD or PATH for every later step."+why+" Write to $GITHUB_ENV and $GITHUB_PATH instead")
		}
	}
	check(f.Workflow.Env)
	for _, j := range f.Jobs {
		check(j.Env)
		for _, s := range j.Steps {
			check(s.Env)
		}
	}
}
