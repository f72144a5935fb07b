// Command probe benchmarks `molecule-ci probe` as the scheduled workflow runs it — the built
// binary, with --state and --site, its JSON output written — against 500 loopback endpoints
// that answer in 200 ms and 20 that never answer, at the default concurrency and timeout. Side by
// side, a sequential `curl` loop over the same endpoints (the runbook's way). It prints both wall
// times, the probe's ideal (ceil(N / concurrency) x latency, bounded below by the hanging checks:
// timeout + retry delay + timeout), the ratio to it, and the probe's peak resident memory; it
// exits 1 when the results are wrong or a goal (within 1.3x of the ideal, under 100 MB) is missed.
//
// With -hostile N it measures instead issue 15's hostile servers (see hostile.go).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

func main() {
	fast := flag.Int("endpoints", 500, "endpoints answering after -latency")
	hang := flag.Int("hang", 20, "endpoints that never answer")
	latency := flag.Duration("latency", 200*time.Millisecond, "how long an answering endpoint takes")
	timeout := flag.Duration("timeout", 0, "per-check timeout (default: the probe's default)")
	curl := flag.Bool("curl", true, "also run the sequential curl loop")
	keep := flag.Bool("keep", false, "keep the work directory")
	hostile := flag.Int("hostile", 0, "instead: this many endpoints sending a 2 MB header line without a colon (issue 15)")
	bin := flag.String("bin", "", "the molecule-ci binary to measure (default: built from this checkout)")
	flag.Parse()
	var err error
	if *hostile > 0 {
		err = runHostile(*hostile, *bin, *keep)
	} else {
		err = run(*fast, *hang, *latency, *timeout, *curl, *keep, *bin)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(fast, hang int, latency, timeout time.Duration, withCurl, keep bool, prebuilt string) error {
	var defaults config.ProbeConfig
	defaults.SetDefaults()
	if timeout == 0 {
		timeout = defaults.Timeout
	}
	work, err := os.MkdirTemp("", "molecule-ci-bench-probe-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	stop := make(chan struct{})
	defer close(stop)
	var urls []string
	serveOne := func(h http.HandlerFunc) error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(l)
		go func() { <-stop; srv.Close() }()
		urls = append(urls, "http://"+l.Addr().String()+"/health")
		return nil
	}
	body := []byte(`{"status":"ok"}`)
	for range fast {
		if err := serveOne(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
			w.Write(body)
		}); err != nil {
			return err
		}
	}
	for range hang {
		if err := serveOne(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		}); err != nil {
			return err
		}
	}

	// down-after-runs: 1 declares the hanging endpoints down in this one run (the schedule would
	// take the 5 minutes of the default policy), so the exit code and the output can be checked.
	bin, err := prepare(work, prebuilt, fmt.Sprintf("timeout: %s\n  down-after-runs: 1", timeout), "endpoint %03d", urls)
	if err != nil {
		return err
	}

	n := len(urls)
	conc := defaults.Concurrency
	// The floor: every answering check takes latency, conc at a time; a hanging check takes a
	// timeout, the retry delay and a second timeout, and nothing can finish it sooner.
	answering := time.Duration(math.Ceil(float64(n)/float64(conc))) * latency
	hangBound := 2*timeout + defaults.RetryDelay
	ideal := max(answering, hangBound)
	fmt.Printf("bench: %d endpoints answering in %v + %d hanging, concurrency %d, timeout %v, retry delay %v\n",
		fast, latency, hang, conc, timeout, defaults.RetryDelay)

	// Two scheduled runs over the same state: the first knows nothing; the second checks the
	// services that failed the first one first (the hanging endpoints start at once).
	probeRun := func() (time.Duration, int64, error) {
		cmd := exec.Command(bin, "probe", "--format", "json", "--state", filepath.Join(work, "state"), "--site", filepath.Join(work, "site"))
		cmd.Dir = work
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, io.Discard
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			return 0, 0, fmt.Errorf("molecule-ci probe: %v (want exit 1: the hanging endpoints are down)", err)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		var doc struct{ Services []struct{ Status string } }
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			return 0, 0, fmt.Errorf("probe output: %w", err)
		}
		counts := map[string]int{}
		for _, s := range doc.Services {
			counts[s.Status]++
		}
		if counts["up"] != fast || counts["down"] != hang {
			return 0, 0, fmt.Errorf("probe says %v, want %d up and %d down", counts, fast, hang)
		}
		return wall, rss, nil
	}
	wall, rss, err := probeRun()
	if err != nil {
		return err
	}
	wall2, rss2, err := probeRun()
	if err != nil {
		return err
	}

	ratio := float64(wall) / float64(ideal)
	fmt.Printf("%-34s %10s %12s\n", "", "wall", "peak RSS")
	fmt.Printf("%-34s %10s %12s\n", "molecule-ci probe, first run", wall.Round(10*time.Millisecond), mb(rss))
	fmt.Printf("%-34s %10s %12s\n", "molecule-ci probe, next run", wall2.Round(10*time.Millisecond), mb(rss2))
	fmt.Printf("%-34s %10s\n", "ideal (see above)", ideal)
	if withCurl {
		cw, up, down, err := curlLoop(urls, timeout)
		if err != nil {
			return err
		}
		fmt.Printf("%-34s %10s %12s   (%d up, %d down)\n", "sequential curl loop", cw.Round(10*time.Millisecond), "-", up, down)
		fmt.Printf("speed-up over curl: %.1fx\n", float64(cw)/float64(wall))
	}
	ratio2 := float64(wall2) / float64(ideal)
	fmt.Printf("probe / ideal: %.2fx first run, %.2fx next run (goal <= 1.30x); peak memory %s, %s (goal < 100 MB)\n", ratio, ratio2, mb(rss), mb(rss2))
	if max(ratio, ratio2) > 1.3 || max(rss, rss2) >= 100<<20 {
		return fmt.Errorf("goal missed")
	}
	return nil
}

// prepare writes work/.molecule-ci.yml, one http service per URL named after name (a format of
// its index) with the probe section's policy lines, and returns the binary to run.
func prepare(work, prebuilt, policy, name string, urls []string) (string, error) {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "version: 1\nprobe:\n  %s\n  services:\n", policy)
	for i, u := range urls {
		fmt.Fprintf(&cfg, "    - {name: %q, checks: [{kind: http, url: %q}]}\n", fmt.Sprintf(name, i), u)
	}
	if err := os.WriteFile(filepath.Join(work, ".molecule-ci.yml"), []byte(cfg.String()), 0o644); err != nil {
		return "", err
	}
	return binary(work, prebuilt)
}

// binary is prebuilt when given, else molecule-ci built from this checkout into work.
func binary(work, prebuilt string) (string, error) {
	if prebuilt != "" {
		return filepath.Abs(prebuilt)
	}
	bin := filepath.Join(work, "molecule-ci")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/molecule-ci")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// curlLoop is the runbook's way: one curl after another, each bounded by the same timeout.
func curlLoop(urls []string, timeout time.Duration) (time.Duration, int, int, error) {
	if _, err := exec.LookPath("curl"); err != nil {
		return 0, 0, 0, fmt.Errorf("curl not found: %w (run with -curl=false)", err)
	}
	script := `up=0; down=0
while read -r u; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$1" "$u") || true
  if [ "$code" = 200 ]; then up=$((up+1)); else down=$((down+1)); fi
done
echo "$up $down"`
	cmd := exec.CommandContext(context.Background(), "bash", "-c", script, "bash", fmt.Sprintf("%.3f", timeout.Seconds()))
	cmd.Stdin = strings.NewReader(strings.Join(urls, "\n") + "\n")
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("curl loop: %w", err)
	}
	var up, down int
	fmt.Sscan(string(out), &up, &down)
	return wall, up, down, nil
}
