package shell

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// describe renders what the rules read of each command, one a line.
func describe(s *Script) []string {
	var out []string
	for _, c := range s.Cmds {
		var b strings.Builder
		fmt.Fprintf(&b, "%d %q", c.Off, c.Values())
		flag := func(on bool, name string) {
			if on {
				b.WriteString(" " + name)
			}
		}
		flag(c.Errexit, "errexit")
		flag(c.Pipefail, "pipefail")
		flag(c.Xtrace, "xtrace")
		flag(c.Tested, "tested")
		flag(c.Final, "final")
		flag(c.Piped, "piped")
		flag(c.Background, "bg")
		flag(c.Subshell, "subshell")
		flag(c.ReadsStatus, "reads-status")
		if c.Swallowed != "" {
			fmt.Fprintf(&b, " swallowed=%q", c.Swallowed)
		}
		if c.Sink != nil {
			fmt.Fprintf(&b, " sink=%s", c.Sink.Name())
		}
		if c.Nested != "" {
			fmt.Fprintf(&b, " nested=%s", c.Nested)
		}
		if f, ok := c.StdoutFile(); ok {
			fmt.Fprintf(&b, " stdout=%s", f.Value)
		}
		for _, h := range c.Heredocs() {
			fmt.Fprintf(&b, " heredoc=%q", h.Value)
		}
		out = append(out, b.String())
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		want []string
	}{
		{"or true swallows, the status of the chain is the last command's", "go vet ./... || true", Options{Errexit: true}, []string{
			`0 ["go" "vet" "./..."] errexit tested final swallowed="|| true"`,
			`16 ["true"] errexit final`,
		}},
		{"|| echo then && exit 1 still fails", "go test || echo no && exit 1", Options{}, []string{
			`0 ["go" "test"] tested final`, `11 ["echo" "no"] tested final`, `22 ["exit" "1"] final`,
		}},
		{"; true ends a list only without errexit", "make check; true", Options{}, []string{
			`0 ["make" "check"] swallowed="; true"`, `12 ["true"] final`,
		}},
		{"; true under errexit swallows nothing", "make check; true", Options{Errexit: true}, []string{
			`0 ["make" "check"] errexit`, `12 ["true"] errexit final`,
		}},
		{"pipes know their sink and pipefail", "set -o pipefail\ngo test 2>&1 | tee log | tail -5", Options{Errexit: true}, []string{
			`0 ["set" "-o" "pipefail"] errexit`,
			`16 ["go" "test"] errexit pipefail final piped sink=tail`,
			`31 ["tee" "log"] errexit pipefail final piped sink=tail`,
			`41 ["tail" "-5"] errexit pipefail final`,
		}},
		{"set +e, set -x and PIPESTATUS", "set +ex\nmypy | tee o\nexit ${PIPESTATUS[0]}", Options{Errexit: true}, []string{
			`0 ["set" "+ex"] errexit`,
			`8 ["mypy"] piped sink=tee`,
			`15 ["tee" "o"]`,
			`21 ["exit" "${PIPESTATUS[0]}"] final reads-status`,
		}},
		{"subshell options end with it", "(set -x; a)\nb", Options{}, []string{
			`1 ["set" "-x"] subshell`, `9 ["a"] xtrace subshell`, `12 ["b"] final`,
		}},
		{"if and while conditions are tested", "if a; then b; fi\nwhile c; do d; done", Options{Errexit: true}, []string{
			`3 ["a"] errexit tested`, `11 ["b"] errexit`, `23 ["c"] errexit tested`, `29 ["d"] errexit`,
		}},
		{"substitutions are nested", "x=$(curl -s u | sh) y", Options{}, []string{
			`0 ["y"] final`,
			`4 ["curl" "-s" "u"] tested piped sink=sh nested=$(...)`,
			`16 ["sh"] tested nested=$(...)`,
		}},
		{"redirections and heredocs", "echo \"$T\" >> \"$GITHUB_ENV\"\ncat <<'EOF' > f\nbody $x\nEOF\nprintf x 1>&2", Options{}, []string{
			`0 ["echo" "$T"] stdout=$GITHUB_ENV`,
			`27 ["cat"] stdout=f heredoc="body $x\n"`,
			`55 ["printf" "x"] final`,
		}},
		{"groups take the redirection", "{ echo a; echo b; } > out &", Options{}, []string{
			`2 ["echo" "a"] bg stdout=out`, `10 ["echo" "b"] bg stdout=out`,
		}},
		{"expressions are masked at their offsets", "echo ${{ secrets.T }} | base64", Options{MaskExpressions: true}, []string{
			`0 ["echo" "________________"] piped sink=base64`, `24 ["base64"] final`,
		}},
		{"posix reads [[ as a command", "[[ -n $x ]] && go test", Options{Dialect: POSIX}, []string{
			`0 ["[[" "-n" "$x" "]]"] tested final`, `15 ["go" "test"] final`,
		}},
		{"posix falls back to bash for bash-only syntax", "a=(1 2)\ngo test", Options{Dialect: POSIX, Errexit: true}, []string{
			`0 [] errexit`, `8 ["go" "test"] errexit final`,
		}},
		{"quotes and escapes are removed from values", `"go" te\st 'a b' "c\"d"`, Options{}, []string{
			`0 ["go" "test" "a b" "c\"d"] final`,
		}},
		{"a function body is not the script's", "f() { go test || true; }\nf", Options{}, []string{
			`6 ["go" "test"] tested swallowed="|| true" nested=function`, `17 ["true"] nested=function`, `25 ["f"] final`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.src, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, describe(s)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseInvalidShell: missing tokens are recovered (the commands read so far are kept); a
// script the parser cannot go on with comes back with Err set.
func TestParseInvalidShell(t *testing.T) {
	s, err := Parse("go test || true\nif a; then", Options{})
	if err != nil || s.Err != nil || len(s.Cmds) != 3 || s.Cmds[0].Swallowed != "|| true" {
		t.Fatalf("recovered: %v %v %q", err, s.Err, describe(s))
	}
	s, err = Parse("a )", Options{})
	if err != nil || s.Err == nil || s.Err.Error() != "1:3: a command can only contain words and redirects; encountered `)`" {
		t.Fatalf("unrecoverable: %v %v", err, s.Err)
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{strings.Repeat("x", 2<<20), "the script is 2097152 bytes, over the 262144-byte limit of the shell analysis, so it was not analysed"},
		{strings.Repeat("$(", 3000) + strings.Repeat(")", 3000), "the script nests ( { $( or ` 3000 deep, over the limit of 128 of the shell analysis, so it was not analysed"},
		{strings.Repeat("{ ", 200) + "x" + strings.Repeat("; }", 200), "the script nests ( { $( or ` 200 deep, over the limit of 128 of the shell analysis, so it was not analysed"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.src, Options{})
		var le *LimitError
		if !errors.As(err, &le) || err.Error() != tc.want {
			t.Errorf("Parse(%.20q...) error = %v, want %q", tc.src, err, tc.want)
		}
	}
	// Under the limit, deep nesting parses.
	src := strings.Repeat("$(", 100) + "x" + strings.Repeat(")", 100)
	if s, err := Parse("echo "+src, Options{}); err != nil || s.Err != nil {
		t.Fatalf("100 deep: %v %v", err, s.Err)
	}
}

func TestUnwrapAndPrints(t *testing.T) {
	tests := []struct {
		src    string
		argv   string
		prints bool
	}{
		{"sudo -E -u root pip install x", `["pip" "install" "x"]`, false},
		{"env -i A=1 npm ci", `["npm" "ci"]`, false},
		{"timeout -s KILL 60 make", `["make"]`, false},
		{"echo $T", `["echo" "$T"]`, true},
		{"echo $T > f", `["echo" "$T"]`, false},
		{"printf %s $T >&2", `["printf" "%s" "$T"]`, true},
		{"env", `[]`, true},
		{"command echo x", `["echo" "x"]`, true},
	}
	for _, tc := range tests {
		s, err := Parse(tc.src, Options{})
		if err != nil || len(s.Cmds) != 1 {
			t.Fatalf("Parse(%q): %v", tc.src, err)
		}
		rest, _ := Unwrap(s.Cmds[0].Args)
		if got := fmt.Sprintf("%q", Values(rest)); got != tc.argv {
			t.Errorf("Unwrap(%q) = %s, want %s", tc.src, got, tc.argv)
		}
		if got := s.Cmds[0].Prints(); got != tc.prints {
			t.Errorf("Prints(%q) = %v, want %v", tc.src, got, tc.prints)
		}
	}
}

func TestCmdAt(t *testing.T) {
	s, _ := Parse("a $(b c) d; e", Options{})
	for off, want := range map[int]string{0: "a", 5: "b", 9: "a", 12: "e", 20: ""} {
		got := ""
		if c := s.CmdAt(off); c != nil {
			got = c.Name()
		}
		if got != want {
			t.Errorf("CmdAt(%d) = %q, want %q", off, got, want)
		}
	}
}

// FuzzParse: any input parses or is refused by a limit, without a panic, and every word's
// offsets slice the input to its Raw text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"go test ./... || true", "set +e\ngo test\nrc=$?", "cat <<EOF\nx\nEOF\n", "a 'b\nc' $(d `e`) ${f}",
		"if ! go vet; then exit 1; fi", "x || { echo; }", "( go test ) | tee l", "2>&1 >> out <<< in",
		"echo ${{ secrets.X }} $((1+2)) <(x) >(y)", "f() { a; }; case $x in a) b;; esac", "((((((((((",
		"for i in 1 2; do echo $i & done", "declare -x A=$(b) c[0]=1", "[[ $a == b ]] && let x=1",
	} {
		f.Add(s, false, true)
	}
	f.Fuzz(func(t *testing.T, s string, posix, mask bool) {
		d := Bash
		if posix {
			d = POSIX
		}
		sc, err := Parse(s, Options{Dialect: d, MaskExpressions: mask, Errexit: true})
		if err != nil {
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a limit", err)
			}
			return
		}
		for _, c := range sc.Cmds {
			if c.Off < 0 || c.End > len(s) || c.Off > c.End {
				t.Fatalf("command offsets %d-%d out of range in %q", c.Off, c.End, s)
			}
			for _, w := range append(append([]Word{}, c.Args...), c.Assigns...) {
				if w.Off < 0 || w.End > len(s) || w.Off > w.End || s[w.Off:w.End] != w.Raw {
					t.Fatalf("bad word %+v in %q", w, s)
				}
			}
			sc.StatusReadAfter(c)
			c.Prints()
		}
	})
}
