package dockerfile

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/shell"

	model "github.com/Molecule-AI/molecule-ci/internal/dockerfile"
)

// runStep is one RUN instruction read as shell: the command line and, when they are run by a
// shell, its heredoc bodies.
type runStep struct {
	scripts []*script
	// mounts are the RUN's --mount options as BuildKit reads them; mountsUnknown is true when
	// BuildKit refuses one (reported as docker-syntax), and then any mount may be there.
	mounts        []*instructions.Mount
	mountsUnknown bool
}

// checkRuns applies the RUN rules to every stage. ENV, ARG and SHELL of the stages a stage
// builds on are in effect in it too: each stage starts from the state its parent ended in, so
// this is linear in the number of instructions however long the chain of stages is.
func (l *checker) checkRuns() {
	type state struct {
		pipNoCache bool
		shell      []string
	}
	after := make([]state, len(l.file.Stages))
	// The stages the final image is built from ship their layers; an intermediate stage whose
	// output is only COPY --from'd does not, so what it leaves in its layers (apt lists) is gone.
	shipped := map[int]bool{}
	if final := l.file.Final(); final != nil {
		for _, s := range l.file.Chain(final) {
			shipped[s.Index] = true
		}
	}
	for i, si := range l.file.Stages {
		if l.ctx.Err() != nil {
			return
		}
		st := state{shell: []string{"/bin/sh", "-c"}}
		if si.Parent >= 0 && si.Parent < i {
			st = after[si.Parent]
		}
		for _, in := range si.Instructions {
			switch c := in.Command.(type) {
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					st.pipNoCache = st.pipNoCache || kv.Key == "PIP_NO_CACHE_DIR"
				}
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					st.pipNoCache = st.pipNoCache || kv.Key == "PIP_NO_CACHE_DIR"
				}
			case *instructions.ShellCommand:
				st.shell = c.Shell
			case *instructions.RunCommand:
				l.checkRun(in, c, st.pipNoCache, st.shell, shipped[i])
			}
		}
		after[i] = st
	}
}

func (l *checker) checkRun(in model.Instruction, c *instructions.RunCommand, pipNoCache bool, shellCmd []string, shipped bool) {
	start := in.Line()
	node := in.Node
	if len(shellCmd) == 0 || !isShellName(path.Base(shellCmd[0])) {
		return // a Windows or other non-POSIX SHELL: these rules do not apply
	}
	rs := l.runStep(node, c, shellErrexit(shellCmd))
	rs.mounts, rs.mountsUnknown = in.Mounts, in.MountsErr != nil
	for _, s := range rs.scripts {
		if s.limit != nil {
			l.add(report.Finding{Line: start, Col: l.instructionCol(start), Rule: RuleSwallowedFailure, Severity: report.Warning,
				Message: "RUN: " + s.limit.Error(), Help: "move the script into a file COPY'd into the image"})
		}
	}
	l.checkPip(rs, pipNoCache)
	if shipped {
		l.checkApt(rs, node)
	}
	l.checkSwallowed(rs)
	l.checkCurlPipe(rs)
}

// runStep reads the shell scripts of a RUN with the Dockerfile position of every byte.
// errexit is the state the stage's SHELL starts scripts in.
func (l *checker) runStep(node *parser.Node, c *instructions.RunCommand, errexit bool) *runStep {
	rs := &runStep{}
	if !c.PrependShell {
		// exec form: only ["sh", "-c", "script"] has shell to read.
		a := c.CmdLine
		if len(a) >= 3 && isShellName(path.Base(a[0])) {
			for i := 1; i+1 < len(a); i++ {
				if strings.HasPrefix(a[i], "-") && strings.Contains(a[i], "c") {
					p := pos{node.StartLine, l.instructionCol(node.StartLine)}
					rs.scripts = append(rs.scripts, parseScript(textAt(a[i+1], p), strings.Contains(a[i], "e")))
					break
				}
			}
		}
		return rs
	}
	t, last := l.instructionText(node)
	sc := parseScript(skipKeywordAndFlags(t), errexit)
	rs.scripts = append(rs.scripts, sc)
	if len(node.Heredocs) == 0 {
		return rs
	}
	bodies := l.heredocBodies(node, last)
	if len(c.CmdLine) == 1 && parser.MustParseHeredoc(c.CmdLine[0]) != nil {
		// RUN <<EOF: BuildKit runs the body itself, with its shebang when it has one.
		if len(bodies) > 0 && shebangIsShell(node.Heredocs[0].Content) {
			rs.scripts = append(rs.scripts, parseScript(bodies[0], errexit))
		}
		return rs
	}
	// The instruction line holds `bash <<EOF` without the bodies (BuildKit keeps them apart):
	// the commands with a << redirection take the bodies in order.
	i := 0
	for _, c := range sc.sc.Cmds {
		for _, r := range c.Redirs {
			if r.Op != "<<" && r.Op != "<<-" {
				continue
			}
			if i < len(bodies) && isShellReadingStdin(c) {
				rs.scripts = append(rs.scripts, parseScript(bodies[i], errexit))
			}
			i++
		}
	}
	return rs
}

// instructionText joins an instruction's continuation lines the way BuildKit's parser does
// (dropping the escape character, comment lines and empty lines), keeping every byte's position.
// It returns the last line the instruction itself occupies, before any heredoc body.
func (l *checker) instructionText(n *parser.Node) (posText, int) {
	var t posText
	escape := byte('\\')
	if l.file.AST.EscapeToken < 128 {
		escape = byte(l.file.AST.EscapeToken)
	}
	last := n.StartLine
	for line := n.StartLine; line >= 1 && line <= len(l.lines); line++ {
		s := l.lines[line-1]
		if line > n.StartLine {
			if trimmed := strings.TrimSpace(s); trimmed == "" || trimmed[0] == '#' {
				continue
			}
		}
		content := strings.TrimRight(s, " \t")
		cont := strings.HasSuffix(content, string(escape))
		if cont {
			content = content[:len(content)-1]
		}
		for i := 0; i < len(content); i++ {
			t.add(content[i], pos{line, i + 1})
		}
		last = line
		if !cont {
			break
		}
	}
	return t, last
}

// heredocBodies finds the lines of each heredoc body after the instruction's last line.
func (l *checker) heredocBodies(n *parser.Node, last int) []posText {
	var bodies []posText
	line := last + 1
	for _, h := range n.Heredocs {
		var t posText
		for ; line <= len(l.lines); line++ {
			s := l.lines[line-1]
			off := 0
			if h.Chomp {
				off = len(s) - len(strings.TrimLeft(s, "\t"))
			}
			if s[off:] == h.Name {
				line++
				break
			}
			for i := off; i < len(s); i++ {
				t.add(s[i], pos{line, i + 1})
			}
			t.add('\n', pos{line, len(s) + 1})
		}
		bodies = append(bodies, t)
	}
	return bodies
}

// skipKeywordAndFlags drops the instruction keyword and its --flags from an instruction's text.
func skipKeywordAndFlags(t posText) posText {
	s, i := t.s, 0
	skipBlank := func() {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
	}
	skipWord := func() {
		for i < len(s) && !isBlank(s[i]) {
			i++
		}
	}
	skipBlank()
	skipWord()
	for {
		skipBlank()
		if i+1 < len(s) && s[i] == '-' && s[i+1] == '-' {
			skipWord()
			continue
		}
		return t.slice(i)
	}
}

var shellNames = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true, "mksh": true, "busybox": true}

func isShellName(n string) bool { return shellNames[n] }

var interpreterRe = regexp.MustCompile(`^(?:python[0-9.]*|perl|ruby|node)$`)

// isShellReadingStdin is true for `bash <<EOF`-like commands: a shell with no -c script.
func isShellReadingStdin(c *shell.Cmd) bool {
	a, _ := argv(c)
	if len(a) == 0 || !isShellName(path.Base(a[0])) {
		return false
	}
	for _, w := range a[1:] {
		if strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.Contains(w, "c") {
			return false
		}
		if !strings.HasPrefix(w, "-") && path.Base(a[0]) != "busybox" {
			return false // a script file argument
		}
	}
	return true
}

func shebangIsShell(content string) bool {
	if !strings.HasPrefix(content, "#!") {
		return true
	}
	first, _, _ := strings.Cut(content[2:], "\n")
	f := strings.Fields(first)
	if len(f) == 0 {
		return true
	}
	interp := path.Base(f[0])
	if interp == "env" {
		for _, w := range f[1:] {
			if !strings.HasPrefix(w, "-") {
				interp = path.Base(w)
				break
			}
		}
	}
	return isShellName(interp)
}

func shellErrexit(shellCmd []string) bool {
	return setsErrexit(shellCmd[1:])
}

// setsErrexit reads the options of `set` or of a shell command line for -e / -o errexit.
func setsErrexit(args []string) bool {
	for i, a := range args {
		switch {
		case a == "-o" && i+1 < len(args) && args[i+1] == "errexit":
			return true
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "e"):
			return true
		}
	}
	return false
}

// operands returns the words of args that are not options, skipping the values of valued ones.
func operands(args []string, valued ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			for _, v := range valued {
				if a == v {
					i++
					break
				}
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func first(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	return ws[0]
}

var (
	pipRe    = regexp.MustCompile(`^pip[0-9.]*$`)
	pythonRe = regexp.MustCompile(`^python[0-9.]*$`)
)

var pipValued = []string{"--proxy", "--log", "--cache-dir", "--timeout", "--retries", "--exists-action", "--trusted-host", "--cert", "--client-cert", "--python", "-r", "-c", "-e", "-i", "--index-url", "--extra-index-url", "-t", "--target", "--prefix", "--root", "-f", "--find-links", "--constraint", "--requirement"}

// pipInstall recognises `pip install`, `pip3.12 install` and `python -m pip install`, returning
// how the command was spelled and pip's arguments.
func pipInstall(a []string) (string, []string) {
	if len(a) == 0 {
		return "", nil
	}
	n := path.Base(a[0])
	var rest []string
	var spelled string
	switch {
	case pipRe.MatchString(n):
		rest, spelled = a[1:], n
	case pythonRe.MatchString(n):
		for i := 1; i < len(a); i++ {
			if (a[i] == "-m" && i+1 < len(a) && a[i+1] == "pip") || a[i] == "-mpip" {
				if a[i] == "-m" {
					i++
				}
				rest, spelled = a[i+1:], n+" -m pip"
				break
			}
			if !strings.HasPrefix(a[i], "-") {
				return "", nil
			}
		}
	}
	if spelled == "" || first(operands(rest, pipValued...)) != "install" {
		return "", nil
	}
	return spelled + " install", rest
}

func hasWord(ws []string, prefixes ...string) bool {
	for _, w := range ws {
		for _, p := range prefixes {
			if w == p || strings.HasPrefix(w, p+"=") {
				return true
			}
		}
	}
	return false
}

// commands calls fn with every command of the RUN's scripts, its position, its argv without
// wrappers and the assignments made for it.
func (rs *runStep) commands(fn func(c *shell.Cmd, p pos, a, as []string)) {
	for _, s := range rs.scripts {
		s.commands(func(c *shell.Cmd) {
			a, as := argv(c)
			fn(c, s.pos(c), a, as)
		})
	}
}

func (rs *runStep) hasMount(typ instructions.MountType, targets ...string) bool {
	if rs.mountsUnknown {
		return true
	}
	for _, m := range rs.mounts {
		if typ != "" && m.Type != typ {
			continue
		}
		if len(targets) == 0 {
			return true
		}
		for _, t := range targets {
			if strings.TrimRight(m.Target, "/") == t {
				return true
			}
		}
	}
	return false
}

func (l *checker) checkPip(rs *runStep, pipNoCache bool) {
	if pipNoCache || rs.hasMount("cache") {
		return
	}
	set := false
	rs.commands(func(_ *shell.Cmd, _ pos, a, as []string) {
		if hasWord(as, "PIP_NO_CACHE_DIR") || len(a) > 0 && (a[0] == "export" || a[0] == "declare") && hasWord(a[1:], "PIP_NO_CACHE_DIR") {
			set = true
		}
	})
	if set {
		return
	}
	rs.commands(func(_ *shell.Cmd, p pos, a, _ []string) {
		spelled, rest := pipInstall(a)
		if spelled == "" || hasWord(rest, "--no-cache-dir") {
			return
		}
		l.add(report.Finding{Line: p.line, Col: p.col, Rule: RulePipCache,
			Message: fmt.Sprintf("%s without --no-cache-dir keeps pip's download cache in the image layer", quoteCmd(spelled)),
			Help:    "add --no-cache-dir (or ENV PIP_NO_CACHE_DIR=1, or RUN --mount=type=cache,target=/root/.cache/pip)"})
	})
}

var aptValued = []string{"-o", "-t", "-c", "--option", "--target-release", "--config-file"}

func aptInstall(a []string) string {
	if len(a) == 0 {
		return ""
	}
	n := path.Base(a[0])
	if n != "apt-get" && n != "apt" {
		return ""
	}
	if sub := first(operands(a[1:], aptValued...)); sub == "install" || sub == "reinstall" {
		return n + " " + sub
	}
	return ""
}

func (l *checker) checkApt(rs *runStep, node *parser.Node) {
	if rs.hasMount("cache", "/var/lib/apt", "/var/lib/apt/lists") || rs.hasMount("tmpfs", "/var/lib/apt", "/var/lib/apt/lists") {
		return
	}
	var install *pos
	var spelled string
	cleaned := false
	rs.commands(func(_ *shell.Cmd, p pos, a, _ []string) {
		if s := aptInstall(a); s != "" && install == nil {
			install, spelled = &p, s
		}
		if len(a) > 0 && path.Base(a[0]) == "rm" {
			for _, w := range operands(a[1:]) {
				if strings.HasPrefix(w, "/var/lib/apt/lists") {
					cleaned = true
				}
			}
		}
	})
	if install == nil || cleaned {
		return
	}
	l.add(report.Finding{Line: install.line, Col: install.col, Rule: RuleAptLists,
		Message: fmt.Sprintf("%s without `rm -rf /var/lib/apt/lists/*` in the same RUN leaves the package lists in the image layer", quoteCmd(spelled)),
		Help:    "end this RUN with `&& rm -rf /var/lib/apt/lists/*` (or mount /var/lib/apt as a cache)"})
}

// installLabel names an install or build command whose failure must fail the build, or "".
func installLabel(a []string) string {
	if len(a) == 0 {
		return ""
	}
	n := path.Base(a[0])
	ops := operands(a[1:], aptValued...)
	sub := first(ops)
	in := func(set ...string) bool {
		for _, s := range set {
			if sub == s {
				return true
			}
		}
		return false
	}
	label := func() string {
		if sub == "" {
			return n
		}
		return n + " " + sub
	}
	switch n {
	case "apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "zypper", "pacman", "dpkg":
		if in("clean", "autoclean", "info", "search", "list", "show") {
			return ""
		}
		return label()
	case "npm":
		if in("i", "install", "ci", "add", "update", "rebuild", "install-clean") || sub == "run" && len(ops) > 1 && strings.Contains(ops[1], "build") {
			return label()
		}
	case "yarn", "pnpm":
		if in("", "i", "install", "add", "build") || sub == "run" && len(ops) > 1 && strings.Contains(ops[1], "build") {
			return label()
		}
	case "go":
		if in("build", "install", "get", "generate") || sub == "mod" && len(ops) > 1 && ops[1] == "download" {
			return label()
		}
	case "make", "gmake", "cmake", "ninja", "meson", "bazel", "mvn", "mvnw", "gradle", "gradlew", "ant":
		return n
	case "cargo":
		if in("build", "install", "fetch") {
			return label()
		}
	case "gem", "bundle", "composer", "poetry", "pipenv", "conda", "mamba", "micromamba":
		if in("install", "update", "create") {
			return label()
		}
	case "dotnet":
		if in("build", "restore", "publish") {
			return label()
		}
	case "uv":
		if in("sync") || sub == "pip" && len(ops) > 1 && ops[1] == "install" {
			return label()
		}
	}
	if s, _ := pipInstall(a); s != "" {
		return s
	}
	return ""
}

func commandLabel(c *shell.Cmd) string {
	a, _ := argv(c)
	if l := installLabel(a); l != "" {
		return l
	}
	if sh := curlPipe(c); sh != "" {
		return path.Base(a[0]) + " ... | " + sh
	}
	return ""
}

// checkSwallowed reports install and build commands whose failure the script turns into
// success (`|| true`, `|| :`, `|| exit 0`, `|| echo ...`, a `; true` ending a list without
// set -e), as internal/shell decided it for each command.
func (l *checker) checkSwallowed(rs *runStep) {
	for _, s := range rs.scripts {
		s.commands(func(c *shell.Cmd) {
			if c.Swallowed == "" {
				return
			}
			label := commandLabel(c)
			if label == "" {
				return
			}
			how := quoteCmd(c.Swallowed)
			if c.Swallowed[0] == ';' {
				how = "the " + how + " that ends the command list"
			}
			p := s.pos(c)
			l.add(report.Finding{Line: p.line, Col: p.col, Rule: RuleSwallowedFailure,
				Message: fmt.Sprintf("failure of %s is swallowed by %s, so a broken step still produces an image", quoteCmd(label), how),
				Help:    "let the command fail the build; if the step is optional, test its condition explicitly instead of ignoring every error"})
		})
	}
}

var downloaders = map[string]bool{"curl": true, "wget": true}

// curlPipe returns the interpreter when c is a download piped into a shell or interpreter
// (`curl ... | sh`, `wget -O- ... | sudo bash`), or "".
func curlPipe(c *shell.Cmd) string {
	if c.Sink == nil || !downloaders[cmdBase(c)] {
		return ""
	}
	a, _ := argv(c.Sink)
	if len(a) == 0 {
		return ""
	}
	n := path.Base(a[0])
	if !isShellName(n) && !interpreterRe.MatchString(n) {
		return ""
	}
	if n == "busybox" && (len(a) < 2 || a[1] != "sh") {
		return ""
	}
	for _, w := range a[1:] {
		if strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.Contains(w, "c") && isShellName(n) {
			return "" // sh -c '...' does not run what it reads
		}
	}
	return n
}

var substDownload = regexp.MustCompile("(?:\\$\\(|`|<\\()\\s*(?:curl|wget)\\b")

func (l *checker) checkCurlPipe(rs *runStep) {
	help := "download to a file, verify its checksum or signature, then run it"
	for _, s := range rs.scripts {
		s.commands(func(c *shell.Cmd) {
			a, _ := argv(c)
			if sh := curlPipe(c); sh != "" {
				p := s.pos(c)
				l.add(report.Finding{Line: p.line, Col: p.col, Rule: RuleCurlPipeShell,
					Message: fmt.Sprintf("%s runs a downloaded script without verifying it", quoteCmd(path.Base(a[0])+" ... | "+sh)), Help: help})
				return
			}
			if len(a) < 2 {
				return
			}
			n := path.Base(a[0])
			if !isShellName(n) && !interpreterRe.MatchString(n) && n != "eval" && n != "source" && n != "." {
				return
			}
			for _, w := range c.Args[1:] {
				if substDownload.MatchString(w.Raw) {
					p := s.pos(c)
					l.add(report.Finding{Line: p.line, Col: p.col, Rule: RuleCurlPipeShell,
						Message: fmt.Sprintf("%s runs a downloaded script without verifying it", quoteCmd(n+" \"$(curl ...)\"")), Help: help})
					return
				}
			}
		})
	}
}
