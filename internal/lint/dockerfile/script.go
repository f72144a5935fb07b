package dockerfile

import (
	"errors"
	"path"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// RUN scripts are read by internal/shell (mvdan.cc/sh), the same analysis the workflow rules
// use; this file maps its byte offsets back to Dockerfile lines and columns, since a RUN's text
// is joined from continuation lines and heredoc bodies.

// pos is a 1-based line and byte column in the Dockerfile.
type pos struct{ line, col int }

// posText is text whose every byte knows where in the Dockerfile it came from.
type posText struct {
	s  []byte
	at []pos
}

func (t *posText) add(b byte, p pos) {
	t.s = append(t.s, b)
	t.at = append(t.at, p)
}

func (t *posText) posOf(i int) pos {
	switch {
	case len(t.at) == 0:
		return pos{}
	case i < len(t.at):
		return t.at[i]
	default:
		return t.at[len(t.at)-1]
	}
}

func (t *posText) slice(i int) posText {
	if i > len(t.s) {
		i = len(t.s)
	}
	return posText{s: t.s[i:], at: t.at[i:]}
}

// textAt makes a posText whose bytes all point at one place, for text (an exec-form `sh -c`
// argument) whose exact columns are not known.
func textAt(s string, p pos) posText {
	t := posText{s: []byte(s), at: make([]pos, len(s))}
	for i := range t.at {
		t.at[i] = p
	}
	return t
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' }

// script is one parsed RUN script.
type script struct {
	sc *shell.Script
	t  posText
	// limit is set when the script is over the shell analysis's limits and was not read.
	limit *shell.LimitError
}

// parseScript reads a RUN script; errexit is the state its shell starts in (SHELL ["sh", "-ec"]).
func parseScript(t posText, errexit bool) *script {
	sc, err := shell.Parse(string(t.s), shell.Options{Dialect: shell.POSIX, Errexit: errexit})
	s := &script{sc: sc, t: t}
	var le *shell.LimitError
	if errors.As(err, &le) {
		s.limit = le
		s.sc = &shell.Script{}
	}
	return s
}

// commands calls fn for every command of the script in source order, except those inside
// command substitutions and function bodies.
func (s *script) commands(fn func(*shell.Cmd)) {
	for _, c := range s.sc.Cmds {
		if c.Nested == "" && len(c.Args)+len(c.Assigns) > 0 {
			fn(c)
		}
	}
}

func (s *script) pos(c *shell.Cmd) pos { return s.t.posOf(c.Off) }

// argv returns a command's words with wrappers such as sudo, env and exec removed, and the
// variable assignments made for it (before it or through env).
func argv(c *shell.Cmd) (args []string, assigns []string) {
	rest, envAssigns := shell.Unwrap(c.Args)
	for _, w := range c.Assigns {
		assigns = append(assigns, w.Value)
	}
	for _, w := range envAssigns {
		assigns = append(assigns, w.Value)
	}
	return shell.Values(rest), assigns
}

func cmdBase(c *shell.Cmd) string {
	a, _ := argv(c)
	if len(a) == 0 {
		return ""
	}
	return path.Base(a[0])
}
