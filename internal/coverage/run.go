package coverage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Options are the inputs of one coverage run.
type Options struct {
	// Reports are the report files to read, any mix of formats; at least one is required.
	Reports []string
	// Dir is where relative Reports, Baseline and WriteBaseline paths are opened from ("" means
	// the process's working directory). Messages show the paths as given.
	Dir string
	// RepoRoot is what file paths are made relative to, and where go.mod files (nested modules
	// too) are searched to map Go import paths. "" means the working directory.
	RepoRoot string
	Policy   Policy
	// Baseline is a baseline file to ratchet against; "" means no ratchet. A file that does not
	// exist skips the ratchet with a warning.
	Baseline string
	// WriteBaseline is where to write this run's baseline; "" writes none.
	WriteBaseline string
	// Base is a git ref: when set, the lines added or modified since it are measured
	// (and gated by Policy.ChangedLines).
	Base string
	// GitDiff produces the diff for Base; nil runs git (GitDiff).
	GitDiff GitDiffFunc
	// Now decides which allowlist entries have expired; the zero time means time.Now().
	Now time.Time
}

// Result is a judged coverage run.
type Result struct {
	// Reports are the reports read, in the order given.
	Reports []ReportInfo `json:"reports"`
	Total   Counts       `json:"total"`
	// Files are sorted by path.
	Files []File `json:"files"`
	// Changed is set when Options.Base was.
	Changed *Changed `json:"changed,omitempty"`
	Gates   []Gate   `json:"gates"`
	// Passed is false when a gate failed or an error finding (an expired allowlist entry) exists.
	Passed bool `json:"passed"`
	// Findings are sorted with report.Sort.
	Findings []report.Finding `json:"findings"`
	// Excluded counts the files left out by Policy.Exclude and generated-code detection.
	Excluded int `json:"excluded"`
}

// ReportInfo is one report read.
type ReportInfo struct {
	Path   string `json:"path"`
	Format Format `json:"format"`
	Files  int    `json:"files"`
}

// Run reads the reports, merges them into one model and judges it. Bad input (a report or
// baseline that cannot be parsed, reports that contradict each other) is a *ParseError; a
// report that cannot be opened is an error wrapping the fs error; a failing git diff is returned
// with git's own message. A failed gate is not an error: see Result.Passed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if len(opts.Reports) == 0 {
		return nil, errors.New("no coverage reports given")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	root := opts.RepoRoot
	if root == "" {
		root = "."
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("repository root: %w", err)
	}
	res := &Result{Reports: []ReportInfo{}, Files: []File{}, Gates: []Gate{}, Findings: []report.Finding{}}

	var profiles []*Profile
	var goMode *Profile
	for _, rp := range opts.Reports {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		prof, err := parseFile(rp, opts.file(rp))
		if err != nil {
			return nil, err
		}
		if prof.Format == FormatGo {
			if goMode == nil {
				goMode = prof
			} else if prof.Mode != goMode.Mode {
				return nil, parseErrorf(rp, prof.ModeLine, "mode %q conflicts with mode %q of %s: merge only profiles of one -covermode", prof.Mode, goMode.Mode, goMode.Path)
			}
		}
		profiles = append(profiles, prof)
		res.Reports = append(res.Reports, ReportInfo{Path: rp, Format: prof.Format, Files: len(prof.Files)})
	}

	if err := build(res, profiles, root, &opts.Policy); err != nil {
		return nil, err
	}

	opts.Policy.judge(res, now)
	if res.Total.Total == 0 && !opts.Policy.AllowEmpty {
		// Every floor passed vacuously on nothing; listing them as PASS next to the failed
		// "data" gate would only mislead.
		res.Gates = slices.DeleteFunc(res.Gates, func(g Gate) bool { return g.Name != gateData })
	}

	if opts.Baseline != "" {
		b, err := loadBaseline(opts.Baseline, opts.file(opts.Baseline), res)
		if err != nil {
			return nil, err
		}
		if b != nil {
			opts.Policy.ratchet(res, b, opts.Baseline)
		}
	}

	if opts.Base != "" {
		diff := opts.GitDiff
		if diff == nil {
			diff = GitDiff
		}
		out, err := diff(ctx, root, opts.Base)
		if err != nil {
			return nil, err
		}
		lines, err := ParseDiff(out)
		if err != nil {
			return nil, fmt.Errorf("git diff %s: %w", opts.Base, err)
		}
		res.Changed = changedLines(res, opts.Base, lines)
		if opts.Policy.ChangedLines != nil && res.Changed.Total > 0 {
			c := res.Changed
			res.addGate(Gate{Name: "changed-lines", Actual: c.Percent, Required: *opts.Policy.ChangedLines}, wholeRun,
				fmt.Sprintf("coverage of the lines changed since %s is %s (%d/%d), below the %s floor", opts.Base, pct(c.Percent), c.Covered, c.Total, pct(*opts.Policy.ChangedLines)))
		}
	}

	if !opts.Policy.hasGate() && opts.Baseline == "" {
		// The same principle as lint's gate-cannot-fail: a coverage step that passes at 0% is
		// a green check that means nothing.
		res.Findings = append(res.Findings, report.Finding{Path: wholeRun, Rule: RuleNoGate, Severity: report.Warning,
			Message: "no gate configured: this step cannot fail, whatever the coverage",
			Help:    "set a floor: --min PERCENT (the total), --min-file or --min-package, or coverage: total, files, packages or changed-lines in .molecule-ci.yml; or ratchet with --baseline"})
	}

	res.Findings = report.Sort(res.Findings)
	res.Passed = true
	for _, g := range res.Gates {
		res.Passed = res.Passed && g.Passed
	}
	for _, f := range res.Findings {
		if f.Severity == report.Error {
			res.Passed = false
		}
	}

	if opts.WriteBaseline != "" {
		data, err := res.BaselineJSON()
		if err != nil {
			return nil, err
		}
		if err := fsutil.WriteFile(opts.file(opts.WriteBaseline), data, 0o644); err != nil {
			return nil, fmt.Errorf("write baseline %s: %w", opts.WriteBaseline, pathErr(err))
		}
	}
	return res, nil
}

// gateData is the gate that fails a run whose reports measured nothing.
const gateData = "data"

// file is where a path the user gave is opened.
func (o *Options) file(p string) string {
	if o.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(o.Dir, p)
}

// pathErr drops the path an fs error repeats, for messages that already name it as the user
// gave it; the error still matches errors.Is(err, fs.ErrNotExist).
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseFile parses the report at file, naming it path in results and errors.
func parseFile(path, file string) (*Profile, error) {
	f, err := fsutil.OpenRegular(file)
	var nr *fsutil.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, parseErrorf(path, 0, "is %s, not a coverage report", fsutil.Kind(nr.Mode))
	case err != nil:
		return nil, fmt.Errorf("open report %s: %w", path, pathErr(err))
	}
	defer f.Close()
	return Parse(path, f)
}

// build maps every report's files into the repository, merges them, applies the excludes and
// computes the numbers.
func build(res *Result, profiles []*Profile, root string, pol *Policy) error {
	ps := newPaths(root)
	accs := map[string]*acc{}
	unmapped := map[string]map[string]bool{} // report -> unmapped prefixes
	for _, prof := range profiles {
		for _, fd := range prof.Files {
			var rel string
			var ok bool
			if prof.Format == FormatGo {
				rel, ok = ps.goFile(fd.Name)
			} else {
				rel, ok = ps.file(fd.Name, prof.Path, prof.Sources)
			}
			if !ok {
				if unmapped[prof.Path] == nil {
					unmapped[prof.Path] = map[string]bool{}
				}
				dir := filepath.ToSlash(filepath.Dir(filepath.FromSlash(fd.Name)))
				unmapped[prof.Path][dir] = true
			}
			a := accs[rel]
			if a == nil {
				a = &acc{path: rel}
				accs[rel] = a
			}
			if note := a.add(fd, prof.Format, prof.Mode == ModeSet); note != "" {
				res.Findings = append(res.Findings, report.Finding{Path: rel, Rule: RuleReport, Severity: report.Warning, Message: note})
			}
		}
	}
	for _, rp := range slices.Sorted(maps.Keys(unmapped)) {
		dirs := slices.Sorted(maps.Keys(unmapped[rp]))
		shown := dirs
		if len(shown) > 5 {
			shown = append(slices.Clone(shown[:5]), fmt.Sprintf("and %d more", len(dirs)-5))
		}
		res.Findings = append(res.Findings, report.Finding{Path: rp, Rule: RuleUnmappedPath, Severity: report.Warning,
			Message: fmt.Sprintf("files in %s were not found under the repository root %s (no go.mod module, source directory or existing file matched them); they keep the names the report gives, so path globs may not match them",
				strings.Join(shown, ", "), root),
			Help: "run from the repository root or pass the root that holds go.mod / the sources"})
	}
	for _, rel := range slices.Sorted(maps.Keys(accs)) {
		if excluded(rel, pol, ps) {
			res.Excluded++
			continue
		}
		f, err := accs[rel].file()
		if err != nil {
			return &ParseError{Path: strings.Join(reportPaths(profiles), ", "), Msg: err.Error()}
		}
		res.Files = append(res.Files, *f)
		res.Total.add(f.Counts)
	}
	res.Total.Percent = percent(res.Total.Covered, res.Total.Total)
	if res.Total.Total == 0 {
		what := fmt.Sprintf("the reports hold no executable statements or lines (%d files measured, %d excluded)", len(res.Files), res.Excluded)
		if pol.AllowEmpty {
			res.Findings = append(res.Findings, report.Finding{Path: wholeRun, Rule: RuleReport, Severity: report.Warning,
				Message: what + "; every floor passes vacuously (coverage.allow-empty: true)"})
		} else {
			res.Gates = append(res.Gates, Gate{Name: gateData, Passed: false, Note: "no executable line in the reports"})
			res.Findings = append(res.Findings, report.Finding{Path: wholeRun, Rule: RuleGate, Severity: report.Error,
				Message: what + ": a gate that measured nothing cannot pass",
				Help:    "check that the tests ran with coverage and that exclude does not drop every file; set coverage.allow-empty: true where an empty run is expected"})
		}
	}
	return nil
}

func excluded(rel string, pol *Policy, ps *paths) bool {
	for _, g := range pol.Exclude {
		if doublestar.MatchUnvalidated(g, rel) {
			return true
		}
	}
	return pol.ExcludeGenerated && strings.HasSuffix(rel, ".go") && ps.isGenerated(rel)
}

func reportPaths(ps []*Profile) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Path
	}
	return out
}
