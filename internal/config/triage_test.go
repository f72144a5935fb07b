package config

import (
	"slices"
	"testing"
)

// TestTriageSection: the defaults, a full section, and every bound with its exact error at the
// offending key's line.
func TestTriageSection(t *testing.T) {
	c, err := Parse(".molecule-ci.yml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Triage
	if !slices.Equal(tr.Labels, []string{"infra", "ci", "cloud", "devops"}) || !slices.Equal(tr.PriorityLabels, []string{"P0", "P1", "P2"}) ||
		tr.StaleDays != 14 || tr.IssueLabel != "molecule-ci-triage" || tr.Org != "" || tr.Home != "" || c.Report.Identity != "" {
		t.Errorf("defaults: %+v %+v", tr, c.Report)
	}
	c, err = Parse(".molecule-ci.yml", []byte(`version: 1
triage:
  org: Molecule-AI
  home: Molecule-AI/molecule-ci
  labels: [infra, "good first issue"]
  priority-labels: [urgent]
  stale-days: 30
  issue-label: queue
report:
  identity: "[devops-agent]"
`))
	if err != nil {
		t.Fatal(err)
	}
	if tr := c.Triage; tr.Org != "Molecule-AI" || tr.Home != "Molecule-AI/molecule-ci" || !slices.Equal(tr.Labels, []string{"infra", "good first issue"}) ||
		!slices.Equal(tr.PriorityLabels, []string{"urgent"}) || tr.StaleDays != 30 || tr.IssueLabel != "queue" || c.Report.Identity != "[devops-agent]" {
		t.Errorf("full section: %+v %+v", tr, c.Report)
	}

	for _, tc := range []struct{ in, want string }{
		{"triage:\n  org: -bad-\n", `f.yml:2:8: triage.org: "-bad-" is not a GitHub organisation name`},
		{"triage:\n  org: a--b\n", `f.yml:2:8: triage.org: "a--b" is not a GitHub organisation name`},
		{"triage:\n  home: a/b/c\n", `f.yml:2:9: triage.home: want a repository name or owner/name, got "a/b/c"`},
		{"triage:\n  home: ..\n", `f.yml:2:9: triage.home: want a repository name or owner/name, got ".."`},
		{"triage:\n  labels: []\n", `f.yml:2:11: triage.labels: at least one label is required: nothing would be listed`},
		{"triage:\n  labels: [\"a,b\"]\n", `f.yml:2:12: triage.labels[0]: "a,b" contains a comma or a double quote, which GitHub's label: search cannot express`},
		{"triage:\n  labels: [ci, CI]\n", `f.yml:2:16: triage.labels[1]: "CI" is also labels[0]`},
		{"triage:\n  labels: [\"\"]\n", `f.yml:2:12: triage.labels[0]: "" is empty`},
		{"triage:\n  labels: [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n",
			`f.yml:2:12: triage.labels[0]: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" is longer than GitHub's 50 characters`},
		{"triage:\n  priority-labels: [\"P\\x01\"]\n", `f.yml:2:21: triage.priority-labels[0]: "P\x01" contains a control character`},
		{"triage:\n  stale-days: 0\n", `f.yml:2:15: triage.stale-days: must be between 1 and 3650, got 0`},
		{"triage:\n  issue-label: \"\"\n", `f.yml:2:16: triage.issue-label: "" is empty`},
		{"report:\n  identity: \"a\\nb\"\n", `f.yml:2:13: report.identity: must be one line without control characters`},
		{"report:\n  identity: \"<!-- x -->\"\n", `f.yml:2:13: report.identity: must not contain an HTML comment (it would be hidden)`},
		{"report:\n  identity: \" x\"\n", `f.yml:2:13: report.identity: must not start or end with blanks`},
	} {
		_, err := Parse("f.yml", []byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}
