package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/impact/impacttest"
)

// BenchmarkFleetImpact runs the built binary over a fleet of 40 repositories — the fake fleet
// (the organisation's corpus, generated callers, the shared-CI checkout) and copies of the
// corpus's callers under other names — with a candidate that changes two workflows (an input
// renamed, an input's type changed): `fleet impact` next to the same fleet's `fleet` run, both
// cold (--no-cache). Goal: impact under 10 s on 2 cores. It prints the figures and asserts
// nothing on time.
//
//	go test -run '^$' -bench FleetImpact -benchtime 1x ./internal/cli/
func BenchmarkFleetImpact(b *testing.B) {
	f := impacttest.New(b)
	entries, err := os.ReadDir(f.Parent)
	if err != nil {
		b.Fatal(err)
	}
	var callers []string
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 {
			callers = append(callers, e.Name())
		}
	}
	for i := 0; len(entries)+i < 40; i++ {
		src, _ := filepath.EvalSymlinks(filepath.Join(f.Parent, callers[i%len(callers)]))
		if err := os.Symlink(src, filepath.Join(f.Parent, fmt.Sprintf("copy-%02d-%s", i, callers[i%len(callers)]))); err != nil {
			b.Fatal(err)
		}
	}
	entries, _ = os.ReadDir(f.Parent)
	candidate := filepath.Join(b.TempDir(), "candidate")
	fsutiltest.CopyTree(b, f.Base, candidate, nil)
	for p, oldnew := range map[string][2]string{
		".github/workflows/publish-template-image.yml": {"      runtime_version:\n", "      runtime-version:\n"},
		".github/workflows/validate-go-plugin.yml":     {"        type: boolean\n", "        type: string\n"},
	} {
		full := filepath.Join(candidate, filepath.FromSlash(p))
		src, err := os.ReadFile(full)
		if err != nil || !strings.Contains(string(src), oldnew[0]) {
			b.Fatalf("%s: cannot make the candidate's change (%v)", p, err)
		}
		if err := os.WriteFile(full, []byte(strings.Replace(string(src), oldnew[0], oldnew[1], 1)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	work := b.TempDir()
	bin := filepath.Join(work, "molecule-ci")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/molecule-ci").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	run := func(args ...string) time.Duration {
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(work, "cache"), "GITHUB_REPOSITORY=Molecule-AI/molecule-ci", "GITHUB_ACTIONS=", "GITHUB_TOKEN=", "FLEET_TOKEN=")
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		start := time.Now()
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); err != nil && code != 1 {
			b.Fatalf("%s: %v\n%s", args[:2], err, stderr.String())
		}
		return time.Since(start)
	}
	for b.Loop() {
		fleetWall := run("fleet", "--dir", f.Parent, "--owner", "Molecule-AI", "--no-cache", "--format", "json", "--fail-on", "never")
		impactWall := run("fleet", "impact", "--candidate", candidate, "--dir", f.Parent, "--owner", "Molecule-AI", "--no-cache", "--format", "json")
		b.ReportMetric(float64(len(entries)), "repos")
		b.ReportMetric(fleetWall.Seconds(), "fleet-s")
		b.ReportMetric(impactWall.Seconds(), "impact-s")
		b.Logf("%d repositories: fleet %.2fs, fleet impact %.2fs (cold, --no-cache)", len(entries), fleetWall.Seconds(), impactWall.Seconds())
	}
}
