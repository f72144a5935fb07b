package contract

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"mvdan.cc/sh/v3/syntax"

	model "github.com/Molecule-AI/molecule-ci/internal/dockerfile"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

const dockerfilePath = "Dockerfile"

// dfInstr is one Dockerfile instruction as the contract reads it: as written, so that an
// instruction BuildKit refuses (lint reports it as docker-syntax) still counts.
type dfInstr struct {
	cmd   string   // lower case: from, arg, run, copy, entrypoint...
	args  []string // BuildKit's parsed arguments
	json  bool     // exec form
	flags []string
	text  string // for RUN: the command with continuations joined, plus heredoc bodies
	line  int
	col   int
}

// dfStage is a stage of the model with its FROM and instructions as the contract reads them.
type dfStage struct {
	*model.Stage
	from   dfInstr
	instrs []dfInstr
}

// dfFile is the Dockerfile as the contract checks it: the global instructions, the stages, and
// the final stage with the stages it builds on (oldest first), whose filesystem, users and
// ENTRYPOINT are what the image has.
type dfFile struct {
	global []dfInstr
	stages []*dfStage
	final  *dfStage
	chain  []*dfStage
}

// dockerfile checks the workspace template's Dockerfile contract. reqDeclares says whether
// requirements.txt already declares the runtime package.
func (c *checker) dockerfile(src []byte, reqDeclares bool) {
	df, ok := c.readDockerfile(src)
	if !ok {
		return
	}
	c.dockerfileBase(df)
	c.runtimeVersionArg(df)
	if !reqDeclares {
		c.runtimeInstalled(df)
	}
	c.agentUser(df)
	c.entrypoint(df.chain)
}

// readDockerfile models the Dockerfile on BuildKit's parser; a file that does not parse or has
// no stage is a finding.
func (c *checker) readDockerfile(src []byte) (*dfFile, bool) {
	f, err := model.Parse(c.ctx, src, model.Options{})
	if c.ctx.Err() != nil {
		if c.err == nil {
			c.err = c.ctx.Err()
		}
		return nil, false
	}
	if err != nil {
		line := 1
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
		}
		c.add(RuleDockerfile, report.Error, dockerfilePath, line, 1, "", "the Dockerfile does not parse: %v", err)
		return nil, false
	}
	if len(f.Stages) == 0 {
		c.add(RuleDockerfile, report.Error, dockerfilePath, 1, 1, "", "the Dockerfile has no FROM instruction")
		return nil, false
	}
	lines := model.SplitLines(src)
	colOf := func(line int) int {
		if line < 1 || line > len(lines) {
			return 1
		}
		l := lines[line-1]
		trimmed := strings.TrimLeft(l, " \t")
		return utf8.RuneCountInString(l[:len(l)-len(trimmed)]) + 1
	}
	instr := func(n *parser.Node) dfInstr {
		in := dfInstr{cmd: strings.ToLower(n.Value), json: n.Attributes["json"], flags: n.Flags, line: n.StartLine, col: colOf(n.StartLine)}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		if in.cmd == "run" {
			var b strings.Builder
			b.WriteString(strings.Join(in.args, " "))
			for _, h := range n.Heredocs {
				b.WriteString("\n")
				b.WriteString(h.Content)
			}
			in.text = b.String()
		}
		return in
	}
	df := &dfFile{}
	for _, in := range f.Global {
		df.global = append(df.global, instr(in.Node))
	}
	byIndex := map[int]*dfStage{}
	for _, st := range f.Stages {
		ds := &dfStage{Stage: st, from: instr(nodeAt(f, st.FirstLine))}
		for _, in := range st.Instructions {
			ds.instrs = append(ds.instrs, instr(in.Node))
		}
		df.stages = append(df.stages, ds)
		byIndex[st.Index] = ds
	}
	df.final = df.stages[len(df.stages)-1]
	for _, st := range f.Chain(f.Final()) {
		df.chain = append(df.chain, byIndex[st.Index])
	}
	return df, true
}

// nodeAt is the instruction that starts at line.
func nodeAt(f *model.File, line int) *parser.Node {
	for _, n := range f.AST.AST.Children {
		if n.StartLine == line {
			return n
		}
	}
	return &parser.Node{StartLine: line}
}

// dockerfileBase checks that the image's chain of stages starts at the contract's base image.
func (c *checker) dockerfileBase(df *dfFile) {
	w := c.cc.WorkspaceTemplate
	root, final := df.chain[0], df.final
	if normalizeImage(root.Base) == normalizeImage(w.BaseImage) {
		return
	}
	at := root.from
	what := quote(root.Base)
	if root != final {
		what += fmt.Sprintf(" (through stage %s)", quote(final.BaseName))
		at = final.from
	}
	c.add(RuleDockerfile, report.Error, dockerfilePath, at.line, at.col,
		"one base everywhere keeps apt and pip behaviour identical and CVE patching on one image",
		"the image must be based on %s, not %s", w.BaseImage, what)
}

// runtimeVersionArg checks that ARG RUNTIME_VERSION is declared in a stage and used by a RUN of
// that stage, so a new runtime release busts the cache of the pip layer.
func (c *checker) runtimeVersionArg(df *dfFile) {
	w := c.cc.WorkspaceTemplate
	argName := w.RuntimeVersionArg
	used := regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(argName) + `\b`)
	var firstDecl *dfInstr
	var globalDecl *dfInstr
	ok := false
	for _, g := range df.global {
		if g.cmd == "arg" && declares(g, argName) && globalDecl == nil {
			globalDecl = &g
		}
	}
	for _, st := range df.stages {
		declared := false
		for i := range st.instrs {
			in := &st.instrs[i]
			switch {
			case in.cmd == "arg" && declares(*in, argName):
				declared = true
				if firstDecl == nil {
					firstDecl = in
				}
			case in.cmd == "run" && declared && used.MatchString(in.text):
				ok = true
			}
		}
	}
	help := fmt.Sprintf(`pattern: ARG %s= then RUN pip install -r requirements.txt && if [ -n "${%s}" ]; then pip install --no-cache-dir --upgrade "%s==${%s}"; fi`,
		argName, argName, w.RuntimePackage, argName)
	from := df.final.from
	switch {
	case ok:
	case firstDecl != nil:
		c.add(RuleRuntimeVersionArg, report.Error, dockerfilePath, firstDecl.line, firstDecl.col, help,
			"ARG %s is declared but no RUN of its stage uses ${%s}: a new runtime release replays the cached pip layer", argName, argName)
	case globalDecl != nil:
		c.add(RuleRuntimeVersionArg, report.Error, dockerfilePath, globalDecl.line, globalDecl.col, help,
			"ARG %s is declared only before the first FROM: RUN instructions see it only after an `ARG %s` inside the stage, and a RUN of that stage must use ${%s}", argName, argName, argName)
	default:
		c.add(RuleRuntimeVersionArg, report.Error, dockerfilePath, from.line, from.col, help,
			"the Dockerfile does not declare ARG %s= in a stage with a RUN of that stage using ${%s} (both are needed): the cascade's new runtime release is not installed, the cached pip layer is replayed", argName, argName)
	}
}

// runtimeInstalled checks that a RUN of the image installs the runtime package, when
// requirements.txt does not declare it.
func (c *checker) runtimeInstalled(df *dfFile) {
	w := c.cc.WorkspaceTemplate
	for _, st := range df.chain {
		for _, in := range st.instrs {
			if in.cmd == "run" && strings.Contains(in.text, w.RuntimePackage) {
				return
			}
		}
	}
	c.add(RuleRuntimeRequirement, report.Error, dockerfilePath, df.final.from.line, df.final.from.col, "",
		"neither requirements.txt nor a RUN of the Dockerfile installs %s", w.RuntimePackage)
}

// agentUser checks that the image creates the unprivileged user the runtime drops to.
func (c *checker) agentUser(df *dfFile) {
	w := c.cc.WorkspaceTemplate
	user := regexp.MustCompile(`\b(useradd|adduser)\b[^\n;&|]*[\s'"]` + regexp.QuoteMeta(w.User) + `(\s|$|['";&|])`)
	for _, st := range df.chain {
		for _, in := range st.instrs {
			if in.cmd == "run" && user.MatchString(in.text) {
				return
			}
		}
	}
	c.add(RuleAgentUser, report.Error, dockerfilePath, df.final.from.line, df.final.from.col,
		fmt.Sprintf("add `RUN useradd -u 1000 -m -s /bin/bash %s`", w.User),
		"the image does not create the %s user the runtime drops to (uid 1000)", w.User)
}

func declares(in dfInstr, name string) bool {
	for _, a := range in.args {
		k, _, _ := strings.Cut(a, "=")
		if k == name {
			return true
		}
	}
	return false
}

// normalizeImage drops the default registry and a digest, so docker.io/library/python:3.11-slim
// and python:3.11-slim@sha256:... are the base image python:3.11-slim.
func normalizeImage(ref string) string {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	for _, p := range []string{"docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/", "library/"} {
		ref = strings.TrimPrefix(ref, p)
	}
	return ref
}

// entrypoint checks that the image ends at the runtime command, directly or through a script of
// the repository that runs it.
func (c *checker) entrypoint(chain []*dfStage) {
	w := c.cc.WorkspaceTemplate
	var ep, cmd *dfInstr
	var copies []dfInstr
	for _, st := range chain {
		for i := range st.instrs {
			in := &st.instrs[i]
			switch in.cmd {
			case "entrypoint":
				ep = in
			case "cmd":
				cmd = in
			case "copy", "add":
				copies = append(copies, *in)
			}
		}
	}
	at := ep
	if at == nil {
		at = cmd
	}
	final := chain[len(chain)-1]
	help := fmt.Sprintf(`ENTRYPOINT ["%s"], or a wrapper script (entrypoint.sh, start.sh) that ends with exec %s`, w.RuntimeCommand, w.RuntimeCommand)
	if at == nil {
		c.add(RuleEntrypoint, report.Error, dockerfilePath, final.from.line, final.from.col, help,
			"the image has no ENTRYPOINT or CMD: it must end at %s", w.RuntimeCommand)
		return
	}
	prog := firstWord(*at)
	if prog == "" {
		c.add(RuleEntrypoint, report.Error, dockerfilePath, at.line, at.col, help, "%s is empty: the image must end at %s", strings.ToUpper(at.cmd), w.RuntimeCommand)
		return
	}
	if path.Base(prog) == w.RuntimeCommand {
		return
	}
	script, found := scriptSource(prog, copies)
	if !found {
		script = path.Base(prog)
	}
	src, err := c.read(script)
	if err != nil {
		if path.Ext(prog) == ".sh" || found {
			if c.err == nil || err == errNotFound {
				c.add(RuleEntrypoint, report.Warning, dockerfilePath, at.line, at.col, "",
					"%s runs %s, which is not in the repository: check that it is copied in and runs %s", strings.ToUpper(at.cmd), quote(prog), w.RuntimeCommand)
			}
			return
		}
		c.add(RuleEntrypoint, report.Error, dockerfilePath, at.line, at.col, help,
			"%s runs %s, not %s or a script of the repository that runs it", strings.ToUpper(at.cmd), quote(prog), w.RuntimeCommand)
		return
	}
	if !runsCommand(src, w.RuntimeCommand) {
		c.add(RuleEntrypoint, report.Error, dockerfilePath, at.line, at.col, help,
			"%s runs %s, and %s never runs %s", strings.ToUpper(at.cmd), quote(prog), script, w.RuntimeCommand)
	}
}

// firstWord is the program an ENTRYPOINT or CMD runs.
func firstWord(in dfInstr) string {
	if in.json {
		if len(in.args) == 0 {
			return ""
		}
		return in.args[0]
	}
	fields := strings.Fields(strings.Join(in.args, " "))
	for len(fields) > 0 && fields[0] == "exec" {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return ""
	}
	return strings.Trim(fields[0], `"'`)
}

// scriptSource finds the repository file a COPY or ADD put at the in-image path prog.
func scriptSource(prog string, copies []dfInstr) (string, bool) {
	for i := len(copies) - 1; i >= 0; i-- {
		cp := copies[i]
		if len(cp.args) < 2 || hasFlag(cp.flags, "--from") {
			continue
		}
		dest := cp.args[len(cp.args)-1]
		srcs := cp.args[:len(cp.args)-1]
		for _, s := range srcs {
			s = strings.TrimPrefix(path.Clean("/"+s), "/")
			switch {
			case dest == prog, path.Clean(dest) == path.Clean(prog) && len(srcs) == 1:
				return s, true
			case strings.HasSuffix(dest, "/") || dest == "." || dest == "./":
				if path.Base(s) == path.Base(prog) {
					return s, true
				}
			}
		}
	}
	return "", false
}

func hasFlag(flags []string, name string) bool {
	for _, f := range flags {
		if f == name || strings.HasPrefix(f, name+"=") {
			return true
		}
	}
	return false
}

// runsCommand reports whether the shell script src runs cmd: as a command, or as an argument of
// a command (exec gosu agent molecule-runtime). Comments do not count. A script the shell parser
// cannot read falls back to a line scan that skips comment lines.
func runsCommand(src []byte, cmd string) bool {
	f, err := syntax.NewParser(syntax.KeepComments(false)).Parse(bytes.NewReader(src), "")
	if err != nil {
		for _, l := range strings.Split(string(src), "\n") {
			t := strings.TrimSpace(l)
			if !strings.HasPrefix(t, "#") && regexp.MustCompile(`(^|[\s/])`+regexp.QuoteMeta(cmd)+`(\s|$|")`).MatchString(t) {
				return true
			}
		}
		return false
	}
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if found {
			return false
		}
		if call, ok := n.(*syntax.CallExpr); ok && len(call.Args) > 0 {
			if isCmd(wordText(call.Args[0]), cmd) {
				found = true
			}
			if wrapper := path.Base(wordText(call.Args[0])); wrappers[wrapper] {
				for _, w := range call.Args[1:] {
					s := wordText(w)
					if isCmd(s, cmd) || shellWrappers[wrapper] && regexp.MustCompile(`(^|[\s/])`+regexp.QuoteMeta(cmd)+`(\s|$)`).MatchString(s) {
						found = true
					}
				}
			}
		}
		return true
	})
	return found
}

func isCmd(word, cmd string) bool { return word == cmd || strings.HasSuffix(word, "/"+cmd) }

// wrappers run their arguments as a command (exec gosu agent molecule-runtime); shellWrappers
// take it as a command string (su agent -c "molecule-runtime").
var (
	wrappers = map[string]bool{"exec": true, "gosu": true, "su-exec": true, "sudo": true, "env": true, "nohup": true,
		"setpriv": true, "runuser": true, "su": true, "chroot": true, "tini": true, "dumb-init": true,
		"s6-setuidgid": true, "setuidgid": true, "chpst": true, "time": true, "sh": true, "bash": true}
	shellWrappers = map[string]bool{"su": true, "runuser": true, "sh": true, "bash": true}
)

// wordText is the literal text of a shell word, quotes removed; parts that expand are left out.
func wordText(w *syntax.Word) string {
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				if l, ok := q.(*syntax.Lit); ok {
					b.WriteString(l.Value)
				}
			}
		}
	}
	return b.String()
}
