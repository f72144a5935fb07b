package e2e

import (
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
)

// triageNow is the time the triage scenario runs at (its caller passes --now).
var triageNow = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

// seedTriage fills the fake GitHub with a small queue of the organisation's real repositories:
// an incident, items of the consumer (the shared-CI repository of the run), items elsewhere,
// one with a hostile title.
func seedTriage(f *githubtest.Fake) {
	now := triageNow
	f.AddSearchItems(
		githubtest.SearchItem{Repo: "Molecule-AI/molecule-ai-status", Number: 88, Title: "🔴 Customer app (production) is down",
			Labels: []string{"incident", "customer-app"}, Created: now.Add(-30 * time.Minute)},
		githubtest.SearchItem{Repo: "Molecule-AI/consumer", Number: 12, Title: "validate-plugin.yml pins setup-python to a branch",
			Labels: []string{"ci", "P1"}, Created: now.Add(-72 * time.Hour), LinkedPRs: []string{"Molecule-AI/consumer#13"}},
		githubtest.SearchItem{Repo: "Molecule-AI/consumer", Number: 13, Title: "Pin setup-python by SHA", PullRequest: true,
			Labels: []string{"ci"}, Created: now.Add(-48 * time.Hour)},
		githubtest.SearchItem{Repo: "Molecule-AI/molecule-core", Number: 2201, Title: "::error::hostile @everyone #1 <b>x</b>",
			Labels: []string{"infra"}, Created: now.Add(-20 * 24 * time.Hour)},
		githubtest.SearchItem{Repo: "Molecule-AI/molecule-ai-workspace-runtime", Number: 41, Title: "Base image pulls python:3.12 unpinned",
			Labels: []string{"devops"}, Created: now.Add(-6 * 24 * time.Hour)},
	)
}
