package coverage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// cpuTime is the process's CPU time so far, user and system, every thread.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation to a benchmark's figures: on a shared machine the
// wall time includes waiting for a core, the CPU time does not.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// writeSynthetic writes a count-mode Go profile shaped like `go test -coverpkg` output, the one
// bench/coverage generates: blocks distinct blocks, 100 per file, the whole set written repeat
// times, about a third never covered.
func writeSynthetic(tb testing.TB, dir string, blocks, repeat int) string {
	tb.Helper()
	path := filepath.Join(dir, "synthetic.out")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(bw, "mode: count")
	for r := range repeat {
		for i := range blocks {
			file, j := i/100, i%100
			count := (i*7 + r) % 5
			if i%10 < 3 {
				count = 0
			}
			line := 10 + j*6
			fmt.Fprintf(bw, "github.com/molecule/p%04d/file%02d.go:%d.%d,%d.%d %d %d\n",
				file/20, file%20, line, 2+j%40, line+2, 3, 1+j%4, count)
		}
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func benchProfile(b *testing.B) (dir, path string, size int64) {
	dir = b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module github.com/molecule\n\ngo 1.22\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	path = writeSynthetic(b, dir, 200_000, 10)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return dir, path, st.Size()
}

// BenchmarkParseGo parses the ~100 MB profile of bench/coverage with ParseGo (in parallel when
// GOMAXPROCS > 1), then serially and in parallel with 2 and 4 workers.
func BenchmarkParseGo(b *testing.B) {
	_, path, size := benchProfile(b)
	for _, bb := range []struct {
		name  string
		parse func(string, io.Reader) (*Profile, error)
	}{
		{"ParseGo", ParseGo},
		{"serial", parseGoSerial},
		{"parallel-1", func(p string, r io.Reader) (*Profile, error) { return parseGoParallel(p, r, 1, chunkBytes) }},
		{"parallel-2", func(p string, r io.Reader) (*Profile, error) { return parseGoParallel(p, r, 2, chunkBytes) }},
		{"parallel-4", func(p string, r io.Reader) (*Profile, error) { return parseGoParallel(p, r, 4, chunkBytes) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(size)
			defer reportCPU(b, cpuTime(b))
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bb.parse(path, f); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkRunJSON is what `molecule-ci coverage --format json` does with that profile.
func BenchmarkRunJSON(b *testing.B) {
	dir, path, size := benchProfile(b)
	b.SetBytes(size)
	defer reportCPU(b, cpuTime(b))
	for b.Loop() {
		res, err := Run(context.Background(), Options{Reports: []string{path}, RepoRoot: dir})
		if err != nil {
			b.Fatal(err)
		}
		if err := report.Write(io.Discard, "json", res.Report(), report.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
