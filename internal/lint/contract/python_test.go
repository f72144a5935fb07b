package contract

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

func importsOf(src string) []string {
	ims, _ := pyParse(src)
	var out []string
	for _, im := range ims {
		s := fmt.Sprintf("%d:%d %s", im.Line, im.Col, im.Module)
		if im.From {
			s += " : " + im.Name
		}
		if im.Alias != "" {
			s += " as " + im.Alias
		}
		out = append(out, s)
	}
	return out
}

func TestPyImports(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"plain", "import os\nimport a.b.c as d, e\n", []string{"1:1 os", "2:1 a.b.c as d", "2:1 e"}},
		{"from", "from a.b import c, d as e\n", []string{"1:1 a.b : c", "1:1 a.b : d as e"}},
		{"parenthesised multi-line", "from x import (\n    a,  # comment\n    b as c,\n)\nimport y\n", []string{"1:1 x : a", "1:1 x : b as c", "5:1 y"}},
		{"backslash continuation", "from x \\\n  import a, \\\n  b\n", []string{"1:1 x : a", "1:1 x : b"}},
		{"relative", "from . import a\nfrom ..pkg.mod import b\n", []string{"1:1 . : a", "2:1 ..pkg.mod : b"}},
		{"star", "from m import *\n", []string{"1:1 m : *"}},
		{"semicolon and indent", "x = 1; import a\ndef f():\n    import b\n", []string{"1:8 a", "3:5 b"}},
		{"after colon", "if True: import a\ntry: from b import c\nexcept ImportError: pass\n", []string{"1:10 a", "2:6 b : c"}},
		{"not in strings or comments", "# import a\ns = 'import b'\nt = \"\"\"\nimport c\nfrom d import e\n\"\"\"\nu = f'{x} import g'\nr = rb'import h'\n", nil},
		{"raise from is not an import", "try:\n    pass\nexcept E as e:\n    raise X from e\n", nil},
		{"escaped quote in string", "s = 'it\\'s'; import a\n", []string{"1:14 a"}},
		{"unicode column", "é = 1; import a\n", []string{"1:8 a"}},
		{"unterminated string", "s = 'abc\nimport a\n", []string{"2:1 a"}},
		{"incomplete", "from\nimport\nfrom x import\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, importsOf(tt.src)); diff != "" {
				t.Errorf("imports (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPyClasses(t *testing.T) {
	_, cls := pyParse("class A(B, m.C, Generic[T], metaclass=ABCMeta):\n    pass\nclass D: pass\nclass E(\n  A,\n):\n  '''class F(G)'''\n")
	var got []string
	for _, c := range cls {
		got = append(got, fmt.Sprintf("%d:%d %s(%s)", c.Line, c.Col, c.Name, strings.Join(c.Bases, ",")))
	}
	want := []string{"1:1 A(B,m.C,)", "3:1 D()", "4:1 E(A)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
}

// FuzzPyParse: the tokenizer never panics, never loops, and every position it reports is inside
// the source.
func FuzzPyParse(f *testing.F) {
	for _, s := range []string{
		"from x import (a,\n b as c)\n", "import a.b as c\n", "'''\nimport x\n'''", "class A(B): import c\n",
		"s = f'{x!r:>{w}}'\n", "\\\n", "from . import (\n", "rb'\\'' ; import z", "é = '\\\n'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		ims, cls := pyParse(src)
		for _, im := range ims {
			if im.Line < 1 || im.Line > lines || im.Col < 1 {
				t.Fatalf("import at %d:%d outside a %d-line source", im.Line, im.Col, lines)
			}
		}
		for _, c := range cls {
			if c.Line < 1 || c.Line > lines || c.Col < 1 {
				t.Fatalf("class at %d:%d outside a %d-line source", c.Line, c.Col, lines)
			}
		}
	})
}

// FuzzCheckWorkspaceTemplate feeds hostile config.yaml, Dockerfile, requirements.txt and
// adapter.py contents through the whole workspace-template contract: no panic, every finding
// positioned.
func FuzzCheckWorkspaceTemplate(f *testing.F) {
	f.Add("name: x\nruntime: y\ntemplate_schema_version: 1\n", "FROM python:3.11-slim\nENTRYPOINT [\"molecule-runtime\"]\n", "molecule-ai-workspace-runtime\n", "from molecule_runtime.adapters.base import BaseAdapter\nclass A(BaseAdapter): pass\n")
	f.Add("a: &a [*a]\n", "FROM a AS b\nFROM b AS a\nFROM a\n", "-r requirements.txt\n", "class A(A): pass\n")
	f.Fuzz(func(t *testing.T, cfg, df, req, ad string) {
		dir := t.TempDir()
		for name, body := range map[string]string{"config.yaml": cfg, "Dockerfile": df, "requirements.txt": req, "adapter.py": ad} {
			writeFile(t, dir, name, body)
		}
		type result struct {
			fs  []report.Finding
			err error
		}
		done := make(chan result, 1)
		go func() { fs, err := checkDir(dir); done <- result{fs, err} }()
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Check did not return within 10s on config %q, Dockerfile %q, requirements %q, adapter %q", cfg, df, req, ad)
		}
		fs, err := r.fs, r.err
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Line < 1 || f.Col < 1 {
				t.Fatalf("finding without a position: %+v", f)
			}
		}
	})
}

// FuzzCheckOrgTemplate: hostile org.yaml and included files (aliases, cycles, deep nesting,
// odd tags) never panic, and every finding is positioned.
func FuzzCheckOrgTemplate(f *testing.F) {
	f.Add("name: o\nworkspaces:\n  - !include t.yaml\n", "name: t\nchildren:\n  - !include t.yaml\n", "name: p\nversion: 1\ndescription: d\n")
	f.Add("a: &a {children: [*a]}\nworkspaces: [*a]\n", "- x\n", "runtimes: 3\n")
	f.Fuzz(func(t *testing.T, org, inc, plugin string) {
		for _, files := range []map[string]string{{"org.yaml": org, "t.yaml": inc}, {"plugin.yaml": plugin, "SKILL.md": inc}} {
			dir := t.TempDir()
			for name, body := range files {
				writeFile(t, dir, name, body)
			}
			fs, err := checkDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if f.Line < 1 || f.Col < 1 {
					t.Fatalf("finding without a position: %+v", f)
				}
			}
		}
	})
}
