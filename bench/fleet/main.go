// Command fleet benchmarks `molecule-ci fleet` the way a platform team runs it — the built
// binary over a directory of the organisation's repositories (../shared/corpus: its 8 folders and
// the 10 of fleet-sample), its JSON report written — side by side with what it replaces: a loop
// running `molecule-ci lint` in each repository, in the same run, on the same machine. Both
// cold (an empty cache: every run: script checked by shellcheck) and warm (the cache the cold
// run left). It prints the median wall and CPU times of each, the ratio fleet/loop (goal: at most
// 0.5, cold and warm) and the fleet's peak resident memory. It asserts nothing: the figures are
// for the reader (and the report).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	runs := flag.Int("runs", 5, "timed runs of each case (the median is printed)")
	corpus := flag.String("corpus", "../shared/corpus", "the shared corpus")
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.Parse()
	if err := run(*runs, *corpus, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
}

type sample struct {
	wall, cpu time.Duration
	maxRSS    int64 // KiB
}

func run(runs int, corpus string, keep bool) error {
	work, err := os.MkdirTemp("", "molecule-ci-bench-fleet-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Println("work directory:", work)
	}
	bin := filepath.Join(work, "molecule-ci")
	build := exec.Command("go", "build", "-o", bin, "./cmd/molecule-ci")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	fleetDir := filepath.Join(work, "fleet")
	repos, err := gather(corpus, fleetDir)
	if err != nil {
		return err
	}
	fmt.Printf("%d repositories of the organisation (%s), %d runs of each case, GOMAXPROCS machine: %d CPUs\n\n", len(repos), corpus, runs, numCPU())

	loop := func(cache string) (sample, error) {
		var s sample
		for _, r := range repos {
			one, err := timed(bin, r, cache, "lint", "--format", "json", "--fail-on", "never", "--checks", "off")
			if err != nil {
				return s, fmt.Errorf("lint %s: %w", r, err)
			}
			s.wall += one.wall
			s.cpu += one.cpu
			s.maxRSS = max(s.maxRSS, one.maxRSS)
		}
		return s, nil
	}
	fleet := func(cache string) (sample, error) {
		return timed(bin, work, cache, "fleet", "--dir", fleetDir, "--format", "json", "--fail-on", "never", "--json-file", filepath.Join(work, "fleet.json"))
	}
	results := map[string][]sample{}
	for i := range runs {
		for _, c := range []struct {
			name string
			f    func(string) (sample, error)
		}{{"loop", loop}, {"fleet", fleet}} {
			cache := filepath.Join(work, fmt.Sprintf("cache-%s-%d", c.name, i))
			cold, err := c.f(cache)
			if err != nil {
				return err
			}
			warm, err := c.f(cache)
			if err != nil {
				return err
			}
			results[c.name+" cold"] = append(results[c.name+" cold"], cold)
			results[c.name+" warm"] = append(results[c.name+" warm"], warm)
		}
	}
	fmt.Printf("%-12s %12s %12s %14s\n", "case", "wall (med)", "cpu (med)", "peak RSS")
	med := map[string]sample{}
	for _, name := range []string{"loop cold", "fleet cold", "loop warm", "fleet warm"} {
		m := median(results[name])
		med[name] = m
		fmt.Printf("%-12s %12s %12s %11d KiB\n", name, m.wall.Round(time.Millisecond), m.cpu.Round(time.Millisecond), m.maxRSS)
	}
	fmt.Println()
	for _, mode := range []string{"cold", "warm"} {
		l, f := med["loop "+mode], med["fleet "+mode]
		fmt.Printf("%s: fleet/loop wall %.2fx (goal <= 0.5), cpu %.2fx\n", mode, f.wall.Seconds()/l.wall.Seconds(), f.cpu.Seconds()/l.cpu.Seconds())
	}
	return nil
}

// gather copies the corpus's repositories (its folders and fleet-sample's) into one directory of
// checkouts, each named after its folder, and returns their paths.
func gather(corpus, dst string) ([]string, error) {
	var srcs []string
	entries, err := os.ReadDir(corpus)
	if err != nil {
		return nil, fmt.Errorf("the shared corpus: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if e.Name() == "fleet-sample" {
			sub, err := os.ReadDir(filepath.Join(corpus, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, s := range sub {
				if s.IsDir() {
					srcs = append(srcs, filepath.Join(corpus, e.Name(), s.Name()))
				}
			}
			continue
		}
		srcs = append(srcs, filepath.Join(corpus, e.Name()))
	}
	var out []string
	for _, src := range srcs {
		d := filepath.Join(dst, filepath.Base(src))
		if err := copyTree(src, d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// timed runs the binary in dir with its own cache and returns its wall time, CPU time (user and
// system, its children included: shellcheck) and peak resident memory. Exit 1 (findings) is a
// successful run here; 2 and 3 are not.
func timed(bin, dir, cache string, args ...string) (sample, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "GITHUB_ACTIONS=", "CI=")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil
	}
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	// Linux reports a reaped child's usage with that of the children it reaped (shellcheck).
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{wall: wall, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSS: ru.Maxrss}, nil
}

func median(s []sample) sample {
	if len(s) == 0 {
		return sample{}
	}
	walls := slices.Clone(s)
	slices.SortFunc(walls, func(a, b sample) int { return int(a.wall - b.wall) })
	cpus := slices.Clone(s)
	slices.SortFunc(cpus, func(a, b sample) int { return int(a.cpu - b.cpu) })
	m := walls[len(walls)/2]
	m.cpu = cpus[len(cpus)/2].cpu
	for _, x := range s {
		m.maxRSS = max(m.maxRSS, x.maxRSS)
	}
	return m
}

func numCPU() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscan(strings.TrimSpace(string(out)), &n)
	return n
}
