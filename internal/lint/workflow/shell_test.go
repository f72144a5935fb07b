package workflow

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rhysd/actionlint"
)

func TestResolveShell(t *testing.T) {
	tests := []struct {
		spec    string
		windows bool
		want    shellMode
	}{
		{"", false, shellMode{name: "bash -e {0}", analyze: true, errexit: true}},
		{"", true, shellMode{name: "pwsh"}},
		{"bash", false, shellMode{name: "bash", analyze: true, errexit: true, pipefail: true}},
		{"sh", false, shellMode{name: "sh", analyze: true, errexit: true}},
		{"bash {0}", false, shellMode{name: "bash {0}", analyze: true}},
		{"bash -e {0}", false, shellMode{name: "bash -e {0}", analyze: true, errexit: true}},
		{"bash --noprofile --norc -eo pipefail {0}", false, shellMode{name: "bash --noprofile --norc -eo pipefail {0}", analyze: true, errexit: true, pipefail: true}},
		{"/bin/bash -o errexit -o pipefail {0}", false, shellMode{name: "/bin/bash -o errexit -o pipefail {0}", analyze: true, errexit: true, pipefail: true}},
		{"sh -xe {0}", false, shellMode{name: "sh -xe {0}", analyze: true, errexit: true}},
		{"python", false, shellMode{name: "python"}},
		{"pwsh", false, shellMode{name: "pwsh"}},
		{"perl {0}", false, shellMode{name: "perl {0}"}},
		{"${{ matrix.shell }}", false, shellMode{name: "${{ matrix.shell }}"}},
	}
	for _, tc := range tests {
		if got := resolveShell(tc.spec, tc.windows); got != tc.want {
			t.Errorf("resolveShell(%q, %v) = %+v, want %+v", tc.spec, tc.windows, got, tc.want)
		}
	}
}

func TestApplySet(t *testing.T) {
	tests := []struct {
		args string
		from shellMode
		want shellMode
	}{
		{"-e", shellMode{}, shellMode{errexit: true}},
		{"+e", shellMode{errexit: true}, shellMode{}},
		{"-euo pipefail", shellMode{}, shellMode{errexit: true, pipefail: true}},
		{"-o pipefail", shellMode{errexit: true}, shellMode{errexit: true, pipefail: true}},
		{"+o errexit", shellMode{errexit: true}, shellMode{}},
		{"-x", shellMode{errexit: true}, shellMode{errexit: true}},
		{"-- -e", shellMode{}, shellMode{errexit: true}},
	}
	for _, tc := range tests {
		m := tc.from
		cmds := parseScript("set " + tc.args)
		applySet(&m, cmds[0].words[1:])
		if m != tc.want {
			t.Errorf("set %s from %+v = %+v, want %+v", tc.args, tc.from, m, tc.want)
		}
	}
}

func TestGateName(t *testing.T) {
	tests := map[string]string{
		"go test -race ./...":                   "go test",
		"GOFLAGS=-mod=mod go vet ./...":         "go vet",
		"go tool cover -func=c.out":             "",
		"go mod download":                       "",
		"sudo -E go build ./cmd/x":              "go build",
		"timeout 120 go test ./...":             "go test",
		"./bin/golangci-lint run":               "golangci-lint",
		"python3 -m pytest -q":                  "pytest",
		"uv run mypy src":                       "mypy",
		"poetry run ruff check .":               "ruff",
		"npx --yes eslint .":                    "eslint",
		"npm test":                              "npm test",
		"npm ci":                                "",
		"npm run build":                         "npm run build",
		"npm run --silent typecheck":            "npm run typecheck",
		"npm run dev":                           "",
		"pnpm --filter web test":                "pnpm test",
		"yarn lint":                             "yarn lint",
		"cargo clippy -- -D warnings":           "cargo clippy",
		"cargo fmt":                             "",
		"make -C server test":                   "make test",
		"make install":                          "",
		"docker build -t x .":                   "docker build",
		"docker buildx build --push .":          "docker buildx build",
		"docker compose up -d":                  "",
		"docker run --rm img":                   "",
		"trivy image x":                         "trivy",
		"molecule-ci lint":                      "molecule-ci",
		"black --check .":                       "black --check",
		"black .":                               "",
		"echo go test":                          "",
		`"go" test`:                             "go test",
		"env CGO_ENABLED=0 go build -o bin/x .": "go build",
	}
	for src, want := range tests {
		cmds := parseScript(src)
		if len(cmds) != 1 {
			t.Fatalf("parseScript(%q) = %d commands", src, len(cmds))
		}
		if got := gateName(&cmds[0]); got != want {
			t.Errorf("gateName(%q) = %q, want %q", src, got, want)
		}
	}
}

// TestParseScript pins the structure the analysis relies on.
func TestParseScript(t *testing.T) {
	type cmd struct {
		Words      []string
		Op         string
		Cond       bool
		Open       bool
		Close      bool
		Redirected bool
	}
	tests := []struct {
		src  string
		want []cmd
	}{
		{"a | b || c && d; e & f", []cmd{
			{Words: []string{"a"}, Op: "|"}, {Words: []string{"b"}, Op: "||"}, {Words: []string{"c"}, Op: "&&"},
			{Words: []string{"d"}, Op: ";"}, {Words: []string{"e"}, Op: "&"}, {Words: []string{"f"}},
		}},
		{"go test |\n  tee log", []cmd{{Words: []string{"go", "test"}, Op: "|"}, {Words: []string{"tee", "log"}}}},
		{"go test \\\n  ./... || true", []cmd{{Words: []string{"go", "test", "./..."}, Op: "||"}, {Words: []string{"true"}}}},
		{"if go test; then echo ok; fi", []cmd{{Words: []string{"go", "test"}, Op: ";", Cond: true}, {Words: []string{"echo", "ok"}, Op: ";"}}},
		{"! go vet", []cmd{{Words: []string{"go", "vet"}, Cond: true}}},
		{"x || { echo no; exit 1; }", []cmd{
			{Words: []string{"x"}, Op: "||"}, {Words: []string{"echo", "no"}, Op: ";", Open: true},
			{Words: []string{"exit", "1"}, Op: ";"}, {Op: "", Close: true},
		}},
		{"echo hi > out 2>&1\necho there >&2", []cmd{{Words: []string{"echo", "hi"}, Op: "\n", Redirected: true}, {Words: []string{"echo", "there"}}}},
		{"cat <<'EOF'\ngo test || true\nEOF\nnext", []cmd{{Words: []string{"cat"}, Op: "\n"}, {Words: []string{"next"}}}},
		{"a \"b | c\" 'd ; e' $(f | g) `h || i` ${j:-k l}", []cmd{{Words: []string{"a", `"b | c"`, "'d ; e'", "$(f | g)", "`h || i`", "${j:-k l}"}}}},
		{"# comment | x\na # trailing ; y", []cmd{{Words: []string{"a"}}}},
		{"( go test ) || true", []cmd{{Words: []string{"go", "test"}, Op: "||"}, {Words: []string{"true"}}}},
		{"sh -c '\n  go test || true\n'", []cmd{{Words: []string{"sh", "-c", "'\n  go test || true\n'"}}}},
		{"ssh-add <(echo \"$K\") >(tee x)", []cmd{{Words: []string{"ssh-add", `<(echo "$K")`, ">(tee x)"}}}},
		{"", nil},
		{"unterminated 'quote", []cmd{{Words: []string{"unterminated", "'quote"}}}},
	}
	for _, tc := range tests {
		var got []cmd
		for _, c := range parseScript(tc.src) {
			g := cmd{Op: c.op, Cond: c.cond, Open: c.openBrace, Close: c.closeBrace, Redirected: c.redirected}
			for _, w := range c.words {
				g.Words = append(g.Words, w.raw)
				if tc.src[w.start:w.end] != w.raw {
					t.Errorf("%q: word %q has offsets %d:%d", tc.src, w.raw, w.start, w.end)
				}
			}
			got = append(got, g)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseScript(%q) mismatch (-want +got):\n%s", tc.src, diff)
		}
	}
}

func TestAnalyzeGates(t *testing.T) {
	bashE := resolveShell("", false)
	bash := resolveShell("bash", false)
	tests := []struct {
		name string
		src  string
		mode shellMode
		want []string
	}{
		{"or true", "go test ./... || true", bashE, []string{"0: the failure of `go test` is swallowed by `|| true`, so this gate can never fail"}},
		{"or exit 1 is fine", "go test ./... || exit 1", bashE, nil},
		{"or echo then exit is fine", "go test || echo failed && exit 1", bashE, nil},
		{"or group with exit is fine", "go test || { echo failed; exit 1; }", bashE, nil},
		{"or group without exit", "go test || { echo failed; }", bashE, []string{"0: the failure of `go test` is swallowed by `|| echo ...`, so this gate can never fail"}},
		{"pipe under bash is fine", "go test | tee log", bash, nil},
		{"pipe into a non-sink is not judged", "go test -json | tparse", bashE, nil},
		{"pipefail set later does not help", "go test | tee log\nset -o pipefail", bashE, []string{"0: `go test` is piped into `tee` and the shell (bash -e {0}) has no pipefail, so the pipeline's status is `tee`'s and a failure is lost; use `shell: bash` or `set -o pipefail`"}},
		{"gate last in pipe is fine", "cat list | xargs shellcheck", bashE, nil},
		{"semicolon true", "make lint; true", bashE, []string{"0: `; true` after `make lint` makes the script succeed whatever the gate reported"}},
		{"set +e then set -e", "set +e\ngo test\nset -e\necho done", bashE, []string{"7: `go test` runs after `set +e` and nothing later checks $? or PIPESTATUS, so its failure is ignored"}},
		{"set +e checked by PIPESTATUS", "set +e\ngo test | tee log\nexit ${PIPESTATUS[0]}", bashE, nil},
		{"set +e last command", "set +e\ngo test", bashE, nil},
		{"if condition is checked", "set +e\nif go test; then echo ok; fi\necho after", bashE, nil},
		{"pwsh is not read", "go test || true", shellMode{name: "pwsh"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := analyzeGates(parseScript(tc.src), tc.mode)
			var got []string
			for _, is := range res.issues {
				got = append(got, strconv.Itoa(is.off)+": "+is.msg)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScriptPos checks the mapping from an offset in a scalar's value to the file position for
// each scalar style, including the explicit-indentation and folded fallbacks.
func TestScriptPos(t *testing.T) {
	src := strings.Join([]string{
		"a: go vet",      // 1 plain
		`b: "x; go vet"`, // 2 double quoted
		"c: |",           // 3 literal
		"  first",        // 4
		"    go vet",     // 5
		"d: >",           // 6 folded
		"  one",          // 7
		"  two go vet",   // 8
		"e: 'é; go vet'", // 9 runes before
		"f: |",           // 10 literal, CRLF line ends
		"  x\r",          // 11
		"  go vet\r",     // 12
	}, "\n")
	fc := &fileCtx{src: []byte(src)}
	tests := []struct {
		s    actionlint.String
		off  int
		want actionlint.Pos
	}{
		{actionlint.String{Value: "go vet", Pos: &actionlint.Pos{Line: 1, Col: 4}}, 0, actionlint.Pos{Line: 1, Col: 4}},
		{actionlint.String{Value: "x; go vet", Quoted: true, Pos: &actionlint.Pos{Line: 2, Col: 4}}, 3, actionlint.Pos{Line: 2, Col: 8}},
		{actionlint.String{Value: "first\n  go vet\n", Pos: &actionlint.Pos{Line: 3, Col: 4}}, 8, actionlint.Pos{Line: 5, Col: 5}},
		{actionlint.String{Value: "one two go vet\n", Pos: &actionlint.Pos{Line: 6, Col: 4}}, 8, actionlint.Pos{Line: 8, Col: 7}},
		{actionlint.String{Value: "é; go vet", Quoted: true, Pos: &actionlint.Pos{Line: 9, Col: 4}}, 4, actionlint.Pos{Line: 9, Col: 8}},
		{actionlint.String{Value: "x\ngo vet\n", Pos: &actionlint.Pos{Line: 10, Col: 4}}, 2, actionlint.Pos{Line: 12, Col: 3}},
		{actionlint.String{Value: "nowhere", Pos: &actionlint.Pos{Line: 1, Col: 4}}, 0, actionlint.Pos{Line: 1, Col: 4}},
	}
	for _, tc := range tests {
		got := fc.scriptPos(&tc.s, tc.off)
		if *got != tc.want {
			t.Errorf("scriptPos(%q, %d) = %v, want %v", tc.s.Value, tc.off, got, &tc.want)
		}
	}
}

func FuzzParseScript(f *testing.F) {
	for _, s := range []string{
		"go test ./... || true", "set +e\ngo test\nrc=$?", "cat <<EOF\nx\nEOF\n", "a 'b\nc' $(d `e`) ${f}",
		"if ! go vet; then exit 1; fi", "x || { echo; }", "( go test ) | tee l", "2>&1 >> out <<< in",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmds := parseScript(s)
		for _, c := range cmds {
			for _, w := range c.words {
				if w.start < 0 || w.end > len(s) || w.start >= w.end || s[w.start:w.end] != w.raw {
					t.Fatalf("bad word %+v in %q", w, s)
				}
			}
		}
		for _, m := range []shellMode{resolveShell("", false), resolveShell("bash {0}", false)} {
			for _, is := range analyzeGates(cmds, m).issues {
				if is.off < 0 || is.off > len(s) {
					t.Fatalf("issue offset %d out of range in %q", is.off, s)
				}
			}
		}
	})
}
