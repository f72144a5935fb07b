package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// CoverageConfig is the `coverage:` section of .molecule-ci.yml: the gates `molecule-ci coverage`
// enforces. Floors are percentages from 0 to 100; globs are doublestar patterns matched against
// slash-separated paths relative to the repository root. A floor whose glob matches no file in
// the reports given to a run is not a gate in that run, so one section can serve a repository's
// Go job and its Python job alike.
//
//	coverage:
//	  total: 25
//	  packages: {workspace: 86}
//	  files: {"workspace-server/internal/handlers/tokens*": 10}
//	  exclude: ["**/mocks/**"]
//	  allowlist:
//	    - {path: workspace-server/internal/handlers/tokens.go, reason: ..., issue: "#1823", expires: 2026-05-23}
//	  ratchet: {tolerance: 0.5}
//	  changed-lines: 80
//	  allow-empty: false
type CoverageConfig struct {
	// Total is the floor for everything in the reports; nil means no total gate.
	Total *float64 `yaml:"total" json:"total,omitempty"`
	// Packages maps a directory glob to a floor. Every directory the glob matches is a gate of
	// its own, measured over all files beneath it ("workspace" gates the whole tree,
	// "internal/*" each package under internal/).
	Packages map[string]float64 `yaml:"packages" json:"packages,omitempty"`
	// Files maps a file glob to a floor every matching file must reach on its own (critical
	// paths).
	Files map[string]float64 `yaml:"files" json:"files,omitempty"`
	// Exclude lists files (globs) left out of every number.
	Exclude []string `yaml:"exclude" json:"exclude,omitempty"`
	// ExcludeGenerated leaves out Go files marked `// Code generated ... DO NOT EDIT.`
	// (default true).
	ExcludeGenerated *bool `yaml:"exclude-generated" json:"exclude-generated,omitempty"`
	// Allowlist exempts files from their per-file floor until an expiry date.
	Allowlist []CoverageAllowlistEntry `yaml:"allowlist" json:"allowlist,omitempty"`
	// Ratchet compares a run against a baseline written on the default branch.
	Ratchet CoverageRatchetConfig `yaml:"ratchet" json:"ratchet"`
	// ChangedLines is the floor for the added or modified executable lines of a change
	// (`--base REF`); nil means they are reported but not gated.
	ChangedLines *float64 `yaml:"changed-lines" json:"changed-lines,omitempty"`
	// AllowEmpty lets a run whose reports hold no executable line pass. By default such a run
	// fails: an empty profile, an exclude that drops everything or a report of the wrong job is
	// a gate that could not have failed, not a green build.
	AllowEmpty bool `yaml:"allow-empty" json:"allow-empty,omitempty"`
}

// CoverageAllowlistEntry is acknowledged debt: a file (or glob) that may stay under its per-file
// floor until Expires, for Reason, tracked in Issue. Every field is required, so an entry
// always says why it exists and when it stops counting.
type CoverageAllowlistEntry struct {
	Path    string    `yaml:"path" json:"path"`
	Reason  string    `yaml:"reason" json:"reason"`
	Issue   string    `yaml:"issue" json:"issue"`
	Expires time.Time `yaml:"expires" json:"expires"`
}

// CoverageRatchetConfig tunes the comparison against a baseline (`--baseline FILE`).
type CoverageRatchetConfig struct {
	// Tolerance is how many percentage points the total or a file may drop before the ratchet
	// fails (default 0).
	Tolerance float64 `yaml:"tolerance" json:"tolerance"`
	// Files also ratchets every file present in both runs, not only the total (default true).
	Files *bool `yaml:"files" json:"files,omitempty"`
}

// Validate checks what the Go types cannot: floors in range, valid globs, complete allowlist
// entries.
func (c *CoverageConfig) Validate(v *Validation) {
	validateFloor(v, "total", c.Total)
	validateFloor(v, "changed-lines", c.ChangedLines)
	for _, name := range []string{"packages", "files"} {
		m := c.Packages
		if name == "files" {
			m = c.Files
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if msg := coverageGlobProblem(k); msg != "" {
				v.KeyErrorf(name+"."+k, "%s", msg)
			}
			f := m[k]
			validateFloor(v, name+"."+k, &f)
		}
	}
	for i, g := range c.Exclude {
		if msg := coverageGlobProblem(g); msg != "" {
			v.Errorf(fmt.Sprintf("exclude[%d]", i), "%s", msg)
		}
	}
	for i, e := range c.Allowlist {
		k := fmt.Sprintf("allowlist[%d]", i)
		if e.Path == "" {
			v.Errorf(k, "path is required")
		} else if msg := coverageGlobProblem(e.Path); msg != "" {
			v.Errorf(k+".path", "%s", msg)
		}
		if strings.TrimSpace(e.Reason) == "" {
			v.Errorf(k, "reason is required: say why the file cannot reach its floor yet")
		}
		if strings.TrimSpace(e.Issue) == "" {
			v.Errorf(k, "issue is required: the issue tracking the real fix")
		}
		if e.Expires.IsZero() {
			v.Errorf(k, "expires is required: the date after which the entry stops exempting the file")
		}
	}
	if c.Ratchet.Tolerance < 0 || c.Ratchet.Tolerance > 100 {
		v.Errorf("ratchet.tolerance", "must be between 0 and 100 percentage points, got %g", c.Ratchet.Tolerance)
	}
}

func validateFloor(v *Validation, key string, f *float64) {
	if f != nil && (*f < 0 || *f > 100 || *f != *f) {
		v.Errorf(key, "a floor is a percentage between 0 and 100, got %g", *f)
	}
}

// coverageGlobProblem says what is wrong with a coverage glob, or "" when it is usable.
func coverageGlobProblem(g string) string {
	switch {
	case g == "":
		return "empty glob"
	case !doublestar.ValidatePattern(g):
		return fmt.Sprintf("invalid glob pattern %q", g)
	case strings.HasPrefix(g, "./"), strings.HasPrefix(g, "/"):
		return fmt.Sprintf("glob %q can never match: patterns are relative to the repository root, without a leading %q",
			g, g[:strings.IndexByte(g, '/')+1])
	}
	return ""
}
