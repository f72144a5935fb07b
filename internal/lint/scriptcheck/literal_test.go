package scriptcheck

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

func TestLiteralOnly(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   bool
	}{
		{"npm ci", true},
		{"npm ci\nnpm test\n", true},
		{"  go test -race -coverprofile=cover.out ./...\n", true},
		{"sudo apt-get install -y libssl-dev pkg-config", true},
		{"pip install -r requirements.txt\n\npython -m pytest tests/", true},
		{"npm install __________________", true}, // ${{ matrix.pkg }}, sanitized
		{"curl -fsSL -o out.tgz https://example.com/a/b@1.2%20x:9", true},
		{"make CC=gcc all", true},
		{"", false},
		{"\n  \n", false},
		{"sudo", false},
		{"echo hello", false},          // a command shellcheck knows pitfalls of
		{"cd app\nnpm ci", false},      // SC2164
		{"./run-tests.sh", false},      // not a known tool
		{"npm test $FLAGS", false},     // expansion
		{"npm test \"x\"", false},      // quoting
		{"npm test 'x'", false},        // quoting
		{"npm test *.js", false},       // glob
		{"npm test > out.txt", false},  // redirection
		{"npm test | tee out", false},  // pipeline
		{"npm ci && npm test", false},  // list
		{"npm ci; npm test", false},    // list
		{"npm test # all", false},      // comment
		{"npm  test", false},           // repeated spaces
		{"npm\ttest", false},           // tab
		{"npm test\r", false},          // CR (SC1017)
		{"npm test done", false},       // keyword argument
		{"npm test Fi", false},         // keyword, any case (SC1081)
		{"npm config set x =y", false}, // argument starting with =
		{"npm test -- a,b", false},     // comma
		{"npm test ~/x", false},        // tilde
		{"npm test {a,b}", false},      // braces
		{"npm test \\\n  --ci", false}, // line continuation
		{"npm test é", false},          // non-ASCII
		{"FOO=bar npm test", false},    // assignment
		{"sudo cd /", false},           // sudo of a builtin (SC2232)
		{"sudo sudo npm ci", false},    // sudo of sudo
		{"npm test\nrm -rf /", false},  // a later line
		{"npm test &", false},          // background
		{"npm test $(date)", false},    // substitution
		{"npm test `date`", false},     // substitution
		{"npm test ${{ x }}", false},   // an unsanitized expression
		{"npm test !x", false},         // history expansion / negation
		{"npm test [x]", false},        // glob
		{"npm test (x)", false},        // subshell syntax
		{"npm test x=", true},          // a literal argument with =
		{"gradle build -Dorg.gradle.jvmargs=-Xmx2g", true},
	} {
		if got := literalOnly(tc.script); got != tc.want {
			t.Errorf("literalOnly(%q) = %v, want %v", tc.script, got, tc.want)
		}
	}
}

// shellcheckSays runs the real shellcheck the way the rule does on each script and returns the
// scripts it reported anything on, with what it said.
func shellcheckSays(t testing.TB, sc string, scripts []string) []string {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for i, s := range scripts {
		n := fmt.Sprintf("s%05d.sh", i)
		if err := os.WriteFile(filepath.Join(dir, n), []byte("set -eo pipefail\n"+s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	var said []string
	for b := range slices.Chunk(names, 256) {
		cmd := exec.Command(sc, append(shellcheckArgs("bash"), b...)...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, _ := cmd.Output()
		byFile, err := parseShellcheck(out)
		if err != nil {
			t.Fatalf("shellcheck: %v (stderr %q)", err, stderr.String())
		}
		for _, n := range b {
			for _, d := range byFile[n] {
				i := slices.Index(names, n)
				said = append(said, fmt.Sprintf("%q: SC%d %s", scripts[i], d.Code, d.Message))
			}
		}
	}
	return said
}

// literalVocabulary are argument words that stress the literal shape: flags, paths, URLs,
// versions, assignments, placeholders and words shellcheck treats specially elsewhere.
var literalVocabulary = strings.Fields(`
	- -- -r -rf -f -y -m 755 -p -e -n -s -x -c -o -u -a -v -q -l -i -I -exec -name -print
	-- --ci --force --global --no-cache --prefix=/usr --watch=false -j2 -j 4 -DFOO=1 -Xmx2g
	/ // . .. ... ./ ./... ../x /dev/null /tmp / usr/local/bin bin/ x/ @scope/pkg pkg@1.2.3 +x a+b
	http://x:8080/a https://github.com/o/r.git git@github.com:o/r.git 1.0 v1 0 1 2 255 256 -1 %s %d 100%
	x= x=1 CC=gcc PATH=/bin HOME=/root _ __ ________ x_y X Y test build install run exec eval
	source set export local read cd rm mv cp ln mkdir chmod find echo printf exit return trap
	sudo su ssh xargs which true false yes no on off null nil none NaN main master HEAD origin
	-- -n1 -0 -print0 -delete -k -h -H -E -P -w -W -z -Z -t -T -d -D -g -G -b -B -C -L -R -S
`)

func randomLiteralScript(r *rand.Rand) string {
	tools := make([]string, 0, len(literalTools))
	for k := range literalTools {
		tools = append(tools, k)
	}
	slices.Sort(tools)
	var lines []string
	for range 1 + r.IntN(3) {
		var w []string
		if r.IntN(5) == 0 {
			w = append(w, "sudo")
		}
		w = append(w, tools[r.IntN(len(tools))])
		for range r.IntN(7) {
			w = append(w, literalVocabulary[r.IntN(len(literalVocabulary))])
		}
		lines = append(lines, strings.Repeat(" ", r.IntN(3))+strings.Join(w, " "))
	}
	return strings.Join(lines, "\n")
}

// TestLiteralOnlyIsClean: on thousands of generated scripts of the literal shape — every tool,
// arguments from a vocabulary of awkward words — the real shellcheck reports nothing, which is
// what skipping them assumes.
func TestLiteralOnlyIsClean(t *testing.T) {
	sc := realShellcheck(t)
	c, err := New(Options{Shellcheck: sc})
	if err != nil {
		t.Fatal(err)
	}
	if v := versionOf(c.shellcheck.version); !literalVersions[v] {
		t.Skipf("shellcheck %s: literal scripts are only skipped for %v", v, literalVersions)
	}
	// The harness sees findings: these two are just outside the shape.
	if said := shellcheckSays(t, sc, []string{"npm test done", "sudo cd /"}); len(said) != 2 {
		t.Fatalf("shellcheck said %q on two scripts with one finding each", said)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var scripts []string
	for len(scripts) < 3000 {
		if s := randomLiteralScript(r); literalOnly(s) {
			scripts = append(scripts, s)
		}
	}
	for tool := range literalTools { // every tool alone, and after sudo
		scripts = append(scripts, tool, "sudo "+tool, tool+" "+strings.Join(literalVocabulary[:40], " "))
	}
	if said := shellcheckSays(t, sc, scripts); len(said) > 0 {
		t.Errorf("shellcheck reported on %d literal scripts, which would be skipped:\n%s", len(said), strings.Join(said, "\n"))
	}
}

// FuzzLiteralOnly: whatever the input, a script literalOnly accepts gets no shellcheck finding.
func FuzzLiteralOnly(f *testing.F) {
	f.Add("npm ci")
	f.Add("sudo apt-get install -y libssl-dev\nmake -j2 all")
	f.Add("go test -race ./...")
	f.Add("echo $HOME")
	sc, err := exec.LookPath("shellcheck")
	f.Fuzz(func(t *testing.T, s string) {
		if !literalOnly(s) {
			return
		}
		if err != nil {
			testenv.Missing(t, "shellcheck not installed")
		}
		if said := shellcheckSays(t, sc, []string{s}); len(said) > 0 {
			t.Fatalf("a literal script got findings: %s", said)
		}
	})
}
