package impact

import (
	"slices"
	"testing"
)

// TestChildEnv: a child lint gets neither the run's Actions context nor a credential.
func TestChildEnv(t *testing.T) {
	got := ChildEnv([]string{
		"PATH=/usr/bin", "HOME=/root", "GOFLAGS=-mod=mod", "CI=true", "NO_COLOR=",
		"GITHUB_TOKEN=ghs_x", "GITHUB_STEP_SUMMARY=/s", "RUNNER_TEMP=/t", "INPUT_ARGS=x", "ACTIONS_RUNTIME_TOKEN=y",
		"FLEET_TOKEN=ghp_x", "TRIAGE_TOKEN=ghp_y", "gh_token=z", "NPM_SECRET=s", "DB_PASSWORD=p", "AWS_SECRET_ACCESS_KEY=k", "API_KEY=k",
	})
	want := []string{"PATH=/usr/bin", "HOME=/root", "GOFLAGS=-mod=mod", "NO_COLOR=1"}
	if !slices.Equal(got, want) {
		t.Errorf("ChildEnv = %q, want %q", got, want)
	}
}
