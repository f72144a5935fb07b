// Command coverage-bench measures molecule-ci's Go coverprofile parser against
// golang.org/x/tools/cover.ParseProfiles on a synthetic profile shaped like `go test
// -coverpkg=./...` output: distinct blocks repeated once per test binary. Each parser runs in a
// child process of its own, so its peak memory is that process's maximum resident set size,
// and both must compute the same totals.
//
//	bash bench/coverage/run.sh            # ~100 MB: 200k blocks x 10 copies, 3 runs each
//	go run ./bench/coverage -blocks 20000 # smaller
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"golang.org/x/tools/cover"

	"github.com/Molecule-AI/molecule-ci/internal/coverage"
)

// Targets from the issue: at least 3x faster, at most half the peak memory.
const (
	wantSpeedup  = 3.0
	wantMemRatio = 0.5
)

type measurement struct {
	Covered, Total int64
	Seconds        float64
	MaxRSS         int64   // bytes, filled in by the parent
	CPU            float64 // user+sys seconds of the whole process, filled in by the parent
	OutputBytes    int64   // what the command wrote (the JSON a user's job keeps), for "command"
}

func main() {
	child := flag.String("child", "", "internal: parse -profile with this parser (ours or xtools) and print the measurement")
	profile := flag.String("profile", "", "profile to parse; generated in a temporary directory when empty")
	blocks := flag.Int("blocks", 200_000, "distinct blocks in the generated profile")
	repeat := flag.Int("repeat", 10, "copies of each block (test binaries under -coverpkg)")
	perFile := flag.Int("blocks-per-file", 100, "blocks per source file")
	runs := flag.Int("runs", 3, "runs of each parser; the median time and memory are reported")
	flag.Parse()

	if *child != "" {
		if err := runChild(*child, *profile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := runParent(*profile, *blocks, *repeat, *perFile, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "coverage-bench:", err)
		os.Exit(1)
	}
}

func runChild(parser, path string) error {
	var m measurement
	start := time.Now()
	switch parser {
	case "ours":
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		p, err := coverage.ParseGo(path, f)
		if err != nil {
			return err
		}
		m.Covered, m.Total = p.Totals()
	case "xtools":
		ps, err := cover.ParseProfiles(path)
		if err != nil {
			return err
		}
		for _, p := range ps {
			for _, b := range p.Blocks {
				m.Total += int64(b.NumStmt)
				if b.Count > 0 {
					m.Covered += int64(b.NumStmt)
				}
			}
		}
	default:
		return fmt.Errorf("unknown parser %q (valid: ours, xtools)", parser)
	}
	m.Seconds = time.Since(start).Seconds()
	return json.NewEncoder(os.Stdout).Encode(m)
}

// Generate writes a count-mode profile of blocks distinct blocks, each repeated repeat times in
// the same order (as each -coverpkg test binary writes every block), roughly a third of them never
// covered.
func Generate(w io.Writer, blocks, repeat, perFile int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintln(bw, "mode: count")
	for r := range repeat {
		for i := range blocks {
			file, j := i/perFile, i%perFile
			count := (i*7 + r) % 5
			if i%10 < 3 {
				count = 0
			}
			line := 10 + j*6
			fmt.Fprintf(bw, "github.com/molecule/p%04d/file%02d.go:%d.%d,%d.%d %d %d\n",
				file/20, file%20, line, 2+j%40, line+2, 3, 1+j%4, count)
		}
	}
	return bw.Flush()
}

func measure(self, parser, profile string) (measurement, error) {
	cmd := exec.Command(self, "-child", parser, "-profile", profile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return measurement{}, fmt.Errorf("%s parser: %w", parser, err)
	}
	var m measurement
	if err := json.Unmarshal(out, &m); err != nil {
		return m, fmt.Errorf("%s parser output %q: %w", parser, out, err)
	}
	m.MaxRSS, m.CPU = usage(cmd.ProcessState)
	return m, nil
}

// measureCommand runs the built molecule-ci binary as a user's job does —
// `molecule-ci coverage --format json PROFILE` in a repository holding the profile's go.mod — and
// reads the totals back from the JSON it printed. Wall time and peak memory are the process's own.
func measureCommand(bin, repo, profile string) (measurement, error) {
	out, err := os.CreateTemp("", "coverage-bench-json-")
	if err != nil {
		return measurement{}, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(bin, "coverage", "--format", "json", "--root", repo, profile)
	cmd.Dir = repo
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=")
	start := time.Now()
	err = cmd.Run()
	secs := time.Since(start).Seconds()
	// Exit 1 is a failed gate, still a complete run; anything else is not.
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		return measurement{}, fmt.Errorf("molecule-ci coverage: %w", err)
	}
	m := measurement{Seconds: secs}
	m.MaxRSS, m.CPU = usage(cmd.ProcessState)
	st, err := out.Stat()
	if err != nil {
		return m, err
	}
	m.OutputBytes = st.Size()
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return m, err
	}
	var res struct {
		Total struct{ Covered, Total int64 } `json:"total"`
	}
	if err := json.NewDecoder(out).Decode(&res); err != nil {
		return m, fmt.Errorf("molecule-ci coverage --format json output: %w", err)
	}
	m.Covered, m.Total = res.Total.Covered, res.Total.Total
	return m, nil
}

// buildCommand builds molecule-ci from this module into dir, as a release would (trimmed, no
// race detector), and writes a go.mod for the synthetic module next to the profile.
func buildCommand(dir string) (bin, repo string, err error) {
	bin = filepath.Join(dir, "molecule-ci")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/molecule-ci")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/molecule-ci: %w", err)
	}
	repo = filepath.Join(dir, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module github.com/molecule\n\ngo 1.22\n"), 0o644); err != nil {
		return "", "", err
	}
	return bin, repo, nil
}

// usage is a finished child's peak resident memory and CPU time (user+sys, every thread). On a
// shared machine the wall time includes waiting for a core; the CPU time does not.
func usage(ps *os.ProcessState) (maxRSS int64, cpu float64) {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		maxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return maxRSS, (ps.UserTime() + ps.SystemTime()).Seconds()
}

func median(ms []measurement) measurement {
	secs := make([]float64, len(ms))
	cpu := make([]float64, len(ms))
	rss := make([]int64, len(ms))
	for i, m := range ms {
		secs[i], cpu[i], rss[i] = m.Seconds, m.CPU, m.MaxRSS
	}
	slices.Sort(secs)
	slices.Sort(cpu)
	slices.Sort(rss)
	out := ms[0]
	out.Seconds, out.CPU, out.MaxRSS = secs[len(secs)/2], cpu[len(cpu)/2], rss[len(rss)/2]
	return out
}

func runParent(profile string, blocks, repeat, perFile, runs int) error {
	if profile == "" {
		dir, err := os.MkdirTemp("", "coverage-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		profile = filepath.Join(dir, "synthetic.out")
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := Generate(f, blocks, repeat, perFile); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	st, err := os.Stat(profile)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "coverage-bench-cmd-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin, repo, err := buildCommand(work)
	if err != nil {
		return err
	}
	absProfile, err := filepath.Abs(profile)
	if err != nil {
		return err
	}
	mb := float64(st.Size()) / 1e6
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("profile: %.1f MB (%d distinct blocks x %d copies), %d runs of each, interleaved\n\n", mb, blocks, repeat, max(runs, 1))

	results := map[string][]measurement{}
	for range max(runs, 1) {
		for _, p := range []string{"ours", "xtools", "command"} {
			var m measurement
			var err error
			if p == "command" {
				m, err = measureCommand(bin, repo, absProfile)
			} else {
				m, err = measure(self, p, profile)
			}
			if err != nil {
				return err
			}
			results[p] = append(results[p], m)
		}
	}
	ours, xt, command := median(results["ours"]), median(results["xtools"]), median(results["command"])
	fmt.Printf("%-44s %9s %10s %9s %13s  %s\n", "what runs", "time", "MB/s", "CPU", "peak memory", "total")
	for _, row := range []struct {
		name string
		m    measurement
	}{
		{"molecule-ci coverage --format json (command)", command},
		{"molecule-ci coverage.ParseGo (parser only)", ours},
		{"x/tools cover.ParseProfiles + total", xt},
	} {
		fmt.Printf("%-44s %8.3fs %10.1f %8.3fs %10.1f MB  %d/%d statements\n", row.name, row.m.Seconds, mb/row.m.Seconds,
			row.m.CPU, float64(row.m.MaxRSS)/1e6, row.m.Covered, row.m.Total)
	}
	files := blocks / max(perFile, 1)
	fmt.Printf("\n--format json output: %.2f MB for %d files (%.0f bytes per file)\n", float64(command.OutputBytes)/1e6, files, float64(command.OutputBytes)/float64(max(files, 1)))
	ok := true
	for _, c := range []struct {
		name string
		m    measurement
	}{{"command", command}, {"parser", ours}} {
		speedup := xt.Seconds / c.m.Seconds
		memRatio := float64(c.m.MaxRSS) / float64(xt.MaxRSS)
		fmt.Printf("%-8s vs x/tools: speed-up %.1fx (target >= %.0fx), CPU time %.1fx less than x/tools, peak memory ratio %.3f (target <= %.1f)\n",
			c.name, speedup, wantSpeedup, xt.CPU/c.m.CPU, memRatio, wantMemRatio)
		if c.m.Covered != xt.Covered || c.m.Total != xt.Total {
			fmt.Printf("FAIL: %s totals differ: %d/%d vs %d/%d\n", c.name, c.m.Covered, c.m.Total, xt.Covered, xt.Total)
			ok = false
		}
		if speedup < wantSpeedup {
			fmt.Printf("FAIL: %s speed-up below target\n", c.name)
			ok = false
		}
		if memRatio > wantMemRatio {
			fmt.Printf("FAIL: %s peak memory above target\n", c.name)
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("targets not met")
	}
	fmt.Println("PASS: same totals, targets met")
	return nil
}
