package config

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// TriageConfig is the `triage:` section of .molecule-ci.yml: which open issues and pull requests
// of the organisation `molecule-ci triage` lists, and how it orders them.
//
//	triage:
//	  org: Molecule-AI
//	  home: molecule-ci
//	  labels: [infra, ci, cloud, devops]
//	  priority-labels: [P0, P1, P2]
//	  stale-days: 14
type TriageConfig struct {
	// Org is the organisation searched (default: the owner of GITHUB_REPOSITORY).
	Org string `yaml:"org" json:"org,omitempty"`
	// Home is the shared-CI repository, "name" or "owner/name", whose items come right after
	// the incidents because its fixes cascade to every repository (default: GITHUB_REPOSITORY).
	// The tracking issue (--issue) lives there.
	Home string `yaml:"home" json:"home,omitempty"`
	// Labels selects the items: an open issue or pull request carrying any of them is listed
	// (default infra, ci, cloud, devops).
	Labels []string `yaml:"labels" json:"labels"`
	// PriorityLabels order the items within a repository: an item carrying the first comes
	// first, and so on; items with none of them come after, each group oldest first (default
	// P0, P1, P2).
	PriorityLabels []string `yaml:"priority-labels" json:"priority-labels"`
	// StaleDays marks an item stale when it has not been updated for this many days (default 14).
	StaleDays int `yaml:"stale-days" json:"stale-days"`
	// IssueLabel is the label of the tracking issue that --issue keeps up to date, which also
	// keeps that issue out of the list (default molecule-ci-triage).
	IssueLabel string `yaml:"issue-label" json:"issue-label"`
}

// SetDefaults gives the section the platform team's defaults.
func (c *TriageConfig) SetDefaults() {
	c.Labels = []string{"infra", "ci", "cloud", "devops"}
	c.PriorityLabels = []string{"P0", "P1", "P2"}
	c.StaleDays = 14
	c.IssueLabel = "molecule-ci-triage"
}

// GitHub's rules: an organisation login is 1 to 39 alphanumerics or single hyphens; a label
// name is at most 50 characters.
var (
	orgRE          = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$`)
	repoNameRE     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	maxLabelLength = 50
)

// ValidOrg reports whether s is a GitHub organisation (or user) login.
func ValidOrg(s string) bool { return orgRE.MatchString(s) && !strings.Contains(s, "--") }

// ValidRepoRef reports whether s is "name" or "owner/name".
func ValidRepoRef(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	if !ok {
		return repoNameRE.MatchString(s) && s != "." && s != ".."
	}
	return ValidOrg(owner) && !strings.Contains(name, "/") && ValidRepoRef(name)
}

// LabelProblem says what makes name unusable as a search label, or "" when it is fine. A comma
// separates alternatives in GitHub's label: qualifier and a double quote cannot be quoted, so
// neither can be searched for.
func LabelProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "is empty"
	case len([]rune(name)) > maxLabelLength:
		return "is longer than GitHub's 50 characters"
	case strings.ContainsAny(name, `,"`):
		return `contains a comma or a double quote, which GitHub's label: search cannot express`
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "contains a control character"
	}
	return ""
}

// Validate checks the bounds and shapes the types cannot.
func (c *TriageConfig) Validate(v *Validation) {
	if c.Org != "" && !ValidOrg(c.Org) {
		v.Errorf("org", "%q is not a GitHub organisation name", c.Org)
	}
	if c.Home != "" && !ValidRepoRef(c.Home) {
		v.Errorf("home", "want a repository name or owner/name, got %q", c.Home)
	}
	if len(c.Labels) == 0 {
		v.Errorf("labels", "at least one label is required: nothing would be listed")
	}
	if len(c.Labels) > 20 {
		v.Errorf("labels", "at most 20 labels, got %d", len(c.Labels))
	}
	checkLabels(v, "labels", c.Labels)
	if len(c.PriorityLabels) > 20 {
		v.Errorf("priority-labels", "at most 20 labels, got %d", len(c.PriorityLabels))
	}
	checkLabels(v, "priority-labels", c.PriorityLabels)
	if c.StaleDays < 1 || c.StaleDays > 3650 {
		v.Errorf("stale-days", "must be between 1 and 3650, got %d", c.StaleDays)
	}
	if p := LabelProblem(c.IssueLabel); p != "" {
		v.Errorf("issue-label", "%q %s", c.IssueLabel, p)
	}
}

func checkLabels(v *Validation, key string, labels []string) {
	seen := map[string]int{}
	for i, l := range labels {
		k := fmt.Sprintf("%s[%d]", key, i)
		if p := LabelProblem(l); p != "" {
			v.Errorf(k, "%q %s", l, p)
			continue
		}
		// GitHub's label names are case-insensitive.
		if j, dup := seen[strings.ToLower(l)]; dup {
			v.Errorf(k, "%q is also %s[%d]", l, key, j)
		}
		seen[strings.ToLower(l)] = i
	}
}
