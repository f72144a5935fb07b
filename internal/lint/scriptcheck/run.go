package scriptcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// request is one script to check with one tool.
type request struct {
	tool  *tool
	args  []string // tool arguments after the executable's own leading arguments, no file names
	shell string
	stdin string // the script
	// parse turns the output of a tool that read the script on stdin (pyflakes) into
	// diagnostics; its errors are final (already in actionlint's wording). Nil for tools that
	// are given files (shellcheck), whose output is parsed per batch.
	parse func(out []byte) ([]diagnostic, error)
	// runErr wraps an error from running the process, in actionlint's wording.
	runErr func(err error) error
}

// batched reports whether the tool takes many scripts per process (as files).
func (r request) batched() bool { return r.parse == nil }

// job is one script waiting for a tool process.
type job struct {
	key  string
	req  request
	solo bool // run alone: its batch hit a limit, so which script did is found out one by one
	done chan struct{}
	res  outcome
}

// outcome is what one check of a script produced.
type outcome struct {
	diags []diagnostic
	limit *LimitError
	out   []byte // raw output of a stdin tool, parsed by each caller for its own position
	err   error
}

// check returns the diagnostics for r from the memory cache, the disk cache or a tool run, in
// that order. Identical scripts checked concurrently (common across files: `npm ci`) share one
// run. Only successful runs are cached on disk; a script over a limit is remembered for this
// run only, since the limit depends on the machine's load.
func (c *Checker) check(r request) ([]diagnostic, *LimitError, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, nil, err
	}
	key := c.cacheKey(r)
	if v, ok := c.mem.Load(key); ok {
		c.hits.Add(1)
		return v.([]diagnostic), nil, nil
	}
	if v, ok := c.limits.Load(key); ok {
		return nil, v.(*LimitError), nil
	}
	if d, ok := c.readCache(r.tool, key); ok {
		c.mem.Store(key, d)
		c.hits.Add(1)
		return d, nil, nil
	}

	executed := false
	v, err, _ := c.group.Do(key, func() (any, error) {
		if d, ok := c.mem.Load(key); ok {
			return outcome{diags: d.([]diagnostic)}, nil
		}
		executed = true
		j := &job{key: key, req: r, done: make(chan struct{})}
		c.enqueue(j)
		select {
		case <-j.done:
		case <-c.ctx.Done():
			return nil, c.ctx.Err()
		}
		o := j.res
		if o.err != nil {
			return nil, o.err
		}
		if o.limit != nil {
			c.limits.Store(key, o.limit)
			return o, nil
		}
		if o.out != nil {
			d, err := r.parse(o.out)
			if err != nil {
				return o, nil // not cached; every caller re-parses for its own position
			}
			o.diags = d
		}
		if o.diags == nil {
			o.diags = []diagnostic{}
		}
		c.mem.Store(key, o.diags)
		if err := c.writeCache(r.tool, key, o.diags); err != nil {
			c.writeErrs.Add(1)
		}
		return outcome{diags: o.diags}, nil
	})
	if err != nil {
		if cerr := c.ctx.Err(); cerr != nil {
			return nil, nil, cerr
		}
		var te *ToolError
		if errors.As(err, &te) {
			return nil, nil, err
		}
		return nil, nil, r.runErr(err)
	}
	o := v.(outcome)
	if o.limit != nil {
		return nil, o.limit, nil
	}
	if o.diags == nil && o.out != nil {
		_, err := r.parse(o.out)
		return nil, nil, err
	}
	if !executed {
		c.hits.Add(1)
	}
	return o.diags, nil, nil
}

// enqueue hands j to the workers, starting one when fewer than the concurrency bound run. Jobs
// that arrive while every worker is busy pile up and leave together, many scripts per process.
func (c *Checker) enqueue(jobs ...*job) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.queue = append(c.queue, jobs...)
	for c.workers < c.par && c.workers < len(c.queue) {
		c.workers++
		go c.work()
	}
}

// take removes the next batch from the queue: the first job and, when its tool takes files,
// up to maxBatch-1 later jobs for the same tool, arguments and shell.
func (c *Checker) take() []*job {
	if len(c.queue) == 0 {
		return nil
	}
	first := c.queue[0]
	batch := []*job{first}
	rest := c.queue[1:]
	if first.req.batched() && !first.solo {
		kept := rest[:0]
		for _, j := range rest {
			if len(batch) < c.batch && !j.solo && j.req.tool == first.req.tool && j.req.shell == first.req.shell &&
				strings.Join(j.req.args, "\x00") == strings.Join(first.req.args, "\x00") {
				batch = append(batch, j)
				continue
			}
			kept = append(kept, j)
		}
		rest = kept
	}
	c.queue = rest
	return batch
}

func (c *Checker) work() {
	for {
		c.qmu.Lock()
		batch := c.take()
		if batch == nil {
			c.workers--
			if c.workers == 0 {
				c.idle.Broadcast()
			}
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()
		c.runBatch(batch)
	}
}

// Wait blocks until no tool process runs and every temporary script file is removed. After the
// context is cancelled that is at most the kill of the running processes.
func (c *Checker) Wait() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	for c.workers > 0 {
		c.idle.Wait()
	}
}

func finish(j *job, o outcome) {
	j.res = o
	close(j.done)
}

// runBatch runs one tool process for the jobs of batch. A batch of several scripts that hits a
// limit is split into solo runs, so only the script that is too hard gets the limit finding.
func (c *Checker) runBatch(batch []*job) {
	first := batch[0]
	if err := c.ctx.Err(); err != nil {
		for _, j := range batch {
			finish(j, outcome{err: err})
		}
		return
	}
	if !first.req.batched() {
		c.procs.Add(1)
		c.runs.Add(1)
		out, lim, err := c.execute(first.req.tool, first.req.args, "", first.req.stdin)
		finish(first, outcome{out: out, limit: lim, err: err})
		return
	}

	dir, err := c.batchDir()
	if err != nil {
		for _, j := range batch {
			finish(j, outcome{err: err})
		}
		return
	}
	defer os.RemoveAll(dir)
	names := make([]string, len(batch))
	for i, j := range batch {
		names[i] = "script-" + strconv.Itoa(i) + ".sh"
		if err := os.WriteFile(filepath.Join(dir, names[i]), []byte(j.req.stdin), 0o600); err != nil {
			for _, j := range batch {
				finish(j, outcome{err: err})
			}
			return
		}
	}
	c.procs.Add(1)
	c.runs.Add(int64(len(batch)))
	out, lim, err := c.execute(first.req.tool, append(append([]string{}, first.req.args...), names...), dir, "")
	switch {
	case err != nil:
		for _, j := range batch {
			finish(j, outcome{err: err})
		}
		return
	case lim != nil && len(batch) > 1:
		c.runs.Add(-int64(len(batch))) // counted again when run alone
		for _, j := range batch {
			j.solo = true
		}
		c.enqueue(batch...)
		return
	case lim != nil:
		finish(first, outcome{limit: lim})
		return
	}
	byFile, err := parseShellcheck(out)
	if err != nil {
		for _, j := range batch {
			finish(j, outcome{err: err})
		}
		return
	}
	for i, j := range batch {
		d := byFile[names[i]]
		if d == nil {
			d = []diagnostic{}
		}
		finish(j, outcome{diags: d})
	}
}

// memoryMarkers are what the tools print when an allocation fails under the address-space
// limit: GHC's runtime (shellcheck) and Python (pyflakes).
var memoryMarkers = []string{"out of memory", "Heap exhausted", "MemoryError", "Cannot allocate memory", "RLIMIT_AS", "resource limit for virtual memory"}

// execute runs the tool in dir with stdin, under the time limit and (where prlimit exists) the
// memory limit. A non-zero exit with output is success (the tools exit 1 when they find
// problems); the error messages are actionlint's. Exceeding a limit is a *LimitError, not an
// error; a cancelled context kills the process and returns the context's error.
func (c *Checker) execute(t *tool, args []string, dir, stdin string) ([]byte, *LimitError, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
	defer cancel()
	all := append(append([]string{}, t.args...), args...)
	name := t.exe
	if c.prlimit != "" {
		all = append([]string{"--as=" + strconv.FormatInt(c.memLimit, 10), "--", t.exe}, all...)
		name = c.prlimit
	}
	cmd := exec.CommandContext(ctx, name, all...)
	cmd.Dir = dir
	cmd.Env = c.env
	cmd.WaitDelay = time.Second
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if t.combine {
		cmd.Stderr = &stdout
	}
	err := cmd.Run()
	if cerr := c.ctx.Err(); cerr != nil {
		return nil, nil, cerr
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, &LimitError{Tool: t.name, Kind: LimitTime, Limit: c.timeout.String()}, nil
	}
	out := stdout.Bytes()
	if err == nil {
		return out, nil, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return nil, nil, err
	}
	errText := stderr.Bytes()
	if t.combine {
		errText = out
	}
	if c.prlimit != "" {
		for _, m := range memoryMarkers {
			if bytes.Contains(errText, []byte(m)) {
				return nil, &LimitError{Tool: t.name, Kind: LimitMemory, Limit: fmt.Sprintf("%d MiB", c.memLimit>>20)}, nil
			}
		}
	}
	code := exitErr.ExitCode()
	if code < 0 {
		return nil, nil, fmt.Errorf("%s was terminated. stderr: %q", t.exe, errText)
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("%s exited with status %d but stdout was empty. stderr: %q", t.exe, code, errText)
	}
	return out, nil, nil
}

// batchDir makes the directory a batch's scripts are written to: under the system temporary
// directory, or under the cache directory when there is none or it is not writable (a minimal or
// read-only container: the cache directory is the one place lint must be able to write anyway).
func (c *Checker) batchDir() (string, error) {
	dir, err := os.MkdirTemp("", "molecule-ci-shellcheck-")
	if err == nil || c.cacheDir == "" {
		return dir, err
	}
	if mkErr := os.MkdirAll(c.cacheDir, 0o755); mkErr != nil {
		return "", fmt.Errorf("%w (and the cache directory: %v)", err, mkErr)
	}
	if dir, err2 := os.MkdirTemp(c.cacheDir, "batch-"); err2 == nil {
		return dir, nil
	}
	return "", err
}
