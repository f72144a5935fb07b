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
	MaxRSS         int64 // bytes, filled in by the parent
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
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.MaxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return m, nil
}

func median(ms []measurement) measurement {
	secs := make([]float64, len(ms))
	rss := make([]int64, len(ms))
	for i, m := range ms {
		secs[i], rss[i] = m.Seconds, m.MaxRSS
	}
	slices.Sort(secs)
	slices.Sort(rss)
	out := ms[0]
	out.Seconds, out.MaxRSS = secs[len(secs)/2], rss[len(rss)/2]
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
	mb := float64(st.Size()) / 1e6
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("profile: %.1f MB (%d distinct blocks x %d copies), %d runs of each parser, interleaved\n\n", mb, blocks, repeat, max(runs, 1))

	results := map[string][]measurement{}
	for range max(runs, 1) {
		for _, p := range []string{"ours", "xtools"} {
			m, err := measure(self, p, profile)
			if err != nil {
				return err
			}
			results[p] = append(results[p], m)
		}
	}
	ours, xt := median(results["ours"]), median(results["xtools"])
	fmt.Printf("%-32s %9s %10s %13s  %s\n", "parser", "time", "MB/s", "peak memory", "total")
	for _, row := range []struct {
		name string
		m    measurement
	}{{"molecule-ci coverage.ParseGo", ours}, {"x/tools cover.ParseProfiles", xt}} {
		fmt.Printf("%-32s %8.3fs %10.1f %10.1f MB  %d/%d statements\n", row.name, row.m.Seconds, mb/row.m.Seconds,
			float64(row.m.MaxRSS)/1e6, row.m.Covered, row.m.Total)
	}
	speedup := xt.Seconds / ours.Seconds
	memRatio := float64(ours.MaxRSS) / float64(xt.MaxRSS)
	fmt.Printf("\nspeed-up: %.1fx (target >= %.0fx)\npeak memory ratio: %.3f (target <= %.1f)\n", speedup, wantSpeedup, memRatio, wantMemRatio)

	ok := true
	if ours.Covered != xt.Covered || ours.Total != xt.Total {
		fmt.Printf("FAIL: totals differ: %d/%d vs %d/%d\n", ours.Covered, ours.Total, xt.Covered, xt.Total)
		ok = false
	}
	if speedup < wantSpeedup {
		fmt.Println("FAIL: speed-up below target")
		ok = false
	}
	if memRatio > wantMemRatio {
		fmt.Println("FAIL: peak memory above target")
		ok = false
	}
	if !ok {
		return fmt.Errorf("targets not met")
	}
	fmt.Println("PASS: same totals, targets met")
	return nil
}
