// Package ghaction owns every interaction with the GitHub Actions runner: it is the only code that
// reads GITHUB_*, INPUT_* and RUNNER_* (or any other environment variable, through Env.Getenv) and
// the only code that writes $GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_STEP_SUMMARY and workflow
// commands (::add-mask::, ::group::, ...). Everything goes through one injectable Env, so tests
// hand it a map and a buffer instead of mutating the process environment.
//
// It is built on github.com/sethvargo/go-githubactions for the parts that library gets right
// (input names, the context variables, command escaping). File commands are written here instead:
// see writeFileCommand for why.
package ghaction

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/Molecule-AI/molecule-ci/internal/logsafe"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
	"github.com/sethvargo/go-githubactions"
)

// Env is the GitHub Actions environment of one process. The zero value is not usable; call New.
// Methods are safe for concurrent use.
type Env struct {
	action *githubactions.Action
	getenv func(string) string
	out    io.Writer
	delim  func() (string, error)

	mu     sync.Mutex // serialises writes to out and to the files, and guards cmdErr
	cmdErr error
}

// Option configures an Env.
type Option func(*Env)

// WithDelimiter replaces the random heredoc delimiter generator, so tests can assert exact file
// contents. Production code has no reason to use it: a predictable delimiter lets a value chosen by
// an attacker (a branch name, a PR title) end the heredoc early and inject further outputs or
// environment variables.
func WithDelimiter(next func() (string, error)) Option {
	return func(e *Env) { e.delim = next }
}

// New returns an Env that reads variables with getenv (os.Getenv in main, a map in tests) and
// writes workflow commands to stdout. A nil getenv behaves as an empty environment and a nil
// stdout discards commands.
func New(getenv func(string) string, stdout io.Writer, opts ...Option) *Env {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if stdout == nil {
		stdout = io.Discard
	}
	e := &Env{getenv: getenv, out: stdout, delim: randomDelimiter}
	for _, o := range opts {
		o(e)
	}
	e.action = githubactions.New(
		githubactions.WithGetenv(githubactions.GetenvFunc(getenv)),
		githubactions.WithWriter(stdout),
	)
	return e
}

// InActions reports whether the process runs as a GitHub Actions step (GITHUB_ACTIONS=true, which
// the runner and act both set). A nil Env is not in Actions.
func (e *Env) InActions() bool {
	return e != nil && e.getenv("GITHUB_ACTIONS") == "true"
}

// Interactive reports whether progress may be drawn as a live line on a terminal: stdout is one
// (terminal, decided by the caller from the file descriptor), and neither GitHub Actions nor
// another CI system (CI set) reads the output as a log, nor TERM=dumb forbids cursor movement.
// Otherwise progress is one plain line per event.
func (e *Env) Interactive(terminal bool) bool {
	return terminal && !e.InActions() && e.Getenv("CI") == "" && e.Getenv("TERM") != "dumb"
}

// Getenv returns any environment variable (BUILDKIT_HOST, NO_COLOR, ...). It exists so that no
// other package calls os.Getenv and every command stays testable with an injected environment. A
// nil Env has an empty environment.
func (e *Env) Getenv(name string) string {
	if e == nil {
		return ""
	}
	return e.getenv(name)
}

// Input returns the action input name as the runner passes it: INPUT_ followed by the name with
// spaces replaced by underscores and upper-cased (hyphens are kept: "github-token" is
// INPUT_GITHUB-TOKEN), with surrounding white space trimmed as actions/toolkit's getInput does.
func (e *Env) Input(name string) string {
	return e.action.GetInput(name)
}

// Err returns the first error met writing a workflow command to stdout. The command methods keep
// the signatures of go-githubactions (no error result) but, unlike it, never panic: a failed write
// is remembered here so the caller can report it once.
func (e *Env) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cmdErr
}

// FormatCommand returns one workflow command line, newline included, such as
// "::error file=a.yml,line=3,title=rule::message": the single encoder of workflow commands, also
// for the report formats, which write to their own buffer rather than through an Env. Escaping is
// go-githubactions' (data: % \r \n; property values also : and ,), the inverse of the runner's.
//
// The line is also issued to logsafe: the process's stdout lets it through once as the command
// it is, while any other text that looks like a command is neutralised there.
func FormatCommand(name, message string, props map[string]string) string {
	cmd := githubactions.Command{Name: name, Message: message, Properties: props}
	line := cmd.String() + "\n"
	logsafe.Issue(line)
	return line
}

// CommandWriter is the privileged path of the process's stdout (logsafe.Writer): the only way a
// line starting with "::" reaches the log un-neutralised. When the Env's stdout has it, every
// workflow command goes through it.
type CommandWriter interface {
	WriteCommand(line string) error
}

// WithStdout returns an Env like e (same environment, same delimiter source) whose workflow
// commands go to stdout: the CLI hands it its safe stdout, so commands and text stay in order.
func (e *Env) WithStdout(stdout io.Writer) *Env {
	if e == nil {
		return nil
	}
	n := &Env{getenv: e.getenv, out: stdout, delim: e.delim}
	if n.out == nil {
		n.out = io.Discard
	}
	n.action = githubactions.New(
		githubactions.WithGetenv(githubactions.GetenvFunc(e.getenv)),
		githubactions.WithWriter(n.out),
	)
	return n
}

// command writes one workflow command line. Escaping of the message and properties is
// go-githubactions' (the same rules as actions/toolkit), so a value with a newline cannot start a
// second command.
func (e *Env) command(name, message string, props githubactions.CommandProperties) {
	line := FormatCommand(name, message, props)
	e.mu.Lock()
	defer e.mu.Unlock()
	var err error
	if cw, ok := e.out.(CommandWriter); ok {
		err = cw.WriteCommand(line)
	} else {
		_, err = io.WriteString(e.out, line)
	}
	if err != nil && e.cmdErr == nil {
		e.cmdErr = fmt.Errorf("write workflow command %s: %w", name, err)
	}
}

// AddMask tells the runner to replace secret with *** in the log from now on. The runner matches
// masks line by line, so a multi-line secret is masked one line at a time, as GitHub's documentation
// advises. Empty (or all-space) values are ignored: masking "" would mean nothing.
func (e *Env) AddMask(secret string) {
	if strings.TrimSpace(secret) == "" {
		return
	}
	if !strings.ContainsAny(secret, "\r\n") {
		e.command("add-mask", secret, nil)
		return
	}
	for _, line := range strings.Split(strings.ReplaceAll(secret, "\r\n", "\n"), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) != "" {
			e.command("add-mask", line, nil)
		}
	}
}

// Group starts a collapsible group in the log and returns the function that ends it, meant for
// defer. Calling the returned function more than once ends the group only once.
func (e *Env) Group(title string) func() {
	e.command("group", title, nil)
	var once sync.Once
	return func() { once.Do(func() { e.command("endgroup", "", nil) }) }
}

// AddMatcher registers a problem matcher file (a path the runner can read), so the runner turns
// matching log lines into annotations.
func (e *Env) AddMatcher(path string) {
	e.command("add-matcher", path, nil)
}

// Warning writes a ::warning:: with no file position: it shows in the run's annotations, which is
// where a degraded mode (e.g. no permission to create check runs) must be visible.
func (e *Env) Warning(message string) {
	e.command("warning", message, nil)
}

// Notice writes a ::notice:: with no file position.
func (e *Env) Notice(message string) {
	e.command("notice", message, nil)
}

// SetOutput sets the step output name to value through the $GITHUB_OUTPUT file, in the heredoc
// form, so values with newlines survive. Credentials in the value are masked (secrets.Redact):
// outputs are shown in the run's UI and logs of later steps. Outside GitHub Actions (no GITHUB_ACTIONS=true and no
// GITHUB_OUTPUT) it does nothing, so commands run the same locally; inside Actions a missing
// GITHUB_OUTPUT is an error, because the output would silently be lost.
func (e *Env) SetOutput(name, value string) error {
	return e.writeKeyValue("GITHUB_OUTPUT", "output", name, secrets.Redact(value))
}

// SetEnv sets an environment variable for the following steps of the job through $GITHUB_ENV,
// with the same rules as SetOutput.
func (e *Env) SetEnv(name, value string) error {
	return e.writeKeyValue("GITHUB_ENV", "environment variable", name, value)
}

// AddSummary appends markdown to the job summary ($GITHUB_STEP_SUMMARY), ending it with a newline
// so that successive calls do not run into each other. Without GITHUB_STEP_SUMMARY (a local run,
// an old runner) it does nothing and returns nil: the summary is a convenience, never the only
// place a result is reported. Credentials in it are masked (secrets.Redact).
func (e *Env) AddSummary(markdown string) error {
	path := e.getenv("GITHUB_STEP_SUMMARY")
	if path == "" || markdown == "" {
		return nil
	}
	markdown = secrets.Redact(markdown)
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	if err := e.appendFile(path, markdown); err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	return nil
}

func (e *Env) writeKeyValue(fileVar, what, name, value string) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("%s %q: %w", what, name, err)
	}
	path := e.getenv(fileVar)
	if path == "" {
		if e.InActions() {
			return fmt.Errorf("%s %q: %s is not set although GITHUB_ACTIONS=true", what, name, fileVar)
		}
		return nil
	}
	msg, err := e.heredoc(name, value)
	if err != nil {
		return fmt.Errorf("%s %q: %w", what, name, err)
	}
	if err := e.appendFile(path, msg); err != nil {
		return fmt.Errorf("%s %q: %w", what, name, err)
	}
	return nil
}

// validName rejects names the runner would parse differently from what was meant: it splits a
// line at the first "=" or "<<", whichever comes first, and reads one line per entry.
// FuzzSetOutput found the "<" suffix case.
func validName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case strings.ContainsAny(name, "\r\n"):
		return errors.New("name contains a line break")
	case strings.Contains(name, "="):
		return errors.New(`name contains "="`)
	case strings.Contains(name, "<<"):
		return errors.New(`name contains "<<"`)
	case strings.HasSuffix(name, "<"):
		// name<<DELIM would then hold "<<" one byte early and the runner would read the name
		// without its last "<" and a delimiter starting with "<".
		return errors.New(`name ends with "<"`)
	}
	return nil
}

// maxDelimiterTries bounds how often a new delimiter is drawn when the value contains the
// previous one. With 128 random bits a second draw never happens in practice; the bound is there
// so a fixed generator (tests) cannot loop forever.
const maxDelimiterTries = 3

// heredoc formats name<<DELIM\nvalue\nDELIM\n, the runner's multi-line file command form.
func (e *Env) heredoc(name, value string) (string, error) {
	for range maxDelimiterTries {
		d, err := e.delim()
		if err != nil {
			return "", fmt.Errorf("heredoc delimiter: %w", err)
		}
		if d == "" || strings.ContainsAny(d, "\r\n") {
			return "", fmt.Errorf("heredoc delimiter %q is empty or spans lines", d)
		}
		if strings.Contains(value, d) || strings.Contains(name, d) {
			continue
		}
		return name + "<<" + d + "\n" + value + "\n" + d + "\n", nil
	}
	return "", fmt.Errorf("value contains the heredoc delimiter %d times in a row", maxDelimiterTries)
}

// randomDelimiter returns ghadelimiter_ and 128 random bits, the shape actions/toolkit uses.
func randomDelimiter() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "ghadelimiter_" + hex.EncodeToString(b[:]), nil
}

// appendFile appends data to a runner file command file.
//
// go-githubactions v1.3.0 is not used for this on purpose: its SetOutput/SetEnv/AddStepSummary
// return nothing and panic when the write fails (including when the variable is unset, since it
// then opens ""), and it uses the fixed delimiter "_GitHubActionsFileCommandDelimeter_", so a value
// containing that text ends the heredoc early and can inject other outputs or variables. Here the
// delimiter is random and checked against the value, and every error is returned.
func (e *Env) appendFile(path, data string) (err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	_, err = io.WriteString(f, data)
	return err
}
