package reusable

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ProblemKind says what is wrong with a call.
type ProblemKind int

// The problems Check finds. Every one but UnknownOutput and NumberAsString fails the call on
// GitHub before any job runs (startup_failure, no logs); an undeclared output is always empty,
// and a number's text can change on its way into a string input, silently.
const (
	UnknownInput ProblemKind = iota + 1
	MissingInput
	WrongType
	UnknownSecret
	MissingSecret
	UnknownOutput
	// NumberAsString is a number given to a string input whose text GitHub does not keep:
	// 3.10 arrives as "3.1", 010 as "10". The call runs, with another value.
	NumberAsString
)

// Problem is one thing wrong with a call, at the caller's position of it.
type Problem struct {
	Kind ProblemKind
	Pos  Pos
	// Input is the callee's declaration the problem is about (MissingInput, WrongType), with its
	// default when it has one.
	Input Input
	// Given is the with: entry a WrongType or NumberAsString problem is about.
	Given CallInput
	Msg   string
}

// Check holds a call to what its callee declares, as GitHub does when it starts the caller
// (actions/runner, src/Sdk/WorkflowParser/Conversion/WorkflowTemplateConverter.cs,
// ConvertToWorkflowJobInputs and ValidateWorkflowJobSecrets): names compared without case; an
// input or secret the callee does not declare is refused; a required input left out is refused
// even when it has a default; a required secret left out is refused unless secrets are
// inherited; a value is refused unless its type fits the input's — a boolean input takes only a
// boolean, a number input only a number, a string input anything (GitHub turns a number, a
// boolean or null into a string). An expression's value is judged only when its type does not
// depend on the run (see ValueType). callee names the callee in messages (OWNER/REPO/PATH@REF).
func Check(c Call, iface *Interface, callee string) []Problem {
	var out []Problem
	inputNames := make([]string, len(iface.Inputs))
	for i, in := range iface.Inputs {
		inputNames[i] = in.Name
	}
	given := map[string]bool{}
	for _, ci := range c.Inputs {
		given[strings.ToLower(ci.Name)] = true
		decl, ok := iface.Input(ci.Name)
		if !ok {
			out = append(out, Problem{Kind: UnknownInput, Pos: ci.Pos,
				Msg: fmt.Sprintf("input %q is not declared by %s%s; GitHub refuses the call", ci.Name, callee, hint(ci.Name, inputNames, "inputs"))})
			continue
		}
		if p, ok := typeProblem(ci, decl, callee); ok {
			out = append(out, p)
		}
	}
	for _, in := range iface.Inputs {
		if !in.Required || given[strings.ToLower(in.Name)] {
			continue
		}
		msg := fmt.Sprintf("input %q is required by %s and not given; GitHub refuses the call", in.Name, callee)
		if in.Default != nil {
			msg += " (a required input's default does not count: GitHub wants it in with:)"
		}
		out = append(out, Problem{Kind: MissingInput, Pos: c.UsesPos, Input: in, Msg: msg})
	}
	if !c.InheritSecrets {
		secretNames := make([]string, len(iface.Secrets))
		for i, s := range iface.Secrets {
			secretNames[i] = s.Name
		}
		passed := map[string]bool{}
		for _, cs := range c.Secrets {
			passed[strings.ToLower(cs.Name)] = true
			if _, ok := iface.Secret(cs.Name); !ok {
				out = append(out, Problem{Kind: UnknownSecret, Pos: cs.Pos,
					Msg: fmt.Sprintf("secret %q is not declared by %s%s; GitHub refuses the call", cs.Name, callee, hint(cs.Name, secretNames, "secrets"))})
			}
		}
		for _, s := range iface.Secrets {
			if s.Required && !passed[strings.ToLower(s.Name)] {
				out = append(out, Problem{Kind: MissingSecret, Pos: c.UsesPos,
					Msg: fmt.Sprintf("secret %q is required by %s and not passed; GitHub refuses the call (pass it under secrets:, or secrets: inherit)", s.Name, callee)})
			}
		}
	}
	outputNames := make([]string, len(iface.Outputs))
	for i, o := range iface.Outputs {
		outputNames[i] = o.Name
	}
	for _, r := range c.OutputReads {
		if _, ok := iface.Output(r.Name); !ok {
			out = append(out, Problem{Kind: UnknownOutput, Pos: r.Pos,
				Msg: fmt.Sprintf("output %q is not declared by %s%s, so needs.%s.outputs.%s is always empty", r.Name, callee, hint(r.Name, outputNames, "outputs"), c.Job, r.Name)})
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return comparePos(a.Pos, b.Pos) })
	return out
}

// typeProblem judges a with: value against its input's declared type.
func typeProblem(ci CallInput, decl Input, callee string) (Problem, bool) {
	if decl.Type == TypeString {
		return numberAsString(ci, decl, callee)
	}
	if decl.Type != TypeBoolean && decl.Type != TypeNumber {
		return Problem{}, false // an invalid type is the callee's own finding
	}
	t, why, known := ci.ValueType()
	if !known || t == decl.Type {
		return Problem{}, false
	}
	if why == "" {
		why = "a " + string(t)
		if t == TypeNull {
			why = "empty (null)"
		}
	}
	value := ci.Value
	if len(value) > 60 {
		value = value[:60] + "…"
	}
	fix := ""
	switch {
	case decl.Type == TypeBoolean && t == TypeString && !strings.Contains(ci.Value, "${{"):
		if b := strings.ToLower(strings.TrimSpace(ci.Value)); b == "true" || b == "false" {
			fix = "; write " + b + " without quotes"
		} else {
			fix = "; GitHub's booleans are true and false (YAML 1.2: yes, no, on and off are strings)"
		}
	case decl.Type == TypeBoolean && t == TypeString:
		fix = "; compare it to get a boolean, e.g. ${{ x == 'true' }}"
	case decl.Type == TypeNumber && t == TypeString && strings.Contains(ci.Value, "${{"):
		fix = "; convert it with fromJSON()"
	case decl.Type == TypeNumber && t == TypeString && ci.Quoted:
		fix = "; write the number without quotes"
	}
	return Problem{Kind: WrongType, Pos: ci.ValuePos, Input: decl, Given: ci,
		Msg: fmt.Sprintf("input %q of %s is a %s, but %q is %s; GitHub refuses the call%s", ci.Name, callee, decl.Type, value, why, fix)}, true
}

// numberAsString: a string input takes a number, as the text GitHub's number turns into — the
// shortest form of a double, so 3.10 arrives as "3.1" and 1.0 as "1".
func numberAsString(ci CallInput, decl Input, callee string) (Problem, bool) {
	if ci.Quoted || literalType(ci.Value) != TypeNumber || strings.Contains(ci.Value, "${{") {
		return Problem{}, false
	}
	f, err := strconv.ParseFloat(ci.Value, 64)
	if err != nil {
		if n, ierr := strconv.ParseInt(ci.Value, 0, 64); ierr == nil {
			f, err = float64(n), nil
		}
	}
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Problem{}, false
	}
	got := strings.Replace(strconv.FormatFloat(f, 'g', 15, 64), "e+", "E+", 1)
	if got == ci.Value {
		return Problem{}, false
	}
	return Problem{Kind: NumberAsString, Pos: ci.ValuePos, Input: decl, Given: ci,
		Msg: fmt.Sprintf("input %q of %s is a string, and %s is a number to GitHub, which passes it as %q; quote it to pass %q", ci.Name, callee, ci.Value, got, ci.Value)}, true
}

// hint is " (did you mean "x"?)" for a near miss, else the names declared.
func hint(name string, declared []string, what string) string {
	if s := Suggest(name, declared); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(declared) == 0 {
		return " (it declares no " + what + ")"
	}
	const most = 10
	shown := declared
	more := ""
	if len(shown) > most {
		shown, more = shown[:most], fmt.Sprintf(" and %d more", len(declared)-most)
	}
	return " (it declares " + strings.Join(shown, ", ") + more + ")"
}
