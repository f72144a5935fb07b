package dockerfile

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// chainOfStages is a Dockerfile of n stages, each FROM the previous, each with a RUN.
func chainOfStages(n int) []byte {
	var b strings.Builder
	b.WriteString("FROM scratch AS s0\nRUN true\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "FROM s%d AS s%d\nRUN pip install x%d || true\n", i-1, i, i)
	}
	return []byte(b.String())
}

func heredocOf(lines int, width int) []byte {
	var b strings.Builder
	b.WriteString("FROM alpine:3.20\nRUN <<EOF\n")
	line := strings.Repeat("x", width) + "\n"
	for i := 0; i < lines; i++ {
		b.WriteString(line)
	}
	b.WriteString("EOF\n")
	return []byte(b.String())
}

// measure lints src and returns the findings, the wall time and the bytes allocated.
func measure(t *testing.T, src []byte) ([]report.Finding, time.Duration, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	fs := Lint("Dockerfile", src, Options{})
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return fs, d, after.TotalAlloc - before.TotalAlloc
}

// TestPathologicalInputs lints the hostile shapes of issue 7 and prints what each costs (the
// figures are for the report, not asserted: timings belong to no unit test). What is asserted
// is the verdict: long chains are linted completely, and oversized heredocs are refused with a
// finding that says why.
func TestPathologicalInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the pathological inputs take seconds")
	}
	for _, n := range []int{200, 4000, 20000} {
		fs, d, alloc := measure(t, chainOfStages(n))
		swallowed := 0
		for _, f := range fs {
			if f.Rule == RuleSwallowedFailure {
				swallowed++
			}
		}
		t.Logf("chain of %6d stages: %8.3fs %8.1f MiB allocated, %d findings", n, d.Seconds(), float64(alloc)/(1<<20), len(fs))
		if swallowed != n-1 {
			t.Errorf("chain of %d stages: %d swallowed-failure findings, want %d", n, swallowed, n-1)
		}
	}
	for _, tc := range []struct {
		name         string
		lines, width int
		refused      bool
	}{
		{"heredoc 3,000 lines", 3000, 20, false},
		{"heredoc 64k lines", 64 * 1024, 20, true},
		{"heredoc 16 MB", 16 * 1024, 1024, true},
	} {
		fs, d, alloc := measure(t, heredocOf(tc.lines, tc.width))
		t.Logf("%-22s: %8.3fs %8.1f MiB allocated, %d findings", tc.name, d.Seconds(), float64(alloc)/(1<<20), len(fs))
		refused := len(fs) == 1 && fs[0].Rule == RuleSyntax && strings.Contains(fs[0].Message, "the limit molecule-ci hands to BuildKit's parser")
		if refused != tc.refused {
			t.Errorf("%s: refused = %v, want %v; findings: %v", tc.name, refused, tc.refused, fs)
		}
	}
	nested := []byte("FROM alpine:3.20\nRUN echo " + strings.Repeat("$(", 20000) + "x" + strings.Repeat(")", 20000) + "\n")
	fs, d, alloc := measure(t, nested)
	t.Logf("RUN with 20,000 nested $(: %8.3fs %8.1f MiB allocated, %d findings", d.Seconds(), float64(alloc)/(1<<20), len(fs))
	found := false
	for _, f := range fs {
		found = found || strings.Contains(f.Message, "over the limit of 128 of the shell analysis")
	}
	if !found {
		t.Errorf("nested $( : no limit finding in %v", fs)
	}
}

// TestLintContextCancelled: a cancelled lint ends with ctx's error and no partial findings.
func TestLintContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fs, err := LintContext(ctx, "Dockerfile", chainOfStages(500), Options{})
	if err != context.Canceled || fs != nil {
		t.Fatalf("LintContext = %d findings, %v; want none, context.Canceled", len(fs), err)
	}
}
