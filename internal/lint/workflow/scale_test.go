package workflow

import (
	"fmt"
	"strings"
	"testing"
)

// hostileJob is one job of n steps that exercises every fact the audits compute per step: an
// artifact extracted into its own directory, an unzip, a checkout of the pull request's head, a
// write of a tainted value into $GITHUB_ENV and a script run from the artifact's directory. A
// fact computed per step over the steps before or after it would make it quadratic.
func hostileJob(n int) string {
	var b strings.Builder
	b.WriteString("on:\n  workflow_run:\n    workflows: [ci]\n  pull_request_target:\npermissions: {contents: read}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    env:\n      T: ${{ github.event.pull_request.title }}\n    steps:\n")
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "      - run: gh run download 1 -D d%d\n", i)
		case 1:
			fmt.Fprintf(&b, "      - run: unzip x%d.zip && echo \"A=$(cat d%d/f)\" >> \"$GITHUB_ENV\"\n", i, i-1)
		case 2:
			b.WriteString("      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n")
		default:
			fmt.Fprintf(&b, "      - run: echo \"B=$T\" >> $GITHUB_ENV && bash d%d/x.sh\n", i-3)
		}
	}
	return b.String()
}

// TestAuditsAtScale lints a job of 2,000 such steps and counts what each audit reports: every
// write, every run of an artifact's script, one dangerous checkout (the first).
func TestAuditsAtScale(t *testing.T) {
	fs := lintDefaults(t, ".github/workflows/h.yml", hostileJob(2000), KindWorkflow)
	got := map[string]int{}
	for _, f := range fs {
		got[f.Rule]++
	}
	want := map[string]int{RuleEnvFile: 1000, RuleArtifactPoisoning: 500, RuleDangerousTrigger: 1}
	for r, n := range want {
		if got[r] != n {
			t.Errorf("%s: %d findings, want %d (all: %v)", r, got[r], n, got)
		}
	}
}

// BenchmarkAuditsAtScale measures the audits on a job of 6,000 steps (go test -bench
// AuditsAtScale): linear facts keep it near a second where per-step scans took 9 s and 490 MB.
func BenchmarkAuditsAtScale(b *testing.B) {
	src := []byte(hostileJob(6000))
	l, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Lint(".github/workflows/h.yml", src, KindWorkflow); err != nil {
			b.Fatal(err)
		}
	}
}
