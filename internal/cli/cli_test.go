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
