package dockerfile

import (
	"fmt"
	"path"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	sh "github.com/Molecule-AI/molecule-ci/internal/shell"

	model "github.com/Molecule-AI/molecule-ci/internal/dockerfile"
)

// startup is what the final image knows about who runs it and how it starts, gathered along the
// chain of stages the final stage builds on.
type startup struct {
	user      string
	userSet   bool
	userLoc   []parser.Range
	userStage *model.Stage
	entry     *instructions.ShellDependantCmdLine
	cmd       *instructions.ShellDependantCmdLine
	// toolSeen is true when a RUN installs or runs a privilege-drop command, or a COPY/ADD brings
	// in a file named like one.
	toolSeen bool
	// copied holds the base names of files COPY/ADD put in the image, to recognise a CMD that
	// runs a script from the build context.
	copied map[string]bool
}

// checkOnlyStage reports whether a stage name says it only checks: validate, test, lint...
func checkOnlyStage(name string) bool {
	switch strings.ToLower(name) {
	case "validate", "validation", "test", "tests", "lint", "check", "checks", "verify", "vet", "ci":
		return true
	}
	return false
}

// checkRootUser applies docker-root-user to the final stage (the default build target).
//
// The stage runs as root when no USER is set along its chain of stages (unless the base image is
// a `nonroot` variant, such as distroless's), or the last USER is root or 0 (with any group),
// after expanding ARG/ENV values; a USER that cannot be expanded is given the benefit of the
// doubt. Root is accepted when:
//  1. opts.AllowRoot (the config's allow-root globs matched), or
//  2. ENTRYPOINT or CMD calls one of opts.PrivilegeDrop (gosu, su-exec) itself, or
//  3. a RUN installs or runs one of them (`apt-get install gosu`, `apk add su-exec`, a download to
//     /usr/local/bin/gosu) or a COPY/ADD brings in a file so named, AND the image starts through
//     an ENTRYPOINT, or through a CMD that runs a file COPY'd/ADD'd into the image: an entrypoint
//     script from the build context, which cannot be read here, is trusted to use the tool; or
//  4. the stage sets neither ENTRYPOINT nor CMD, so it inherits the start-up command of a base
//     image this file does not build, its last USER is an explicit `USER root`, and a comment in
//     the stage names one of the tools, documenting that the inherited entrypoint drops
//     privileges. This is the workspace-template adapters' layout: `FROM workspace-template:base`,
//     `USER root`, and "entrypoint ... drops to agent via gosu".
func (l *checker) checkRootUser() {
	if l.opts.AllowRoot || l.opts.ContainerAction || len(l.file.Stages) == 0 {
		return
	}
	final := l.file.Final()
	s := l.startup(final)
	if s.entry == nil && s.cmd == nil && checkOnlyStage(final.Name) {
		return // a check-only target (validate, test, lint): a build step, never a shipped image
	}
	if s.userSet {
		if !isRootUser(s.user) {
			return
		}
	} else if l.nonrootBase(final) {
		return
	}
	if l.startupDropsPrivileges(s) {
		return
	}
	if s.entry == nil && s.cmd == nil && final.External && s.userSet && s.userStage == final &&
		strings.TrimSpace(s.user) == "root" && l.commentNamesTool(final) {
		return
	}

	tools := strings.Join(l.opts.PrivilegeDrop, "/")
	if tools == "" {
		tools = "a privilege-drop command"
	}
	help := fmt.Sprintf("add USER <non-root user> after the last step that needs root, or start through an entrypoint that drops privileges with %s", tools)
	if s.userSet {
		l.add(l.at(s.userLoc, RuleRootUser, fmt.Sprintf("the final stage runs as root: the last USER is %q and nothing drops privileges at start-up", s.user), help))
		return
	}
	l.add(l.at(final.Location, RuleRootUser, "the final stage runs as root: no USER instruction, and nothing drops privileges at start-up", help))
}

func (l *checker) startup(final *model.Stage) *startup {
	s := &startup{copied: map[string]bool{}}
	vars := map[string]string{}
	for k, v := range l.file.Meta {
		vars[k] = v
	}
	for _, cs := range l.file.Chain(final) {
		for _, c := range cs.Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					if kv.Value != nil {
						vars[kv.Key] = *kv.Value
					} else if _, global := l.file.Meta[kv.Key]; !global {
						delete(vars, kv.Key)
					}
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					vars[kv.Key] = kv.Value
				}
			case *instructions.UserCommand:
				s.user, s.userSet, s.userLoc, s.userStage = l.expand(c.User, vars), true, c.Location(), cs
			case *instructions.EntrypointCommand:
				s.entry = &c.ShellDependantCmdLine
			case *instructions.CmdCommand:
				s.cmd = &c.ShellDependantCmdLine
			case *instructions.RunCommand:
				if l.wordsNameTool(runWords(c)) {
					s.toolSeen = true
				}
			case *instructions.CopyCommand:
				l.noteCopy(s, c.SourcesAndDest)
			case *instructions.AddCommand:
				l.noteCopy(s, c.SourcesAndDest)
			}
		}
	}
	return s
}

func (l *checker) noteCopy(s *startup, sd instructions.SourcesAndDest) {
	names := make([]string, 0, len(sd.SourcePaths)+1)
	for _, p := range sd.SourcePaths {
		names = append(names, path.Base(strings.TrimRight(p, "/")))
	}
	if !strings.HasSuffix(sd.DestPath, "/") && sd.DestPath != "." && sd.DestPath != "./" {
		names = append(names, path.Base(sd.DestPath))
	}
	for _, n := range names {
		s.copied[n] = true
	}
	if l.wordsNameTool(names) {
		s.toolSeen = true
	}
}

// expand resolves $VAR in a USER value; an unresolvable value comes back with its `$`.
func (l *checker) expand(v string, vars map[string]string) string {
	if !strings.Contains(v, "$") {
		return v
	}
	env := make([]string, 0, len(vars))
	for k, val := range vars {
		env = append(env, k+"="+val)
	}
	res, err := shell.NewLex(l.file.AST.EscapeToken).ProcessWordWithMatches(v, shell.EnvsFromSlice(env))
	if err != nil || len(res.Unmatched) > 0 {
		return v
	}
	return res.Result
}

func isRootUser(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "root" || name == "0"
}

// nonrootBase is true when the chain starts at an image whose tag says it runs unprivileged,
// such as gcr.io/distroless/static:nonroot.
func (l *checker) nonrootBase(final *model.Stage) bool {
	root := l.file.Chain(final)[0]
	if !root.BaseKnown {
		return false
	}
	ref, err := reference.ParseNormalizedNamed(root.Base)
	if err != nil {
		return false
	}
	t, ok := ref.(reference.Tagged)
	return ok && strings.Contains(t.Tag(), "nonroot")
}

func (l *checker) startupDropsPrivileges(s *startup) bool {
	for _, sc := range []*instructions.ShellDependantCmdLine{s.entry, s.cmd} {
		if sc != nil && l.wordsNameTool(cmdWords(sc)) {
			return true
		}
	}
	if !s.toolSeen {
		return false
	}
	if s.entry != nil {
		return true
	}
	if s.cmd != nil {
		w := startArgv(s.cmd)
		if len(w) > 0 && isShellName(path.Base(w[0])) {
			w = operands(w[1:])
		}
		return len(w) > 0 && s.copied[path.Base(w[0])]
	}
	return false
}

// cmdWords returns the words of an ENTRYPOINT or CMD: as written for the exec form, read as
// shell for the shell form.
func cmdWords(sc *instructions.ShellDependantCmdLine) []string {
	if !sc.PrependShell {
		return sc.CmdLine
	}
	var out []string
	for _, s := range sc.CmdLine {
		parseScript(textAt(s, pos{}), false).commands(func(c *sh.Cmd) {
			for _, t := range c.Args {
				out = append(out, t.Value)
			}
		})
	}
	return out
}

// startArgv returns the command a CMD starts, without wrappers such as exec.
func startArgv(sc *instructions.ShellDependantCmdLine) []string {
	if !sc.PrependShell {
		return sc.CmdLine
	}
	var out []string
	for _, s := range sc.CmdLine {
		parseScript(textAt(s, pos{}), false).commands(func(c *sh.Cmd) {
			if a, _ := argv(c); out == nil && len(a) > 0 {
				out = a
			}
		})
	}
	return out
}

// runWords returns every word of a RUN, heredoc scripts included.
func runWords(c *instructions.RunCommand) []string {
	if !c.PrependShell {
		return c.CmdLine
	}
	var out []string
	texts := append([]string{}, c.CmdLine...)
	for _, f := range c.Files {
		texts = append(texts, f.Data)
	}
	for _, s := range texts {
		parseScript(textAt(s, pos{}), false).commands(func(c *sh.Cmd) {
			for _, t := range c.Args {
				out = append(out, t.Value)
			}
		})
	}
	return out
}

// wordsNameTool is true when a word is a privilege-drop tool, a path to one, or a package
// version pin of one (gosu=1.17-1).
func (l *checker) wordsNameTool(words []string) bool {
	for _, w := range words {
		for _, t := range l.opts.PrivilegeDrop {
			if t == "" {
				continue
			}
			if w == t || path.Base(w) == t || strings.HasPrefix(w, t+"=") {
				return true
			}
		}
	}
	return false
}

// commentNamesTool looks for a privilege-drop tool named in a comment line of the stage.
func (l *checker) commentNamesTool(si *model.Stage) bool {
	inInstr := map[int]bool{}
	for _, n := range l.file.AST.AST.Children {
		for i := n.StartLine + 1; i <= n.EndLine; i++ {
			inInstr[i] = true
		}
	}
	for line := si.FirstLine; line <= si.LastLine && line <= len(l.lines); line++ {
		t := strings.TrimSpace(l.lines[line-1])
		if !strings.HasPrefix(t, "#") || inInstr[line] {
			continue
		}
		for _, tool := range l.opts.PrivilegeDrop {
			if tool != "" && containsWord(t, tool) {
				return true
			}
		}
	}
	return false
}

func containsWord(s, w string) bool {
	isWordByte := func(b byte) bool {
		return b == '_' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isWordByte(s[j-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		i = j + 1
	}
}
