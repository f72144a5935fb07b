package workflow

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

func TestResolveShell(t *testing.T) {
	tests := []struct {
		spec           string
		windows, gitea bool
		want           shellMode
	}{
		{"", false, false, shellMode{name: "bash -e {0}", analyze: true, errexit: true}},
		{"", false, true, shellMode{name: "sh -e {0}, act_runner's default", analyze: true, posix: true, errexit: true}},
		{"", true, false, shellMode{name: "pwsh"}},
		{"bash", false, false, shellMode{name: "bash", analyze: true, errexit: true, pipefail: true}},
		{"bash", false, true, shellMode{name: "bash", analyze: true, errexit: true, pipefail: true}},
		{"sh", false, false, shellMode{name: "sh", analyze: true, posix: true, errexit: true}},
		{"bash {0}", false, false, shellMode{name: "bash {0}", analyze: true}},
		{"bash -e {0}", false, false, shellMode{name: "bash -e {0}", analyze: true, errexit: true}},
		{"bash --noprofile --norc -eo pipefail {0}", false, false, shellMode{name: "bash --noprofile --norc -eo pipefail {0}", analyze: true, errexit: true, pipefail: true}},
		{"/bin/bash -o errexit -o pipefail {0}", false, false, shellMode{name: "/bin/bash -o errexit -o pipefail {0}", analyze: true, errexit: true, pipefail: true}},
		{"sh -xe {0}", false, false, shellMode{name: "sh -xe {0}", analyze: true, posix: true, errexit: true}},
		{"python", false, false, shellMode{name: "python"}},
		{"pwsh", false, false, shellMode{name: "pwsh"}},
		{"perl {0}", false, false, shellMode{name: "perl {0}"}},
		{"${{ matrix.shell }}", false, false, shellMode{name: "${{ matrix.shell }}"}},
	}
	for _, tc := range tests {
		if got := resolveShell(tc.spec, tc.windows, tc.gitea); got != tc.want {
			t.Errorf("resolveShell(%q, %v, %v) = %+v, want %+v", tc.spec, tc.windows, tc.gitea, got, tc.want)
		}
	}
}

func parse1(t *testing.T, src string) *shell.Cmd {
	t.Helper()
	s, err := shell.Parse(src, shell.Options{})
	if err != nil || s.Err != nil || len(s.Cmds) != 1 {
		t.Fatalf("Parse(%q) = %v, %v, %d commands", src, err, s.Err, len(s.Cmds))
	}
	return s.Cmds[0]
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
		"npm run test:unit":                     "npm run test:unit",
		"npm run dev":                           "",
		"pnpm --filter web test":                "pnpm test",
		"yarn lint":                             "yarn lint",
		"cargo clippy -- -D warnings":           "cargo clippy",
		"cargo fmt":                             "",
		"make -C server test":                   "make test",
		"make install":                          "",
		"make lint-py-build":                    "",
		"make install-lint":                     "",
		"make lint-py":                          "make lint-py",
		"make contest":                          "",
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
		"codespell --skip=.git":                 "codespell",
		"coverage run -m pytest":                "coverage run -m pytest",
		"./test.sh":                             "./test.sh",
		"scripts/run-lint.sh --fix":             "scripts/run-lint.sh",
		"./scripts/deploy.sh":                   "",
		"scripts/build_directory_md.py":         "",
		"./build.sh":                            "./build.sh",
		"helm lint charts/x":                    "helm lint",
	}
	for src, want := range tests {
		if got := gateName(parse1(t, src).Args); got != want {
			t.Errorf("gateName(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestAnalyzeGates(t *testing.T) {
	bashE := resolveShell("", false, false)
	bash := resolveShell("bash", false, false)
	giteaDefault := resolveShell("", false, true)
	tests := []struct {
		name     string
		src      string
		mode     shellMode
		stepGate string
		want     []string
	}{
		{"or true", "go test ./... || true", bashE, "", []string{"0: the failure of `go test` is swallowed by `|| true`, so this gate can never fail"}},
		{"or exit 1 is fine", "go test ./... || exit 1", bashE, "", nil},
		{"or echo then exit is fine", "go test || echo failed && exit 1", bashE, "", nil},
		{"or group with exit is fine", "go test || { echo failed; exit 1; }", bashE, "", nil},
		{"or group without exit", "go test || { echo failed; }", bashE, "", []string{"0: the failure of `go test` is swallowed by `|| echo ...`, so this gate can never fail"}},
		{"pipe under bash is fine", "go test | tee log", bash, "", nil},
		{"pipe into a non-sink is not judged", "go test -json | tparse", bashE, "", nil},
		{"pipefail set later does not help", "go test | tee log\nset -o pipefail", bashE, "", []string{"0: `go test` is piped into `tee` and the shell (bash -e {0}) has no pipefail, so the pipeline's status is `tee`'s and a failure is lost; use `shell: bash` or `set -o pipefail`"}},
		{"pipefail set before", "set -o pipefail\ngo test | tee log", bashE, "", nil},
		{"gitea default sh has no pipefail", "./test.sh 2>&1 | tee test.log", giteaDefault, "", []string{"0: `./test.sh` is piped into `tee` and the shell (sh -e {0}, act_runner's default) has no pipefail, so the pipeline's status is `tee`'s and a failure is lost; use `shell: bash` or `set -o pipefail`"}},
		{"gate last in pipe is fine", "cat list | xargs shellcheck", bashE, "", nil},
		{"semicolon true under errexit fails anyway", "make lint; true", bashE, "", nil},
		{"semicolon true without errexit", "make lint; true", resolveShell("bash {0}", false, false), "", []string{"0: `; true` after `make lint` makes the script succeed whatever the gate reported"}},
		{"set +e then set -e", "set +e\ngo test\nset -e\necho done", bashE, "", []string{"7: `go test` runs after `set +e` and nothing later checks $? or PIPESTATUS, so its failure is ignored"}},
		{"set +e checked by PIPESTATUS", "set +e\ngo test | tee log\nexit ${PIPESTATUS[0]}", bashE, "", nil},
		{"set +e last command", "set +e\ngo test", bashE, "", nil},
		{"if condition is checked", "set +e\nif go test; then echo ok; fi\necho after", bashE, "", nil},
		{"subshell set +e ends with it", "(set +e; true)\ngo test\necho done", bashE, "", nil},
		{"command substitution is not the step's", "x=$(go test || true)\necho $x", bashE, "", nil},
		{"pwsh is not read", "go test || true", shellMode{name: "pwsh"}, "", nil},
		{"installer target then gate", "make lint-py-build || true\nmake lint-py", bashE, "", nil},
		{"step named Lint, unknown tool swallowed", "./node_modules/.bin/xo || true", bashE, "Lint", []string{"0: the failure of `./node_modules/.bin/xo` is swallowed by `|| true`, so this gate can never fail"}},
		{"step named Lint, setup command swallowed", "pip install xo || true\nxo .", bashE, "Lint", nil},
		{"expressions are words", "go test ${{ matrix.pkg }} || true", bashE, "", []string{"0: the failure of `go test` is swallowed by `|| true`, so this gate can never fail"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := shell.Bash
			if tc.mode.posix {
				d = shell.POSIX
			}
			s, err := shell.Parse(tc.src, shell.Options{Dialect: d, Errexit: tc.mode.errexit, Pipefail: tc.mode.pipefail, MaskExpressions: true})
			if err != nil {
				t.Fatal(err)
			}
			res := analyzeGates(s, tc.mode, tc.stepGate)
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

func TestIsConfigSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"REGISTRY_ENDPOINT": true, "CLUSTER_NAME": true, "RESOURCE_GROUP": true, "AZURE_REGION": true,
		"ENV_VAR_NAME": true, "API_TOKEN": false, "REGISTRY_PASSWORD": false, "DEPLOY_KEY": false,
		"AWS_ACCESS_KEY_ID": true, "TokenName2": true, "BRANCHES_TO_ENABLE_LBT": true, "MACOS_SIGNING_IDENTITY": true, "FOO": false, "GITHUB_TOKEN": false, "SLACK_WEBHOOK_URL": false,
	} {
		if got := isConfigSecret(name); got != want {
			t.Errorf("isConfigSecret(%q) = %v, want %v", name, got, want)
		}
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
	f := &File{Src: []byte(src)}
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
		got := f.Pos(&tc.s, tc.off)
		if *got != tc.want {
			t.Errorf("Pos(%q, %d) = %v, want %v", tc.s.Value, tc.off, got, &tc.want)
		}
	}
}

// TestScriptOverLimits: a run: script nested past the shell analysis's limit is reported once,
// as a warning at the run: key under its own rule, and not analysed (no panic, no silent pass).
func TestScriptOverLimits(t *testing.T) {
	deep := strings.Repeat("$(", 300) + "x" + strings.Repeat(")", 300)
	src := "on: push\npermissions: {contents: read}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - name: Test\n        run: echo " + deep + " || true\n"
	fs := lintDefaults(t, "w.yml", src, KindWorkflow)
	var got []string
	for _, f := range fs {
		if f.Rule == RuleScriptNotAnalyzed {
			got = append(got, fmt.Sprintf("%d:%d %s %s", f.Line, f.Col, f.Severity, f.Message))
		}
	}
	want := []string{"9:14 warning the script nests ( { $( or ` 300 deep, over the limit of 128 of the shell analysis, so it was not analysed; split it into a script file"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
