package reusable

import (
	"strings"

	"github.com/rhysd/actionlint"
)

// TypeNull is the type of an empty with: value (or null, ~): no input type accepts it but
// string, which GitHub turns it into "".
const TypeNull InputType = "null"

// ValueType is the type GitHub gives a with: value when it checks a call against the callee's
// input types, and why, for a message ("a quoted string", "a job output"). known is false for an
// expression whose type only the run decides (fromJSON, inputs.x, matrix.x): such a value is not
// judged.
//
// GitHub reads the caller with the YAML 1.2 core schema (actions/runner,
// src/Sdk/WorkflowParser/YamlObjectReader.cs): a quoted or block scalar is a string; a plain one
// is null (empty, null, Null, NULL, ~), a boolean (true, True, TRUE, false, False, FALSE), a number
// ([-+]digits, 0x.., 0o.., decimals with an exponent, .inf, .nan), else a string — so yes, on and
// 1.0.0 are strings. A value that is one ${{ }} expression has the expression's type; text around
// an expression, or several, make a string.
func (in CallInput) ValueType() (t InputType, why string, known bool) {
	v := in.Value
	if !strings.Contains(v, "${{") {
		if in.Quoted {
			return TypeString, "a quoted string", true
		}
		return literalType(v), "", true
	}
	expr, ok := singleExpression(v)
	if !ok {
		return TypeString, "a string with an expression in it", true
	}
	return exprType(expr)
}

// literalType types a plain YAML scalar as GitHub's reader does.
func literalType(v string) InputType {
	switch v {
	case "", "null", "Null", "NULL", "~":
		return TypeNull
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return TypeBoolean
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return TypeNumber
	}
	if isYAMLInt(v) || isYAMLFloat(v) {
		return TypeNumber
	}
	return TypeString
}

func allIn(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isYAMLInt(v string) bool {
	switch {
	case allIn(v, isDigit):
		return true
	case len(v) > 1 && (v[0] == '-' || v[0] == '+') && allIn(v[1:], isDigit):
		return true
	case len(v) > 2 && strings.HasPrefix(v, "0x"):
		return allIn(v[2:], func(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' })
	case len(v) > 2 && strings.HasPrefix(v, "0o"):
		return allIn(v[2:], func(c byte) bool { return '0' <= c && c <= '7' })
	}
	return false
}

// isYAMLFloat matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?.
func isYAMLFloat(v string) bool {
	i := 0
	if i < len(v) && (v[i] == '-' || v[i] == '+') {
		i++
	}
	intDigits := 0
	for i < len(v) && isDigit(v[i]) {
		i++
		intDigits++
	}
	fracDigits, dot := 0, false
	if i < len(v) && v[i] == '.' {
		dot = true
		i++
		for i < len(v) && isDigit(v[i]) {
			i++
			fracDigits++
		}
	}
	if intDigits == 0 && !(dot && fracDigits > 0) {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '-' || v[i] == '+') {
			i++
		}
		exp := 0
		for i < len(v) && isDigit(v[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(v)
}

// singleExpression returns the expression of a value that is exactly one ${{ }}.
func singleExpression(v string) (actionlint.ExprNode, bool) {
	if !strings.HasPrefix(v, "${{") || !strings.HasSuffix(v, "}}") {
		return nil, false
	}
	l := actionlint.NewExprLexer(v[3:])
	node, err := actionlint.NewExprParser().Parse(l)
	if err != nil || 3+l.Offset() != len(v) {
		return nil, false
	}
	return node, true
}

// exprType is the type of an expression when it does not depend on the run: literals,
// comparisons and negations (booleans), the functions of fixed result type, and the contexts
// whose values are always strings — job outputs and results, configuration variables, and
// github.event.inputs (workflow_dispatch inputs arrive there as strings).
func exprType(n actionlint.ExprNode) (InputType, string, bool) {
	switch n := n.(type) {
	case *actionlint.NullNode:
		return TypeNull, "null", true
	case *actionlint.BoolNode:
		return TypeBoolean, "a boolean", true
	case *actionlint.IntNode, *actionlint.FloatNode:
		return TypeNumber, "a number", true
	case *actionlint.StringNode:
		return TypeString, "a string literal", true
	case *actionlint.CompareOpNode, *actionlint.NotOpNode:
		return TypeBoolean, "a comparison", true
	case *actionlint.LogicalOpNode:
		// && and || yield one of their operands: known only when both have the same type.
		lt, _, lok := exprType(n.Left)
		rt, _, rok := exprType(n.Right)
		if lok && rok && lt == rt {
			return lt, "", true
		}
	case *actionlint.FuncCallNode:
		switch strings.ToLower(n.Callee) {
		case "contains", "startswith", "endswith", "success", "failure", "always", "cancelled":
			return TypeBoolean, "a boolean", true
		case "format", "join", "tojson", "hashfiles":
			return TypeString, "a string (" + n.Callee + " returns one)", true
		}
	case *actionlint.ObjectDerefNode, *actionlint.IndexAccessNode:
		path, ok := contextPath(n)
		if !ok {
			break
		}
		switch {
		case len(path) == 4 && path[0] == "needs" && path[2] == "outputs":
			return TypeString, "a string (job outputs are strings)", true
		case len(path) == 3 && path[0] == "needs" && path[2] == "result":
			return TypeString, "a string (a job's result is one)", true
		case len(path) == 2 && path[0] == "vars":
			return TypeString, "a string (configuration variables are strings)", true
		case len(path) == 4 && path[0] == "github" && path[1] == "event" && path[2] == "inputs":
			return TypeString, "a string (github.event.inputs holds strings; inputs.* keeps their types)", true
		}
	}
	return "", "", false
}

// contextPath spells a chain of property and string-index accesses from a context variable, in
// lower case: needs.build.outputs['x'] is [needs build outputs x].
func contextPath(n actionlint.ExprNode) ([]string, bool) {
	var rev []string
	for {
		switch x := n.(type) {
		case *actionlint.VariableNode:
			rev = append(rev, strings.ToLower(x.Name))
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			return rev, true
		default:
			name, rest, ok := member(n)
			if !ok || len(rev) > 8 {
				return nil, false
			}
			rev = append(rev, strings.ToLower(name))
			n = rest
		}
	}
}
