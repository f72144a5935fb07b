package lint

import (
	"fmt"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/lint/workflow"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Reference renders the rules reference, docs/rules.md, from the rule registry: every rule lint
// can report with its default severity and why it exists, and for each of the workflow rules a
// failing and a passing example, how to fix a finding and how to suppress it. TestRulesReference
// fails when docs/rules.md differs from it (go test ./internal/lint -run TestRulesReference
// -update rewrites the file).
func Reference() string {
	var b strings.Builder
	b.WriteString(referenceIntro)
	b.WriteString("\n## All rules\n\n")
	b.WriteString("| rule | default | why |\n|---|---|---|\n")
	for _, r := range Rules() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", ruleLink(r), r.Severity, mdCell(r.Doc))
	}
	b.WriteString(referenceSuppress)
	b.WriteString(referenceOrg)
	b.WriteString("\n## Workflow and action rules\n\n")
	b.WriteString("Each rule below is one entry of the registry in `internal/lint/workflow`: the examples are linted by\n`TestRuleExamples` (the failing one gets findings of its rule and of no other, the passing one none\nat all), so they show what the rule does today.\n")
	for _, r := range workflow.Registry() {
		writeRule(&b, r)
	}
	b.WriteString(referenceFamilies)
	b.WriteString(referenceNotes)
	return b.String()
}

func writeRule(b *strings.Builder, r *workflow.Rule) {
	fmt.Fprintf(b, "\n### `%s`\n\n", r.ID)
	var scope []string
	if r.Applies&workflow.Workflows != 0 {
		scope = append(scope, "workflows")
	}
	if r.Applies&workflow.Actions != 0 {
		if r.Applies == workflow.Actions {
			scope = append(scope, "action metadata (action.yml)")
		} else {
			scope = append(scope, "composite actions' steps")
		}
	}
	checks := strings.Join(scope, " and ")
	if r.Checks != "" {
		checks = r.Checks
	}
	fmt.Fprintf(b, "Default severity: **%s**. Checks: %s.\n\n", r.Severity, checks)
	fmt.Fprintf(b, "**Why.** %s.\n\n", upperFirst(r.Doc))
	fmt.Fprintf(b, "**Fix.** %s.", upperFirst(strings.TrimSuffix(r.Fix, ".")))
	if r.HelpURL != "" {
		fmt.Fprintf(b, " More: <%s>.", r.HelpURL)
	}
	b.WriteString("\n\n")
	lang, as := "yaml", r.ExampleAs
	if as == "" {
		as = ".github/workflows/ci.yml"
	}
	if r.ExamplesIn != "" {
		fmt.Fprintf(b, "Examples: the golden cases under `%s` (a failing example here would itself be a committed credential).\n\n", r.ExamplesIn)
	} else {
		if r.ExampleConfig != "" {
			fmt.Fprintf(b, "With this in `.molecule-ci.yml`:\n\n```yaml\n%s```\n\n", r.ExampleConfig)
		}
		for _, f := range r.ExampleFiles {
			fmt.Fprintf(b, "With this in `%s`:\n\n```yaml\n%s```\n\n", f.Path, exampleText(f.Text))
		}
		fmt.Fprintf(b, "Fails (`%s`):\n\n```%s\n%s```\n\n", as, lang, exampleText(r.Bad))
		fmt.Fprintf(b, "Passes:\n\n```%s\n%s```\n\n", lang, exampleText(r.Good))
	}
	fmt.Fprintf(b, "**Suppress** one finding with `# molecule-ci: ignore[%s] <why>` on its line or the line above; turn the rule off or change its severity or paths with `lint.rules.%s` (`disabled`, `severity`, `ignore`).\n", r.ID, r.ID)
}

// exampleText shortens a generated line that no reader wants in full (script-not-analyzed's
// 130 nested substitutions).
func exampleText(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if len(l) > 120 {
			l = l[:60] + " … " + l[len(l)-40:]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// ruleLink links a workflow rule's id to its section.
func ruleLink(r report.Rule) string {
	for _, w := range workflow.Registry() {
		if w.ID == r.ID {
			return fmt.Sprintf("[`%s`](#%s)", r.ID, r.ID)
		}
	}
	return "`" + r.ID + "`"
}

// mdCell escapes a table cell: a | would end it.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

const referenceIntro = `# Rules

<!-- Generated from the rule registry by ` + "`go test ./internal/lint -run TestRulesReference -update`" + `; do not edit by hand. -->

Every rule ` + "`molecule-ci lint`" + ` can report, with its default severity and why it exists. ` + "`molecule-ci lint --list-rules`" + `
prints the same list, SARIF output carries the same metadata (` + "`tool.driver.rules`" + `), and ` + "`lint.rules.<id>`" + ` in
` + "`.molecule-ci.yml`" + ` accepts exactly these ids (and any ` + "`actionlint/<kind>`" + ` or ` + "`buildkit/<check>`" + `). Every rule has a
failing and a passing golden case under its package's ` + "`testdata/rules/`" + `.

Severities: **error** fails the run (exit 1); **warning** and **info** are reported and fail it only
with ` + "`--fail-on warning`" + ` / ` + "`--fail-on info`" + `. A security rule is an error only where exploiting the problem takes
nothing more than opening a pull request or writing a comment; where it takes more (code execution
on the default branch, a compromised dependency, a race) it is a warning.
`

const referenceSuppress = `
## Suppressing and configuring

On the line of a finding or the line above it:

` + "```yaml" + `
      - run: make smoke || true   # molecule-ci: ignore[gate-cannot-fail] smoke is informational until #231
` + "```" + `

The reason is required. A suppression that names an unknown rule, gives no reason, or no longer
hides anything is itself a finding (rule ` + "`suppression`" + `), so stale ignores do not pile up. Several rules:
` + "`ignore[rule-a,rule-b]`" + `. For whole files or whole rules use ` + "`lint.rules`" + ` in ` + "`.molecule-ci.yml`" + `:

` + "```yaml" + `
lint:
  rules:
    missing-timeout: {severity: error}
    self-hosted-runner: {ignore: [".github/workflows/nightly-gpu.yml"]}
    cache-poisoning: {disabled: true}
` + "```" + `
`

const referenceOrg = `
## The organisation and the repository

Several rules ask what is first party. "The organisation" is defined once (` + "`lint.org`" + `), for every rule
that asks — ` + "`unpinned-action`" + `, ` + "`floating-ref`" + `, ` + "`overprovisioned-secrets`" + ` and the gate actions of ` + "`gate-cannot-fail`" + `:

- ` + "`lint.org`" + ` when the config sets it;
- else the owner of the linted repository: ` + "`GITHUB_REPOSITORY`" + `'s owner when lint runs in GitHub Actions on the
  run's own checkout, else the owner in the ` + "`origin`" + ` remote of its ` + "`.git/config`" + ` (read without running git;
  worktrees are followed; a token in the URL is never shown);
- else ` + "`Molecule-AI`" + `.

The organisation's actions, reusable workflows and checkouts may be called at a release tag and must
not float (` + "`floating-ref`" + `); the owners of ` + "`lint.pinning.trusted-owners`" + ` (default ` + "`actions`" + `, ` + "`github`" + `) are
first party too: their actions may use release tags and their reusable workflows may inherit secrets.

What lint cannot see offline about the repository: whether it is private. ` + "`self-hosted-runner`" + ` judges it
public unless ` + "`lint.repository.private: true`" + ` says otherwise or, in GitHub Actions, the event payload
(` + "`GITHUB_EVENT_PATH`" + `'s ` + "`repository.private`" + `) does.
`

const referenceFamilies = `
## actionlint, BuildKit, Dockerfile and contract rules

- ` + "`actionlint/<kind>`" + `: every check of actionlint (syntax, expressions and their types, runner labels, action
  inputs, shellcheck, pyflakes...), reported under the check's kind; see actionlint's
  [checks](https://github.com/rhysd/actionlint/blob/v1.7.12/docs/checks.md). Its rule set is held to the one
  actionlint's own linter creates (` + "`TestActionlintRuleSet`" + ` fails when an actionlint release changes it).
  shellcheck's ` + "`style`" + `/` + "`info`" + ` notes are info and its warnings warnings; everything else is an error. actionlint's
  "potentially untrusted" check is merged into ` + "`template-injection`" + `.
- ` + "`buildkit/<check>`" + `: BuildKit's own [Dockerfile checks](https://docs.docker.com/reference/build-checks/).
- ` + "`docker-*`" + `: the organisation's Dockerfile rules; failing and passing examples are
  ` + "`internal/lint/dockerfile/testdata/rules/<rule>.bad.Dockerfile`" + ` and ` + "`.good.Dockerfile`" + `.
- ` + "`contract/*`" + `: the repository contracts (workspace template, plugin, Go plugin, org template), judged on a
  whole repository; see the contract documentation and ` + "`internal/lint/contract/testdata`" + `.
`

// referenceNotes is written with ´ for the backquote a Go raw string cannot hold.
var referenceNotes = strings.ReplaceAll(`
## Notes on the judgement calls

- **One shell analysis** (´internal/shell´, on mvdan.cc/sh — the parser behind shfmt) reads workflow ´run:´
  scripts and Dockerfile ´RUN´ scripts (heredocs included) alike: commands with exact positions, pipelines
  and lists, the ´set -e´/´set +e´/´set -o pipefail´/´set -x´ state where each command runs,
  ´|| true´/´|| :´/´|| exit 0´/´|| echo´, a ´; true´ ending a list without errexit, PIPESTATUS and ´$?´
  reads, redirections (files, ´$GITHUB_ENV´, ´$GITHUB_STEP_SUMMARY´) and command substitutions. Each script
  is parsed once per file for every rule that reads it. A script over 256 KiB or nested more than 128
  deep is not parsed and gets a ´script-not-analyzed´ warning.
- **Data flow.** The security rules follow attacker-controlled values — a pull request's title or
  branch, an issue or comment, a commit message, files of the triggering run's artifact or of a pull
  request's checkout — through ´env:´ variables, shell variables and command substitutions, step outputs
  (also those written into ´$GITHUB_OUTPUT´) and job outputs, and show the path in the finding:
  ´PR title (github.event.pull_request.title) → env TITLE (line 9) → echo "TITLE=$TITLE" >> "$GITHUB_ENV" (line 12)´.
  A value that cannot hold a line break on the way (a branch name, ´read´, ´head -1´, ´tr -d´, a
  ´[[ $X =~ ^...$ ]]´ check, a random ´NAME<<$DELIM´ delimiter) is not reported by ´env-file-injection´.
- **Who can start a run.** ´pull_request_target´, ´workflow_run´, ´issue_comment´, ´issues´ and discussions run with
  the base repository's token and secrets and are started by anyone who opens a pull request or
  writes a comment. A job is "gated" — and not reported by ´dangerous-trigger´, ´artifact-poisoning´ or
  ´self-hosted-runner´ — when its ´if:´ admits only the repository's own branches, trusted authors
  (OWNER/MEMBER/COLLABORATOR, a dependency bot's pull requests), a maintainer's label, merged pull
  requests or pushes; when it has an ´environment:´ (whose reviewers approve each run — lint cannot see
  whether it has any); when an earlier step checks the actor's permission; or when a job it needs is
  gated.
- **GitHub's shell rules** decide ´gate-cannot-fail´ for pipes: a ´run:´ with no ´shell:´ runs as ´bash -e {0}´
  (no pipefail), ´shell: bash´ as ´bash --noprofile --norc -eo pipefail {0}´, ´sh´ as ´sh -e {0}´;
  ´defaults.run.shell´ of the workflow and the job apply, and ´set -o pipefail´ earlier in the script fixes it.
  ´continue-on-error: true´ is accepted with a reason in a comment on its line, on a job or step named for
  an expected failure (quarantined, unstable, experimental, allowed-failure, flaky, optional, nightly...),
  or on a step whose script announces its failure with ´::warning´/´::error´.
- **What is a gate** (´gate-cannot-fail´): a known test/lint/build/scan tool (´go test´, pytest,
  ´coverage run´, codespell, golangci-lint...), a make/just/task target, npm script or repository
  script whose name says test/lint/check/build... — but not one that prepares a gate
  (´make lint-py-build´, ´make install-lint´) — or any last command of a step named for what it
  gates ("Test", "Lint", "Run unit tests"). Not reported: workflows that only run on ´schedule´
  or ´workflow_dispatch´ (nothing waits on them); a gate whose output goes to a file (´| tee
  out.txt´, ´> out.txt´) that a later line or step fails on (´[ ! -s out.txt ]´, ´wc -l´, ´exit 1´).
  One finding per problem: a step that swallows its gate in the script gets no second finding for
  its continue-on-error, and a job's continue-on-error is not reported again when a step of the job
  already was.
- **Secrets: leak or hygiene** (´secret-exposure´): interpolating ´${{ secrets.X }}´ into ´run:´ is a warning
  (use ´env:´); printing, job summaries, committed or uploaded files and front-end public variables are
  errors; a secret whose name ends in a configuration word (´REGISTRY_ENDPOINT´, ´CLUSTER_NAME´,
  ´TokenName2´, but not ´…_URL´, which often embeds a token) or has only configuration words is not
  reported. A job that runs a pull request's code with secrets is ´dangerous-trigger´'s finding, which
  names them; a credential committed in plain text is ´secret-committed´.
- **Gitea** (´.gitea/workflows/*´) follows Gitea Actions / act_runner where they differ from
  GitHub (checked against act v0.2.89's ´setupShell´ and docs.gitea.com "Compared to GitHub
  Actions", Gitea 1.25): a ´run:´ without ´shell:´ in a job container runs ´sh -e {0}´ (POSIX, no
  pipefail), so pipes are judged that way; runner labels are the instance's own, so actionlint's
  runner-label check is off; ´timeout-minutes´ and a job's ´continue-on-error´ are ignored up to
  Gitea 1.26 and ´permissions:´/´concurrency:´ up to 1.25, so ´missing-timeout´ and the
  permissions findings are not reported there and ´gitea-compat´ warns where a workflow relies on
  an ignored key (or a ´runs-on: group:´, which Gitea does not support).
- **How Dockerfiles are read.** Lint, the repository contracts and ´build´ read a Dockerfile through one
  model built on BuildKit's own parsers: its parser and instruction parser (´RUN --mount´ options read by
  BuildKit's CSV mount parser, so a quoted value with a comma is one value), and the variables as
  BuildKit's conversion sees them. Global ´ARG´s (before the first ´FROM´) take their defaults expanded in
  order, quotes removed, each able to use the ones before it (´ARG IMAGE=${REG}/python:${PY}-slim´); a
  stage's ´ARG NAME´ takes the global value; a stage built on an earlier one keeps its ´ARG´ and ´ENV´
  values. So ´docker-unpinned-base´ and the contract judge the base a build would really use. A ´FROM´
  whose variable has no value and no default is judged by nothing but a ´--build-arg´: it is not
  reported as unpinned, and the contract names it as written (´FROM $BASE´).
- **´contract/runtime-version-arg´ needs both halves**: ´ARG RUNTIME_VERSION=´ declared in a stage, and
  ´${RUNTIME_VERSION}´ used by a ´RUN´ of that same stage — which is what busts the cache of the pip
  layer when the runtime publishes a release. A global ´ARG´ alone (before the first ´FROM´) is not seen
  by ´RUN´, and a declared ´ARG´ no ´RUN´ uses busts nothing; the message says which half is missing.
- **Stages that do not ship**: ´docker-apt-lists´ is judged only in the stages the final image
  is built from (an intermediate stage whose output is ´COPY --from´'d leaves no layer behind);
  ´docker-root-user´ skips a final stage named for a check (´validate´, ´test´, ´lint´...) with no
  ENTRYPOINT/CMD, and a Docker container action's Dockerfile (´Options.ContainerAction´, set by the
  caller from the ´action.yml´ beside it: GitHub runs container actions as root).
- **Dockerfile bounds**: a heredoc body over 4,000 lines or 256 KiB is refused (´docker-syntax´)
  before BuildKit's parser, whose joining of heredoc lines is quadratic; a Dockerfile of more than
  256 stages gets the organisation's rules (linear in the file) but not BuildKit's conversion
  checks (´buildkit/NotRun´), whose state lookups are quadratic in chained stages.
- **Adapters that stay root** (´docker-root-user´): the workspace-template adapters keep
  ´USER root´ because their base's entrypoint drops to ´agent´ with gosu. A stage that inherits its
  start-up command, says ´USER root´ explicitly and names the privilege-drop command in a comment
  passes; anything else can be allowed by path with ´lint.docker.allow-root´.
- **shellcheck's levels are kept**: actionlint reports everything as an error; molecule-ci maps
  shellcheck's ´style´/´info´ to info and ´warning´ to warning, so a style note does not fail a
  required check (´--fail-on info´ makes it).
- **Secrets are never printed**: findings name the variable or the kind of token with a redacted
  prefix (´ghp_***´), never the value; any token-shaped value a message, path or source line
  quotes is masked at the output boundary (see [What reaches the log](commands.md#what-reaches-the-log)).
- **Precision is measured.** ´testdata/precision/labels.jsonl´ holds real findings — on actionlint's 1,503
  real-world workflows, the organisation's repositories and files of modules in go.mod — each judged
  true or false with a reason; ´testdata/precision/recall´ holds small defect workflows, each class in its
  common variants. ´bash bench/precision/run.sh´ prints precision per rule and recall per class against the
  goals (errors at least 90% precise, warnings 80%).
`, "´", "`")
