package cli

import (
	"strings"
	"testing"
)

// TestLintMajorTags: lint.pinning.major-tags reaches floating-ref through the config: accepted by
// default, refused when the repository says so; an unknown value is a config error at its line.
func TestLintMajorTags(t *testing.T) {
	wf := "on: push\npermissions: {}\njobs:\n  lint:\n    uses: Molecule-AI/molecule-ci/.github/workflows/lint.yml@v1\n"
	for _, tc := range []struct {
		config, want string
	}{
		// The call's callee cannot be read offline (reusable-call's info), and floating-ref is silent.
		{"", "1 finding (1 info) in 1 file\nexit 0\n"},
		{"lint:\n  org: Molecule-AI\n  pinning:\n    major-tags: accept\n", "1 finding (1 info) in 2 files\nexit 0\n"},
		{"lint:\n  org: Molecule-AI\n  pinning:\n    major-tags: refuse\n", `.github/workflows/ci.yml:5:11: reusable workflow Molecule-AI/molecule-ci/.github/workflows/lint.yml is called at "v1", a tag that every release moves, and lint.pinning.major-tags is refuse; call a release (e.g. v1.0.0) or its commit SHA with the version in a comment [floating-ref]`},
		{"lint:\n  pinning:\n    major-tags: never\n", `molecule-ci: .molecule-ci.yml:3:17: lint.pinning.major-tags: unknown value "never" (valid: accept, refuse)` + "\nexit 2\n"},
	} {
		work := t.TempDir()
		files := map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".git/config": "[remote \"origin\"]\n\turl = https://github.com/Molecule-AI/consumer.git\n", ".github/workflows/ci.yml": wf}
		if tc.config != "" {
			files[".molecule-ci.yml"] = tc.config
		}
		writeLintFiles(t, work, files)
		got := lintIn(t, work, nil, "lint", "--shellcheck", "off", "--format", "human")
		if !strings.Contains(got, tc.want) {
			t.Errorf("config:\n%s\ngot:\n%s\nwant it to contain:\n%s", tc.config, got, tc.want)
		}
	}
}
