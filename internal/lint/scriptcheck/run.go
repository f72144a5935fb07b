package scriptcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/Molecule-AI/molecule-ci/internal/shell"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	key string
	req request
	// cap bounds the batch the job joins after its batch hit a limit: the scripts are checked
	// again in smaller batches (splitBatch), and those of a small batch that hits it one by one,
	// so only the script that is too hard gets the limit finding. 0: no bound of its own.
	cap  int
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

// ticket is one script's check: resolved at once from a cache, or waiting for the job that
// checks it, which every identical script submitted meanwhile shares.
type ticket struct {
	r     request
	job   *job // nil: resolved
	diags []diagnostic
	limit *LimitError
	err   error
}

// submit starts the check of r without waiting for it: the diagnostics come from the memory
// cache, the disk cache or a tool run, in that order. Identical scripts (common across files:
// `npm ci`) share one run. Only successful runs are cached on disk; a script over a limit is
// remembered for this run only, since the limit depends on the machine's load. A ticket costs
// no goroutine, so a whole repository's scripts can wait in the queue.
func (c *Checker) submit(r request) *ticket {
	if err := c.ctx.Err(); err != nil {
		return &ticket{err: err}
	}
	key := c.cacheKey(r)
	if t, ok := c.known(key); ok {
		return t
	}
	if d, ok := c.readCache(r.tool, key); ok {
		c.mem.Store(key, d)
		c.hits.Add(1)
		return &ticket{diags: d}
	}
	c.fmu.Lock()
	// A job that completed since the look-up above has stored its result before leaving
	// inflight (complete), so under fmu the key is either known or in flight.
	if t, ok := c.known(key); ok {
		c.fmu.Unlock()
		return t
	}
	j, shared := c.inflight[key]
	if !shared {
		j = &job{key: key, req: r, done: make(chan struct{})}
		if shell.Nesting(r.stdin) > soloDepth {
			// Likely to take shellcheck past its time limit: alone from the start, so the
			// scripts it would have been batched with are not held up and checked twice.
			j.cap = 1
		}
		c.inflight[key] = j
	}
	c.fmu.Unlock()
	if shared {
		c.hits.Add(1)
	} else {
		c.enqueue(j)
	}
	return &ticket{r: r, job: j}
}

// known resolves key from this run's memory: a result, or a limit the script exceeded.
func (c *Checker) known(key string) (*ticket, bool) {
	if v, ok := c.mem.Load(key); ok {
		c.hits.Add(1)
		return &ticket{diags: v.([]diagnostic)}, true
	}
	if v, ok := c.limits.Load(key); ok {
		return &ticket{limit: v.(*LimitError)}, true
	}
	return nil, false
}

// wait blocks until t's check is done, or the Checker's context ends.
func (c *Checker) wait(t *ticket) ([]diagnostic, *LimitError, error) {
	if t.job == nil {
		return t.diags, t.limit, t.err
	}
	select {
	case <-t.job.done:
	case <-c.ctx.Done():
		return nil, nil, c.ctx.Err()
	}
	o := t.job.res
	switch {
	case o.err != nil:
		if cerr := c.ctx.Err(); cerr != nil {
			return nil, nil, cerr
		}
		var te *ToolError
		if errors.As(o.err, &te) {
			return nil, nil, o.err
		}
		return nil, nil, t.r.runErr(o.err)
	case o.limit != nil:
		return nil, o.limit, nil
	case o.diags == nil && o.out != nil:
		// The output did not parse: each script gets the error with its own position.
		_, err := t.r.parse(o.out)
		return nil, nil, err
	}
	return o.diags, nil, nil
}

// complete records the outcome of j's check, caches it, and wakes the scripts waiting for it.
func (c *Checker) complete(j *job, o outcome) {
	switch {
	case o.err != nil:
	case o.limit != nil:
		c.limits.Store(j.key, o.limit)
	default:
		if o.out != nil {
			d, err := j.req.parse(o.out)
			if err != nil {
				break // not cached; every script re-parses for its own position
			}
			o.diags, o.out = d, nil
		}
		if o.diags == nil {
			o.diags = []diagnostic{}
		}
		c.mem.Store(j.key, o.diags)
		if err := c.writeCache(j.req.tool, j.key, o.diags); err != nil {
			c.writeErrs.Add(1)
		}
	}
	j.res = o
	c.fmu.Lock()
	delete(c.inflight, j.key)
	c.fmu.Unlock()
	close(j.done)
}

// enqueue hands jobs to the workers, starting them as batches become ready. Jobs that arrive
// while every worker is busy pile up and leave together, many scripts per process.
func (c *Checker) enqueue(jobs ...*job) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.queue = append(c.queue, jobs...)
	c.startWorkers()
}

// requeue puts the jobs of a batch that hit a limit back at the front of the queue.
func (c *Checker) requeue(jobs []*job) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.queue = append(slices.Clone(jobs), c.queue...)
	c.startWorkers()
}

// startWorkers starts workers, up to the concurrency bound, while a batch is ready. c.qmu is held.
func (c *Checker) startWorkers() {
	for c.workers < c.par && c.workers < len(c.queue) && c.ready() {
		c.workers++
		go c.work()
	}
}

// Hold makes the workers wait for full batches until release is called, for a producer that
// queues the scripts of many files before it needs any result (File): without it, the first
// scripts would leave one process at a time as they arrive. release may be called more than once.
func (c *Checker) Hold() (release func()) {
	c.qmu.Lock()
	c.holds++
	c.qmu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.qmu.Lock()
			defer c.qmu.Unlock()
			c.holds--
			c.startWorkers()
		})
	}
}

// ready reports whether a batch may leave now. c.qmu is held.
func (c *Checker) ready() bool {
	return len(c.queue) > 0 && (c.holds == 0 || len(c.queue) >= c.batch || c.queue[0].cap > 0)
}

// batchSize is how many scripts the next batch takes. Held, batches are full; afterwards each
// takes its share of what is left (guided scheduling), but at least minShare: few processes,
// since every shellcheck start costs tens of milliseconds, and no core left idle at the end by
// one long last batch.
func (c *Checker) batchSize(first *job) int {
	switch {
	case !first.req.batched():
		return 1
	case first.cap > 0:
		return first.cap
	case c.holds > 0:
		return c.batch
	}
	n := max(minShare, (len(c.queue)+c.par-1)/c.par)
	if len(c.queue)-n < minShare {
		n = len(c.queue) // no last batch too small to be worth a process
	}
	return min(c.batch, n)
}

// take removes the next batch from the queue: the first job and, when its tool takes files,
// later jobs for the same tool, arguments, shell and bound, up to batchSize. c.qmu is held.
func (c *Checker) take() []*job {
	if !c.ready() {
		return nil
	}
	first := c.queue[0]
	size := c.batchSize(first)
	budget := c.byteShare()
	batch := []*job{first}
	bytes := len(first.req.stdin)
	rest := c.queue[1:]
	if size > 1 {
		kept := rest[:0]
		for _, j := range rest {
			if len(batch) < size && bytes < budget && j.cap == first.cap && j.req.tool == first.req.tool && j.req.shell == first.req.shell &&
				slices.Equal(j.req.args, first.req.args) {
				batch = append(batch, j)
				bytes += len(j.req.stdin)
				continue
			}
			kept = append(kept, j)
		}
		rest = kept
	}
	c.queue = rest
	return batch
}

// minShareBytes is the least script text a batch takes once nothing is held (about 32 typical
// scripts).
const minShareBytes = 16 << 10

// byteShare bounds the script text of the next batch once nothing is held: each worker's share of
// what is queued, so that a few long scripts (checked in tens of milliseconds each, not two) are
// spread over the workers instead of landing in one process while the others idle. Held, batches
// are bounded by count only. c.qmu is held.
func (c *Checker) byteShare() int {
	if c.holds > 0 || c.par < 2 {
		return math.MaxInt
	}
	total := 0
	for _, j := range c.queue {
		total += len(j.req.stdin)
	}
	return max(minShareBytes, (total+c.par-1)/c.par)
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

// runBatch runs one tool process for the jobs of batch. A batch of several scripts that hits a
// limit is checked again in smaller batches, and a small one script by script, so only the
// script that is too hard gets the limit finding.
func (c *Checker) runBatch(batch []*job) {
	first := batch[0]
	if err := c.ctx.Err(); err != nil {
		for _, j := range batch {
			c.complete(j, outcome{err: err})
		}
		return
	}
	if !first.req.batched() {
		c.procs.Add(1)
		c.runs.Add(1)
		out, lim, err := c.execute(first.req.tool, first.req.args, "", first.req.stdin)
		c.complete(first, outcome{out: out, limit: lim, err: err})
		return
	}

	names := make([]string, len(batch))
	for i := range batch {
		names[i] = "script-" + strconv.Itoa(i) + ".sh"
	}
	dir, err := c.writeBatch(batch, names)
	if err != nil {
		for _, j := range batch {
			c.complete(j, outcome{err: err})
		}
		return
	}
	defer os.RemoveAll(dir)
	c.procs.Add(1)
	c.runs.Add(int64(len(batch)))
	out, lim, err := c.execute(first.req.tool, append(append([]string{}, first.req.args...), names...), dir, "")
	switch {
	case err != nil:
		for _, j := range batch {
			c.complete(j, outcome{err: err})
		}
		return
	case lim != nil && len(batch) > 1:
		c.runs.Add(-int64(len(batch))) // counted again when run again
		next := 1
		if len(batch) > splitBatch {
			next = splitBatch
		}
		for _, j := range batch {
			j.cap = next
		}
		c.requeue(batch)
		return
	case lim != nil:
		c.complete(first, outcome{limit: lim})
		return
	}
	byFile, err := parseShellcheck(out)
	if err != nil {
		for _, j := range batch {
			c.complete(j, outcome{err: err})
		}
		return
	}
	for i, j := range batch {
		d := byFile[names[i]]
		if d == nil {
			d = []diagnostic{}
		}
		tabColumns(j.req.stdin, d)
		c.complete(j, outcome{diags: d})
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

// writeBatch writes the scripts of batch, as names, into a new directory and returns it. The
// directory is made, in order of preference, in memory (/dev/shm: creating thousands of small
// files on a disk costs more system time than checking them), in the system temporary
// directory, or in the cache directory when neither is writable (a minimal or read-only
// container: the cache directory is the one place lint must be able to write anyway). A place
// that is full (a container's small /dev/shm) passes the batch to the next.
func (c *Checker) writeBatch(batch []*job, names []string) (string, error) {
	var first error
	for _, base := range c.batchBases() {
		dir, err := writeScripts(base, batch, names)
		if err == nil {
			return dir, nil
		}
		if first == nil {
			first = err
		}
	}
	return "", first
}

// batchBases are the places writeBatch tries, "" being the system temporary directory.
func (c *Checker) batchBases() []string {
	var bases []string
	if st, err := os.Stat(memoryDir); err == nil && st.IsDir() {
		bases = append(bases, memoryDir)
	}
	bases = append(bases, "")
	if c.cacheDir != "" {
		bases = append(bases, c.cacheDir)
	}
	return bases
}

// memoryDir is Linux's memory-backed directory for shared memory, writable by every user.
var memoryDir = "/dev/shm"

func writeScripts(base string, batch []*job, names []string) (string, error) {
	if base != "" {
		if err := os.MkdirAll(base, 0o755); err != nil {
			return "", err
		}
	}
	dir, err := os.MkdirTemp(base, "molecule-ci-shellcheck-")
	if err != nil {
		return "", err
	}
	for i, j := range batch {
		if err := os.WriteFile(filepath.Join(dir, names[i]), []byte(j.req.stdin), 0o600); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}
