package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// hostileLine is what each hostile endpoint sends after its status line: one 2 MB header line
// without a colon, which Go's HTTP client quotes whole in its error (issue 15).
const hostileLine = 2 << 20

// Goals of the hostile scenario: every output stays this small whatever the servers send.
const (
	hostileMaxRSS  = 100 << 20
	hostileMaxFile = 1 << 20
)

// runHostile starts n loopback endpoints that answer every request with a 2 MB header line
// without a colon, and runs `molecule-ci probe --format json --state DIR --site DIR` over them
// three times as three scheduled runs (the second declares the outage, the third keeps it), as
// the case did. It prints, per run, the peak resident memory and the size of stdout,
// state.json, api/v1/status.json, index.html and the history, and exits 1 when one exceeds its
// goal (memory under 100 MB, every file and stdout under 1 MB).
func runHostile(n int, prebuilt string, keep bool) error {
	work, err := os.MkdirTemp("", "molecule-ci-bench-probe-hostile-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	var urls []string
	line := append([]byte("HTTP/1.1 200 OK\r\n"), bytes.Repeat([]byte("A"), hostileLine)...)
	line = append(line, "\r\n\r\n"...)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.SetDeadline(time.Now().Add(30 * time.Second))
					buf := make([]byte, 4096)
					c.Read(buf) // the request; its content does not matter
					c.Write(line)
				}()
			}
		}()
		urls = append(urls, "http://"+l.Addr().String()+"/health")
	}
	bin, err := prepare(work, prebuilt, "retry-delay: 0s\n  down-after-runs: 2", "hostile %02d", urls)
	if err != nil {
		return err
	}
	fmt.Printf("bench: %d endpoints sending a %d-byte header line without a colon, 3 scheduled runs (down-after-runs: 2)\n", n, hostileLine)
	fmt.Printf("%-4s %5s %10s %10s %10s %12s %10s %10s %8s\n", "run", "exit", "peak RSS", "stdout", "state", "status.json", "page", "history", "wall")
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var worst int64
	var worstRSS int64
	for run := range 3 {
		cmd := exec.Command(bin, "probe", "--format", "json", "--state", "state", "--site", "site",
			"--now", t0.Add(time.Duration(run)*5*time.Minute).Format(time.RFC3339))
		cmd.Dir = work
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work}
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			return err
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		state := size(filepath.Join(work, "state", "state.json"))
		status := size(filepath.Join(work, "site", "api", "v1", "status.json"))
		page := size(filepath.Join(work, "site", "index.html"))
		var hist int64
		filepath.WalkDir(filepath.Join(work, "state", "history"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				hist += size(p)
			}
			return nil
		})
		fmt.Printf("%-4d %5d %10s %10s %10s %12s %10s %10s %8s\n", run+1, cmd.ProcessState.ExitCode(), mb(rss), sz(int64(out.Len())), sz(state), sz(status), sz(page), sz(hist),
			wall.Round(10*time.Millisecond))
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			// Every run sees the services down (exit 1 once declared) or not yet (exit 0); 3 is
			// the tool failing, which is what a state too large to read made it do.
			if code != 0 || run > 0 {
				fmt.Printf("     stderr: %.300s\n", strings.TrimSpace(stderr.String()))
			}
		}
		worst = max(worst, int64(out.Len()), state, status, page, hist)
		worstRSS = max(worstRSS, rss)
	}
	fmt.Printf("largest output %s (goal < %s), peak memory %s (goal < %s)\n", sz(worst), sz(hostileMaxFile), mb(worstRSS), mb(hostileMaxRSS))
	if worst >= hostileMaxFile || worstRSS >= hostileMaxRSS {
		return fmt.Errorf("goal missed")
	}
	return nil
}

func size(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// sz is a size in KB below a megabyte, in MB above.
func sz(b int64) string {
	if b < 1<<20 {
		return fmt.Sprintf("%.1f KB", float64(b)/(1<<10))
	}
	return mb(b)
}
