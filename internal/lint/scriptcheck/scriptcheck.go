// Package scriptcheck owns running shellcheck and pyflakes on the `run:` scripts of GitHub Actions
// workflows, as actionlint rules that behave exactly like actionlint v1.7.12's own "shellcheck" and
// "pyflakes" rules (same shell detection, same `${{ }}` sanitizing, same tool arguments and
// excluded codes, same messages and positions), plus a content-addressed cache so that an
// unchanged script is never handed to the tool twice.
//
// A Checker is created once per lint run and shared by every file; Rules returns fresh rule
// instances for one workflow file (actionlint rules keep per-file state). Tool processes run
// asynchronously from VisitStep, bounded by one semaphore shared across all files, and are awaited
// in VisitWorkflowPost, so the scripts of one file are still checked in parallel.
//
// A tool that cannot run (crash, non-zero exit with no output, unparsable output) is not a
// finding: the rule returns a *ToolError from VisitWorkflowPost, which makes actionlint's visitor,
// and so Linter.Lint/LintFiles, fail with that error (wrapped by actionlint). Callers detect it
// with errors.As and report it as a tool failure (molecule-ci exits 3), never as findings.
package scriptcheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mattn/go-shellwords"
	"github.com/rhysd/actionlint"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
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
}

// Stats count what the Checker did, for the caller's summary and for tests.
type Stats struct {
	// Runs is the number of tool processes that were executed to check a script.
	Runs int64
	// CacheHits is the number of scripts whose diagnostics came from the cache (memory or disk)
	// instead of a tool run.
	CacheHits int64
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
	shellcheck *tool
	pyflakes   *tool
	cacheDir   string
	sema       *semaphore.Weighted

	mem   sync.Map // cache key -> []diagnostic, so identical scripts across files run once
	group singleflight.Group

	runs, hits, writeErrs atomic.Int64
}

// tool is one resolved external command.
type tool struct {
	name    string   // "shellcheck" or "pyflakes"; also the rule name and the cache subdirectory
	exe     string   // resolved executable path
	args    []string // leading arguments when the option was a command line
	version string   // trimmed output of `--version`; part of every cache key
	combine bool     // read stderr with stdout (pyflakes writes syntax errors to stderr)
}

// New resolves the enabled tools and their versions. It fails naming the tool when an executable
// is missing or does not answer `--version`, so a misconfigured tool is a usage error up front
// rather than silently skipped (actionlint skips it).
func New(opts Options) (*Checker, error) {
	par := opts.Concurrency
	if par < 0 {
		return nil, fmt.Errorf("scriptcheck: concurrency must not be negative, got %d", par)
	}
	if par == 0 {
		par = runtime.NumCPU()
	}
	c := &Checker{cacheDir: opts.CacheDir, sema: semaphore.NewWeighted(int64(par))}
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
// LinterOptions.OnRulesCreated. Only enabled tools have a rule.
func (c *Checker) Rules() []actionlint.Rule {
	var rules []actionlint.Rule
	if c.shellcheck != nil {
		rules = append(rules, newShellcheckRule(c))
	}
	if c.pyflakes != nil {
		rules = append(rules, newPyflakesRule(c))
	}
	return rules
}

// Stats returns the counters so far.
func (c *Checker) Stats() Stats {
	return Stats{Runs: c.runs.Load(), CacheHits: c.hits.Load(), CacheWriteErrors: c.writeErrs.Load()}
}
