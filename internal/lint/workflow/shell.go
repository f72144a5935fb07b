package workflow

import (
	"fmt"
	"path"
	"strings"
)

// This file is a small, forgiving reader of POSIX shell scripts: just enough structure
// (commands, the operators between them, redirections, if/while conditions, brace groups,
// heredocs, quotes and $(...)) to tell whether a failing command can fail its step. It never
// rejects input; anything it does not understand becomes plain words.

// word is one shell word with its byte offsets in the script.
type word struct {
	raw        string // as written, quotes included
	start, end int
}

// value is the word with quotes removed, good enough to compare command names.
func (w word) value() string {
	if !strings.ContainsAny(w.raw, `'"\`) {
		return w.raw
	}
	var b strings.Builder
	for i := 0; i < len(w.raw); i++ {
		c := w.raw[i]
		switch c {
		case '\'', '"':
			continue
		case '\\':
			if i+1 < len(w.raw) {
				i++
				b.WriteByte(w.raw[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// command is one simple command and the operator that follows it.
type command struct {
	words []word
	op    string // "|", "|&", "&&", "||", ";", "\n", "&", ")", ";;" or "" at the end
	// cond is set for commands whose status is tested by if/elif/while/until or negated by !.
	cond bool
	// openBrace is set when the command starts a `{ ...; }` group.
	openBrace bool
	// closeBrace is set for a `}` that ends a group.
	closeBrace bool
	// redirected is set when stdout goes to a file (>, >>, &>).
	redirected bool
	start      int
}

// ended reports whether op ends an and-or list (as opposed to continuing a pipeline or list).
func listEnd(op string) bool {
	return op != "|" && op != "|&" && op != "&&" && op != "||"
}

// name is the command word after assignments, e.g. "go" in `GOFLAGS=-mod=mod go test`.
func (c *command) args() []word {
	ws := c.words
	for len(ws) > 0 && isAssignment(ws[0].raw) {
		ws = ws[1:]
	}
	return ws
}

func isAssignment(s string) bool {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

type scanner struct {
	s    string
	i    int
	cmds []command
	cur  command
	// all backs the words of every command, so a script costs a few allocations, not one per
	// command; curFrom is where the current command's words start in it.
	all     []word
	curFrom int
	// heredocs are delimiters waiting for the end of the current line.
	heredocs []heredoc
	// condDepth is >0 between if/while/until and then/do.
	condDepth bool
	negated   bool
}

type heredoc struct {
	delim string
	strip bool
}

// parseScript splits a script into commands. It is linear in the script length.
func parseScript(s string) []command {
	n := strings.Count(s, "\n") + 1
	sc := &scanner{s: s, cmds: make([]command, 0, n), all: make([]word, 0, 3*n)}
	sc.run()
	return sc.cmds
}

func (sc *scanner) emit(op string) {
	sc.cur.words = sc.all[sc.curFrom:len(sc.all):len(sc.all)]
	sc.curFrom = len(sc.all)
	if len(sc.cur.words) > 0 || sc.cur.openBrace || sc.cur.closeBrace {
		sc.cur.op = op
		sc.cur.cond = sc.cur.cond || sc.condDepth || sc.negated
		sc.cmds = append(sc.cmds, sc.cur)
	} else if n := len(sc.cmds); n > 0 && !listEnd(op) && sc.cmds[n-1].op == ")" {
		// `( go test ) || true`: the operator applies to the subshell, so to its last command.
		sc.cmds[n-1].op = op
	}
	sc.cur = command{}
	if listEnd(op) {
		sc.negated = false
	}
}

func (sc *scanner) run() {
	s := sc.s
	for sc.i < len(s) {
		c := s[sc.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			sc.i++
		case c == '\\' && sc.i+1 < len(s) && s[sc.i+1] == '\n':
			sc.i += 2
		case c == '\n':
			sc.i++
			// After |, && or || a newline continues the list.
			if len(sc.all) == sc.curFrom && !sc.cur.openBrace && len(sc.cmds) > 0 && !listEnd(sc.cmds[len(sc.cmds)-1].op) {
				sc.skipHeredocs()
				continue
			}
			sc.emit("\n")
			sc.skipHeredocs()
		case c == '#' && sc.wordBoundaryBefore():
			for sc.i < len(s) && s[sc.i] != '\n' {
				sc.i++
			}
		case c == ';':
			if strings.HasPrefix(s[sc.i:], ";;") {
				sc.i += 2
				sc.emit(";;")
			} else {
				sc.i++
				sc.emit(";")
			}
		case c == '&':
			switch {
			case strings.HasPrefix(s[sc.i:], "&&"):
				sc.i += 2
				sc.emit("&&")
			case strings.HasPrefix(s[sc.i:], "&>"):
				sc.i += 2
				if strings.HasPrefix(s[sc.i:], ">") {
					sc.i++
				}
				sc.cur.redirected = true
				sc.skipRedirTarget()
			default:
				sc.i++
				sc.emit("&")
			}
		case c == '|':
			switch {
			case strings.HasPrefix(s[sc.i:], "||"):
				sc.i += 2
				sc.emit("||")
			case strings.HasPrefix(s[sc.i:], "|&"):
				sc.i += 2
				sc.emit("|&")
			default:
				sc.i++
				sc.emit("|")
			}
		case c == '(':
			sc.i++
			sc.emit("(")
		case c == ')':
			sc.i++
			sc.emit(")")
		case (c == '>' || c == '<') && sc.i+1 < len(s) && s[sc.i+1] == '(':
			sc.word() // process substitution <(...) is a word, its commands are not ours
		case c == '>' || c == '<':
			sc.redirect()
		default:
			sc.word()
		}
	}
	sc.emit("")
}

func (sc *scanner) wordBoundaryBefore() bool {
	if sc.i == 0 {
		return true
	}
	p := sc.s[sc.i-1]
	return p == ' ' || p == '\t' || p == '\n' || p == ';' || p == '&' || p == '|' || p == '(' || p == ')'
}

// redirect consumes a redirection operator and its target.
func (sc *scanner) redirect() {
	s := sc.s
	if strings.HasPrefix(s[sc.i:], "<<<") {
		sc.i += 3
		sc.skipRedirTarget()
		return
	}
	if strings.HasPrefix(s[sc.i:], "<<") {
		sc.i += 2
		strip := false
		if sc.i < len(s) && s[sc.i] == '-' {
			strip = true
			sc.i++
		}
		for sc.i < len(s) && (s[sc.i] == ' ' || s[sc.i] == '\t') {
			sc.i++
		}
		start := sc.i
		sc.skipWordChars()
		d := word{raw: s[start:sc.i]}.value()
		if d != "" {
			sc.heredocs = append(sc.heredocs, heredoc{delim: d, strip: strip})
		}
		return
	}
	out := s[sc.i] == '>'
	sc.i++
	for sc.i < len(s) && (s[sc.i] == '>' || s[sc.i] == '&' || s[sc.i] == '|') {
		sc.i++
	}
	// >&2 and 2>&1 duplicate descriptors; only a file target hides output from the log.
	dup := strings.HasSuffix(s[:sc.i], "&")
	if out && !dup {
		sc.cur.redirected = true
	}
	sc.skipRedirTarget()
}

func (sc *scanner) skipRedirTarget() {
	for sc.i < len(sc.s) && (sc.s[sc.i] == ' ' || sc.s[sc.i] == '\t') {
		sc.i++
	}
	sc.skipWordChars()
}

// skipHeredocs skips the bodies of heredocs opened on the line just ended.
func (sc *scanner) skipHeredocs() {
	for len(sc.heredocs) > 0 {
		h := sc.heredocs[0]
		sc.heredocs = sc.heredocs[1:]
		for sc.i < len(sc.s) {
			end := strings.IndexByte(sc.s[sc.i:], '\n')
			var line string
			next := len(sc.s)
			if end < 0 {
				line = sc.s[sc.i:]
			} else {
				line = sc.s[sc.i : sc.i+end]
				next = sc.i + end + 1
			}
			sc.i = next
			if strings.TrimSpace(line) == h.delim {
				break
			}
		}
	}
}

var condWords = map[string]bool{"if": true, "elif": true, "while": true, "until": true}
var bodyWords = map[string]bool{"then": true, "do": true, "else": true}

// word consumes one word; reserved words at the start of a command adjust the state instead.
func (sc *scanner) word() {
	start := sc.i
	sc.skipWordChars()
	if sc.i == start { // an unexpected byte: step over it so the scan always advances
		sc.i++
		return
	}
	// A digit run right before > or < is a descriptor number (2>/dev/null), not a word.
	if sc.i < len(sc.s) && (sc.s[sc.i] == '>' || sc.s[sc.i] == '<') && isDigits(sc.s[start:sc.i]) {
		return
	}
	w := word{raw: sc.s[start:sc.i], start: start, end: sc.i}
	first := len(sc.all) == sc.curFrom
	if first && !sc.cur.openBrace {
		switch {
		case condWords[w.raw]:
			sc.condDepth = true
			return
		case bodyWords[w.raw]:
			sc.condDepth = false
			return
		case w.raw == "!":
			sc.negated = true
			return
		case w.raw == "{":
			sc.cur.openBrace = true
			sc.cur.start = start
			return
		case w.raw == "}" || w.raw == "fi" || w.raw == "done" || w.raw == "esac":
			if w.raw == "}" {
				sc.cur.closeBrace = true
				sc.cur.start = start
			}
			return
		}
	}
	if first {
		sc.cur.start = start
	}
	sc.all = append(sc.all, w)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// skipWordChars advances over one word, honouring quotes, escapes and $(...) / ${...} / `...`.
func (sc *scanner) skipWordChars() {
	s := sc.s
	for sc.i < len(s) {
		c := s[sc.i]
		switch c {
		case '<', '>':
			if sc.i+1 < len(s) && s[sc.i+1] == '(' {
				sc.i = skipBalanced(s, sc.i+1)
				continue
			}
			return
		case ' ', '\t', '\r', '\n', ';', '&', '|', '(', ')':
			return
		case '\\':
			sc.i += 2
		case '\'':
			sc.i = skipSingle(s, sc.i)
		case '"':
			sc.i = skipDouble(s, sc.i)
		case '`':
			sc.i = skipBacktick(s, sc.i)
		case '$':
			if sc.i+1 < len(s) && (s[sc.i+1] == '(' || s[sc.i+1] == '{') {
				sc.i = skipBalanced(s, sc.i+1)
			} else {
				sc.i++
			}
		default:
			sc.i++
		}
	}
	if sc.i > len(s) {
		sc.i = len(s)
	}
}

func skipSingle(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '\'')
	if j < 0 {
		return len(s)
	}
	return i + 1 + j + 1
}

func skipDouble(s string, i int) int {
	i++
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		case '$':
			if i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
				i = skipBalanced(s, i+1)
			} else {
				i++
			}
		case '`':
			i = skipBacktick(s, i)
		default:
			i++
		}
	}
	return len(s)
}

func skipBacktick(s string, i int) int {
	i++
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
		case '`':
			return i + 1
		default:
			i++
		}
	}
	return len(s)
}

// skipBalanced skips from an opening ( or { to just past its match, honouring quotes inside.
func skipBalanced(s string, i int) int {
	open := s[i]
	closer := byte(')')
	if open == '{' {
		closer = '}'
	}
	depth := 0
	for i < len(s) {
		switch s[i] {
		case open:
			depth++
			i++
		case closer:
			depth--
			i++
			if depth == 0 {
				return i
			}
		case '\\':
			i += 2
		case '\'':
			if open == '(' {
				i = skipSingle(s, i)
			} else {
				i++
			}
		case '"':
			i = skipDouble(s, i)
		default:
			i++
		}
	}
	return len(s)
}

// wrappers run the command given after their own options.
var wrappers = map[string]bool{
	"sudo": true, "time": true, "env": true, "nice": true, "nohup": true, "command": true,
	"exec": true, "xvfb-run": true, "timeout": true, "npx": true, "pnpx": true, "bunx": true, "uvx": true, "stdbuf": true,
}

// subWrappers run the command after a subcommand: `uv run pytest`, `bundle exec rspec`.
var subWrappers = map[string]string{
	"uv": "run", "poetry": "run", "pipenv": "run", "hatch": "run", "pdm": "run", "rye": "run",
	"bundle": "exec", "pnpm": "exec", "yarn": "exec", "npm": "exec",
}

// toolWords are commands that are gates whatever their arguments.
var toolWords = map[string]bool{
	"golangci-lint": true, "staticcheck": true, "govulncheck": true, "gosec": true, "revive": true,
	"pytest": true, "py.test": true, "tox": true, "nox": true, "mypy": true, "pyright": true,
	"ruff": true, "flake8": true, "pylint": true, "bandit": true,
	"eslint": true, "tsc": true, "vue-tsc": true, "vitest": true, "jest": true, "mocha": true,
	"shellcheck": true, "actionlint": true, "hadolint": true, "trivy": true, "grype": true,
	"semgrep": true, "molecule-ci": true, "cargo-nextest": true, "playwright": true, "biome": true,
}

var gateScript = []string{"test", "lint", "build", "check", "vet", "type", "e2e", "ci", "verify", "coverage"}

// gateName returns a short name (e.g. "go test", "npm run lint") when the command runs a test,
// lint, vet, build, scan or type-check tool, and "" otherwise.
func gateName(c *command) string {
	ws := c.args()
	for len(ws) > 0 {
		n := path.Base(ws[0].value())
		if wrappers[n] {
			ws = skipOptions(ws[1:], n)
			continue
		}
		if sub, ok := subWrappers[n]; ok && len(ws) > 1 && ws[1].value() == sub {
			ws = ws[2:]
			continue
		}
		if (strings.HasPrefix(n, "python") || n == "py") && len(ws) > 2 && ws[1].value() == "-m" {
			ws = ws[2:]
			continue
		}
		break
	}
	if len(ws) == 0 {
		return ""
	}
	n := path.Base(ws[0].value())
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
			if script := firstPositional(positionalAfter(ws[1:], sub)); isGateScript(script) {
				return n + " run " + script
			}
		default:
			if n != "npm" && isGateScript(sub) {
				return n + " " + sub
			}
		}
	case "cargo":
		switch sub {
		case "test", "clippy", "build", "check", "nextest":
			return "cargo " + sub
		}
	case "make", "gmake", "just", "task":
		for _, a := range ws[1:] {
			v := a.value()
			if strings.HasPrefix(v, "-") || strings.Contains(v, "=") {
				continue
			}
			if isGateScript(v) {
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
			if v := a.value(); v == "test" || v == "check" || v == "build" || v == "verify" || v == "package" {
				return n + " " + v
			}
		}
	case "black", "isort", "prettier", "gofmt":
		for _, a := range ws[1:] {
			if v := a.value(); v == "--check" || v == "-l" || v == "--diff" {
				return n + " " + v
			}
		}
	default:
		if toolWords[n] {
			return n
		}
	}
	return ""
}

func isGateScript(s string) bool {
	if s == "" {
		return false
	}
	l := strings.ToLower(s)
	for _, g := range gateScript {
		if strings.Contains(l, g) {
			return true
		}
	}
	return false
}

// optionsWithArg take a value in the next word.
var optionsWithArg = map[string]bool{
	"-u": true, "-g": true, "-C": true, "--filter": true, "-F": true, "--dir": true, "--prefix": true,
	"--workspace": true, "-w": true, "-p": true, "--package": true, "-n": true, "-k": true, "-s": true,
	"-o": true, "-i": true, "--cwd": true, "--signal": true, "--kill-after": true,
}

// skipOptions skips a wrapper's options (and for timeout, its duration).
func skipOptions(ws []word, wrapper string) []word {
	for len(ws) > 0 {
		v := ws[0].value()
		switch {
		case isAssignment(v) && wrapper == "env":
			ws = ws[1:]
		case strings.HasPrefix(v, "-"):
			ws = ws[1:]
			if optionsWithArg[v] && len(ws) > 0 {
				ws = ws[1:]
			}
		default:
			if wrapper == "timeout" && len(ws) > 1 { // the duration
				return ws[1:]
			}
			return ws
		}
	}
	return ws
}

func positionalAfter(ws []word, sub string) []word {
	for i, w := range ws {
		if w.value() == sub {
			return ws[i+1:]
		}
	}
	return nil
}

// firstPositional is the first argument that is not an option (or an option's value).
func firstPositional(ws []word) string {
	for i := 0; i < len(ws); i++ {
		v := ws[i].value()
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
	errexit  bool
	pipefail bool
}

// resolveShell applies GitHub's rules for the effective shell of a run: step.
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell
func resolveShell(spec string, windows bool) shellMode {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "":
		if windows {
			return shellMode{name: "pwsh"}
		}
		return shellMode{name: "bash -e {0}", analyze: true, errexit: true}
	case "bash":
		return shellMode{name: "bash", analyze: true, errexit: true, pipefail: true}
	case "sh":
		return shellMode{name: "sh", analyze: true, errexit: true}
	}
	if strings.Contains(spec, "${{") {
		return shellMode{name: spec}
	}
	fields := strings.Fields(spec)
	base := path.Base(fields[0])
	switch base {
	case "bash", "sh", "dash", "zsh", "ksh", "ash", "busybox":
	default:
		return shellMode{name: spec}
	}
	m := shellMode{name: spec, analyze: true}
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

// applySet updates the mode for a `set` builtin: set -e, set +e, set -euo pipefail, set -o errexit.
func applySet(m *shellMode, args []word) {
	for i := 0; i < len(args); i++ {
		a := args[i].value()
		if len(a) < 2 || (a[0] != '-' && a[0] != '+') || a == "--" {
			continue
		}
		on := a[0] == '-'
		flags := a[1:]
		if strings.ContainsRune(flags, 'e') {
			m.errexit = on
		}
		if strings.ContainsRune(flags, 'o') && i+1 < len(args) {
			setOption(m, args[i+1].value(), on)
			i++
		}
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
	off int
	msg string
}

// gateResult is what the analysis of one script found.
type gateResult struct {
	gates  []string // names of the gate commands found, in order
	issues []gateIssue
}

// analyzeGates finds gate commands in a script and reports those whose failure is swallowed.
func analyzeGates(cmds []command, m shellMode) gateResult {
	var res gateResult
	mode := m
	setE := false // errexit was turned off by `set +e` (rather than by the shell line)
	// checkedAfter[i] says whether a command after i reads $? or PIPESTATUS; last is the index
	// of the last command with words. Both are computed once so that the analysis stays linear.
	checkedAfter := make([]bool, len(cmds)+1)
	pipeStatusAfter := make([]bool, len(cmds)+1)
	last := -1
	for i := len(cmds) - 1; i >= 0; i-- {
		checkedAfter[i] = checkedAfter[i+1] || readsStatus(&cmds[i])
		pipeStatusAfter[i] = pipeStatusAfter[i+1] || readsPipeStatus(&cmds[i])
		if last < 0 && len(cmds[i].words) > 0 {
			last = i
		}
	}
	for i := range cmds {
		c := &cmds[i]
		args := c.args()
		if len(args) > 0 && args[0].raw == "set" {
			before := mode.errexit
			applySet(&mode, args[1:])
			if before && !mode.errexit {
				setE = true
			}
			continue
		}
		name := gateName(c)
		if name == "" {
			continue
		}
		res.gates = append(res.gates, name)
		if !m.analyze || c.cond {
			continue
		}
		end := i
		for end < len(cmds)-1 && (cmds[end].op == "|" || cmds[end].op == "|&") {
			end++
		}
		if cmds[end].op == "||" {
			if how, ok := swallower(cmds, end+1); ok {
				res.issues = append(res.issues, gateIssue{c.start, fmt.Sprintf("the failure of `%s` is swallowed by `|| %s`, so this gate can never fail", name, how)})
				continue
			}
		}
		if end > i && !mode.pipefail && !pipeStatusAfter[end+1] {
			for j := i + 1; j <= end; j++ {
				if sink := cmdName(&cmds[j]); pipeSinks[sink] {
					res.issues = append(res.issues, gateIssue{c.start, fmt.Sprintf("`%s` is piped into `%s` and the shell (%s) has no pipefail, so the pipeline's status is `%s`'s and a failure is lost; use `shell: bash` or `set -o pipefail`", name, sink, m.name, sink)})
					break
				}
			}
		}
		// `go test; true` on one line.
		if cmds[end].op == ";" && end+1 < len(cmds) && isNoop(&cmds[end+1]) && listEnd(cmds[end+1].op) {
			res.issues = append(res.issues, gateIssue{c.start, fmt.Sprintf("`; %s` after `%s` makes the script succeed whatever the gate reported", strings.Join(wordValues(cmds[end+1].args()), " "), name)})
			continue
		}
		if !mode.errexit && listEnd(cmds[end].op) && end < last && !checkedAfter[end+1] {
			why := "runs after `set +e`"
			if !setE {
				why = fmt.Sprintf("runs in a shell without -e (%s)", m.name)
			}
			res.issues = append(res.issues, gateIssue{c.start, fmt.Sprintf("`%s` %s and nothing later checks $? or PIPESTATUS, so its failure is ignored", name, why)})
		}
	}
	return res
}

// swallower reports whether the commands after a `||` (starting at i) always succeed without
// failing the script: true, :, exit 0, or an echo/printf with no later exit.
func swallower(cmds []command, i int) (string, bool) {
	if i >= len(cmds) {
		return "", false
	}
	first := &cmds[i]
	stop := func(j int) bool { return listEnd(cmds[j].op) }
	if first.openBrace {
		depth := 0
		stop = func(j int) bool {
			if cmds[j].openBrace {
				depth++
			}
			if cmds[j].closeBrace {
				depth--
			}
			return depth <= 0
		}
	}
	var how string
	for j := i; j < len(cmds); j++ {
		a := wordValues(cmds[j].args())
		if len(a) > 0 {
			switch a[0] {
			case "exit", "return":
				if len(a) == 1 || a[1] != "0" {
					return "", false
				}
			case "false":
				return "", false
			case "true", ":", "echo", "printf":
			default:
				return "", false
			}
			if how == "" {
				how = a[0]
				if a[0] == "exit" || a[0] == "return" {
					how = a[0] + " 0"
				} else if a[0] == "echo" || a[0] == "printf" {
					how = a[0] + " ..."
				}
			}
		}
		if stop(j) {
			break
		}
	}
	return how, how != ""
}

func isNoop(c *command) bool {
	a := wordValues(c.args())
	switch {
	case len(a) == 1 && (a[0] == "true" || a[0] == ":"):
		return true
	case len(a) == 2 && a[0] == "exit" && a[1] == "0":
		return true
	}
	return false
}

func readsPipeStatus(c *command) bool {
	for _, w := range c.words {
		if strings.Contains(w.raw, "PIPESTATUS") {
			return true
		}
	}
	return false
}

// readsStatus reports whether a command reads the exit status of an earlier one.
func readsStatus(c *command) bool {
	for _, w := range c.words {
		if strings.Contains(w.raw, "$?") || strings.Contains(w.raw, "${?}") || strings.Contains(w.raw, "PIPESTATUS") {
			return true
		}
	}
	return false
}

func cmdName(c *command) string {
	a := c.args()
	for len(a) > 0 && wrappers[path.Base(a[0].value())] {
		a = skipOptions(a[1:], path.Base(a[0].value()))
	}
	if len(a) == 0 {
		return ""
	}
	return path.Base(a[0].value())
}

func wordValues(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.value()
	}
	return out
}
