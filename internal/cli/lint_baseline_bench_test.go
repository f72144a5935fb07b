package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
)

// baselineBenchRepo writes a repository with at least n findings: workflows of perFile steps,
// each calling an action at a branch, and the baseline of all of them (written by the command).
func baselineBenchRepo(b *testing.B, n, perFile int) (dir string, findings int) {
	dir = b.TempDir()
	files := (n + perFile - 1) / perFile
	for i := range files {
		var w strings.Builder
		w.WriteString("on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n")
		for j := range perFile {
			fmt.Fprintf(&w, "      - name: step %d\n        uses: some-org/action-%03d@main\n", j, j)
		}
		p := filepath.Join(dir, ".github", "workflows", fmt.Sprintf("w%04d.yml", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(w.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	out, code := runLintBench(b, dir, "--write-baseline", "baseline.json")
	if code != ExitOK {
		b.Fatalf("--write-baseline: exit %d", code)
	}
	if _, err := fmt.Sscanf(out[strings.Index(out, `"known":`)+len(`"known":`):], "%d", &findings); err != nil || findings < n {
		b.Fatalf("the repository has %d findings, want %d or more (%v)", findings, n, err)
	}
	return dir, findings
}

func runLintBench(b *testing.B, dir string, args ...string) (string, int) {
	var stdout, stderr bytes.Buffer
	env := Env{Actions: ghaction.New(func(string) string { return "" }, &stdout), WorkDir: dir}
	code := Run(context.Background(), append([]string{"lint", "--shellcheck", "off", "--format", "json"}, args...),
		Streams{Stdout: &stdout, Stderr: &stderr}, env)
	if code == ExitTool || code == ExitUsage {
		b.Fatalf("exit %d: %s", code, stderr.String())
	}
	return stdout.String(), code
}

// BenchmarkLintBaseline is the target: the whole `lint --format json` of a repository
// with 10,000 findings, without a baseline and with --baseline holding all of them, run in turns
// so that both see the same machine. It reports the median wall time of each, and the median CPU
// time (user and system, of the whole process: the lint's workers, the baseline, the GC), which a
// busy shared machine disturbs far less, with the baseline's share of each. Two densities: 50
// findings a workflow (200 files, the worst case: the least lint work per finding) and 10 (1,000
// files, nearer a real repository, where most lines are not findings):
//
//	go test -run NONE -bench LintBaseline -benchtime 20x ./internal/cli/
func BenchmarkLintBaseline(b *testing.B) {
	for _, perFile := range []int{50, 10} {
		b.Run(fmt.Sprintf("%d-per-file", perFile), func(b *testing.B) { benchLintBaseline(b, perFile) })
	}
}

func benchLintBaseline(b *testing.B, perFile int) {
	dir, findings := baselineBenchRepo(b, 10000, perFile)
	var plain, baselined, plainCPU, baselinedCPU []time.Duration
	run := func(wall, cpu *[]time.Duration, want int, args ...string) {
		start, startCPU := time.Now(), cpuTime()
		if _, code := runLintBench(b, dir, args...); code != want {
			b.Fatalf("lint %v: exit %d, want %d", args, code, want)
		}
		*wall = append(*wall, time.Since(start))
		*cpu = append(*cpu, cpuTime()-startCPU)
	}
	for b.Loop() {
		run(&plain, &plainCPU, ExitFindings)
		run(&baselined, &baselinedCPU, ExitOK, "--baseline", "baseline.json") // every finding known
	}
	share := func(with, without time.Duration) float64 {
		return 100 * (with.Seconds() - without.Seconds()) / without.Seconds()
	}
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(median(plain).Seconds()*1000, "lint-ms")
	b.ReportMetric(median(baselined).Seconds()*1000, "lint+baseline-ms")
	b.ReportMetric(share(median(baselined), median(plain)), "baseline-%")
	b.ReportMetric(median(plainCPU).Seconds()*1000, "lint-cpu-ms")
	b.ReportMetric(median(baselinedCPU).Seconds()*1000, "lint+baseline-cpu-ms")
	b.ReportMetric(share(median(baselinedCPU), median(plainCPU)), "baseline-cpu-%")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// cpuTime is the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
