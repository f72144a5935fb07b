package dockerfile

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// scope is the ARG and ENV values known at one point of a stage. A name without a known value
// (declared without one, or set from a variable that has none) is absent.
type scope map[string]string

func (s scope) Get(k string) (string, bool) { v, ok := s[k]; return v, ok }
func (s scope) Keys() []string              { return slices.Sorted(maps.Keys(s)) }

// modeller builds a File one AST node at a time, as BuildKit's dispatcher walks them.
type modeller struct {
	f      *File
	opts   Options
	lex    *shell.Lex
	byName map[string]int // lower-cased stage name -> the latest stage of that name so far
	cur    *Stage
	env    scope
}

func newModeller(f *File, opts Options) *modeller {
	return &modeller{f: f, opts: opts, lex: shell.NewLex(f.AST.EscapeToken), byName: map[string]int{}}
}

// add models one instruction.
func (m *modeller) add(n *parser.Node) {
	cmd, err := instructions.ParseInstructionWithLinter(n, nil)
	if err != nil {
		m.refuse(n, err)
		if strings.EqualFold(n.Value, "from") {
			// The stage still starts here: what follows belongs to it, not to the one before.
			m.stage(fallbackStage(n), n)
			return
		}
		m.instruction(Instruction{Node: n})
		return
	}
	switch c := cmd.(type) {
	case *instructions.Stage:
		m.stage(c, n)
	case *instructions.ArgCommand:
		if m.cur == nil {
			m.f.MetaArgs = append(m.f.MetaArgs, *c)
			m.meta(c)
			m.f.Global = append(m.f.Global, Instruction{Node: n, Command: c})
			return
		}
		m.instruction(Instruction{Node: n, Command: c})
	case instructions.Command:
		if m.cur == nil {
			// As instructions.Parse: only ARG may come before the first FROM.
			m.refuse(n, parser.WithLocation(errors.New("no build stage in current context"), n.Location()))
			m.f.Global = append(m.f.Global, Instruction{Node: n})
			return
		}
		m.instruction(Instruction{Node: n, Command: c})
	}
}

// refuse records the first instruction BuildKit refuses.
func (m *modeller) refuse(n *parser.Node, err error) {
	if m.f.Err == nil {
		m.f.Err = &InstructionError{Line: n.StartLine, Err: err}
	}
}

// fallbackStage is the stage a FROM that BuildKit refuses (a bad flag, an invalid stage name)
// would start, read from its words.
func fallbackStage(n *parser.Node) *instructions.Stage {
	st := &instructions.Stage{OrigCmd: n.Value, SourceCode: strings.TrimSpace(n.Original), Location: n.Location()}
	var args []string
	for a := n.Next; a != nil; a = a.Next {
		args = append(args, a.Value)
	}
	if len(args) > 0 {
		st.BaseName = args[0]
	}
	if len(args) >= 3 && strings.EqualFold(args[1], "as") {
		st.Name = strings.ToLower(args[2])
	}
	return st
}

// meta adds a global ARG's values as BuildKit's buildMetaArgs does: a build arg replaces the
// default, and a default is expanded with the global ARGs before it.
func (m *modeller) meta(c *instructions.ArgCommand) {
	for _, kv := range c.Args {
		m.f.Declared[kv.Key] = true
		if v, ok := m.opts.BuildArgs[kv.Key]; ok {
			m.f.Meta[kv.Key] = v
			continue
		}
		if kv.Value == nil {
			continue
		}
		v := *kv.Value
		if res, err := m.lex.ProcessWordWithMatches(v, scope(m.f.Meta)); err == nil {
			v = res.Result
		}
		m.f.Meta[kv.Key] = v
	}
}

// stage starts a stage: its base through the global ARGs, the earlier stage it builds on, and
// the scope it starts with (its parent stage's, as BuildKit hands a stage its base's state).
func (m *modeller) stage(st *instructions.Stage, n *parser.Node) {
	s := &Stage{Stage: *st, Index: len(m.f.Stages), Parent: -1, Base: st.BaseName, BaseKnown: true, FirstLine: n.StartLine}
	if strings.Contains(st.BaseName, "$") {
		res, err := m.lex.ProcessWordWithMatches(st.BaseName, scope(m.f.Meta))
		switch {
		case err != nil:
			s.BaseKnown = false
		case len(res.Unmatched) > 0 || res.Result == "":
			s.Base, s.BaseKnown = res.Result, false
		default:
			s.Base = res.Result
			if keys := slices.Sorted(maps.Keys(res.Matched)); len(keys) > 0 {
				s.BaseArg = keys[0]
			}
		}
	}
	if s.BaseKnown {
		if j, ok := m.byName[strings.ToLower(s.Base)]; ok {
			s.Parent = j
		}
	}
	if s.Name != "" {
		m.byName[strings.ToLower(s.Name)] = s.Index
	}
	switch {
	case s.Parent >= 0:
		s.External = m.f.Stages[s.Parent].External
	case s.BaseKnown && strings.EqualFold(s.Base, "scratch"):
		s.External = false
	default:
		s.External = true
	}
	m.env = scope{}
	if s.Parent >= 0 {
		m.env = maps.Clone(m.f.Stages[s.Parent].env)
	}
	s.env = m.env
	m.f.Stages = append(m.f.Stages, s)
	m.cur = s
}

// instruction adds an instruction to the current stage, following what it does to the scope and
// expanding what it reads from the context.
func (m *modeller) instruction(in Instruction) {
	if m.cur == nil {
		m.f.Global = append(m.f.Global, in)
		return
	}
	switch c := in.Command.(type) {
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			m.f.Declared[kv.Key] = true
			v, ok := m.opts.BuildArgs[kv.Key]
			if !ok && kv.Value != nil {
				v, ok = m.expand(*kv.Value)
			} else if !ok {
				v, ok = m.f.Meta[kv.Key] // ARG NAME in a stage takes the global value
			}
			m.set(kv.Key, v, ok, kv.Value != nil)
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			m.f.Declared[kv.Key] = true
			v, ok := m.expand(kv.Value)
			m.set(kv.Key, v, ok, true)
		}
	case *instructions.RunCommand:
		unexpanded := false
		if err := c.Expand(func(w string) (string, error) {
			v, ok := m.expand(w)
			if !ok {
				unexpanded = true
				return w, nil
			}
			return v, nil
		}); err != nil {
			in.MountsErr = err
		} else {
			in.Mounts = instructions.GetMounts(c)
			in.Unexpanded = unexpanded
		}
	case *instructions.CopyCommand:
		if c.From == "" {
			in.Sources, in.Unexpanded = m.sources(c.SourcePaths)
		}
	case *instructions.AddCommand:
		in.Sources, in.Unexpanded = m.sources(c.SourcePaths)
	}
	if in.Command != nil {
		m.cur.AddCommand(in.Command)
	}
	m.cur.Instructions = append(m.cur.Instructions, in)
}

// set records a value in scope: a known one, or (for an assignment from a variable that has no
// value) none. An ARG without a value leaves what was there.
func (m *modeller) set(k, v string, known, assigned bool) {
	switch {
	case known:
		m.env[k] = v
	case assigned:
		delete(m.env, k)
	}
}

// expand is a word with the values in scope, as BuildKit's expander gives it; false when a
// variable in it has no known value.
func (m *modeller) expand(w string) (string, bool) {
	res, err := m.lex.ProcessWordWithMatches(w, m.env)
	if err != nil || len(res.Unmatched) > 0 {
		return w, false
	}
	return res.Result, true
}

// sources are the context paths of COPY/ADD sources: URLs and git remotes read no context.
func (m *modeller) sources(paths []string) (out []string, unexpanded bool) {
	for _, p := range paths {
		if strings.Contains(p, "://") || strings.HasPrefix(p, "git@") {
			continue
		}
		v, ok := m.expand(p)
		unexpanded = unexpanded || !ok
		out = append(out, v)
	}
	return out, unexpanded
}
