package scriptcheck

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rhysd/actionlint"
)

func TestSanitizeExpressions(t *testing.T) {
	// The cases of actionlint's own TestRuleShellcheckSanitizeExpressionsInScript, plus newlines.
	tests := []struct{ in, want string }{
		{"", ""},
		{"foo", "foo"},
		{"${{}}", "_____"},
		{"${{ matrix.foo }}", "_________________"},
		{"aaa ${{ matrix.foo }} bbb", "aaa _________________ bbb"},
		{"${{}}${{}}", "__________"},
		{"p${{a}}q${{b}}r", "p______q______r"},
		{"${{", "${{"},
		{"}}", "}}"},
		{"aaa${{foo", "aaa${{foo"},
		{"a${{b}}${{c", "a______${{c"},
		{"a${{b}}c}}d", "a______c}}d"},
		{"a}}b${{c}}d", "a}}b______d"},
		{"x ${{ a\n }} y", "x _________ y"},
		{"${{ '}}' }}", "_______' }}"},
	}
	for _, tc := range tests {
		if got := sanitizeExpressions(tc.in); got != tc.want {
			t.Errorf("sanitizeExpressions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "${{ a }}", "a${{b}}${{c", "}}${{", "${{${{}}}}", "é${{ ü }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := sanitizeExpressions(in)
		if len(out) != len(in) {
			t.Fatalf("length changed: %q -> %q", in, out)
		}
		for i := range len(in) {
			if out[i] != in[i] && out[i] != '_' {
				t.Fatalf("byte %d changed to %q, not '_': %q -> %q", i, out[i], in, out)
			}
		}
		if again := sanitizeExpressions(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		// No complete expression survives: any "${{" left has no "}}" after it.
		if i := strings.Index(out, "${{"); i >= 0 && strings.Contains(out[i:], "}}") {
			t.Fatalf("expression left in %q -> %q", in, out)
		}
	})
}

func TestParseShellcheck(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    map[string][]diagnostic
		wantErr string
	}{
		{"none", `{"comments":[]}`, map[string][]diagnostic{}, ""},
		{"two files", `{"comments":[{"file":"b.sh","line":2,"endLine":2,"column":6,"endColumn":10,"level":"info","code":2086,"message":"Double quote.","fix":null},` +
			`{"file":"a.sh","line":1,"column":1,"level":"warning","code":2164,"message":"Use cd || exit."},{"file":"b.sh","line":3,"column":1,"level":"style","code":2129,"message":"x"}]}`,
			map[string][]diagnostic{
				"a.sh": {{Line: 1, Column: 1, Level: "warning", Code: 2164, Message: "Use cd || exit."}},
				"b.sh": {{Line: 2, Column: 6, Level: "info", Code: 2086, Message: "Double quote."}, {Line: 3, Column: 1, Level: "style", Code: 2129, Message: "x"}},
			}, ""},
		{"not json", "oops", nil, `could not parse JSON output from shellcheck: invalid character 'o' looking for beginning of value: stdout="oops"`},
		{"empty", "", nil, `could not parse JSON output from shellcheck: unexpected end of JSON input: stdout=""`},
		{"json instead of json1", "[]", nil, `could not parse JSON output from shellcheck: json: cannot unmarshal array into Go value of type scriptcheck.json1: stdout="[]"`},
		{"no comments", "{}", nil, `could not parse JSON output from shellcheck: no "comments" array: stdout="{}"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseShellcheck([]byte(tc.out))
			if tc.wantErr != "" {
				var te *ToolError
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &te) {
					t.Fatalf("err = %v, want ToolError %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePyflakes(t *testing.T) {
	pos := &actionlint.Pos{Line: 3, Col: 9}
	tests := []struct {
		name    string
		out     string
		want    []string
		wantErr string
	}{
		{"none", "", nil, ""},
		{"two", "<stdin>:1:1: 'os' imported but unused\n<stdin>:2:7: undefined name 'x'\n", []string{"1:1: 'os' imported but unused", "2:7: undefined name 'x'"}, ""},
		{"crlf", "<stdin>:1:1: a\r\n", []string{"1:1: a"}, ""},
		{"syntax error with source and caret", "<stdin>:1:6: '(' was never closed\nprint(\n     ^\n", []string{"1:6: '(' was never closed"}, ""},
		{"no newline", "<stdin>:1:1: a", nil, `error message from pyflakes does not end with \n nor \r\n while checking script at line:3,col:9. output: "<stdin>:1:1: a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parsePyflakes([]byte(tc.out), pos)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range d {
				got = append(got, x.Message)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParsePyflakes(f *testing.F) {
	f.Add("<stdin>:1:1: a\n<stdin>:2:2: b\r\n")
	f.Add("<stdin>:")
	f.Add("x\n<stdin>:1:6: e\nprint(\n ^\n")
	f.Fuzz(func(t *testing.T, out string) {
		d, err := parsePyflakes([]byte(out), &actionlint.Pos{Line: 1, Col: 1})
		if err != nil {
			return
		}
		if len(d) > strings.Count(out, "<stdin>:") {
			t.Fatalf("%d messages from %d markers in %q", len(d), strings.Count(out, "<stdin>:"), out)
		}
		for _, x := range d {
			if strings.Contains(x.Message, "\n") || strings.HasSuffix(x.Message, "\r") {
				t.Fatalf("message not one line: %q", x.Message)
			}
		}
	})
}

func FuzzParseShellcheck(f *testing.F) {
	f.Add(`{"comments":[{"file":"a","line":1,"column":1,"level":"info","code":1,"message":"m"}]}`)
	f.Add(`{"comments":[]}`)
	f.Add(`[]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, out string) {
		d, err := parseShellcheck([]byte(out))
		if err != nil {
			var te *ToolError
			if !errors.As(err, &te) || te.Tool != "shellcheck" {
				t.Fatalf("error %v is not a shellcheck ToolError", err)
			}
			return
		}
		// What parsed must survive the cache's JSON round trip unchanged.
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string][]diagnostic
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(d, back, cmpopts.EquateEmpty()) {
			t.Fatalf("round trip changed %v to %v", d, back)
		}
	})
}

// TestPyflakesFailureMatchesActionlint: output pyflakes cannot have produced fails both
// implementations with the same error.
func TestPyflakesFailureMatchesActionlint(t *testing.T) {
	bin := t.TempDir()
	pf := fakeTool(t, bin, "pyflakes", "3.0.0", `cat >/dev/null; printf '<stdin>:1:1: no newline'; exit 1`)
	src := "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: print(1)\n        shell: python\n"
	want := `error message from pyflakes does not end with \n nor \r\n while checking script at line:6,col:9. output: "<stdin>:1:1: no newline"`

	c, err := New(Options{Pyflakes: pf, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = lintSource(c, src)
	var te *ToolError
	if !errors.As(err, &te) || te.Tool != "pyflakes" || err.Error() != want {
		t.Errorf("error = %v, want ToolError %s", err, want)
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Pyflakes: pf, Color: actionlint.ColorOptionKindNever})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lint("test.yaml", []byte(src), nil); err == nil || err.Error() != want {
		t.Errorf("actionlint error = %v, want %s", err, want)
	}
}
