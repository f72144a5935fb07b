package reusable

import (
	"strings"
	"testing"
)

// FuzzParseUses: any uses: value is parsed or refused, never a panic, and what is accepted is a
// clean relative path that round-trips.
func FuzzParseUses(f *testing.F) {
	for _, s := range []string{"o/r/.github/workflows/a.yml@v1", "./.github/workflows/b.yaml", "o/r/../x.yml@v", "${{ x }}", "o/r/a.yml@", "./a.yml@v1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUses(s)
		if err != nil {
			return
		}
		if strings.Contains("/"+u.Path+"/", "/../") || strings.HasPrefix(u.Path, "/") {
			t.Fatalf("%q: accepted path %q", s, u.Path)
		}
		if u.Local && u.Workflow() != s || !u.Local && u.Workflow()+"@"+u.Ref != s {
			t.Fatalf("%q does not round-trip: %+v", s, u)
		}
	})
}

// FuzzCalls: any workflow text gives call sites or an error, never a panic; every output read is
// placed inside the file.
func FuzzCalls(f *testing.F) {
	f.Add(string(mustRead(f, "caller.yml")))
	f.Add("jobs:\n  a:\n    uses: o/r/.github/workflows/a.yml@v1\n  b:\n    if: needs.a.outputs['x']\n    steps:\n      - run: |\n          ${{ needs.a.outputs.y }}\n")
	f.Add("jobs: &a\n  a: *a\n")
	f.Fuzz(func(t *testing.T, src string) {
		calls, err := Calls("w.yml", []byte(src))
		if err != nil {
			return
		}
		lines := strings.Count(src, "\n") + 1
		for _, c := range calls {
			for _, r := range c.OutputReads {
				if r.Pos.Line < 1 || r.Pos.Line > lines+1 {
					t.Fatalf("output read %+v outside the %d-line file", r, lines)
				}
			}
		}
	})
}

// FuzzParseInterface: any workflow text gives an interface or an error, never a panic.
func FuzzParseInterface(f *testing.F) {
	f.Add(string(mustRead(f, "callee.yml")))
	f.Add("on:\n  workflow_call:\n    inputs:\n      a: {type: bogus, default: [1]}\n    secrets: {b: }\n    outputs: {c: 1}\n")
	f.Fuzz(func(t *testing.T, src string) {
		iface, err := ParseInterface([]byte(src))
		if err == nil && iface == nil {
			t.Fatal("nil interface without an error")
		}
	})
}

func mustRead(f *testing.F, name string) []byte {
	b, err := readFile(name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
