package workflow

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// lintDefaults lints src as path with the organisation's default options.
func lintDefaults(t *testing.T, path, src string, kind Kind) []report.Finding {
	t.Helper()
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := l.Lint(path, []byte(src), kind)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// render is the golden form: the canonical line plus the severity.
func render(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s (%s)\n", f, f.Severity)
	}
	return b.String()
}

// optionsFor reads `# test-options:` from the first lines of a test file, so that each golden
// pair says how it is linted: merge-queue=main,staging pin=tag org=Acme labels=a,b trusted=x,y
// private=true major-tags=refuse.
func optionsFor(t *testing.T, src []byte) Options {
	t.Helper()
	var o Options
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "# test-options:")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			k, v, _ := strings.Cut(f, "=")
			list := strings.Split(v, ",")
			switch k {
			case "merge-queue":
				o.MergeQueueBranches = list
			case "pin":
				o.PinPolicy = v
			case "org":
				o.Org = v
			case "labels":
				o.RunnerLabels = list
			case "trusted":
				o.TrustedOwners = list
			case "private":
				o.PrivateRepository = v == "true"
			case "major-tags":
				o.RefuseMajorTags = v == "refuse"
			case "root":
				o.Root = v // where local callees are read (reusable-call)
			case "as":
				// handled by lintPath: the path the file is linted as (.gitea/workflows/...)
			default:
				t.Fatalf("unknown test option %q", k)
			}
		}
	}
	return o
}

// TestGolden lints every YAML file under testdata and compares the findings with the .golden
// file next to it. Files under testdata/actions are action metadata, everything else workflows.
// Every rule has a rules/<id>.bad.yml with findings and a rules/<id>.good.yml with none.
func TestGolden(t *testing.T) {
	var files []string
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, p := range files {
		t.Run(p, func(t *testing.T) {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			l, err := New(optionsFor(t, src))
			if err != nil {
				t.Fatal(err)
			}
			kind := KindWorkflow
			if strings.HasPrefix(filepath.ToSlash(p), "testdata/actions/") {
				kind = KindAction
			}
			fs, err := l.Lint(lintPath(src, filepath.ToSlash(p)), src, kind)
			if err != nil {
				t.Fatalf("Lint: %v", err)
			}
			got := render(fs)
			golden.Check(t, strings.TrimSuffix(p, ".yml")+".golden", []byte(got))
			if strings.HasSuffix(p, ".good.yml") && len(withoutUncheckedCalls(strings.TrimSuffix(filepath.Base(p), ".good.yml"), fs)) != 0 {
				t.Errorf("a .good.yml must lint clean, got:\n%s", got)
			}
			if strings.HasSuffix(p, ".bad.yml") {
				rule := strings.TrimSuffix(filepath.Base(p), ".bad.yml")
				if !hasRule(fs, rule) {
					t.Errorf("a .bad.yml must trigger its rule %q, got:\n%s", rule, got)
				}
			}
		})
	}
}

// lintPath is the path a test file is linted as: `# test-options: as=.gitea/workflows/ci.yml`
// puts it where Gitea's semantics apply; the default is its own path.
func lintPath(src []byte, p string) string {
	for _, line := range strings.Split(string(src), "\n") {
		rest, ok := strings.CutPrefix(line, "# test-options:")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			if v, ok := strings.CutPrefix(f, "as="); ok {
				return v
			}
		}
	}
	return p
}

func hasRule(fs []report.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule || strings.HasPrefix(f.Rule, rule+"/") {
			return true
		}
	}
	return false
}

// TestEveryRuleHasGoldenPair keeps the promise that each rule is shown failing and passing.
func TestEveryRuleHasGoldenPair(t *testing.T) {
	for _, r := range Registry() {
		if r.ExamplesIn != "" {
			continue // its golden cases live with its own package (TestRuleExamples checks they exist)
		}
		for _, suffix := range []string{".bad.yml", ".good.yml"} {
			dir := "rules"
			if r.ID == RuleActionMetadata {
				dir = "actions"
			}
			p := filepath.Join("testdata", dir, r.ID+suffix)
			if _, err := os.Stat(p); err != nil {
				t.Errorf("rule %s: %v", r.ID, err)
			}
		}
	}
}

func TestNewRejectsUnknownPolicy(t *testing.T) {
	_, err := New(Options{PinPolicy: "branch"})
	want := `unknown pin policy "branch" (valid: sha, tag)`
	if err == nil || err.Error() != want {
		t.Fatalf("New error = %v, want %q", err, want)
	}
}

func TestRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.Doc == "" || r.Severity == 0 || seen[r.ID] {
			t.Errorf("bad rule metadata %+v", r)
		}
		seen[r.ID] = true
	}
	for _, id := range []string{RuleGate, RuleUnpinned, RuleFloating, RuleTimeout, RulePermissions, RuleSecret, RuleMergeQueue, RuleActionMetadata} {
		if !seen[id] {
			t.Errorf("Rules() misses %s", id)
		}
	}
}

// TestConcurrentLint lints many files at once through one Linter (run with -race): the lead
// lints a repository's files in parallel.
func TestConcurrentLint(t *testing.T) {
	dir := t.TempDir()
	// A project (.git + .github/workflows) with a local action, so the shared caches are used.
	for _, d := range []string{".git", ".github/workflows", "act"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	action := "name: a\ndescription: d\ninputs:\n  who:\n    description: w\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n"
	if err := os.WriteFile(filepath.Join(dir, "act", "action.yml"), []byte(action), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var srcs [][]byte
	var kinds []Kind
	filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			b, _ := os.ReadFile(p)
			srcs = append(srcs, b)
			k := KindWorkflow
			if strings.Contains(p, "actions") {
				k = KindAction
			}
			kinds = append(kinds, k)
		}
		return nil
	})
	local := []byte("on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - uses: ./act\n        with:\n          whom: x\n")
	srcs = append(srcs, local)
	kinds = append(kinds, KindWorkflow)

	// Sequential results are the reference.
	want := make([]string, len(srcs))
	for i, src := range srcs {
		fs, err := l.Lint(fmt.Sprintf(".github/workflows/w%d.yml", i), src, kinds[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = render(fs)
	}
	if !strings.Contains(want[len(want)-1], `input "whom" is not defined in action "a" defined at "./act"`) {
		t.Fatalf("local action was not resolved through the project cache:\n%s", want[len(want)-1])
	}
	const rounds = 8
	got := make([]string, len(srcs)*rounds)
	var wg sync.WaitGroup
	for r := range rounds {
		for i, src := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fs, err := l.Lint(fmt.Sprintf(".github/workflows/w%d.yml", i), src, kinds[i])
				if err != nil {
					t.Error(err)
					return
				}
				got[r*len(srcs)+i] = render(fs)
			}()
		}
	}
	wg.Wait()
	for r := range rounds {
		for i := range srcs {
			if g := got[r*len(srcs)+i]; g != want[i] {
				t.Errorf("round %d file %d differs from the sequential result:\n%s", r, i, cmp.Diff(want[i], g))
			}
		}
	}
}

func FuzzLint(f *testing.F) {
	filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			b, _ := os.ReadFile(p)
			f.Add(b, strings.Contains(p, "actions"))
		}
		return nil
	})
	f.Add([]byte("on: push\njobs:\n  a:\n    steps:\n      - run: |\n"), false)
	f.Add([]byte("runs:\n  using: composite\n  steps:\n    - run: x\n"), true)
	l, err := New(Options{MergeQueueBranches: []string{"main"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte, action bool) {
		kind := KindWorkflow
		if action {
			kind = KindAction
		}
		fs, err := l.Lint("f.yml", src, kind)
		if err != nil {
			t.Fatalf("Lint returned a tool error for file content: %v", err)
		}
		for _, fd := range fs {
			if fd.Line < 1 || fd.Col < 1 || fd.Rule == "" || fd.Severity == 0 || fd.Message == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
	})
}

func TestActionlintSeverity(t *testing.T) {
	for _, tt := range []struct {
		kind, msg string
		want      report.Severity
	}{
		{"shellcheck", "shellcheck reported issue in this script: SC2129:style:20:1: Consider using { cmd1; cmd2; } >> file", report.Info},
		{"shellcheck", "shellcheck reported issue in this script: SC2016:info:21:8: Expressions don't expand in single quotes", report.Info},
		{"shellcheck", "shellcheck reported issue in this script: SC2086:warning:1:6: Double quote to prevent globbing", report.Warning},
		{"shellcheck", "shellcheck reported issue in this script: SC1073:error:1:1: Couldn't parse this test expression", report.Error},
		{"shellcheck", "shellcheck crashed", report.Error},
		{"expression", "property \"foo\" is not defined: SC2086:warning:1:1: x", report.Error},
		{"syntax-check", "unexpected key \"step\"", report.Error},
	} {
		if got := actionlintSeverity(&actionlint.Error{Kind: tt.kind, Message: tt.msg}); got != tt.want {
			t.Errorf("%s %q: got %v, want %v", tt.kind, tt.msg, got, tt.want)
		}
	}
}

// TestActionlintRuleSet holds actionlintRules to the rules actionlint's own Linter creates (its
// OnRulesCreated hook sees them): a new actionlint release that adds, drops or renames a rule
// fails here instead of silently linting less than the actionlint CLI.
func TestActionlintRuleSet(t *testing.T) {
	var want []string
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		Shellcheck: "", Pyflakes: "",
		OnRulesCreated: func(rules []actionlint.Rule) []actionlint.Rule {
			for _, r := range rules {
				want = append(want, r.Name())
			}
			return rules
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lint("w.yml", []byte("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"), nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range actionlintRules("w.yml", &project{}) {
		got = append(got, r.Name())
	}
	if len(want) == 0 {
		t.Fatal("actionlint's OnRulesCreated hook was not called")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actionlintRules differs from the rules actionlint creates (-actionlint +ours):\n%s", diff)
	}
}

// TestRuleExamples holds every rule's examples — the ones docs/rules.md shows — to what they
// claim: Bad gets findings of its rule and of no other, Good none at all, linted where and with
// the settings the rule says.
func TestRuleExamples(t *testing.T) {
	for _, r := range Registry() {
		t.Run(r.ID, func(t *testing.T) {
			if r.ExamplesIn != "" {
				if st, err := os.Stat(filepath.Join("..", "..", "..", r.ExamplesIn)); err != nil || !st.IsDir() {
					t.Fatalf("ExamplesIn %s: not a directory (%v)", r.ExamplesIn, err)
				}
				return
			}
			if r.Bad == "" || r.Good == "" {
				t.Fatal("the rule has no Bad or no Good example")
			}
			opts := Options{}
			if r.ExampleConfig != "" {
				cfg, err := config.Parse(".molecule-ci.yml", []byte(r.ExampleConfig))
				if err != nil {
					t.Fatalf("ExampleConfig: %v", err)
				}
				opts.MergeQueueBranches = cfg.Lint.MergeQueueBranches
				opts.RunnerLabels = cfg.Lint.RunnerLabels
			}
			if len(r.ExampleFiles) > 0 {
				// The other files of the example's repository, without a .git: actionlint's own
				// reusable-workflow checks need one, so the rule speaks alone.
				dir := t.TempDir()
				for _, ef := range r.ExampleFiles {
					p := filepath.Join(dir, filepath.FromSlash(ef.Path))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(ef.Text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				opts.WorkDir = dir
			}
			l, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			path, kind := r.ExampleAs, KindWorkflow
			if path == "" {
				path = ".github/workflows/ci.yml"
			}
			if r.Applies == Actions {
				kind = KindAction
			}
			bad, err := l.Lint(path, []byte(r.Bad), kind)
			if err != nil {
				t.Fatal(err)
			}
			bad = withoutUncheckedCalls(r.ID, bad)
			if !hasRule(bad, r.ID) {
				t.Errorf("Bad has no %s finding:\n%s", r.ID, render(bad))
			}
			for _, f := range bad {
				if f.Rule != r.ID {
					t.Errorf("Bad has a finding of another rule: %s", f)
				}
			}
			good, err := l.Lint(path, []byte(r.Good), kind)
			if err != nil {
				t.Fatal(err)
			}
			good = withoutUncheckedCalls(r.ID, good)
			if len(good) > 0 {
				t.Errorf("Good has findings:\n%s", render(good))
			}
		})
	}
}

// withoutUncheckedCalls drops, from another rule's example, reusable-call's info that a call into
// another repository was not checked: offline and without a checkout nothing can read that
// repository, which is not what the example is about.
func withoutUncheckedCalls(rule string, fs []report.Finding) []report.Finding {
	if rule == RuleReusableCall {
		return fs
	}
	return slices.DeleteFunc(fs, func(f report.Finding) bool {
		return f.Rule == RuleReusableCall && f.Severity == report.Info && strings.HasPrefix(f.Message, "call not checked: no local checkout of ")
	})
}
