package impact

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/impact/impacttest"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// checkFleet runs the interface check of the fake fleet's candidate.
func checkFleet(t *testing.T, f *impacttest.Fleet) *Document {
	t.Helper()
	ctx := context.Background()
	res, err := fleet.Run(ctx, fleet.Options{Source: fleet.DirSource{Owner: "Molecule-AI", Parent: f.Parent, Display: filepath.Base}, CallsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	callers, bad := CallersOf(res)
	repos := make([]fleet.Repo, len(res.Repos))
	for i, r := range res.Repos {
		repos[i] = r.Repo
	}
	rv := &reusable.Resolver{Checkouts: fleet.Checkouts(repos), NoRemote: "no GitHub token in the test"}
	iface, err := CheckInterfaces(ctx, Options{Candidate: f.Candidate, Repo: "Molecule-AI/molecule-ci", Resolver: rv}, callers)
	if err != nil {
		t.Fatal(err)
	}
	d := iface.Document("Molecule-AI/molecule-ci", callers, bad)
	d.InterfaceOnly = "the base (Molecule-AI/molecule-ci at main, staging) is not a molecule-ci tree"
	return d
}

// TestFakeFleet checks the candidate that makes every kind of interface change against the
// organisation's callers and the generated ones, in every format.
func TestFakeFleet(t *testing.T) {
	f := impacttest.New(t)
	d := checkFleet(t, f)
	kinds := map[string]bool{}
	for _, b := range d.Breaks {
		kinds[b.Kind] = true
	}
	for _, k := range Kinds {
		if !kinds[k] {
			t.Errorf("no %s break in the fake fleet's report", k)
		}
	}
	if !d.Fails() {
		t.Error("the report does not fail")
	}
	for _, format := range []string{"json", "human"} {
		var buf bytes.Buffer
		if err := report.Write(&buf, format, d.Report(""), report.Options{}); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "fleet."+format+".golden"), f.Stable(buf.Bytes()))
	}
	golden.Check(t, filepath.Join("testdata", "fleet.md.golden"), f.Stable([]byte(report.Markdown(d.Report("")))))

	d.Declared = Declared("Renames runtime_version.\nBREAKING: publish-template-image takes runtime-version and registry", nil, nil)
	if d.Fails() {
		t.Error("a declared break fails the check")
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, "human", d.Report(""), report.Options{}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "fleet.declared.golden"), f.Stable(buf.Bytes()))
}

// TestUnchanged: the candidate is the base; nothing breaks.
func TestUnchanged(t *testing.T) {
	f := impacttest.New(t)
	f.Candidate = f.Base
	d := checkFleet(t, f)
	if len(d.Breaks) != 0 || d.Fails() {
		t.Errorf("the base as candidate breaks %d calls: %+v", len(d.Breaks), d.Breaks)
	}
	if d.Callers != 21 {
		t.Errorf("callers = %d, want 21", d.Callers)
	}
}

func TestCompare(t *testing.T) {
	iface := func(src string) *reusable.Interface {
		t.Helper()
		i, err := reusable.ParseInterface([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	base := iface(`on:
  workflow_call:
    inputs:
      a: {type: string}
      b: {type: boolean}
      n: {type: number}
      keep: {type: string}
      req: {type: string, required: true}
    secrets:
      S: {required: false}
    outputs:
      o: {value: x}
jobs: {}
`)
	call := func(src string) reusable.Call {
		t.Helper()
		cs, err := reusable.Calls("w.yml", []byte(src))
		if err != nil || len(cs) != 1 {
			t.Fatalf("calls: %v %v", cs, err)
		}
		return cs[0]
	}
	tests := []struct {
		name, cand, call string
		want             []string
	}{
		{"same", `on: {workflow_call: {inputs: {a: {type: string}, b: {type: boolean}, n: {type: number}, keep: {type: string}, req: {type: string, required: true}}, secrets: {S: {required: false}}, outputs: {o: {value: x}}}}
jobs: {}`, "jobs:\n  j:\n    uses: o/r/.github/workflows/w.yml@v1\n    with: {a: x, req: y}\n", nil},
		{"removed and renamed", `on: {workflow_call: {inputs: {A_: {type: string}, req: {type: string, required: true}}}}
jobs: {}`, "jobs:\n  j:\n    uses: o/r/.github/workflows/w.yml@v1\n    with:\n      a: x\n      keep: y\n      req: z\n", []string{"input-renamed 1 5", "input-removed 7 6"}},
		{"type: a quoted string for a boolean, a boolean for a string, an expression", `on: {workflow_call: {inputs: {a: {type: boolean}, b: {type: string}, n: {type: string}, req: {type: string, required: true}}}}
jobs: {}`, "jobs:\n  j:\n    uses: o/r/.github/workflows/w.yml@v1\n    with:\n      a: \"true\"\n      b: true\n      n: ${{ github.run_number }}\n      req: x\n", []string{"input-type 1 5", "input-type 1 6", "input-type 1 7"}},
		{"type: a literal of the new type passes", `on: {workflow_call: {inputs: {a: {type: boolean}, req: {type: string, required: true}}}}
jobs: {}`, "jobs:\n  j:\n    uses: o/r/.github/workflows/w.yml@v1\n    with:\n      a: true\n      req: x\n", nil},
		{"required input, secret; secret and output removed", `on: {workflow_call: {inputs: {new: {type: string, required: true}, dflt: {type: string, required: true, default: x}, req: {type: string, required: true}}, secrets: {T: {required: true}}}}
jobs: {}`, "jobs:\n  j:\n    uses: o/r/.github/workflows/w.yml@v1\n    with: {req: y}\n    secrets:\n      S: ${{ secrets.S }}\n  k:\n    needs: j\n    runs-on: x\n    steps:\n      - run: echo ${{ needs.j.outputs.o }} ${{ needs.j.outputs.O }}\n", []string{"input-required 1 0", "secret-required 1 0", "secret-removed 10 6", "output-removed 12 11"}},
		{"inherit satisfies a new secret; an already missing input is not this change's", `on: {workflow_call: {inputs: {req: {type: string, required: true}}, secrets: {T: {required: true}}}}
jobs: {}`, "jobs:\n  j:\n    uses: o/r/.github/workflows/w.yml@v1\n    secrets: inherit\n    with: {undeclared: 1}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, b := range Compare(call(tt.call), base, iface(tt.cand)) {
				got = append(got, b.Kind+" "+strconv.Itoa(b.Callee.Line)+" "+strconv.Itoa(b.Caller.Line))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestDeclared(t *testing.T) {
	labels := []string{"breaking-change"}
	tests := []struct {
		body   string
		labels []string
		want   string
	}{
		{"", nil, ""},
		{"Fixes a typo.", []string{"ci"}, ""},
		{"Text\r\nBREAKING: drops runtime_name\r\n", nil, "BREAKING: drops runtime_name"},
		{"- BREAKING CHANGE: `x` is gone", nil, "BREAKING: `x` is gone"},
		{"not BREAKING: in the middle", nil, ""},
		{"BREAKING:   ", nil, ""},
		{"x", []string{"Breaking-Change"}, "label Breaking-Change"},
	}
	for _, tt := range tests {
		if got := Declared(tt.body, tt.labels, labels); got != tt.want {
			t.Errorf("Declared(%q, %q) = %q, want %q", tt.body, tt.labels, got, tt.want)
		}
	}
}
