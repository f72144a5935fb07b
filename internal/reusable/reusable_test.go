package reusable

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

func readFile(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseInterface(t *testing.T) {
	iface, err := ParseInterface(readTestdata(t, "callee.yml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(iface, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "callee.interface.golden"), append(b, '\n'))
	if in, ok := iface.Input("mixed-case"); !ok || in.Name != "Mixed-Case" {
		t.Errorf("Input(mixed-case) = %+v, %v; want the declared Mixed-Case", in, ok)
	}
	if _, ok := iface.Secret("registry_token"); !ok {
		t.Error("secrets are compared without case")
	}
}

func TestParseInterfaceErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string
	}{
		{"not callable", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: y\n", ErrNotCallable.Error()},
		{"not yaml", "on: [push\n", "line 1, col 4: could not parse as YAML"},
		{"not a mapping", "- a\n- b\n", ErrNotCallable.Error()},
		{"empty", "", ErrNotCallable.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInterface([]byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// workflow_call without a body is callable with an empty interface.
	iface, err := ParseInterface([]byte("on: workflow_call\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: y\n"))
	if err != nil || len(iface.Inputs)+len(iface.Secrets)+len(iface.Outputs) != 0 || iface.SecretsDeclared {
		t.Fatalf("bare workflow_call: %+v, %v", iface, err)
	}
}

// TestInterfaceOfCorpus reads the interfaces of the organisation's real shared workflows.
func TestInterfaceOfCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "molecule-ci-main", ".github", "workflows")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("SKIP: the shared corpus is not here (%v)", err)
	}
	var b strings.Builder
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		iface, err := ParseInterface(src)
		if errors.Is(err, ErrNotCallable) {
			fmt.Fprintf(&b, "%s: not callable\n", e.Name())
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		fmt.Fprintf(&b, "%s: workflow_call at %d:%d\n", e.Name(), iface.Pos.Line, iface.Pos.Col)
		for _, in := range iface.Inputs {
			def := "no default"
			if in.Default != nil {
				def = fmt.Sprintf("default %q", *in.Default)
			}
			fmt.Fprintf(&b, "  input %s %s required=%v %s at %d\n", in.Name, in.Type, in.Required, def, in.Pos.Line)
		}
		for _, s := range iface.Secrets {
			fmt.Fprintf(&b, "  secret %s required=%v at %d\n", s.Name, s.Required, s.Pos.Line)
		}
		for _, o := range iface.Outputs {
			fmt.Fprintf(&b, "  output %s at %d\n", o.Name, o.Pos.Line)
		}
	}
	golden.Check(t, filepath.Join("testdata", "corpus-interfaces.golden"), []byte(b.String()))
}

func TestParseUses(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // %+v of Uses, or "error: <substring>"
	}{
		{"Molecule-AI/molecule-ci/.github/workflows/lint.yml@v1", "Molecule-AI/molecule-ci .github/workflows/lint.yml @ v1"},
		{"o/r/.github/workflows/a.yaml@0123456789abcdef0123456789abcdef01234567", "o/r .github/workflows/a.yaml @ 0123456789abcdef0123456789abcdef01234567"},
		{"o/r/.github/workflows/a.yml@refs/heads/main", "o/r .github/workflows/a.yml @ refs/heads/main"},
		{"./.github/workflows/build.yml", "local .github/workflows/build.yml"},
		{"./.github/workflows/build.yml@v1", "error: takes no @ref"},
		{"o/r/.github/workflows/a.yml", "error: no @ref"},
		{"o/r/.github/workflows/a.yml@", "error: no @ref"},
		{"o/.github/workflows@v1", "error: a reusable workflow is a .yml"},
		{"o/r@v1", "error: want OWNER/REPO"},
		{"o/r/../../etc/passwd.yml@v1", "error: not a clean relative path"},
		{"o/r/.github//workflows/a.yml@v1", "error: not a clean relative path"},
		{"o/r/.github/workflows/a.sh@v1", "error: .yml or .yaml"},
		{"o/r/.github/workflows/a.yml@v1 x", "error: white space"},
		{"o p/r/.github/workflows/a.yml@v1", "error: owner and repository names"},
		{"${{ matrix.wf }}", "error: an expression"},
		{"o/r/.github/workflows/a\x1b[31m.yml@v1", "error: control character"},
		{"./" + strings.Repeat("a/", 600) + "x.yml", "error: longer than"},
	} {
		u, err := ParseUses(tc.in)
		var got string
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case u.Local:
			got = "local " + u.Path
		default:
			got = fmt.Sprintf("%s %s @ %s", u.Repository(), u.Path, u.Ref)
		}
		if strings.HasPrefix(tc.want, "error: ") && strings.Contains(got, strings.TrimPrefix(tc.want, "error: ")) && strings.HasPrefix(got, "error: ") {
			continue
		}
		if got != tc.want {
			t.Errorf("ParseUses(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestCalls(t *testing.T) {
	calls, err := Calls(".github/workflows/ci.yml", readTestdata(t, "caller.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "%s job %s at %d:%d uses %q at %d:%d", c.File, c.Job, c.JobPos.Line, c.JobPos.Col, c.Uses.Raw, c.UsesPos.Line, c.UsesPos.Col)
		if c.UsesErr != "" {
			fmt.Fprintf(&b, " (%s)", c.UsesErr)
		} else {
			fmt.Fprintf(&b, " workflow %s ref %q", c.Uses.Workflow(), c.Uses.Ref)
		}
		b.WriteString("\n")
		for _, in := range c.Inputs {
			fmt.Fprintf(&b, "  with %s = %q quoted=%v at %d:%d, value at %d:%d\n", in.Name, in.Value, in.Quoted, in.Pos.Line, in.Pos.Col, in.ValuePos.Line, in.ValuePos.Col)
		}
		if c.InheritSecrets {
			b.WriteString("  secrets: inherit\n")
		}
		for _, s := range c.Secrets {
			fmt.Fprintf(&b, "  secret %s at %d:%d\n", s.Name, s.Pos.Line, s.Pos.Col)
		}
		for _, r := range c.OutputReads {
			fmt.Fprintf(&b, "  reads output %s at %d:%d\n", r.Name, r.Pos.Line, r.Pos.Col)
		}
	}
	golden.Check(t, filepath.Join("testdata", "caller.calls.golden"), []byte(b.String()))
}

func TestSuggest(t *testing.T) {
	names := []string{"runtime_version", "push", "retries", "skip-mod-tidy", "packages"}
	for _, tc := range []struct{ in, want string }{
		{"runtime_versoin", "runtime_version"},
		{"RUNTIME_VERSION", ""}, // the same name: not a suggestion
		{"skip_mod_tidy", "skip-mod-tidy"},
		{"pus", "push"},
		{"package", "packages"},
		{"go-version", ""},
		{"x", ""},
	} {
		if got := Suggest(tc.in, names); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
