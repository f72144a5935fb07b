package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// runIn runs a molecule-ci command line in-process in dir, with the given environment.
func lintIn(t *testing.T, dir string, vars map[string]string, args ...string) string {
	t.Helper()
	if vars == nil {
		vars = map[string]string{}
	}
	if _, ok := vars["XDG_CACHE_HOME"]; !ok {
		vars["XDG_CACHE_HOME"] = filepath.Join(t.TempDir(), "cache")
	}
	var stdout, stderr bytes.Buffer
	env := Env{Actions: ghaction.New(func(k string) string { return vars[k] }, &stdout), WorkDir: dir}
	code := Run(context.Background(), args, Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}, env)
	out := "$ molecule-ci " + strings.Join(args, " ") + "\n" + stdout.String() + stderr.String() + "exit " + strconv.Itoa(code) + "\n"
	return strings.ReplaceAll(out, dir, "$WORK")
}

func writeLintFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(body, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
}

const noTimeout = "on: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n"

// TestLintConfigPerRepository: each PATH is linted with the config of its own repository (the
// nearest .git above it), not the working directory's; --config overrides them all.
func TestLintConfigPerRepository(t *testing.T) {
	work := t.TempDir()
	writeLintFiles(t, work, map[string]string{
		".molecule-ci.yml":                      "lint:\n  rules:\n    missing-timeout: {severity: info}\n",
		"alpha/.git/HEAD":                       "ref: refs/heads/main\n",
		"alpha/.molecule-ci.yml":                "lint:\n  rules:\n    missing-timeout: {disabled: true}\n",
		"alpha/.github/workflows/ci.yml":        noTimeout,
		"beta/.git":                             "gitdir: ../.gitdirs/beta\n", // a worktree: .git is a file
		"beta/.molecule-ci.yml":                 "lint:\n  rules:\n    missing-timeout: {severity: error, ignore: [legacy/**]}\n",
		"beta/.github/workflows/ci.yml":         noTimeout,
		"beta/legacy/.github/workflows/old.yml": noTimeout,
		"beta/svc/Dockerfile":                   "FROM scratch\nUSER 1000\n",
		"other.yml":                             "lint:\n  rules:\n    missing-timeout: {severity: warning}\n",
	})
	var b strings.Builder
	for _, args := range [][]string{
		{"lint", "--shellcheck", "off", "alpha", "beta"},
		{"lint", "--shellcheck", "off", "beta/.github/workflows/ci.yml", "alpha/.github"},
		{"lint", "--shellcheck", "off", "--config", "other.yml", "alpha", "beta"},
	} {
		b.WriteString(lintIn(t, work, nil, args...))
	}
	// Run from inside a repository: its root's config applies to a path below the working directory.
	b.WriteString(lintIn(t, filepath.Join(work, "beta", "svc"), nil, "lint", "--shellcheck", "off", "."))
	golden.Check(t, "testdata/lint-per-repository.golden", []byte(b.String()))
}

func realShellcheck(t *testing.T) string {
	t.Helper()
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.Missing(t, "shellcheck not installed: apt-get install shellcheck")
	}
	return sc
}

// TestLintRepoTool: a checker inside the repository runs only with --trust-repo-tools, and
// never on pull_request_target.
func TestLintRepoTool(t *testing.T) {
	sc := realShellcheck(t)
	dir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	writeLintFiles(t, dir, map[string]string{
		".git/HEAD":                "ref: refs/heads/main\n",
		".molecule-ci.yml":         "lint:\n  shellcheck: ./bin/shellcheck\n  pyflakes: off\n",
		"bin/shellcheck":           "#!/bin/sh\necho ran >> '" + marker + "'\nexec '" + sc + "' \"$@\"\n",
		".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: echo $1\n",
	})
	var b strings.Builder
	b.WriteString(lintIn(t, dir, nil, "lint"))
	_, err := os.Stat(marker)
	b.WriteString("checker ran: " + strconv.FormatBool(err == nil) + "\n")
	b.WriteString(lintIn(t, dir, map[string]string{"GITHUB_EVENT_NAME": "pull_request_target"}, "lint", "--trust-repo-tools"))
	_, err = os.Stat(marker)
	b.WriteString("checker ran: " + strconv.FormatBool(err == nil) + "\n")
	b.WriteString(lintIn(t, dir, map[string]string{"GITHUB_EVENT_NAME": "pull_request"}, "lint", "--trust-repo-tools"))
	_, err = os.Stat(marker)
	b.WriteString("checker ran: " + strconv.FormatBool(err == nil) + "\n")
	golden.Check(t, "testdata/lint-repo-tool.golden", []byte(b.String()))
}

// TestLintScriptLimits: a script shellcheck cannot finish is reported (script-check-limit) and
// the run ends; SHELLCHECK_OPTS reaches shellcheck and its cache key through ghaction, so a run
// with exclusions does not change what the next run without them reports.
func TestLintScriptLimits(t *testing.T) {
	realShellcheck(t)
	dir := t.TempDir()
	nested := "echo " + strings.Repeat("$(echo ", 400) + "x" + strings.Repeat(")", 400)
	writeLintFiles(t, dir, map[string]string{
		".git/HEAD":        "ref: refs/heads/main\n",
		".molecule-ci.yml": "lint:\n  tool-timeout: 2s\n  pyflakes: off\n",
		".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n" +
			"      - run: echo $1\n      - run: " + nested + "\n",
	})
	cache := filepath.Join(t.TempDir(), "cache")
	var b strings.Builder
	for _, opts := range []string{"-e SC2086", "", "-e SC2086"} {
		b.WriteString("SHELLCHECK_OPTS=" + opts + "\n")
		out := lintIn(t, dir, map[string]string{"SHELLCHECK_OPTS": opts, "XDG_CACHE_HOME": cache}, "lint", "--format", "json")
		b.WriteString(out)
	}
	golden.Check(t, "testdata/lint-script-limits.golden", []byte(b.String()))
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "64": 64, "8MiB": 8 << 20, "2G": 2 << 30, "10KiB": 10 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1.5M", "MiB", "9999999999999999999", "8EiB", "4611686018427387904GiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1", "8MiB", "2G", "-1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n <= 0 {
			t.Fatalf("parseSize(%q) = %d with no error", s, n)
		}
	})
}
