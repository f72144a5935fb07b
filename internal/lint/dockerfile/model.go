package dockerfile

import (
	"slices"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// fileModel is what the docker-* rules need to know about the stages beyond BuildKit's parse:
// which image each stage really starts from, and which stage it builds on.
type fileModel struct {
	stages []*stageInfo
	// declared holds every name an ARG or ENV of this file declares, in any stage.
	declared map[string]bool
	// metaArgs are the global ARGs (before the first FROM) with a default value.
	metaArgs map[string]string
}

type stageInfo struct {
	index int
	st    *instructions.Stage
	// base is the FROM image after expanding global ARG defaults; baseKnown is false when it
	// uses an ARG without a default (only a --build-arg can say what it is).
	base      string
	baseKnown bool
	// fromARG names the ARG the base came from, for messages.
	fromARG string
	// parent is the earlier stage this one builds on, or -1.
	parent int
	// external is true when the chain of stages ends at an image other than scratch, whose
	// config (ENV, USER, ENTRYPOINT) this linter cannot see.
	external bool
	// firstLine and lastLine bound the stage in the file.
	firstLine, lastLine int
}

func buildModel(l *checker) *fileModel {
	m := &fileModel{declared: map[string]bool{}, metaArgs: map[string]string{}}
	var env []string
	for _, a := range l.metaArgs {
		for _, kv := range a.Args {
			m.declared[kv.Key] = true
			if kv.Value != nil {
				m.metaArgs[kv.Key] = *kv.Value
				env = append(env, kv.Key+"="+*kv.Value)
			}
		}
	}
	getter := shell.EnvsFromSlice(env)
	escape := parser.DefaultEscapeToken
	if l.ast != nil {
		escape = l.ast.EscapeToken
	}

	byName := map[string]int{} // lower-cased stage name -> the latest stage of that name so far
	for i := range l.stages {
		if i%64 == 0 && l.ctx.Err() != nil {
			return m
		}
		st := &l.stages[i]
		si := &stageInfo{index: i, st: st, parent: -1, base: st.BaseName, baseKnown: true}
		si.firstLine, _ = rangesSpan(st.Location)
		if strings.Contains(st.BaseName, "$") {
			res, err := shell.NewLex(escape).ProcessWordWithMatches(st.BaseName, getter)
			if err != nil || len(res.Unmatched) > 0 || res.Result == "" {
				si.baseKnown = false
			} else {
				si.base = res.Result
				for k := range res.Matched {
					si.fromARG = k
				}
			}
		}
		if si.baseKnown {
			if j, ok := byName[strings.ToLower(si.base)]; ok {
				si.parent = j
			}
		}
		if st.Name != "" {
			byName[strings.ToLower(st.Name)] = i
		}
		switch {
		case si.parent >= 0:
			si.external = m.stages[si.parent].external
		case si.baseKnown && strings.EqualFold(si.base, "scratch"):
			si.external = false
		default:
			si.external = true
		}
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					m.declared[kv.Key] = true
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					m.declared[kv.Key] = true
				}
			}
		}
		m.stages = append(m.stages, si)
	}
	for i, si := range m.stages {
		if i+1 < len(m.stages) {
			si.lastLine = m.stages[i+1].firstLine - 1
		} else {
			si.lastLine = len(l.lines)
		}
	}
	return m
}

// stageAt returns the stage that contains line, or nil for lines before the first FROM. Stages
// are in file order, so this is a binary search.
func (m *fileModel) stageAt(line int) *stageInfo {
	i := sort.Search(len(m.stages), func(i int) bool { return m.stages[i].lastLine >= line })
	if i < len(m.stages) && line >= m.stages[i].firstLine {
		return m.stages[i]
	}
	return nil
}

// chain returns the stage and the earlier stages it builds on, base first.
func (m *fileModel) chain(si *stageInfo) []*stageInfo {
	var out []*stageInfo
	seen := map[int]bool{}
	for s := si; s != nil && !seen[s.index]; {
		seen[s.index] = true
		out = append(out, s)
		if s.parent < 0 {
			break
		}
		s = m.stages[s.parent]
	}
	slices.Reverse(out)
	return out
}
