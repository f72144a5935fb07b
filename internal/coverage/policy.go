package coverage

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Policy is what a run is judged against. The zero Policy has no gates: every run passes.
type Policy struct {
	// Total is the floor for everything measured; nil means none.
	Total *float64
	// Packages are directory floors, each measured over all files beneath a matching directory.
	Packages []Floor
	// Files are per-file floors (critical paths).
	Files []Floor
	// Exclude lists files left out of every number.
	Exclude []string
	// ExcludeGenerated leaves out Go files marked `// Code generated ... DO NOT EDIT.`.
	ExcludeGenerated bool
	// Allowlist exempts files from their per-file floor until an expiry date.
	Allowlist []AllowEntry
	// RatchetTolerance is how many percentage points the total (and, with RatchetFiles, a file)
	// may drop below the baseline.
	RatchetTolerance float64
	RatchetFiles     bool
	// ChangedLines is the floor for a change's added or modified executable lines; nil means
	// they are reported but not gated.
	ChangedLines *float64
	// AllowEmpty lets a run with no executable line pass; by default "no data" fails the run.
	AllowEmpty bool
}

// Floor is a minimum percentage for the paths a glob matches.
type Floor struct {
	Glob string
	Min  float64
	// From names where the floor was set when that is not a glob of the config (the flag
	// --min-file), for messages.
	From string
}

// EveryPath is the glob of a floor for every file or every package: --min-file and
// --min-package.
const EveryPath = "**"

// what says which floor it is in a message: "for \"glob\"", or "of --min-file".
func (f Floor) what(set string) string {
	if f.From != "" {
		return "of " + f.From
	}
	return fmt.Sprintf("%sfor %q", set, f.Glob)
}

// hasGate reports whether the policy has a floor that a coverage figure can fail (the ratchet
// is the other gate, given by Options.Baseline).
func (p *Policy) hasGate() bool {
	return p.Total != nil || len(p.Packages) > 0 || len(p.Files) > 0 || p.ChangedLines != nil
}

// AllowEntry is acknowledged debt: files matching Path may stay under their per-file floor until
// the end of the day Expires names (UTC).
type AllowEntry struct {
	Path    string
	Reason  string
	Issue   string
	Expires time.Time
}

// expired reports whether the entry no longer applies at now: an entry expiring on 2026-05-23
// still exempts on that day.
func (e AllowEntry) expired(now time.Time) bool {
	y, m, d := e.Expires.UTC().Date()
	return !now.UTC().Before(time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC))
}

func (e AllowEntry) date() string { return e.Expires.UTC().Format("2006-01-02") }

// PolicyFromConfig turns the `coverage:` section into a Policy, checking what the config
// package's validation checks too, for sections built in code.
func PolicyFromConfig(c config.CoverageConfig) (Policy, error) {
	p := Policy{
		Total:            c.Total,
		Exclude:          slices.Clone(c.Exclude),
		ExcludeGenerated: c.ExcludeGenerated == nil || *c.ExcludeGenerated,
		RatchetTolerance: c.Ratchet.Tolerance,
		RatchetFiles:     c.Ratchet.Files == nil || *c.Ratchet.Files,
		ChangedLines:     c.ChangedLines,
		AllowEmpty:       c.AllowEmpty,
	}
	var errs []string
	floor := func(key string, f *float64) {
		if f != nil && !(*f >= 0 && *f <= 100) {
			errs = append(errs, fmt.Sprintf("coverage.%s: a floor is a percentage between 0 and 100, got %g", key, *f))
		}
	}
	glob := func(key, g string) {
		if g == "" || !doublestar.ValidatePattern(g) {
			errs = append(errs, fmt.Sprintf("coverage.%s: invalid glob pattern %q", key, g))
		}
	}
	floor("total", c.Total)
	floor("changed-lines", c.ChangedLines)
	for _, k := range slices.Sorted(maps.Keys(c.Packages)) {
		f := c.Packages[k]
		glob("packages."+k, k)
		floor("packages."+k, &f)
		p.Packages = append(p.Packages, Floor{Glob: k, Min: f})
	}
	for _, k := range slices.Sorted(maps.Keys(c.Files)) {
		f := c.Files[k]
		glob("files."+k, k)
		floor("files."+k, &f)
		p.Files = append(p.Files, Floor{Glob: k, Min: f})
	}
	for i, g := range c.Exclude {
		glob(fmt.Sprintf("exclude[%d]", i), g)
	}
	for i, e := range c.Allowlist {
		glob(fmt.Sprintf("allowlist[%d].path", i), e.Path)
		if e.Expires.IsZero() {
			errs = append(errs, fmt.Sprintf("coverage.allowlist[%d]: expires is required", i))
		}
		p.Allowlist = append(p.Allowlist, AllowEntry{Path: e.Path, Reason: e.Reason, Issue: e.Issue, Expires: e.Expires})
	}
	if t := c.Ratchet.Tolerance; !(t >= 0 && t <= 100) {
		errs = append(errs, fmt.Sprintf("coverage.ratchet.tolerance: must be between 0 and 100 percentage points, got %g", t))
	}
	if len(errs) > 0 {
		return Policy{}, fmt.Errorf("invalid coverage policy: %s", strings.Join(errs, "; "))
	}
	return p, nil
}

// Gate is one check of the policy.
type Gate struct {
	// Name says what was measured: "total", "package:DIR", "file:PATH", "changed-lines",
	// "ratchet:total", "ratchet:file:PATH".
	Name     string  `json:"name"`
	Passed   bool    `json:"passed"`
	Actual   float64 `json:"actual"`
	Required float64 `json:"required"`
	// Note explains a verdict that is not just actual against required (an allowlist entry).
	Note string `json:"note,omitempty"`
}

// Rules are the findings a coverage run can produce.
var Rules = []report.Rule{
	{ID: RuleGate, Severity: report.Error, Doc: "A coverage floor, ratchet or changed-lines gate failed."},
	{ID: RuleAllowlisted, Severity: report.Warning, Doc: "A file under its floor is exempt by an allowlist entry that has not expired yet."},
	{ID: RuleAllowlistExpired, Severity: report.Error, Doc: "An allowlist entry that matches a measured file is past its expiry date: raise the coverage or renew the entry (a warning when it matches nothing in the run)."},
	{ID: RuleAllowlistRemovable, Severity: report.Info, Doc: "An allowlist entry exempts nothing: every file it matches meets its floor, or it matches none."},
	{ID: RuleUncoveredChanged, Severity: report.Warning, Doc: "Added or modified executable lines that no test runs."},
	{ID: RuleUnmappedPath, Severity: report.Warning, Doc: "A report names files that could not be mapped into the repository, so path globs cannot match them."},
	{ID: RuleReport, Severity: report.Warning, Doc: "Something about the reports themselves needs attention (no data, overlapping formats, missing baseline)."},
	{ID: RuleNoGate, Severity: report.Warning, Doc: "No floor, changed-lines gate or ratchet is configured, so the step passes whatever the coverage: a gate that cannot fail."},
}

// Rule ids.
const (
	RuleGate               = "coverage/gate"
	RuleAllowlisted        = "coverage/allowlisted"
	RuleAllowlistExpired   = "coverage/allowlist-expired"
	RuleAllowlistRemovable = "coverage/allowlist-removable"
	RuleUncoveredChanged   = "coverage/uncovered-changed-lines"
	RuleUnmappedPath       = "coverage/unmapped-path"
	RuleReport             = "coverage/report"
	RuleNoGate             = "coverage/no-gate"
)

// wholeRun is the Finding path of findings about the whole run (the total, the changed lines,
// the ratchet, no data, no gate): none, so no format shows a location that is not one.
const wholeRun = ""

// passes compares with a tolerance far below any displayed precision, so 25% of 4 statements
// passes a 25% floor despite floating point.
func passes(actual, required float64) bool { return actual >= required-1e-9 }

// judge evaluates the floors and the allowlist over files, appending gates and findings.
func (p *Policy) judge(r *Result, now time.Time) {
	if p.Total != nil {
		r.addGate(Gate{Name: "total", Actual: r.Total.Percent, Required: *p.Total}, wholeRun,
			fmt.Sprintf("total coverage %s is below the %s floor", pct(r.Total.Percent), pct(*p.Total)))
	}

	// Package floors: every directory holding measured files, and each of its parents.
	dirs := map[string]*Counts{}
	for i := range r.Files {
		f := &r.Files[i]
		for d := f.Package; d != "." && d != "/" && d != ""; d = path.Dir(d) {
			c := dirs[d]
			if c == nil {
				c = &Counts{}
				dirs[d] = c
			}
			c.add(f.Counts)
		}
	}
	for _, fl := range p.Packages {
		for _, d := range slices.Sorted(maps.Keys(dirs)) {
			if doublestar.MatchUnvalidated(fl.Glob, d) {
				c := dirs[d]
				r.addGate(Gate{Name: "package:" + d, Actual: c.Percent, Required: fl.Min}, d,
					fmt.Sprintf("package %s coverage %s (%d/%d) is below the %s floor %s", d, pct(c.Percent), c.Covered, c.Total, pct(fl.Min), fl.what("set ")))
			}
		}
	}

	// File floors, with the allowlist. A file matched by several globs gets the highest floor.
	used := make([]bool, len(p.Allowlist))
	needed := make([]bool, len(p.Allowlist))
	for i := range r.Files {
		f := &r.Files[i]
		var fl *Floor
		for j := range p.Files {
			if doublestar.MatchUnvalidated(p.Files[j].Glob, f.Path) && (fl == nil || p.Files[j].Min > fl.Min) {
				fl = &p.Files[j]
			}
		}
		if fl == nil {
			continue
		}
		g := Gate{Name: "file:" + f.Path, Actual: f.Percent, Required: fl.Min}
		g.Passed = passes(g.Actual, g.Required)
		entry := -1
		for j, e := range p.Allowlist {
			if doublestar.MatchUnvalidated(e.Path, f.Path) {
				used[j] = true
				if entry < 0 {
					entry = j
				}
			}
		}
		if !g.Passed && entry >= 0 {
			e := p.Allowlist[entry]
			needed[entry] = true
			if e.expired(now) {
				g.Note = fmt.Sprintf("allowlist entry expired on %s (%s)", e.date(), e.Issue)
			} else {
				g.Passed = true
				g.Note = fmt.Sprintf("allowlisted until %s (%s)", e.date(), e.Issue)
				r.Findings = append(r.Findings, report.Finding{
					Path: f.Path, Rule: RuleAllowlisted, Severity: report.Warning,
					Message: fmt.Sprintf("coverage %s is below the %s floor %s; allowlisted until %s (%s): %s", pct(f.Percent), pct(fl.Min), fl.what(""), e.date(), e.Issue, e.Reason),
					Help:    "raise the file's coverage before the entry expires, then delete the entry",
				})
			}
		}
		r.Gates = append(r.Gates, g)
		if !g.Passed {
			msg := fmt.Sprintf("coverage %s (%d/%d %s) is below the %s floor %s", pct(f.Percent), f.Covered, f.Total, f.Unit, pct(fl.Min), fl.what(""))
			if g.Note != "" {
				msg += "; " + g.Note
			}
			r.Findings = append(r.Findings, report.Finding{Path: f.Path, Rule: RuleGate, Severity: report.Error, Message: msg,
				Help: "add tests for the uncovered lines, or add an allowlist entry with a reason, an issue and an expiry date"})
		}
	}

	for j, e := range p.Allowlist {
		switch {
		case e.expired(now) && !used[j]:
			// Nothing in this run depends on it (the file is gone, or belongs to another job's
			// reports): worth deleting, not worth failing this run for.
			r.Findings = append(r.Findings, report.Finding{Path: allowPath(e), Rule: RuleAllowlistExpired, Severity: report.Warning,
				Message: fmt.Sprintf("allowlist entry %q (%s) expired on %s and matches no file under a per-file floor in these reports; delete it if that stays so", e.Path, e.Issue, e.date())})
		case e.expired(now):
			msg := fmt.Sprintf("allowlist entry %q (%s) expired on %s", e.Path, e.Issue, e.date())
			if !needed[j] {
				msg += "; every file it matches meets its floor now, so delete it"
			} else {
				msg += "; raise the coverage of the files it matches or renew it with a new date"
			}
			r.Findings = append(r.Findings, report.Finding{Path: allowPath(e), Rule: RuleAllowlistExpired, Severity: report.Error, Message: msg,
				Help: "an allowlist entry is a deadline: fix the coverage or renew the entry in a reviewed change"})
		case !used[j]:
			// One policy serves every job of a repository (Go, Python, TypeScript): an entry for
			// another job's files says nothing here, and a note per entry on every run is noise.
		case !needed[j]:
			r.Findings = append(r.Findings, report.Finding{Path: allowPath(e), Rule: RuleAllowlistRemovable, Severity: report.Info,
				Message: fmt.Sprintf("allowlist entry %q (%s) is removable: every file it matches meets its floor", e.Path, e.Issue)})
		}
	}
}

// allowPath is where an allowlist finding points: the entry's path when it names one file.
func allowPath(e AllowEntry) string {
	if strings.ContainsAny(e.Path, "*?[{") {
		return wholeRun
	}
	return e.Path
}

// addGate records g, deciding Passed, and adds an error finding at at when it failed.
func (r *Result) addGate(g Gate, at, failMsg string) {
	g.Passed = passes(g.Actual, g.Required)
	r.Gates = append(r.Gates, g)
	if !g.Passed {
		r.Findings = append(r.Findings, report.Finding{Path: at, Rule: RuleGate, Severity: report.Error, Message: failMsg})
	}
}

// pct formats a percentage the way every output shows it.
func pct(v float64) string { return fmt.Sprintf("%.2f%%", v) }
