package scriptcheck

import (
	"archive/zip"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

var full = flag.Bool("full", false, "compare with actionlint on all of actionlint's test data and real-world corpus, not a sample")

// realTools returns the installed shellcheck and pyflakes, skipping the test when either is absent.
func realTools(t *testing.T) (shellcheck, pyflakes string) {
	t.Helper()
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.Missing(t, "shellcheck not installed: apt-get install shellcheck")
	}
	for _, name := range []string{"pyflakes", "pyflakes3"} {
		if p, err := exec.LookPath(name); err == nil {
			return sc, p
		}
	}
	testenv.Missing(t, "pyflakes not installed: apt-get install pyflakes3")
	return "", ""
}

// lint runs actionlint on paths with opts and returns the findings of the two script rules in
// actionlint's one-line form and order (files in input order, each sorted by position).
func lint(t *testing.T, opts actionlint.LinterOptions, paths []string) []string {
	t.Helper()
	opts.Color = actionlint.ColorOptionKindNever
	l, err := actionlint.NewLinter(io.Discard, &opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(paths, nil)
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	return scriptFindings(errs)
}

func scriptFindings(errs []*actionlint.Error) []string {
	out := []string{}
	for _, e := range errs {
		if e.Kind == "shellcheck" || e.Kind == "pyflakes" || e.Kind == RuleLimit {
			out = append(out, fmt.Sprintf("%s:%d:%d: %s [%s]", filepath.ToSlash(e.Filepath), e.Line, e.Column, e.Message, e.Kind))
		}
	}
	return out
}

// withChecker is the way the workflow linter wires a Checker into actionlint.
func withChecker(c *Checker) actionlint.LinterOptions {
	return actionlint.LinterOptions{OnRulesCreated: func(rs []actionlint.Rule) []actionlint.Rule {
		return append(rs, c.Rules()...)
	}}
}

// lintHeld is the way the workflow linter runs a whole repository: every file's scripts are
// queued (File, under Hold) while the files are linted one by one, and collected at the end.
func lintHeld(t *testing.T, c *Checker, paths []string) []string {
	t.Helper()
	release := c.Hold()
	defer release()
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	files := make([]*File, len(paths))
	for i, p := range paths {
		l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
			Color: actionlint.ColorOptionKindNever,
			OnRulesCreated: func(rs []actionlint.Rule) []actionlint.Rule {
				files[i] = c.File()
				return append(rs, files[i].Rules()...)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.LintFile(p, nil); err != nil {
			t.Fatalf("lint %s: %v", p, err)
		}
	}
	release()
	var all []*actionlint.Error
	for i, f := range files {
		if f == nil {
			continue // not a workflow actionlint visits
		}
		errs, err := f.Wait()
		if err != nil {
			t.Fatalf("scripts of %s: %v", paths[i], err)
		}
		path := paths[i]
		if r, err := filepath.Rel(cwd, path); err == nil {
			path = r
		}
		for _, e := range errs {
			e.Filepath = path
		}
		slices.SortStableFunc(errs, func(a, b *actionlint.Error) int {
			return cmp.Or(a.Line-b.Line, a.Column-b.Column, strings.Compare(a.Message, b.Message))
		})
		all = append(all, errs...)
	}
	return scriptFindings(all)
}

// actionlintDir is the module directory of the actionlint version in go.mod, for its test data.
func actionlintDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/rhysd/actionlint").Output()
	if err != nil {
		testenv.Missing(t, "cannot locate the actionlint module (go list): %v", err)
	}
	return strings.TrimSpace(string(out))
}

// newRepo makes an empty repository that actionlint recognises as a project (.git and
// .github/workflows). Without a project, actionlint v1.7.12 panics on local reusable workflows
// (`uses: ./.github/workflows/x.yml`): its reusable-workflow cache for a nil project has a nil map.
func newRepo(t *testing.T) (root, workflows string) {
	t.Helper()
	root = t.TempDir()
	workflows = filepath.Join(root, ".github", "workflows")
	for _, d := range []string{workflows, filepath.Join(root, ".git")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root, workflows
}

// copyToRepo copies workflow files into a new repository, prefixing each name with its parent
// directory so that files from different directories cannot collide.
func copyToRepo(t *testing.T, paths []string) []string {
	t.Helper()
	_, dir := newRepo(t)
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.Base(filepath.Dir(p))+"_"+filepath.Base(p))
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, dst)
	}
	return out
}

// extractRealworld unpacks every step-th workflow of actionlint's real-world corpus into a
// temporary repository.
func extractRealworld(t *testing.T, step int) []string {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(actionlintDir(t), "testdata", "realworld", "dataset.zip"))
	if err != nil {
		testenv.Missing(t, "actionlint real-world corpus not available: %v", err)
	}
	defer zr.Close()
	_, dir := newRepo(t)
	var paths []string
	for i, f := range zr.File {
		if i%step != 0 || f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Base(f.Name))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func glob(t *testing.T, patterns ...string) []string {
	t.Helper()
	var all []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m...)
	}
	if len(all) == 0 {
		t.Fatalf("no files match %q", patterns)
	}
	return all
}

// TestMatchesActionlint checks that our rules report exactly what actionlint's own shellcheck and
// pyflakes rules report, message for message and position for position.
func TestMatchesActionlint(t *testing.T) {
	sc, pf := realTools(t)
	// The full comparison runs shellcheck thousands of times; by default a sample keeps the test
	// to seconds.
	step, examples := 50, []string{"*shell*", "*pyflakes*"}
	if *full {
		step, examples = 1, []string{"*"}
	}
	tests := []struct {
		name  string
		paths func(t *testing.T) []string
		// minFindings guards against a comparison of two empty lists passing vacuously.
		minFindings int
	}{
		{"testdata", func(t *testing.T) []string { return glob(t, "testdata/*.yaml") }, 10},
		{"actionlint examples and ok", func(t *testing.T) []string {
			d := filepath.Join(actionlintDir(t), "testdata")
			patterns := []string{d + "/bench/many_scripts.yaml"}
			for _, e := range examples {
				patterns = append(patterns, d+"/examples/"+e+".yaml", d+"/ok/"+e+".yaml")
			}
			return copyToRepo(t, glob(t, patterns...))
		}, 5},
		{"realworld sample", func(t *testing.T) []string { return extractRealworld(t, step) }, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths := tc.paths(t)
			want := lint(t, actionlint.LinterOptions{Shellcheck: sc, Pyflakes: pf}, paths)
			c, err := New(Options{Shellcheck: sc, Pyflakes: pf})
			if err != nil {
				t.Fatal(err)
			}
			got := lint(t, withChecker(c), paths)
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("findings differ from actionlint's (-actionlint +ours):\n%s", diff)
			}
			held, err := New(Options{Shellcheck: sc, Pyflakes: pf})
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(want, lintHeld(t, held, paths)); diff != "" {
				t.Errorf("findings of the held, deferred run differ from actionlint's (-actionlint +ours):\n%s", diff)
			}
			if len(got) < tc.minFindings {
				t.Errorf("only %d findings on %d files, want at least %d", len(got), len(paths), tc.minFindings)
			}
			s := c.Stats()
			if s.Runs == 0 {
				t.Errorf("Stats = %+v, want tool runs", s)
			}
		})
	}
}

// TestGolden pins the exact findings for our own shell-detection cases.
func TestGolden(t *testing.T) {
	sc, pf := realTools(t)
	for _, in := range glob(t, "testdata/*.yaml") {
		t.Run(filepath.Base(in), func(t *testing.T) {
			c, err := New(Options{Shellcheck: sc, Pyflakes: pf})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(lint(t, withChecker(c), []string{in}), "\n") + "\n"
			golden.Check(t, strings.TrimSuffix(in, ".yaml")+".golden", []byte(got))
		})
	}
}

// TestRealCacheSecondRun: a second Checker on the same cache directory runs no tool at all and
// reports the same findings.
func TestRealCacheSecondRun(t *testing.T) {
	sc, pf := realTools(t)
	paths := glob(t, "testdata/*.yaml")
	dir := t.TempDir()

	first, err := New(Options{Shellcheck: sc, Pyflakes: pf, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := lint(t, withChecker(first), paths)
	if s := first.Stats(); s.Runs == 0 {
		t.Fatalf("first run Stats = %+v, want runs", s)
	}

	second, err := New(Options{Shellcheck: sc, Pyflakes: pf, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := lint(t, withChecker(second), paths)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("cached findings differ (-first +second):\n%s", diff)
	}
	s := second.Stats()
	if s.Runs != 0 || s.CacheHits != first.Stats().Runs+first.Stats().CacheHits {
		t.Errorf("second run Stats = %+v, want 0 runs and %d hits", s, first.Stats().Runs+first.Stats().CacheHits)
	}
}
