package workflow

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// This file decides what a run: script's gates are and whether their failure can fail the step,
// on the commands internal/shell reads with mvdan.cc/sh: the command that determines the step's
// status, the errexit/pipefail state where it runs, what swallows or tests its status, and
// PIPESTATUS reads.

// subWrappers run the command after a subcommand: `uv run pytest`, `bundle exec rspec`.
var subWrappers = map[string]string{
	"uv": "run", "poetry": "run", "pipenv": "run", "hatch": "run", "pdm": "run", "rye": "run",
	"bundle": "exec", "pnpm": "exec", "yarn": "exec", "npm": "exec",
}

// runners run the tool named next: npx eslint, pnpx, bunx, uvx.
var runners = map[string]bool{"npx": true, "pnpx": true, "bunx": true, "uvx": true, "pipx": true}

// toolWords are commands that are gates whatever their arguments.
var toolWords = map[string]bool{
	"golangci-lint": true, "staticcheck": true, "govulncheck": true, "gosec": true, "revive": true,
	"pytest": true, "py.test": true, "tox": true, "nox": true, "mypy": true, "pyright": true,
	"ruff": true, "flake8": true, "pylint": true, "bandit": true, "codespell": true, "yamllint": true,
	"eslint": true, "tsc": true, "vue-tsc": true, "vitest": true, "jest": true, "mocha": true,
	"shellcheck": true, "actionlint": true, "hadolint": true, "trivy": true, "grype": true,
	"semgrep": true, "molecule-ci": true, "cargo-nextest": true, "playwright": true, "biome": true,
	"markdownlint": true, "markdownlint-cli2": true, "cspell": true, "vale": true, "tflint": true,
	"checkov": true, "kubeconform": true, "rubocop": true, "rspec": true, "phpunit": true,
	"phpstan": true, "stylelint": true, "commitlint": true, "zizmor": true, "typos": true,
	"ctest": true, "swiftlint": true, "ktlint": true, "detekt": true, "gitleaks": true,
	"trufflehog": true, "pre-commit": true, "lychee": true, "htmlproofer": true,
}

// gateWords name what a gate does, in a make target, an npm script, a script file or a step name.
var gateWords = map[string]bool{
	"test": true, "tests": true, "lint": true, "linter": true, "check": true, "checks": true,
	"vet": true, "typecheck": true, "types": true, "e2e": true, "ci": true, "verify": true,
	"coverage": true, "build": true, "spell": true, "spellcheck": true, "codespell": true,
	"unit": true, "integration": true, "scan": true, "validate": true, "fmt-check": true,
	"format-check": true, "smoke": true, "audit": true, "mypy": true, "pytest": true,
}

// setupWords say a target prepares a gate rather than runs it: `make lint-py-build`,
// `make install-lint`, `npm run test:setup`.
var setupWords = map[string]bool{
	"install": true, "setup": true, "deps": true, "dep": true, "bootstrap": true, "prepare": true,
	"tools": true, "image": true, "images": true, "pull": true, "download": true, "cache": true,
	"init": true, "clean": true, "deps-install": true, "env": true, "docker": true, "warm": true,
	"report": true, "upload": true, "publish": true, "deploy": true, "release": true,
}

// tokens splits a target or name into lower-case words: "lint-py-build" -> lint py build.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// isGateTarget decides whether a make/just/task target or a package.json script runs a gate.
// "lint-py-build" builds the linter (the gate is the next line); "build" alone is the gate.
func isGateTarget(s string) bool {
	ts := tokens(s)
	gate := false
	for i, t := range ts {
		if setupWords[t] {
			return false
		}
		if t == "build" && i == len(ts)-1 && i > 0 {
			for _, p := range ts[:i] {
				if gateWords[p] && p != "build" {
					return false // builds a test or lint tool
				}
			}
		}
		if gateWords[t] {
			gate = true
		}
	}
	return gate
}

// gateName returns a short name (e.g. "go test", "npm run lint") when the command runs a test,
// lint, vet, build, scan or type-check tool, and "" otherwise.
func gateName(args []shell.Word) string {
	ws, _ := shell.Unwrap(args)
	for len(ws) > 0 {
		n := path.Base(ws[0].Value)
		if runners[n] {
			ws = skipOptions(ws[1:])
			continue
		}
		if sub, ok := subWrappers[n]; ok && len(ws) > 1 && ws[1].Value == sub {
			ws = ws[2:]
			continue
		}
		if (strings.HasPrefix(n, "python") || n == "py") && len(ws) > 2 && ws[1].Value == "-m" {
			ws = ws[2:]
			continue
		}
		if n == "coverage" && len(ws) > 1 && ws[1].Value == "run" {
			rest := ws[2:]
			for i := 0; i < len(rest); i++ {
				if rest[i].Value == "-m" && i+1 < len(rest) {
					return "coverage run -m " + rest[i+1].Value
				}
			}
			return "coverage run"
		}
		break
	}
	if len(ws) == 0 {
		return ""
	}
	n := path.Base(ws[0].Value)
	sub := firstPositional(ws[1:])
	switch n {
	case "go":
		if sub == "test" || sub == "vet" || sub == "build" {
			return "go " + sub
		}
	case "npm", "pnpm", "yarn", "bun":
		switch sub {
		case "test", "t", "tst":
			return n + " test"
		case "run", "run-script":
			if script := firstPositional(positionalAfter(ws[1:], sub)); isGateTarget(script) {
				return n + " run " + script
			}
		default:
			if n != "npm" && isGateTarget(sub) {
				return n + " " + sub
			}
		}
	case "cargo":
		switch sub {
		case "test", "clippy", "build", "check", "nextest":
			return "cargo " + sub
		}
	case "make", "gmake", "just", "task":
		for i := 1; i < len(ws); i++ {
			v := ws[i].Value
			if v == "-C" || v == "-f" || v == "-j" {
				i++
				continue
			}
			if strings.HasPrefix(v, "-") || strings.Contains(v, "=") {
				continue
			}
			if isGateTarget(v) {
				return n + " " + v
			}
		}
	case "docker", "podman":
		switch sub {
		case "build":
			return n + " build"
		case "buildx":
			if s2 := firstPositional(positionalAfter(ws[1:], sub)); s2 == "build" || s2 == "bake" {
				return n + " buildx " + s2
			}
		case "image":
			if s2 := firstPositional(positionalAfter(ws[1:], sub)); s2 == "build" {
				return n + " image build"
			}
		}
	case "gradle", "gradlew", "mvn", "mvnw", "dotnet":
		for _, a := range ws[1:] {
			if v := a.Value; v == "test" || v == "check" || v == "build" || v == "verify" || v == "package" {
				return n + " " + v
			}
		}
	case "black", "isort", "prettier", "gofmt":
		for _, a := range ws[1:] {
			if v := a.Value; v == "--check" || v == "-l" || v == "--diff" {
				return n + " " + v
			}
		}
	case "platformio", "pio":
		if sub == "run" || sub == "test" || sub == "check" {
			return n + " " + sub
		}
	case "helm":
		if sub == "lint" || sub == "test" {
			return "helm " + sub
		}
	case "terraform", "tofu":
		if sub == "validate" {
			return n + " validate"
		}
	default:
		if toolWords[n] {
			return n
		}
		// A script of the repository named for what it checks: ./test.sh, scripts/run-lint.sh.
		// "build" alone names a build (./build.sh); beside other words it is a generator
		// (scripts/build_directory_md.py).
		if w := ws[0].Value; strings.Contains(w, "/") || strings.HasSuffix(w, ".sh") {
			name := strings.TrimSuffix(path.Base(w), path.Ext(w))
			ts := tokens(name)
			if isGateTarget(name) && (len(ts) == 1 || slices.ContainsFunc(ts, func(t string) bool { return gateWords[t] && t != "build" })) {
				return w
			}
		}
	}
	return ""
}

// optionsWithArg take a value in the next word.
var optionsWithArg = map[string]bool{
	"-u": true, "-g": true, "-C": true, "--filter": true, "-F": true, "--dir": true, "--prefix": true,
	"--workspace": true, "-w": true, "-p": true, "--package": true, "-n": true, "-k": true, "-s": true,
	"-o": true, "-i": true, "--cwd": true, "--signal": true, "--kill-after": true,
}

func skipOptions(ws []shell.Word) []shell.Word {
	for len(ws) > 0 && strings.HasPrefix(ws[0].Value, "-") {
		v := ws[0].Value
		ws = ws[1:]
		if optionsWithArg[v] && len(ws) > 0 {
			ws = ws[1:]
		}
	}
	return ws
}

func positionalAfter(ws []shell.Word, sub string) []shell.Word {
	for i, w := range ws {
		if w.Value == sub {
			return ws[i+1:]
		}
	}
	return nil
}

// firstPositional is the first argument that is not an option (or an option's value).
func firstPositional(ws []shell.Word) string {
	for i := 0; i < len(ws); i++ {
		v := ws[i].Value
		if strings.HasPrefix(v, "-") {
			if optionsWithArg[v] {
				i++
			}
			continue
		}
		return v
	}
	return ""
}

// shellMode is what the effective shell does to failures before the script says anything.
type shellMode struct {
	name     string // as written, for messages
	analyze  bool   // a POSIX-family shell whose scripts we can read
	posix    bool   // sh, dash, ash: parsed as POSIX
	errexit  bool
	pipefail bool
}

// resolveShell applies GitHub's rules for the effective shell of a run: step.
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell
// On Gitea (act_runner), a step without shell: in a job container runs `sh -e {0}` (act's
// setupShell: "use sh by default like actions/runner" for container jobs), which is POSIX and
// has no pipefail.
func resolveShell(spec string, windows, gitea bool) shellMode {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "":
		if windows {
			return shellMode{name: "pwsh"}
		}
		if gitea {
			return shellMode{name: "sh -e {0}, act_runner's default", analyze: true, posix: true, errexit: true}
		}
		return shellMode{name: "bash -e {0}", analyze: true, errexit: true}
	case "bash":
		return shellMode{name: "bash", analyze: true, errexit: true, pipefail: true}
	case "sh":
		return shellMode{name: "sh", analyze: true, posix: true, errexit: true}
	}
	if strings.Contains(spec, "${{") {
		return shellMode{name: spec}
	}
	fields := strings.Fields(spec)
	base := path.Base(fields[0])
	m := shellMode{name: spec, analyze: true}
	switch base {
	case "bash", "zsh", "ksh":
	case "sh", "dash", "ash", "busybox":
		m.posix = true
	default:
		return shellMode{name: spec}
	}
	for i := 1; i < len(fields); i++ {
		f := fields[i]
		if f == "-o" || f == "+o" {
			if i+1 < len(fields) {
				setOption(&m, fields[i+1], f[0] == '-')
				i++
			}
			continue
		}
		if len(f) > 1 && f[0] == '-' && f[1] != '-' {
			m.errexit = m.errexit || strings.Contains(f[1:], "e")
			if strings.Contains(f[1:], "o") && i+1 < len(fields) {
				setOption(&m, fields[i+1], true)
				i++
			}
		}
	}
	return m
}

func setOption(m *shellMode, name string, on bool) {
	switch name {
	case "errexit":
		m.errexit = on
	case "pipefail":
		m.pipefail = on
	}
}

// pipeSinks are the commands that, at the end of a pipeline, decide its exit status without
// caring whether the producer failed.
var pipeSinks = map[string]bool{
	"tail": true, "head": true, "grep": true, "egrep": true, "fgrep": true, "tee": true, "sed": true,
	"awk": true, "gawk": true, "cut": true, "sort": true, "uniq": true, "tr": true, "cat": true,
	"column": true, "less": true, "more": true, "go-junit-report": true, "ts": true,
}

// gateIssue is a swallowed gate failure at an offset of the script.
type gateIssue struct {
	off  int
	msg  string
	file string // where the gate's output was kept, for a deferred check by a later step
}

// gateResult is what the analysis of one script found.
type gateResult struct {
	gates  []string // names of the gate commands found, in order
	issues []gateIssue
	files  []string // where gates' output was kept (| tee f, > f)
}

// analyzeGates finds the gate commands of a script and reports those whose failure cannot fail
// the step. stepGate names the step when its name says it is a gate ("Test", "Lint"): then the
// command that determines the step's status is judged even when its tool is not recognised.
func analyzeGates(s *shell.Script, m shellMode, stepGate string) gateResult {
	var res gateResult
	for _, c := range s.Cmds {
		if c.Nested != "" || c.Background || len(c.Args) == 0 {
			continue
		}
		name := gateName(c.Args)
		if name == "" && stepGate != "" && m.analyze && (c.Final || c.Sink != nil && c.Sink.Final) && !trivial(c) {
			name = c.Args[0].Value
			if v := c.Values(); len(v) > 1 && interpreters[path.Base(v[0])] {
				name += " " + v[1]
			}
		}
		if name == "" {
			continue
		}
		res.gates = append(res.gates, name)
		file := outputFile(c)
		if file != "" {
			res.files = append(res.files, file)
		}
		if !m.analyze {
			continue
		}
		switch {
		case c.Swallowed != "" && strings.HasPrefix(c.Swallowed, "||"):
			res.issues = append(res.issues, gateIssue{c.Off, fmt.Sprintf("the failure of `%s` is swallowed by `%s`, so this gate can never fail", name, c.Swallowed), file})
		case c.Swallowed != "":
			res.issues = append(res.issues, gateIssue{c.Off, fmt.Sprintf("`%s` after `%s` makes the script succeed whatever the gate reported", c.Swallowed, name), file})
		case c.Sink != nil && !c.Pipefail && pipeSinks[c.Sink.Name()] && !s.StatusReadAfter(c):
			res.issues = append(res.issues, gateIssue{c.Off, fmt.Sprintf("`%s` is piped into `%s` and the shell (%s) has no pipefail, so the pipeline's status is `%s`'s and a failure is lost; use `shell: bash` or `set -o pipefail`", name, c.Sink.Name(), m.name, c.Sink.Name()), file})
		case !c.Errexit && !c.Tested && c.Sink == nil && !c.Final && !s.StatusReadAfter(c):
			why := fmt.Sprintf("runs in a shell without -e (%s)", m.name)
			if m.errexit {
				why = "runs after `set +e`"
			}
			res.issues = append(res.issues, gateIssue{c.Off, fmt.Sprintf("`%s` %s and nothing later checks $? or PIPESTATUS, so its failure is ignored", name, why), file})
		}
	}
	return res
}

// trivial commands never are the gate a step is named for: they print, move files, or look
// something up for a condition (git diff | grep -q ... && echo ... || true).
func trivial(c *shell.Cmd) bool {
	switch c.Name() {
	case "echo", "printf", "true", ":", "exit", "cd", "set", "export", "cat", "ls", "mkdir", "rm", "cp", "mv", "tee", "sleep", "[", "test", "[[",
		"git", "grep", "egrep", "fgrep", "find", "diff", "jq", "curl", "wget", ".", "source", "sed", "awk", "sort", "wc", "head", "tail", "xargs", "which", "command", "type", "gh", "date", "touch", "chmod", "ln":
		return true
	}
	return false
}

// interpreters run the script named next: the gate a step is named for is that script.
var interpreters = map[string]bool{"python": true, "python3": true, "node": true, "bash": true, "sh": true, "ruby": true, "perl": true, "pwsh": true, "deno": true, "bun": true}

// outputFile is the file a gate's output is kept in — `cmd > f`, `cmd | tee f` — which a later
// step may check (a deferred gate).
func outputFile(c *shell.Cmd) string {
	if w, ok := c.StdoutFile(); ok {
		return w.Value
	}
	if c.Sink != nil && c.Sink.Name() == "tee" {
		for _, a := range c.Sink.Args[1:] {
			if !strings.HasPrefix(a.Value, "-") {
				return a.Value
			}
		}
	}
	return ""
}
