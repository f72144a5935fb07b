// Package cli turns command lines into calls of the capability packages and their results into
// output and an exit code. One file per command; each parses flags, loads config, runs the
// capability and hands the result to the reporting layer. Tested in-process.
//
// Output discipline: Run wraps Streams.Stdout and Streams.Stderr in logsafe writers before any
// command sees them, and hands ghaction the privileged command path of that stdout. A command
// just prints plain text to its Streams (tables, paths, messages, errors): credentials are
// redacted, control characters escaped and lines that would be workflow commands neutralised at
// that boundary. Only ghaction's methods and the github report format (through
// report.CommandWriter) emit workflow commands. After an interrupt (ctx cancelled) both streams
// are cut off, so nothing a still-running command produces is printed; Run reports
// "interrupted" and exit 3 within interruptGrace.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/logsafe"
)

// Exit codes, documented in the README. Scripts depend on them: never renumber.
const (
	ExitOK       = 0 // clean
	ExitFindings = 1 // findings at or above --fail-on, or a gate failed
	ExitUsage    = 2 // bad flags, arguments or configuration
	ExitTool     = 3 // the tool itself failed: a daemon down, I/O, an API error
)

// Streams are the process's standard streams, injectable for tests.
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Env is what a command may know about its surroundings: the GitHub Actions environment (the
// only way any code here reads environment variables) and the working directory.
type Env struct {
	Actions *ghaction.Env
	WorkDir string
	// IsTerminal reports whether stdout is a terminal, for the default format and colour.
	IsTerminal bool
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, s Streams, env Env) error
}

func commands() []command {
	return []command{
		{"lint", "lint workflows, action metadata, Dockerfiles and .molecule-ci.yml", runLint},
		{"fleet", "lint many repositories as one run: a directory of checkouts or an organisation", runFleet},
		{"build", "build the base image and every adapter built FROM it, through BuildKit", runBuild},
		{"coverage", "gate Go, Python and TypeScript coverage reports against the policy", runCoverage},
		{"probe", "probe the services, file incidents, page, and write the status page", runProbe},
		{"triage", "list the organisation's open CI and infra issues as one queue, incidents first", runTriage},
		{"version", "print the version", runVersion},
		{"help", "show help for a command", nil},
	}
}

// interruptGrace is how long Run waits, after an interrupt, for the command to wind down (close
// a BuildKit session, remove temporary files) before it returns anyway.
const interruptGrace = 300 * time.Millisecond

// Run executes one command line and returns the process exit code. Everything it and the command
// write goes through logsafe (see the package doc). When ctx is cancelled (SIGINT, SIGTERM) Run
// returns ExitTool within interruptGrace whether or not the command has noticed, with partial
// output discarded and "molecule-ci: interrupted" on stderr.
func Run(ctx context.Context, args []string, s Streams, env Env) int {
	terminal := env.IsTerminal && !env.Actions.InActions()
	opts := logsafe.Options{Terminal: terminal, Colour: terminal || colourAlways(args)}
	stdout := logsafe.NewWriter(s.Stdout, opts)
	stderr := logsafe.NewWriter(s.Stderr, opts)
	if env.Actions != nil {
		env.Actions = env.Actions.WithStdout(stdout)
	}
	safe := Streams{Stdin: s.Stdin, Stdout: stdout, Stderr: stderr}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, safe, env) }()
	var code int
	select {
	case code = <-done:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		stdout.Discard()
		stderr.Discard()
		select {
		case <-done:
		case <-time.After(interruptGrace):
		}
		fmt.Fprintln(logsafe.NewWriter(s.Stderr, opts), "molecule-ci: interrupted")
		return ExitTool
	}
	stdout.Flush()
	stderr.Flush()
	return code
}

// colourAlways reports whether the command line asks for colour whatever the output is, the only
// case where colour sequences may reach a log.
func colourAlways(args []string) bool {
	for i, a := range args {
		if a == "--" {
			return false
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "color" || !strings.HasPrefix(a, "-") {
			continue
		}
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
		}
		if val == "always" {
			return true
		}
	}
	return false
}

func run(ctx context.Context, args []string, s Streams, env Env) int {
	if len(args) == 0 {
		usage(s.Stderr)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			return run(ctx, []string{rest[0], "-h"}, Streams{s.Stdin, s.Stdout, s.Stdout}, env)
		}
		usage(s.Stdout)
		return ExitOK
	case "-version", "--version":
		name = "version"
	case "action":
		// Hidden: the entry point of action.yml (see action.go), not a command users type.
		return exitCode(ctx, runAction(ctx, rest, s, env), s.Stderr)
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return exitCode(ctx, c.run(ctx, rest, s, env), s.Stderr)
		}
	}
	fmt.Fprintf(s.Stderr, "molecule-ci: unknown command %q (valid: %s)\n", name, strings.Join(commandNames(), ", "))
	return ExitUsage
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprint(w, `molecule-ci: one CI tool for the organisation's repositories.

Usage:
  molecule-ci <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'molecule-ci <command> -h' for a command's flags.
Exit codes: 0 clean, 1 findings or a failed gate, 2 bad usage or config, 3 the tool itself failed.
`)
}

// usageError marks errors in how the tool was called (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// errFindings is returned by a command whose run succeeded but found problems (exit 1). Its
// output has already been written, so nothing more is printed.
var errFindings = errors.New("findings")

// errHelp is returned after -h printed the command's help (exit 0).
var errHelp = errors.New("help shown")

func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	var ue *usageError
	var ce *config.Error
	switch {
	case err == nil, errors.Is(err, errHelp):
		return ExitOK
	case errors.Is(err, errFindings):
		return ExitFindings
	case errors.As(err, &ue), errors.As(err, &ce):
		fmt.Fprintf(stderr, "molecule-ci: %v\n", err)
		return ExitUsage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Run reports the interrupt once the streams are cut off.
		return ExitTool
	default:
		fmt.Fprintf(stderr, "molecule-ci: %v\n", err)
		return ExitTool
	}
}

// loadConfig loads .molecule-ci.yml (or --config) and makes the paths in its errors relative to
// the working directory, as every other path the tool prints is.
func loadConfig(env Env, explicit string) (*config.Config, error) {
	if explicit != "" && !filepath.IsAbs(explicit) {
		explicit = filepath.Join(env.WorkDir, explicit)
	}
	cfg, err := config.Load(env.WorkDir, explicit)
	for _, e := range config.AsErrors(err) {
		e.Path = relPath(env.WorkDir, e.Path)
	}
	return cfg, err
}

// relPath is how paths are shown: relative to the working directory, slash-separated.
func relPath(dir, p string) string {
	if rel, err := filepath.Rel(dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}

// newFlagSet makes a flag set whose errors become usage errors and whose -h output names the
// command and its arguments.
func newFlagSet(name, argsUsage, summary string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: molecule-ci %s [flags] %s\n\n%s\n\nFlags:\n", name, argsUsage, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags and positional arguments in any order (`lint . --format json` works as
// users expect), stopping at "--".
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, &usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// plural is "1 repository" or "n repositories".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
