package contract

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// extract writes the files of a txtar archive into a new directory.
func extract(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// contractConfig reads lint.contract from the case's .molecule-ci.yml, if it has one.
func contractConfig(t *testing.T, dir string) config.ContractConfig {
	t.Helper()
	p := filepath.Join(dir, ".molecule-ci.yml")
	data, err := os.ReadFile(p)
	if err != nil {
		return config.ContractConfig{}
	}
	cfg, err := config.Parse(p, data)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg.Lint.Contract
}

func render(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s (%s)\n", f, f.Severity)
		if f.Help != "" {
			fmt.Fprintf(&b, "  help: %s\n", f.Help)
		}
	}
	return b.String()
}

// TestCases runs every testdata/cases/*.txtar repository through Check and compares the
// findings (or their absence) with the .golden file next to it. Each rule has a failing and a
// passing case; run with -update to rewrite the goldens after a deliberate change.
func TestCases(t *testing.T) {
	paths, err := filepath.Glob("testdata/cases/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(p)
			if err != nil {
				t.Fatal(err)
			}
			dir := extract(t, ar)
			fs, err := Check(context.Background(), dir, contractConfig(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if f.Line < 1 || f.Col < 1 || f.Path == "" {
					t.Errorf("finding without a position: %+v", f)
				}
				if _, err := f.Severity.MarshalText(); err != nil {
					t.Errorf("finding without a valid severity: %+v", f)
				}
			}
			out := fmt.Sprintf("kind: %s\n%s", kindOf(t, dir), render(fs))
			golden.Check(t, strings.TrimSuffix(p, ".txtar")+".golden", []byte(out))
		})
	}
}

func kindOf(t *testing.T, dir string) config.ContractKind {
	k := contractConfig(t, dir).Resolved().Kind
	if k == config.ContractAuto {
		return Detect(dir)
	}
	return k
}

// TestEveryRuleHasFailingAndPassingCase keeps the goldens honest: every contract rule appears
// in at least one golden, and at least one golden of its family is clean.
func TestEveryRuleHasFailingAndPassingCase(t *testing.T) {
	all := ""
	goldens, _ := filepath.Glob("testdata/cases/*.golden")
	clean := map[string]bool{}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		all += string(b)
		if strings.Count(string(b), "\n") == 1 {
			clean[strings.SplitN(filepath.Base(g), "-", 2)[0]] = true
		}
	}
	for _, r := range Rules() {
		if !strings.Contains(all, "["+r.ID+"]") {
			t.Errorf("rule %s has no failing case", r.ID)
		}
	}
	for _, fam := range []string{"wt", "plugin", "org", "go", "detect"} {
		if !clean[fam] {
			t.Errorf("no clean case for %s", fam)
		}
	}
}

func TestCheckUnknownKind(t *testing.T) {
	_, err := Check(context.Background(), t.TempDir(), config.ContractConfig{Kind: "library"})
	if err == nil || err.Error() != `unknown contract "library"` {
		t.Fatalf("got %v", err)
	}
}

func TestCheckCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Check(ctx, t.TempDir(), config.ContractConfig{}); err != context.Canceled {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestSymlinkOutsideRepository: a config.yaml that links outside the repository is not read
// (its content could otherwise be quoted into a public log).
func TestSymlinkOutsideRepository(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(outside, []byte("private_key_of_someone: x\nname: y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"Dockerfile": "FROM python:3.11-slim\n", "requirements.txt": "x\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	fs, err := Check(context.Background(), dir, config.ContractConfig{Kind: config.ContractWorkspaceTemplate})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if strings.Contains(f.Message, "private_key_of_someone") {
			t.Fatalf("content from outside the repository in a finding: %s", f)
		}
	}
	if !strings.Contains(render(fs), "config.yaml:1:1: config.yaml is missing at the repository root [contract/config-file]") {
		t.Fatalf("want config.yaml reported missing, got:\n%s", render(fs))
	}
}

func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkDir(dir string) ([]report.Finding, error) {
	return Check(context.Background(), dir, config.ContractConfig{})
}

// TestAdapterClassResolution: each way of naming the runtime's BaseAdapter is recognised on its
// own, and a class named BaseAdapter from elsewhere is not.
func TestAdapterClassResolution(t *testing.T) {
	for src, want := range map[string]bool{
		"from molecule_runtime.adapters.base import BaseAdapter\nclass A(BaseAdapter): pass\n":               true,
		"from molecule_runtime.adapters.base import BaseAdapter as B\nclass A(B): pass\n":                    true,
		"import molecule_runtime.adapters.base as b\nclass A(b.BaseAdapter): pass\n":                         true,
		"from molecule_runtime import adapters\nclass A(adapters.base.BaseAdapter): pass\n":                  true,
		"import molecule_runtime.adapters.base\nclass A(molecule_runtime.adapters.base.BaseAdapter): pass\n": true,
		"from molecule_runtime.adapters.base import *\nclass F(BaseAdapter): pass\nclass A(F): pass\n":       true,
		"from other_framework import BaseAdapter\nclass A(BaseAdapter): pass\n":                              false,
		"import other.adapters as b\nclass A(b.BaseAdapter): pass\n":                                         false,
		"from molecule_runtime.adapters.base import BaseAdapter\n# class A(BaseAdapter): pass\n":             false,
		"from molecule_runtime.adapters.base import BaseAdapter\nX = '''\nclass A(BaseAdapter): pass\n'''\n": false,
	} {
		dir := t.TempDir()
		writeFile(t, dir, "adapter.py", src)
		fs, err := Check(context.Background(), dir, config.ContractConfig{Kind: config.ContractWorkspaceTemplate})
		if err != nil {
			t.Fatal(err)
		}
		got := !strings.Contains(render(fs), "["+RuleAdapterClass+"]")
		if got != want {
			t.Errorf("adapter.py:\n%s\nrecognised an adapter class = %v, want %v", src, got, want)
		}
	}
}

// TestRequirementIncludesBounded: requirements files that include each other, many times over,
// are each read once.
func TestRequirementIncludesBounded(t *testing.T) {
	dir := t.TempDir()
	many := strings.Repeat("-r a.txt\n-r b.txt\n", 2000)
	writeFile(t, dir, "requirements.txt", many)
	writeFile(t, dir, "a.txt", many)
	writeFile(t, dir, "b.txt", many+"molecule-ai-workspace-runtime\n")
	writeFile(t, dir, "adapter.py", "from molecule_runtime.adapters.base import BaseAdapter\nclass A(BaseAdapter): pass\n")
	done := make(chan []report.Finding, 1)
	go func() {
		fs, err := Check(context.Background(), dir, config.ContractConfig{})
		if err != nil {
			t.Error(err)
		}
		done <- fs
	}()
	select {
	case fs := <-done:
		if strings.Contains(render(fs), "requirements.txt does not declare") {
			t.Errorf("the requirement in b.txt was not found:\n%s", render(fs))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Check did not return within 10s")
	}
}

// TestOrgTemplateBounded: a template that includes one file twenty thousand times stops at the
// workspace bound with one finding, quickly.
func TestOrgTemplateBounded(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "org.yaml", "name: o\nworkspaces:\n"+strings.Repeat("  - !include t.yaml\n", 20000))
	writeFile(t, dir, "t.yaml", "name: t\nchildren:\n  - !include bad.yaml\n")
	writeFile(t, dir, "bad.yaml", "name: [\n")
	start := time.Now()
	fs, err := Check(context.Background(), dir, config.ContractConfig{})
	if err != nil {
		t.Fatal(err)
	}
	got := render(fs)
	if n := strings.Count(got, "the org template has more than 10000 workspaces"); n != 1 {
		t.Errorf("bound reported %d times:\n%.2000s", n, got)
	}
	if n := strings.Count(got, "bad.yaml (included from t.yaml) is not valid YAML"); n != 1 {
		t.Errorf("the broken include reported %d times, want once", n)
	}
	t.Logf("%d findings in %v", len(fs), time.Since(start))
}
