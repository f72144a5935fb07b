// Package git owns every run of the git executable: build's --changed-since, coverage's changed
// lines, lint's --diff secret scan, the CLI's commit time, and next the fleet's reads of sibling
// checkouts and the migration's branches. It exists so that the hardening is written once:
//
//   - a revision or path the user (or a pull request) controls comes after --end-of-options, or
//     on stdin, and is validated first (ValidateRef), so "--output=/tmp/x" is a revision git
//     cannot find, never an option it obeys;
//   - a fixed -c set turns off what a repository's config could make a read run or fetch:
//     fsmonitor and hook programs, external diff and textconv drivers, every transport
//     (protocol.allow=never: only the local repository is read, a partial clone fails instead
//     of fetching), pagers and colour; paths are printed unquoted (core.quotePath=false) or
//     NUL-separated;
//   - the environment drops the variables that would point git at another repository, and
//     the system config is not read;
//   - stdout is bounded (Repo.MaxOutput), a failure is an *Error carrying the command, the
//     directory and git's stderr verbatim, and a cancelled context kills git.
//
// It imports nothing of molecule-ci, so every layer may use it.
package git

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxOutput is the stdout bound when Repo.MaxOutput is 0: far above any diff or file a
// repository's CI reads, far below what would hurt the runner.
const DefaultMaxOutput = 64 << 20

// maxStderr bounds how much of git's stderr an *Error keeps.
const maxStderr = 64 << 10

// Repo is a git repository, or a directory inside its working tree, to run git in.
type Repo struct {
	// Dir is where git runs; paths in diffs are relative to it when a method says so.
	Dir string
	// Exe is the git executable ("" means git on PATH).
	Exe string
	// MaxOutput bounds the bytes read from one command's stdout; 0 means DefaultMaxOutput.
	MaxOutput int64
}

// hardening comes before every subcommand. Each setting is one a repository's .git/config, a
// user's config or a build step could otherwise set to make a read run a program, reach the
// network, or print paths or diffs in a shape the parsers here do not read.
var hardening = []string{
	"--no-pager",
	"-c", "core.quotePath=false",
	"-c", "core.fsmonitor=false",
	"-c", "core.hooksPath=/dev/null",
	"-c", "protocol.allow=never",
	"-c", "color.ui=false",
	"-c", "diff.noprefix=false",
	"-c", "diff.mnemonicPrefix=false",
}

// dropEnv are inherited variables that would make git use another repository or index than
// Dir's, or run a program of the environment's choosing.
var dropEnv = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_EXTERNAL_DIFF",
	"GIT_PAGER", "GIT_EDITOR", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_PROXY_COMMAND",
}

// setEnv are set for every run: no system config, no prompts, no optional index writes (a
// concurrent git in the same checkout must not find index.lock taken by a read), and messages
// in one language so that they read the same in every log.
var setEnv = []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C"}

// env is the inherited environment, as exec passes it by default, without dropEnv and with
// setEnv (exec keeps the last value of a name given twice).
func env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !slices.Contains(dropEnv, name) {
			out = append(out, kv)
		}
	}
	return append(out, setEnv...)
}

// Error is a git command that failed: the subcommand and its arguments (without the hardening
// options), where it ran, why, and git's stderr verbatim.
type Error struct {
	Args   []string
	Dir    string
	Err    error // an *exec.ExitError, or why git could not start
	Stderr string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s (in %s): %v", command(e.Args), e.Dir, e.Err)
	if e.Stderr != "" {
		s += ": " + e.Stderr
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode is git's exit status, or -1 when it did not run to the end.
func (e *Error) ExitCode() int {
	if ee, ok := e.Err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// LimitError is a command whose stdout was larger than the bound; its output was not used.
type LimitError struct {
	Args  []string
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: output larger than %d bytes", command(e.Args), e.Limit)
}

// command shows a command line, quoting the arguments a shell would split.
func command(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`") || !strconv.IsPrint(rune(a[0])) {
			q[i] = strconv.Quote(a)
		}
	}
	return "git " + strings.Join(q, " ")
}

func (r Repo) limit() int64 {
	if r.MaxOutput > 0 {
		return r.MaxOutput
	}
	return DefaultMaxOutput
}

// output runs git with args and returns its stdout.
func (r Repo) output(ctx context.Context, args ...string) ([]byte, error) {
	var out []byte
	err := r.stream(ctx, nil, r.limit(), args, func(rd io.Reader) (err error) {
		out, err = io.ReadAll(rd)
		return err
	})
	return out, err
}

// stream runs git with args, stdin as its standard input (nil for none), and hands its stdout,
// bounded by limit bytes, to read. Output read does not consume still counts against the bound.
func (r Repo) stream(ctx context.Context, stdin io.Reader, limit int64, args []string, read func(io.Reader) error) error {
	exe := r.Exe
	if exe == "" {
		exe = "git"
	}
	cmd := exec.CommandContext(ctx, exe, append(slices.Clone(hardening), args...)...)
	cmd.Dir, cmd.Env, cmd.Stdin = r.Dir, env(), stdin
	// A killed git's children may hold the pipes open; Wait gives up on them after this.
	cmd.WaitDelay = 5 * time.Second
	stderr := &capped{max: maxStderr}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return &Error{Args: args, Dir: r.Dir, Err: err}
	}
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", command(args[:1]), ctx.Err())
		}
		return &Error{Args: args, Dir: r.Dir, Err: err}
	}
	bounded := &io.LimitedReader{R: out, N: limit + 1}
	rerr := read(bounded)
	if rerr == nil {
		_, rerr = io.Copy(io.Discard, bounded)
	}
	over := bounded.N <= 0
	if over || rerr != nil {
		_ = cmd.Process.Kill() // the rest of the output is not wanted
	}
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", command(args[:1]), ctx.Err())
	case over:
		return &LimitError{Args: args, Limit: limit}
	case rerr != nil:
		return rerr
	case werr != nil:
		return &Error{Args: args, Dir: r.Dir, Err: werr, Stderr: strings.TrimSpace(stderr.String())}
	}
	return nil
}

// capped keeps the first max bytes written to it and drops the rest.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
