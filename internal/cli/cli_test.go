package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

var delimRE = regexp.MustCompile(`ghadelimiter_[0-9a-f-]+`)

// TestScripts runs each testdata/cli/*.txtar scenario through Run in-process. An archive holds:
//
//	-- args --      one argument per line
//	-- env --       optional KEY=VALUE lines (the GitHub Actions environment, NO_COLOR, ...)
//	<files>         the repository the command runs in
//	-- stdout --    expected standard output
//	-- stderr --    expected standard error
//	-- exit --      expected exit code
//	-- <file> --    sections named "out/<path>" are compared with files the command wrote
//
// Go with -update to rewrite the expected sections after a deliberate change.
func TestScripts(t *testing.T) {
	archives, err := filepath.Glob("../../testdata/cli/*.txtar")
	if err != nil || len(archives) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, path := range archives {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			runScript(t, path)
		})
	}
}

func runScript(t *testing.T, path string) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var args []string
	envVars := map[string]string{}
	expect := map[string]string{}
	for _, f := range ar.Files {
		switch {
		case f.Name == "args":
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				if l != "" {
					args = append(args, l)
				}
			}
		case f.Name == "env":
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					envVars[k] = strings.ReplaceAll(v, "$WORK", dir)
				}
			}
		case f.Name == "stdout" || f.Name == "stderr" || f.Name == "exit" || strings.HasPrefix(f.Name, "out/"):
			expect[f.Name] = string(f.Data)
		default:
			p := filepath.Join(dir, f.Name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Keep the user's shellcheck cache out of tests, and make results independent of the machine.
	if _, ok := envVars["XDG_CACHE_HOME"]; !ok {
		envVars["XDG_CACHE_HOME"] = filepath.Join(dir, ".cache")
	}
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return envVars[k] }
	env := Env{Actions: ghaction.New(getenv, &stdout), WorkDir: dir}
	code := Run(context.Background(), args, Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}, env)

	got := map[string]string{
		"stdout": strings.ReplaceAll(stdout.String(), dir, "$WORK"),
		"stderr": strings.ReplaceAll(stderr.String(), dir, "$WORK"),
		"exit":   strconv.Itoa(code) + "\n",
	}
	for name := range expect {
		if rest, ok := strings.CutPrefix(name, "out/"); ok {
			b, err := os.ReadFile(filepath.Join(dir, rest))
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			// $GITHUB_OUTPUT heredoc delimiters are random by design.
			got[name] = delimRE.ReplaceAllString(strings.ReplaceAll(string(b), dir, "$WORK"), "ghadelimiter_RANDOM")
		}
	}
	if golden.Update() {
		for i, f := range ar.Files {
			if g, ok := got[f.Name]; ok {
				ar.Files[i].Data = []byte(g)
				delete(got, f.Name)
			}
		}
		for _, name := range []string{"stdout", "stderr", "exit"} {
			if g, ok := got[name]; ok && g != "" {
				ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(g)})
			}
		}
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, name := range []string{"stdout", "stderr", "exit"} {
		if _, ok := expect[name]; !ok && got[name] != "" {
			expect[name] = ""
		}
	}
	for name, want := range expect {
		if got[name] != want {
			t.Errorf("%s differs\n--- got ---\n%s\n--- want ---\n%s", name, got[name], want)
		}
	}
}

// An interrupted run prints nothing of its result, says so once, and exits 3, however far the
// command got.
func TestRunInterrupted(t *testing.T) {
	dir := oneLineWorkflow(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	env := Env{Actions: ghaction.New(func(k string) string { return map[string]string{"GITHUB_ACTIONS": "true"}[k] }, &stdout), WorkDir: dir}
	code := Run(ctx, []string{"lint", "--shellcheck", "off", "--format", "github"}, Streams{Stdout: &stdout, Stderr: &stderr}, env)
	if code != ExitTool || stdout.Len() != 0 || stderr.String() != "molecule-ci: interrupted\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3, nothing, the interruption", code, stdout.String(), stderr.String())
	}
}

func TestColourAlways(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"lint", "--color=always"}, true},
		{[]string{"lint", "-color", "always", "."}, true},
		{[]string{"lint", "--color", "auto"}, false},
		{[]string{"lint", "--", "--color=always"}, false},
		{[]string{"lint", "color=always"}, false},
		{[]string{"lint"}, false},
	} {
		if got := colourAlways(tc.args); got != tc.want {
			t.Errorf("colourAlways(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// Colour is kept when asked for, and every other escape is shown, not obeyed.
func TestRunColourOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	writeHostile(t, dir, map[string]string{".github/workflows/x\x1b]0;t\x07.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"})
	for _, colour := range []string{"always", "never"} {
		var stdout, stderr bytes.Buffer
		env := Env{Actions: ghaction.New(nil, &stdout), WorkDir: dir}
		Run(context.Background(), []string{"lint", "--shellcheck", "off", "--format", "human", "--color", colour}, Streams{Stdout: &stdout, Stderr: &stderr}, env)
		out := stdout.String()
		if strings.Contains(out, "\x1b]") || !strings.Contains(out, `x\x1b]0;t\x07.yml`) {
			t.Errorf("--color %s: the file name's escape reached the terminal: %q", colour, out)
		}
		if hasSGR := strings.Contains(out, "\x1b[1m"); hasSGR != (colour == "always") {
			t.Errorf("--color %s: colour sequences present = %v", colour, hasSGR)
		}
	}
}
