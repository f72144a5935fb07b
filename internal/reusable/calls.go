package reusable

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// Call is one call site: a job whose uses: names a reusable workflow.
type Call struct {
	// File is the caller's workflow, as the caller of Calls named it (fleet: relative to the
	// repository root).
	File   string
	Job    string // the job's id
	JobPos Pos
	// Uses is the parsed reference; UsesErr says why it could not be parsed (an expression, a
	// malformed reference), and then only Uses.Raw is set.
	Uses    Uses
	UsesErr string
	UsesPos Pos // of the uses: value
	// Inputs are the with: entries, in source order.
	Inputs []CallInput
	// Secrets are the secrets: entries in source order, unless InheritSecrets.
	Secrets        []CallSecret
	InheritSecrets bool
	// OutputReads are the expressions of the same workflow that read needs.<Job>.outputs.<name>.
	OutputReads []OutputRead
}

// CallInput is one with: entry of a call.
type CallInput struct {
	Name     string
	Value    string
	Quoted   bool // the value was a quoted YAML string, so GitHub sees a string whatever it says
	Pos      Pos  // of the name
	ValuePos Pos
}

// CallSecret is one secrets: entry of a call.
type CallSecret struct {
	Name string
	Pos  Pos
}

// OutputRead is an expression reading an output of a called workflow through its job.
type OutputRead struct {
	Name string // the output's name as written
	Pos  Pos    // of the expression's "needs"
}

// InputNames are the names of the with: entries, in source order.
func (c Call) InputNames() []string {
	names := make([]string, len(c.Inputs))
	for i, in := range c.Inputs {
		names[i] = in.Name
	}
	return names
}

// SecretNames are the names of the secrets: entries, in source order.
func (c Call) SecretNames() []string {
	names := make([]string, len(c.Secrets))
	for i, s := range c.Secrets {
		names[i] = s.Name
	}
	return names
}

// Calls parses a workflow and returns its call sites in source order; file is what Call.File
// says. A workflow actionlint cannot parse at all is a *ParseError.
func Calls(file string, src []byte) ([]Call, error) {
	w, err := parse(src)
	if err != nil {
		return nil, err
	}
	return CallsOfSource(file, w, src), nil
}

// CallsOfSource returns the call sites of a workflow already parsed from src, with their
// OutputReads.
func CallsOfSource(file string, w *actionlint.Workflow, src []byte) []Call {
	calls := CallsOf(file, w)
	if len(calls) > 0 {
		addOutputReads(calls, src)
	}
	return calls
}

// CallsOf returns the call sites of a workflow already parsed, in source order, without
// OutputReads (which need the source: see Calls).
func CallsOf(file string, w *actionlint.Workflow) []Call {
	var out []Call
	for id, j := range w.Jobs {
		if j == nil || j.WorkflowCall == nil || j.WorkflowCall.Uses == nil {
			continue
		}
		wc := j.WorkflowCall
		c := Call{File: file, Job: id, UsesPos: posOf(wc.Uses.Pos), InheritSecrets: wc.InheritSecrets}
		if j.ID != nil {
			c.Job, c.JobPos = j.ID.Value, posOf(j.ID.Pos)
		}
		if u, err := ParseUses(wc.Uses.Value); err != nil {
			c.Uses, c.UsesErr = Uses{Raw: wc.Uses.Value}, err.Error()
		} else {
			c.Uses = u
		}
		for _, in := range wc.Inputs {
			if in == nil || in.Name == nil {
				continue
			}
			ci := CallInput{Name: in.Name.Value, Pos: posOf(in.Name.Pos)}
			if in.Value != nil {
				ci.Value, ci.Quoted, ci.ValuePos = in.Value.Value, in.Value.Quoted, posOf(in.Value.Pos)
			}
			c.Inputs = append(c.Inputs, ci)
		}
		slices.SortFunc(c.Inputs, func(a, b CallInput) int { return comparePos(a.Pos, b.Pos) })
		for _, s := range wc.Secrets {
			if s == nil || s.Name == nil {
				continue
			}
			c.Secrets = append(c.Secrets, CallSecret{Name: s.Name.Value, Pos: posOf(s.Name.Pos)})
		}
		slices.SortFunc(c.Secrets, func(a, b CallSecret) int { return comparePos(a.Pos, b.Pos) })
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Call) int {
		return cmp.Or(comparePos(a.JobPos, b.JobPos), strings.Compare(a.Job, b.Job))
	})
	return out
}

func comparePos(a, b Pos) int {
	return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}

// maxNodes bounds the YAML nodes walked for output reads; real workflows have a few thousand.
const maxNodes = 1 << 20

// addOutputReads finds, in every string of the workflow, the expressions reading
// needs.<job>.outputs.<name> for a calling job, and adds them to that job's call.
func addOutputReads(calls []Call, src []byte) {
	byJob := map[string]int{}
	for i, c := range calls {
		byJob[strings.ToLower(c.Job)] = i
	}
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil {
		return
	}
	lines := strings.Split(string(src), "\n")
	budget := maxNodes
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		if n == nil || budget <= 0 {
			return
		}
		budget--
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, "")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], n.Content[i].Value)
			}
		case yaml.ScalarNode:
			// An if: is an expression even without ${{ }}.
			for _, r := range outputRefs(n.Value, key == "if" && !strings.Contains(n.Value, "${{")) {
				i, ok := byJob[strings.ToLower(r.job)]
				if !ok {
					continue
				}
				calls[i].OutputReads = append(calls[i].OutputReads, OutputRead{Name: r.output, Pos: scalarPos(n, r.off, lines)})
			}
		}
		// Aliases are not followed: the anchored node is walked where it is defined.
	}
	walk(&doc, "")
}

// scalarPos is the file position of byte off of a scalar's value: exact on one-line plain and
// quoted scalars, found on the source line for block scalars.
func scalarPos(n *yaml.Node, off int, lines []string) Pos {
	v := n.Value
	before := v[:min(off, len(v))]
	nl := strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	inLine := off - lineStart
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		ln := n.Line + 1 + nl
		if ln-1 < len(lines) {
			text := v[lineStart:]
			if e := strings.IndexByte(text, '\n'); e >= 0 {
				text = text[:e]
			}
			if i := strings.Index(lines[ln-1], text); i >= 0 && text != "" {
				return Pos{Line: ln, Col: i + 1 + inLine}
			}
		}
		return Pos{Line: ln, Col: n.Column}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if nl == 0 {
			return Pos{Line: n.Line, Col: n.Column + 1 + inLine}
		}
	default:
		if nl == 0 {
			return Pos{Line: n.Line, Col: n.Column + inLine}
		}
	}
	return Pos{Line: n.Line + nl, Col: n.Column}
}

type outputRef struct {
	job, output string
	off         int // byte offset of the reference in the string
}

// maxExprs bounds the expressions read from one string.
const maxExprs = 1000

// outputRefs returns the needs.<job>.outputs.<name> references of the expressions in s (the
// whole of s when bare). Forms: needs.j.outputs.o, needs['j'].outputs['o'] and mixes.
func outputRefs(s string, bare bool) []outputRef {
	var out []outputRef
	visit := func(base int, node actionlint.ExprNode) {
		actionlint.VisitExprNode(node, func(n, _ actionlint.ExprNode, entering bool) {
			if !entering {
				return
			}
			if job, output, tok, ok := outputDeref(n); ok {
				out = append(out, outputRef{job: job, output: output, off: base + tok.Offset})
			}
		})
	}
	if bare {
		l := actionlint.NewExprLexer(s + "}}")
		if node, err := actionlint.NewExprParser().Parse(l); err == nil {
			visit(0, node)
		}
		return out
	}
	for off, n := 0, 0; n < maxExprs; n++ {
		i := strings.Index(s[off:], "${{")
		if i < 0 {
			break
		}
		start := off + i + 3
		l := actionlint.NewExprLexer(s[start:])
		node, err := actionlint.NewExprParser().Parse(l)
		if err != nil {
			end := strings.Index(s[start:], "}}")
			if end < 0 {
				break
			}
			off = start + end + 2
			continue
		}
		visit(start, node)
		off = start + max(l.Offset(), 1)
	}
	return out
}

// outputDeref matches needs.<job>.outputs.<name> (property or string-index access at each step)
// and returns the job, the output and the token of "needs".
func outputDeref(n actionlint.ExprNode) (job, output string, tok *actionlint.Token, ok bool) {
	output, rest, ok := member(n)
	if !ok {
		return "", "", nil, false
	}
	outs, rest, ok := member(rest)
	if !ok || !strings.EqualFold(outs, "outputs") {
		return "", "", nil, false
	}
	job, rest, ok = member(rest)
	if !ok {
		return "", "", nil, false
	}
	v, isVar := rest.(*actionlint.VariableNode)
	if !isVar || v.Name != "needs" {
		return "", "", nil, false
	}
	return job, output, v.Token(), true
}

// member splits x.name or x['name'] into name and x.
func member(n actionlint.ExprNode) (string, actionlint.ExprNode, bool) {
	switch n := n.(type) {
	case *actionlint.ObjectDerefNode:
		return n.Property, n.Receiver, true
	case *actionlint.IndexAccessNode:
		if s, ok := n.Index.(*actionlint.StringNode); ok {
			return s.Value, n.Operand, true
		}
	}
	return "", nil, false
}
