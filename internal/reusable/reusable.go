// Package reusable owns the model of GitHub reusable-workflow calls, shared by lint's
// reusable-call rule, the fleet's call graph, and next the impact check and the migration:
//
//   - the callee's interface: its on.workflow_call inputs (type, required, default), secrets
//     (required) and outputs, with their positions (ParseInterface);
//   - a caller's call sites: jobs.<id>.uses with its with: inputs, secrets: (or inherit) and
//     positions (Calls, CallsOf);
//   - the uses: reference itself (ParseUses);
//   - where a callee is read from, in a fixed order: the caller's own files, a local checkout of the
//     callee read at the pinned ref from its git history, the GitHub API at that ref, or else a
//     reason it was not checked (Resolver). A call is never silently taken as correct.
//
// Workflows are parsed with actionlint's parser (the one lint uses), never a second one.
// Everything here is data from a repository and therefore hostile: names and values are kept
// verbatim for the output encoder at the boundary, and every read is bounded.
package reusable

import (
	"cmp"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
)

// Pos is a 1-based line and column in a workflow file; the zero Pos is "no position".
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

func posOf(p *actionlint.Pos) Pos {
	if p == nil {
		return Pos{}
	}
	return Pos{Line: p.Line, Col: p.Col}
}

// InputType is the declared type of a workflow_call input.
type InputType string

// The input types GitHub knows; TypeInvalid is a declaration without a valid type (actionlint
// reports it on the callee).
const (
	TypeString  InputType = "string"
	TypeBoolean InputType = "boolean"
	TypeNumber  InputType = "number"
	TypeInvalid InputType = "invalid"
)

// Input is one declared input of a reusable workflow.
type Input struct {
	Name     string    `json:"name"` // as written; GitHub compares names without case
	Type     InputType `json:"type"`
	Required bool      `json:"required"`
	// Default is the declared default, nil when there is none.
	Default *string `json:"default"`
	Pos     Pos     `json:"pos"` // of the input's name
}

// Secret is one declared secret of a reusable workflow.
type Secret struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
	Pos      Pos    `json:"pos"`
}

// Output is one declared output of a reusable workflow.
type Output struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// Interface is what a reusable workflow declares under on.workflow_call: what a caller may and
// must pass, and what it may read back. Inputs keep their declaration order; secrets and outputs,
// which YAML maps hold without order, are sorted by name.
type Interface struct {
	Pos     Pos      `json:"pos"` // of the workflow_call key
	Inputs  []Input  `json:"inputs"`
	Secrets []Secret `json:"secrets"`
	// SecretsDeclared is false when the workflow has no secrets: key at all (then GitHub refuses
	// every secret a caller passes by name, but accepts secrets: inherit).
	SecretsDeclared bool     `json:"secrets_declared"`
	Outputs         []Output `json:"outputs"`
	// Permissions are the GITHUB_TOKEN scopes the workflow's jobs ask for (scope → read or
	// write; "*" for read-all/write-all): what a caller must grant at least (permissions.go).
	Permissions map[string]string `json:"permissions"`
}

// MustPass reports whether a caller must pass the input: required and without a default, as
// GitHub (and actionlint) decide it.
func (in Input) MustPass() bool { return in.Required && in.Default == nil }

// Input returns the input named name (compared without case), if declared.
func (i *Interface) Input(name string) (Input, bool) {
	for _, in := range i.Inputs {
		if strings.EqualFold(in.Name, name) {
			return in, true
		}
	}
	return Input{}, false
}

// Secret returns the secret named name (compared without case), if declared.
func (i *Interface) Secret(name string) (Secret, bool) {
	for _, s := range i.Secrets {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Secret{}, false
}

// Output returns the output named name (compared without case), if declared.
func (i *Interface) Output(name string) (Output, bool) {
	for _, o := range i.Outputs {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return Output{}, false
}

// ErrNotCallable is a workflow without on.workflow_call: calling it fails on GitHub.
var ErrNotCallable = errors.New("the workflow has no on.workflow_call trigger, so it cannot be called")

// ParseError is a workflow actionlint cannot parse into a syntax tree at all (not YAML, not a
// mapping). Line is 0 when unknown.
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d, col %d: %s", e.Line, e.Col, e.Msg)
	}
	return e.Msg
}

// parse runs actionlint's parser, turning a panic on hostile input into an error: one bad
// workflow must not take down a run over a whole organisation.
func parse(src []byte) (w *actionlint.Workflow, err error) {
	defer func() {
		if r := recover(); r != nil {
			w, err = nil, fmt.Errorf("workflow parser panicked: %v\n%s", r, debug.Stack())
		}
	}()
	w, errs := actionlint.Parse(src)
	if w == nil {
		pe := &ParseError{Msg: "not a workflow"}
		if len(errs) > 0 {
			pe.Line, pe.Col, pe.Msg = errs[0].Line, errs[0].Column, errs[0].Message
		}
		return nil, pe
	}
	return w, nil
}

// ParseInterface reads the on.workflow_call interface of a reusable workflow. A workflow without
// one is ErrNotCallable; one actionlint cannot parse at all is a *ParseError. Errors actionlint
// finds inside an otherwise parsed workflow are the callee's own lint findings, not this
// function's concern: the interface is read as far as it is written.
func ParseInterface(src []byte) (*Interface, error) {
	w, err := parse(src)
	if err != nil {
		return nil, err
	}
	return InterfaceOf(w)
}

// InterfaceOf is ParseInterface for a workflow already parsed.
func InterfaceOf(w *actionlint.Workflow) (*Interface, error) {
	ev, ok := w.FindWorkflowCallEvent()
	if !ok || ev == nil {
		return nil, ErrNotCallable
	}
	iface := &Interface{Pos: posOf(ev.Pos), SecretsDeclared: ev.Secrets != nil, Inputs: []Input{}, Secrets: []Secret{}, Outputs: []Output{},
		Permissions: permissionsOf(w)}
	for _, in := range ev.Inputs {
		if in == nil || in.Name == nil {
			continue
		}
		x := Input{Name: in.Name.Value, Type: inputType(in.Type), Required: in.IsRequired(), Pos: posOf(in.Name.Pos)}
		if in.Default != nil {
			d := in.Default.Value
			x.Default = &d
		}
		iface.Inputs = append(iface.Inputs, x)
	}
	for id, s := range ev.Secrets {
		name := id
		var pos Pos
		if s != nil && s.Name != nil {
			name, pos = s.Name.Value, posOf(s.Name.Pos)
		}
		iface.Secrets = append(iface.Secrets, Secret{Name: name, Required: s != nil && s.Required != nil && s.Required.Value, Pos: pos})
	}
	for id, o := range ev.Outputs {
		name := id
		var pos Pos
		if o != nil && o.Name != nil {
			name, pos = o.Name.Value, posOf(o.Name.Pos)
		}
		iface.Outputs = append(iface.Outputs, Output{Name: name, Pos: pos})
	}
	slices.SortFunc(iface.Secrets, func(a, b Secret) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	slices.SortFunc(iface.Outputs, func(a, b Output) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return iface, nil
}

func inputType(t actionlint.WorkflowCallEventInputType) InputType {
	switch t {
	case actionlint.WorkflowCallEventInputTypeString:
		return TypeString
	case actionlint.WorkflowCallEventInputTypeBoolean:
		return TypeBoolean
	case actionlint.WorkflowCallEventInputTypeNumber:
		return TypeNumber
	}
	return TypeInvalid
}
