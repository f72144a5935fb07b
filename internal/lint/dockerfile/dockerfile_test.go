package dockerfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// render is the golden form of findings: the canonical text form, then the severity and, for a
// finding over several lines, its last line.
func render(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		extra := f.Severity.String()
		if f.EndLine > f.Line {
			extra += fmt.Sprintf(", to line %d", f.EndLine)
		}
		fmt.Fprintf(&b, "%s (%s)\n", f, extra)
	}
	return b.String()
}

func dockerfiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (d.Name() == "Dockerfile" || strings.HasSuffix(d.Name(), ".Dockerfile")) {
			files = append(files, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no Dockerfiles under testdata")
	}
	return files
}

func goldenPath(p string) string {
	if strings.HasSuffix(p, "/Dockerfile") {
		return p + ".golden"
	}
	return strings.TrimSuffix(p, ".Dockerfile") + ".golden"
}

// TestGolden lints every Dockerfile under testdata and compares the findings with the .golden
// file next to it. Run `go test -update` to rewrite them after an intended change.
func TestGolden(t *testing.T) {
	for _, p := range dockerfiles(t) {
		t.Run(p, func(t *testing.T) {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, goldenPath(p), []byte(render(Lint(p, src, Options{}))))
		})
	}
}

// TestEveryRuleHasGoldenPairs holds each rule to a failing and a passing example.
func TestEveryRuleHasGoldenPairs(t *testing.T) {
	ids := []string{"buildkit"}
	for _, r := range Rules() {
		ids = append(ids, r.ID)
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			bad := "testdata/rules/" + id + ".bad.Dockerfile"
			src, err := os.ReadFile(bad)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range Lint(bad, src, Options{}) {
				found = found || f.Rule == id || id == "buildkit" && strings.HasPrefix(f.Rule, BuildKitPrefix)
			}
			if !found {
				t.Errorf("%s reports no %s finding", bad, id)
			}
			good := "testdata/rules/" + id + ".good.Dockerfile"
			if src, err = os.ReadFile(good); err != nil {
				t.Fatal(err)
			}
			if fs := Lint(good, src, Options{}); len(fs) != 0 {
				t.Errorf("%s should be clean, got:\n%s", good, render(fs))
			}
		})
	}
}

var buildKitHelp = regexp.MustCompile(`^https://docs\.docker\.com/go/dockerfile/rule/[a-z-]+/$`)

// TestFindingsAreComplete checks what every finding must carry, on every testdata file.
func TestFindingsAreComplete(t *testing.T) {
	known := map[string]report.Severity{}
	for _, r := range Rules() {
		known[r.ID] = r.Severity
	}
	for _, p := range dockerfiles(t) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Lint(p, src, Options{}) {
			switch {
			case f.Path != p:
				t.Errorf("%s: finding has path %q", p, f.Path)
			case f.Line < 1 || f.Col < 1:
				t.Errorf("%s: finding without a position: %s", p, f)
			case f.EndLine != 0 && f.EndLine <= f.Line:
				t.Errorf("%s: EndLine %d not after Line: %s", p, f.EndLine, f)
			case f.Help == "":
				t.Errorf("%s: finding without help: %s", p, f)
			case strings.HasPrefix(f.Rule, BuildKitPrefix):
				if !buildKitHelp.MatchString(f.Help) {
					t.Errorf("%s: buildkit finding help %q is not a docs URL", p, f.Help)
				}
			case known[f.Rule] == 0:
				t.Errorf("%s: unknown rule %q", p, f.Rule)
			case f.Severity != known[f.Rule]:
				t.Errorf("%s: %s has severity %s, rule default is %s", p, f, f.Severity, known[f.Rule])
			}
		}
	}
}

// TestSecretValuesNeverPrinted plants token-shaped values and checks no message repeats them.
func TestSecretValuesNeverPrinted(t *testing.T) {
	secrets := []string{
		"ghp_" + strings.Repeat("A1b2", 9),
		"github_pat_" + strings.Repeat("Z9", 20),
		"sk-ant-api03-" + strings.Repeat("x", 30),
		"sk-proj-" + strings.Repeat("Q", 30),
		"xoxb-1234567890-abcdefghij",
		"AKIA" + "ABCDEFGHIJKLMNOP",
	}
	for _, s := range secrets {
		src := fmt.Sprintf("FROM alpine:3.20\nARG CONFIG=%s\nENV VALUE=\"%s\"\nCOPY <<EOF /etc/app.conf\nkey=%s\nEOF\nUSER app\n", s, s, s)
		fs := Lint("Dockerfile", []byte(src), Options{})
		var secretsFound int
		for _, f := range fs {
			if f.Rule == RuleSecret {
				secretsFound++
			}
			for _, part := range []string{s, s[len(s)-8:]} {
				if strings.Contains(f.Message, part) || strings.Contains(f.Help, part) {
					t.Errorf("finding repeats the secret %q: %s", part, f)
				}
			}
		}
		if secretsFound != 3 {
			t.Errorf("%s...: want 3 docker-secret findings, got:\n%s", s[:6], render(fs))
		}
	}
}

// TestRootUserOptions covers what only Options can change.
func TestRootUserOptions(t *testing.T) {
	const noUser = "FROM alpine:3.20\nCOPY run.sh /run.sh\nENTRYPOINT [\"/run.sh\"]\n"
	const dropsWithSetpriv = "FROM debian:12\nENTRYPOINT [\"setpriv\", \"--reuid=app\", \"--\", \"/app\"]\n"
	const gosuEntry = "FROM debian:12\nENTRYPOINT [\"gosu\", \"app\", \"/app\"]\n"
	tests := []struct {
		name string
		src  string
		opts Options
		want bool // a docker-root-user finding
	}{
		{"no USER", noUser, Options{}, true},
		{"allowed by config", noUser, Options{AllowRoot: true}, false},
		{"gosu by default", gosuEntry, Options{}, false},
		{"gosu not configured", gosuEntry, Options{PrivilegeDrop: []string{"setpriv"}}, true},
		{"setpriv configured", dropsWithSetpriv, Options{PrivilegeDrop: []string{"setpriv"}}, false},
		{"setpriv not configured", dropsWithSetpriv, Options{}, true},
		{"empty list drops nothing", gosuEntry, Options{PrivilegeDrop: []string{}}, true},
		{"a Docker container action runs as root", noUser, Options{ContainerAction: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Lint("Dockerfile", []byte(tt.src), tt.opts)
			got := slices.ContainsFunc(fs, func(f report.Finding) bool { return f.Rule == RuleRootUser })
			if got != tt.want {
				t.Errorf("docker-root-user reported = %v, want %v; findings:\n%s", got, tt.want, render(fs))
			}
		})
	}
}

func TestIsContainerAction(t *testing.T) {
	for src, want := range map[string]bool{
		"name: x\nruns:\n  using: docker\n  image: Dockerfile\n":       true,
		"name: x\nruns:\n  using: 'docker'\n  image: Dockerfile\n":     true,
		"name: x\nruns:\n  using: \"docker\" # container\n":            true,
		"name: x\nruns:\n  using: composite\n  steps: []\n":            false,
		"name: x\nruns:\n  using: node20\n  main: index.js # docker\n": false,
	} {
		if got := IsContainerAction([]byte(src)); got != want {
			t.Errorf("IsContainerAction(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestRulesMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.ID == "" || r.Doc == "" || r.Severity == 0 {
			t.Errorf("bad rule metadata: %+v", r)
		}
		seen[r.ID] = true
	}
	want := []string{RuleSyntax, RuleRootUser, RulePipCache, RuleAptLists, RuleSecret, RuleUnpinnedBase, RuleSwallowedFailure, RuleCurlPipeShell}
	for _, id := range want {
		if !seen[id] {
			t.Errorf("Rules() lacks %s", id)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("Rules() has %d rules, want %d", len(seen), len(want))
	}
}

// TestLintConcurrent makes sure Lint can be called concurrently on shared options, as the
// lint command does for thousands of files.
func TestLintConcurrent(t *testing.T) {
	src := []byte("FROM python:3.12-slim AS build\nRUN pip install flask || true\nFROM build\nENTRYPOINT [\"flask\"]\n")
	opts := Options{PrivilegeDrop: []string{"gosu"}}
	want := render(Lint("Dockerfile", src, opts))
	done := make(chan string)
	for range 8 {
		go func() { done <- render(Lint("Dockerfile", src, opts)) }()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent Lint differs:\n%s\nwant:\n%s", got, want)
		}
	}
}

func FuzzLint(f *testing.F) {
	for _, p := range []string{
		"testdata/rules/docker-swallowed-failure.bad.Dockerfile",
		"testdata/heredoc/run-heredoc.Dockerfile",
		"testdata/syntax/unterminated-heredoc.Dockerfile",
		"testdata/workspace-template/Dockerfile",
	} {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("FROM a\nRUN (((( {{ $(( `` <<A\nA\n"))
	f.Add([]byte("# escape=`\nFROM a\nRUN x `\n y\n"))
	f.Add([]byte("FROM $X\nUSER ${Y:-0}\nCMD <<E\nE\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, f := range Lint("Dockerfile", src, Options{}) {
			if f.Line < 1 || f.Rule == "" || f.Severity == 0 {
				t.Fatalf("malformed finding %+v", f)
			}
		}
	})
}

func BenchmarkLint(b *testing.B) {
	src, err := os.ReadFile("testdata/workspace-template/Dockerfile")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Lint("Dockerfile", src, Options{})
	}
}

// TestWorkspaceTemplateVerdicts pins the verdicts on the organisation's image layout (the shapes
// under testdata/workspace-template): the base image starts as root and its CMD runs a copied
// entrypoint script that drops to `agent` with gosu, which the image installs; the adapters keep
// `USER root` for that inherited entrypoint and say so in a comment. None of them is a
// docker-root-user finding, while the adapters' `npm install ... || true` are.
func TestWorkspaceTemplateVerdicts(t *testing.T) {
	tests := []struct {
		path string
		want []string // rules reported, sorted by position
	}{
		{"testdata/workspace-template/Dockerfile", []string{RuleCurlPipeShell}},
		{"testdata/workspace-template/adapters/autogen/Dockerfile", nil},
		{"testdata/workspace-template/adapters/claude_code/Dockerfile", []string{RuleSwallowedFailure}},
		{"testdata/workspace-template/adapters/openclaw/Dockerfile", []string{RuleSwallowedFailure, RuleSwallowedFailure}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			src, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range Lint(tt.path, src, Options{}) {
				got = append(got, f.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rules reported (-want +got):\n%s", diff)
			}
			// Without the privilege drop, the same files are root images.
			var root bool
			for _, f := range Lint(tt.path, src, Options{PrivilegeDrop: []string{}}) {
				root = root || f.Rule == RuleRootUser
			}
			if !root {
				t.Errorf("with no privilege-drop commands configured, %s should run as root", tt.path)
			}
		})
	}
}
