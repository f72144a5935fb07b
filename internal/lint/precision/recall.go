package precision

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/lint/workflow"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// The recall set (testdata/precision/recall) is the other half of the measure: small workflows
// and actions, each holding one known defect of a class in one of its common variants (quoted
// and unquoted, through env:, in a composite action, in a reusable workflow), written clean
// otherwise. A case names what it expects in its first lines:
//
//	# expect: env-file-injection 12      a finding of the rule on that line (one line each)
//	# options: labels=gpu private=true   lint options (org=, labels=, trusted=, private=, merge-queue=)
//	# known-miss: why                    the linter does not find it yet (the expects say what it should)
//
// The class is the case's directory; a case named action.yml (in a directory of its own) is
// action metadata. A directory <name>.repo beside a case holds the other files of the repository
// the case lives in (a workflow calling the case's action), laid out from the repository root;
// they are not cases, and the case is linted inside that repository. A case is caught when every expected finding is reported; any other finding
// is an extra, a finding on a clean part.

// Case is one defect of the recall set.
type Case struct {
	Class, Name string
	Path        string // the file, relative to the set's directory
	Kind        workflow.Kind
	Expect      []Expect
	KnownMiss   string
	Options     workflow.Options
	Src         []byte
	// Repo are the other files of the case's repository (its <name>.repo directory), by path
	// from the repository root; nil when it has none.
	Repo map[string][]byte
}

// repoSuffix names a case's repository directory.
const repoSuffix = ".repo"

// readRepo reads the files under dir, by slash path relative to it; nil when dir does not exist.
func readRepo(dir string) (map[string][]byte, error) {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil, nil
	}
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = src
		return nil
	})
	return out, err
}

// Expect is one finding a case expects.
type Expect struct {
	Rule string
	Line int
}

// LoadCases reads every case under dir (each subdirectory a class). A case without an expect:
// line, or with a malformed header, is an error naming it.
func LoadCases(dir string) ([]Case, error) {
	var out []Case
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasSuffix(p, repoSuffix) {
			return fs.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".yml") && !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		class, rest, ok := strings.Cut(rel, "/")
		if !ok {
			return fmt.Errorf("%s: a case must be in a directory named for its class", p)
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		c := Case{Class: class, Name: strings.TrimSuffix(rest, path.Ext(rest)), Path: rel, Kind: workflow.KindWorkflow, Src: src,
			Options: workflow.Options{Org: "Molecule-AI"}}
		if b := path.Base(rest); b == "action.yml" || b == "action.yaml" {
			c.Kind, c.Name = workflow.KindAction, path.Dir(rest)
		}
		if c.Repo, err = readRepo(filepath.Join(dir, filepath.FromSlash(class), filepath.FromSlash(c.Name)+repoSuffix)); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if err := c.parseHeader(); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Case) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (c *Case) parseHeader() error {
	sc := bufio.NewScanner(bytes.NewReader(c.Src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "#") {
			break
		}
		key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "expect":
			f := strings.Fields(val)
			if len(f) != 2 {
				return fmt.Errorf("line %d: want `# expect: <rule> <line>`, got %q", n, line)
			}
			l, err := strconv.Atoi(f[1])
			if err != nil || l < 1 {
				return fmt.Errorf("line %d: %q is not a line number", n, f[1])
			}
			c.Expect = append(c.Expect, Expect{Rule: f[0], Line: l})
		case "known-miss":
			c.KnownMiss = val
		case "options":
			for _, kv := range strings.Fields(val) {
				k, v, _ := strings.Cut(kv, "=")
				list := strings.Split(v, ",")
				switch k {
				case "org":
					c.Options.Org = v
				case "labels":
					c.Options.RunnerLabels = list
				case "trusted":
					c.Options.TrustedOwners = list
				case "private":
					c.Options.PrivateRepository = v == "true"
				case "merge-queue":
					c.Options.MergeQueueBranches = list
				default:
					return fmt.Errorf("line %d: unknown option %q (valid: org, labels, trusted, private, merge-queue)", n, k)
				}
			}
		}
	}
	if len(c.Expect) == 0 {
		return fmt.Errorf("no `# expect: <rule> <line>` line")
	}
	return nil
}

// CaseOutcome is what the linter found on a case.
type CaseOutcome struct {
	Case     Case
	Findings []report.Finding
	Missing  []Expect         // expected and not reported
	Extra    []report.Finding // reported and not expected: a finding on a clean part
}

// Caught reports whether every expected finding was reported.
func (o CaseOutcome) Caught() bool { return len(o.Missing) == 0 }

// RunCases lints every case on its own, as the file it is (a workflow under .github/workflows,
// an action.yml); a case with a repository is linted inside a copy of it.
func RunCases(cases []Case) ([]CaseOutcome, error) {
	out := make([]CaseOutcome, 0, len(cases))
	for _, c := range cases {
		p := ".github/workflows/" + path.Base(c.Path)
		if c.Kind == workflow.KindAction {
			p = c.Name + "/action.yml"
		}
		opts := c.Options
		if c.Repo != nil {
			root, err := os.MkdirTemp("", "recall-case-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(root)
			files := maps.Clone(c.Repo)
			files[p] = c.Src
			for rel, src := range files {
				full := filepath.Join(root, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					return nil, err
				}
				if err := os.WriteFile(full, src, 0o644); err != nil {
					return nil, err
				}
			}
			opts.WorkDir, opts.Root = root, root
		}
		l, err := workflow.New(opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Path, err)
		}
		fs, err := l.Lint(p, c.Src, c.Kind)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Path, err)
		}
		o := CaseOutcome{Case: c, Findings: fs}
		got := map[Expect]bool{}
		for _, f := range fs {
			if uncheckedCall(f) {
				continue
			}
			e := Expect{Rule: f.Rule, Line: f.Line}
			if slices.Contains(c.Expect, e) {
				got[e] = true
			} else {
				o.Extra = append(o.Extra, f)
			}
		}
		for _, e := range c.Expect {
			if !got[e] {
				o.Missing = append(o.Missing, e)
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// ClassRecall is the recall of one class: cases caught over cases.
type ClassRecall struct {
	Class                 string
	Cases, Caught, Extras int
	KnownMisses           int
}

// Recall sums outcomes per class, in class order.
func Recall(outcomes []CaseOutcome) []ClassRecall {
	by := map[string]*ClassRecall{}
	var order []string
	for _, o := range outcomes {
		r := by[o.Case.Class]
		if r == nil {
			r = &ClassRecall{Class: o.Case.Class}
			by[o.Case.Class] = r
			order = append(order, o.Case.Class)
		}
		r.Cases++
		if o.Caught() {
			r.Caught++
		}
		if len(o.Extra) > 0 {
			r.Extras++
		}
		if o.Case.KnownMiss != "" {
			r.KnownMisses++
		}
	}
	slices.Sort(order)
	out := make([]ClassRecall, 0, len(order))
	for _, c := range order {
		out = append(out, *by[c])
	}
	return out
}

// RecallTable renders per-class recall as a fixed-width table.
func RecallTable(rs []ClassRecall) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %6s %7s %8s %12s %14s\n", "class", "cases", "caught", "recall", "known misses", "extra findings")
	total := ClassRecall{Class: "all"}
	for _, r := range append(slices.Clone(rs), ClassRecall{}) {
		if r.Class == "" {
			r = total
		} else {
			total.Cases += r.Cases
			total.Caught += r.Caught
			total.KnownMisses += r.KnownMisses
			total.Extras += r.Extras
		}
		fmt.Fprintf(&b, "%-26s %6d %7d %7.1f%% %12d %14d\n", r.Class, r.Cases, r.Caught, 100*float64(r.Caught)/float64(max(r.Cases, 1)), r.KnownMisses, r.Extras)
	}
	return b.String()
}

// uncheckedCall is reusable-call's notice that a call's callee could not be read (a case calls
// another repository's workflow, and cases are linted offline): a limit of the run, not a
// judgement of the case.
func uncheckedCall(f report.Finding) bool {
	return f.Rule == workflow.RuleReusableCall && f.Severity == report.Info && strings.HasPrefix(f.Message, "call not checked: ")
}
