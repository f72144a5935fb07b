package reusable

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// TestCheck holds every call of testdata/check-caller.yml to testdata/check-callee.yml: each
// problem GitHub refuses a call for, and the calls it accepts, are in check.golden.
func TestCheck(t *testing.T) {
	iface, err := ParseInterface(readTestdata(t, "check-callee.yml"))
	if err != nil {
		t.Fatal(err)
	}
	calls, err := Calls(".github/workflows/ci.yml", readTestdata(t, "check-caller.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range calls {
		ps := Check(c, iface, c.Uses.Raw)
		fmt.Fprintf(&b, "job %s: %d problems\n", c.Job, len(ps))
		for _, p := range ps {
			fmt.Fprintf(&b, "  %d:%d kind %d: %s\n", p.Pos.Line, p.Pos.Col, p.Kind, p.Msg)
		}
	}
	golden.Check(t, filepath.Join("testdata", "check.golden"), []byte(b.String()))
}

// TestLiteralType is GitHub's YAML 1.2 core schema for plain scalars.
func TestLiteralType(t *testing.T) {
	for v, want := range map[string]InputType{
		"": TypeNull, "~": TypeNull, "null": TypeNull, "NULL": TypeNull, "nULL": TypeString,
		"true": TypeBoolean, "False": TypeBoolean, "TRUE": TypeBoolean, "tRUE": TypeString, "yes": TypeString, "on": TypeString,
		"3": TypeNumber, "-3": TypeNumber, "+3": TypeNumber, "0x1F": TypeNumber, "0o17": TypeNumber, "0o8": TypeString,
		"3.10": TypeNumber, ".5": TypeNumber, "5.": TypeNumber, "1e5": TypeNumber, "1.5E-3": TypeNumber, "1e": TypeString,
		".inf": TypeNumber, "-.Inf": TypeNumber, ".nan": TypeNumber, "inf": TypeString, "1.0.0": TypeString, ".": TypeString,
		"-": TypeString, "0x": TypeString, "12a": TypeString,
	} {
		if got := literalType(v); got != want {
			t.Errorf("literalType(%q) = %s, want %s", v, got, want)
		}
	}
}

// TestValueType: an expression's type is known only when the run cannot change it.
func TestValueType(t *testing.T) {
	for _, tc := range []struct {
		v      string
		quoted bool
		want   InputType
		known  bool
	}{
		{"true", true, TypeString, true},
		{"${{ true }}", false, TypeBoolean, true},
		{"${{ 3 }}", false, TypeNumber, true},
		{"${{ 'x' }}", false, TypeString, true},
		{"${{ null }}", false, TypeNull, true},
		{"${{ a == b }}", false, TypeBoolean, true},
		{"${{ !a }}", false, TypeBoolean, true},
		{"${{ contains(a, 'x') }}", false, TypeBoolean, true},
		{"${{ format('{0}', a) }}", false, TypeString, true},
		{"${{ needs.a.outputs.b }}", false, TypeString, true},
		{"${{ needs['a'].outputs['b'] }}", false, TypeString, true},
		{"${{ needs.a.result }}", false, TypeString, true},
		{"${{ vars.X }}", false, TypeString, true},
		{"${{ github.event.inputs.x }}", false, TypeString, true},
		{"${{ a == b && c != d }}", false, TypeBoolean, true},
		{"${{ a && 'x' }}", false, "", false},
		{"${{ inputs.x }}", false, "", false},
		{"${{ matrix.x }}", false, "", false},
		{"${{ fromJSON(needs.a.outputs.b) }}", false, "", false},
		{"${{ github.event.pull_request.number }}", false, "", false},
		{"${{ a }}${{ b }}", false, TypeString, true},
		{"x ${{ a }}", false, TypeString, true},
		{"${{ a ", false, TypeString, true},
	} {
		got, _, known := CallInput{Value: tc.v, Quoted: tc.quoted}.ValueType()
		if got != tc.want || known != tc.known {
			t.Errorf("ValueType(%q) = %s, %v; want %s, %v", tc.v, got, known, tc.want, tc.known)
		}
	}
}
