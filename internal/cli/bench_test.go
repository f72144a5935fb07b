package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
)

// oneLineWorkflow is the pathological input: a ~200 KB workflow on one line with 3,000
// findings on that line (one unpinned action per step).
func oneLineWorkflow(tb testing.TB) string {
	dir := tb.TempDir()
	var b strings.Builder
	b.WriteString("{on: push, permissions: {}, jobs: {a: {runs-on: ubuntu-latest, timeout-minutes: 5, steps: [")
	for i := range 3000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{name: step-%04d-with-a-longer-name, uses: some-org/some-action-%04d@main}", i, i)
	}
	b.WriteString("]}}}\n")
	p := filepath.Join(dir, ".github", "workflows", "one.yml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// peakRSS is the process's peak resident set (VmHWM) in MiB, 0 where /proc is missing.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkLintHumanOneLine runs the whole `lint --format human` on the one-line workflow and
// reports the bytes written and the process's peak RSS (before the excerpt was capped: 899 MB
// written, 5.5 GB RSS). Run it alone so the peak is its own:
//
//	go test -run NONE -bench LintHumanOneLine -benchtime 3x ./internal/cli/
func BenchmarkLintHumanOneLine(b *testing.B) {
	dir := oneLineWorkflow(b)
	info, _ := os.Stat(filepath.Join(dir, ".github", "workflows", "one.yml"))
	var written, findings int
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		env := Env{Actions: ghaction.New(func(string) string { return "" }, &stdout), WorkDir: dir}
		code := Run(context.Background(), []string{"lint", "--shellcheck", "off", "--format", "human"}, Streams{Stdout: &stdout, Stderr: &stderr}, env)
		if code != ExitFindings {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
		written = stdout.Len()
		findings = strings.Count(stdout.String(), "[unpinned-action]")
	}
	b.ReportMetric(float64(info.Size())/1024, "input-KiB")
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(written)/(1<<20), "MiB-written")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}
