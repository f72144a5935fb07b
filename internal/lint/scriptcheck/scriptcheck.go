// Package scriptcheck owns running shellcheck and pyflakes on the `run:` scripts of GitHub Actions
// workflows, as actionlint rules that behave exactly like actionlint v1.7.12's own "shellcheck" and
// "pyflakes" rules (same shell detection, same `${{ }}` sanitizing, same tool arguments and
// excluded codes, same messages and positions), plus a content-addressed cache so that an
// unchanged script is never handed to the tool twice.
//
// A Checker is created once per lint run and shared by every file; Rules and File return fresh
// rule instances for one workflow file (actionlint rules keep per-file state). VisitStep queues
// each script (no goroutine, no process yet); workers, at most Concurrency, run the tool on
// batches of queued scripts, many per process. Rules' results are awaited in VisitWorkflowPost;
// File's in File.Wait, after the visit, so a linter can queue a whole repository's scripts
// (Hold) and have them checked in a few large batches while it releases each syntax tree.
//
// A tool that cannot run (crash, non-zero exit with no output, unparsable output) is not a
// finding: the rule returns a *ToolError from VisitWorkflowPost (or File.Wait), which makes
// actionlint's visitor, and so Linter.Lint/LintFiles, fail with that error (wrapped by
// actionlint). Callers detect it with errors.As and report it as a tool failure (molecule-ci
// exits 3), never as findings.
package scriptcheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-shellwords"
	"github.com/rhysd/actionlint"
)

// Options configure a Checker. Empty tool fields disable that tool.
type Options struct {
	// Shellcheck is the shellcheck executable: a name looked up in PATH, a path, or (like
	// actionlint) a command line such as "docker run --rm -i koalaman/shellcheck". "" disables it.
	Shellcheck string
	// Pyflakes is the pyflakes executable, resolved like Shellcheck. "" disables it.
	Pyflakes string
	// CacheDir is where diagnostics are cached across runs. "" keeps the cache in memory only,
	// for the lifetime of the Checker.
	CacheDir string
	// Concurrency bounds the tool processes running at once across all files; 0 means
	// runtime.NumCPU().
	Concurrency int
	// Timeout bounds one tool process; 0 means DefaultTimeout.
	Timeout time.Duration
	// MemoryLimit bounds the address space of one tool process in bytes, through prlimit(1)
	// where it exists (Linux); 0 means DefaultMemoryLimit, a negative value no limit.
	MemoryLimit int64
	// Env holds the values of the environment variables the tools read (ToolEnv): they are set
	// to exactly these values in every tool process (unset ones to "") and are part of the cache
	// key, so a run with SHELLCHECK_OPTS="-e SC2086" never serves its results to a run without.
	// The caller reads them from its environment; this package never reads the environment.
	Env map[string]string
}

// ToolEnv are the environment variables that change what shellcheck and pyflakes report.
var ToolEnv = []string{"SHELLCHECK_OPTS", "PYFLAKES_BUILTINS", "PYFLAKES_DOCTEST"}

// The default limits of one tool process: far above what a real script needs (shellcheck checks
// a typical `run:` script in milliseconds and 20 MB), far below what hurts a runner.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMemoryLimit = 1 << 30
)

// maxBatch is the most scripts one shellcheck process gets: a shellcheck start costs about 18 ms
// of CPU, checking a typical run: script under 2 ms, so batches are large; 256 typical scripts
// still take well under a second, far inside the time limit.
const maxBatch = 256

// minShare is the smallest batch guided scheduling hands out while scripts are left: 32 typical
// scripts take about as long as one shellcheck start.
const minShare = 32

// soloDepth is the nesting (shell.Nesting) above which a script is checked alone: shellcheck's
// time grows exponentially with nested command substitutions (depth 12: 1 s; 20: minutes), while
// real scripts stay shallow (at most 6 in actionlint's real-world corpus).
const soloDepth = 8

// splitBatch is the size of the batches the scripts of a batch that hit a limit are checked
// again in.
const splitBatch = 16

// RuleLimit is the kind of the finding for a script a tool could not check within its limits.
const RuleLimit = "script-check-limit"

// The limits a tool process can exceed.
const (
	LimitTime   = "time"
	LimitMemory = "memory"
)

// LimitError says that a tool did not finish checking a script within a limit.
type LimitError struct {
	Tool  string // "shellcheck" or "pyflakes"
	Kind  string // LimitTime or LimitMemory
	Limit string // "5s", "1024 MiB"
}

func (e *LimitError) Error() string {
	if e.Kind == LimitTime {
		return fmt.Sprintf("%s did not finish within its %s time limit", e.Tool, e.Limit)
	}
	return fmt.Sprintf("%s ran out of its %s memory limit", e.Tool, e.Limit)
}

// Stats count what the Checker did, for the caller's summary and for tests.
type Stats struct {
	// Runs is the number of scripts handed to a tool (several may share one process).
	Runs int64
	// Processes is the number of tool processes started.
	Processes int64
	// CacheHits is the number of scripts whose diagnostics came from the cache (memory or disk)
	// instead of a tool run.
	CacheHits int64
	// Skipped is the number of scripts not handed to shellcheck because their shape leaves it
	// nothing to report (literalOnly).
	Skipped int64
	// CacheWriteErrors counts cache entries that could not be stored. The lint result is not
	// affected; a non-zero value only means the next run will be slower.
	CacheWriteErrors int64
}

// ToolError is a tool that did not run successfully. Its message is the one actionlint prints
// for the same failure.
type ToolError struct {
	Tool string // "shellcheck" or "pyflakes"
	msg  string
	Err  error
}

func (e *ToolError) Error() string { return e.msg }

// Unwrap gives the underlying process or parse error.
func (e *ToolError) Unwrap() error { return e.Err }

// Checker resolves the tools once and holds the state shared by all files: the process
// semaphore, the cache and the statistics. It is safe for concurrent use.
type Checker struct {
	ctx        context.Context
	shellcheck *tool
	pyflakes   *tool
	cacheDir   string
	timeout    time.Duration
	memLimit   int64
	prlimit    string   // prlimit(1) when memory is capped, else ""
	env        []string // the tool processes' environment
	envKey     string   // the ToolEnv values, for the cache key
	par, batch int

	mem      sync.Map // cache key -> []diagnostic, so identical scripts across files run once
	limits   sync.Map // cache key -> *LimitError, for this run only
	fmu      sync.Mutex
	inflight map[string]*job // cache key -> the job checking it

	qmu     sync.Mutex
	queue   []*job
	workers int
	holds   int        // Hold calls not yet released
	idle    *sync.Cond // signalled when the last worker exits, for Wait

	// skipLiteral: literalOnly scripts are not handed to shellcheck (a validated version, no
	// SHELLCHECK_OPTS).
	skipLiteral bool

	runs, procs, hits, skipped, writeErrs atomic.Int64
}

// tool is one resolved external command.
type tool struct {
	name    string   // "shellcheck" or "pyflakes"; also the rule name and the cache subdirectory
	exe     string   // resolved executable path
	args    []string // leading arguments when the option was a command line
	version string   // trimmed output of `--version`; part of every cache key
	combine bool     // read stderr with stdout (pyflakes writes syntax errors to stderr)
}

// New is NewContext with a context that is never cancelled.
func New(opts Options) (*Checker, error) { return NewContext(context.Background(), opts) }

// NewContext resolves the enabled tools and their versions. It fails naming the tool when an
// executable is missing or does not answer `--version`, so a misconfigured tool is a usage error
// up front rather than silently skipped (actionlint skips it). When ctx is cancelled, running
// tool processes are killed and every check fails with ctx's error.
func NewContext(ctx context.Context, opts Options) (*Checker, error) {
	par := opts.Concurrency
	if par < 0 {
		return nil, fmt.Errorf("scriptcheck: concurrency must not be negative, got %d", par)
	}
	if par == 0 {
		par = runtime.NumCPU()
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("scriptcheck: timeout must not be negative, got %s", opts.Timeout)
	}
	c := &Checker{ctx: ctx, cacheDir: opts.CacheDir, par: par, batch: maxBatch, timeout: opts.Timeout, memLimit: opts.MemoryLimit}
	c.idle = sync.NewCond(&c.qmu)
	c.inflight = map[string]*job{}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.memLimit == 0 {
		c.memLimit = DefaultMemoryLimit
	}
	if c.memLimit > 0 && runtime.GOOS == "linux" {
		// Without prlimit (not Linux, or no util-linux) only the time limit applies; MemoryCapped
		// says so.
		if p, err := exec.LookPath("prlimit"); err == nil {
			c.prlimit = p
		}
	}
	c.env, c.envKey = toolEnv(opts.Env)
	// The version probes run in parallel: pyflakes' Python start-up alone can take longer than a
	// whole warm-cache lint.
	var wg sync.WaitGroup
	var scErr, pfErr error
	if opts.Shellcheck != "" {
		wg.Go(func() { c.shellcheck, scErr = resolveTool("shellcheck", opts.Shellcheck, false) })
	}
	if opts.Pyflakes != "" {
		// Combined output because pyflakes writes lint errors to stdout and syntax errors to
		// stderr (actionlint #411).
		wg.Go(func() { c.pyflakes, pfErr = resolveTool("pyflakes", opts.Pyflakes, true) })
	}
	wg.Wait()
	if scErr != nil {
		return nil, scErr
	}
	if pfErr != nil {
		return nil, pfErr
	}
	c.skipLiteral = c.shellcheck != nil && literalVersions[versionOf(c.shellcheck.version)] && opts.Env["SHELLCHECK_OPTS"] == ""
	if c.cacheDir != "" {
		if err := os.MkdirAll(c.cacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("scriptcheck: create cache directory: %w", err)
		}
	}
	return c, nil
}

func resolveTool(name, exe string, combine bool) (*tool, error) {
	path, args, err := lookPath(exe)
	if err != nil {
		return nil, fmt.Errorf("%s: executable %q not found (install it or disable the check): %w", name, exe, err)
	}
	cmd := exec.Command(path, append(append([]string{}, args...), "--version")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: `%s --version` failed: %w (stderr: %q)", name, exe, err, stderr.String())
	}
	version := strings.TrimSpace(string(out))
	if version == "" {
		return nil, fmt.Errorf("%s: `%s --version` printed nothing", name, exe)
	}
	return &tool{name: name, exe: path, args: args, version: version, combine: combine}, nil
}

// lookPath resolves exe the way actionlint does: as an executable first, then as a command line
// whose first word is the executable.
func lookPath(exe string) (string, []string, error) {
	p, err := exec.LookPath(exe)
	if err == nil {
		return absolute(p), nil, nil
	}
	if a, perr := shellwords.Parse(exe); perr == nil && len(a) > 0 {
		if p, lerr := exec.LookPath(a[0]); lerr == nil {
			return absolute(p), a[1:], nil
		}
	}
	return "", nil, err
}

// absolute keeps a relative executable ("./bin/shellcheck") valid whatever the working directory
// of later exec calls.
func absolute(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// Rules returns fresh rule instances for one workflow file, to be appended to actionlint's rules in
// LinterOptions.OnRulesCreated. Only enabled tools have a rule. The rules wait for the file's
// scripts in VisitWorkflowPost; File defers that wait.
func (c *Checker) Rules() []actionlint.Rule {
	return c.rules(false).list
}

// File is the script checks of one workflow file whose results are collected after the visit:
// its scripts are queued while the file is visited and Wait, called once the file's syntax tree
// is no longer needed, returns what the tools found. Many files can then be in flight for the
// memory of their scripts alone, and the tools get their scripts in large batches.
type File struct {
	list []actionlint.Rule
	sc   *shellcheckRule
	pf   *pyflakesRule
	lim  *limitRule
}

// File returns the rules of one workflow file with their results deferred to File.Wait.
func (c *Checker) File() *File { return c.rules(true) }

// Rules are the rules to visit the file with, after actionlint's.
func (f *File) Rules() []actionlint.Rule { return f.list }

// Wait blocks until every script of the file is checked and returns the errors of the script
// rules (shellcheck, pyflakes, script-check-limit) in rule and step order, or the first tool
// failure (a *ToolError) or cancellation.
func (f *File) Wait() ([]*actionlint.Error, error) {
	if f.sc != nil {
		if err := f.sc.collect(); err != nil {
			return nil, err
		}
	}
	if f.pf != nil {
		if err := f.pf.collect(); err != nil {
			return nil, err
		}
	}
	var errs []*actionlint.Error
	for _, r := range f.list {
		errs = append(errs, r.Errs()...)
	}
	return errs, nil
}

func (c *Checker) rules(deferred bool) *File {
	f := &File{}
	if c.shellcheck == nil && c.pyflakes == nil {
		return f
	}
	f.lim = newLimitRule()
	if c.shellcheck != nil {
		f.sc = newShellcheckRule(c, f.lim)
		f.sc.deferred = deferred
		f.list = append(f.list, f.sc)
	}
	if c.pyflakes != nil {
		f.pf = newPyflakesRule(c, f.lim)
		f.pf.deferred = deferred
		f.list = append(f.list, f.pf)
	}
	f.list = append(f.list, f.lim)
	return f
}

// Stats returns the counters so far.
func (c *Checker) Stats() Stats {
	return Stats{Runs: c.runs.Load(), Processes: c.procs.Load(), CacheHits: c.hits.Load(), Skipped: c.skipped.Load(), CacheWriteErrors: c.writeErrs.Load()}
}

// MemoryCapped reports whether tool processes run under the memory limit (Linux with prlimit).
func (c *Checker) MemoryCapped() bool { return c.prlimit != "" }

// toolEnv builds the tool processes' environment: the inherited one (as exec does by default)
// with every ToolEnv variable replaced by its value in vars, and the key text of those values.
func toolEnv(vars map[string]string) ([]string, string) {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(ToolEnv, name) {
			env = append(env, kv)
		}
	}
	var key strings.Builder
	for _, name := range ToolEnv {
		v := vars[name]
		env = append(env, name+"="+v)
		fmt.Fprintf(&key, "%d:%s=%d:%s;", len(name), name, len(v), v)
	}
	return env, key.String()
}
