package shell

import (
	"path"
	"strings"
)

// Unwrap drops the commands that run another command after their own options — sudo, env,
// exec, command, time, timeout, nice, nohup, stdbuf, xargs, gosu, su-exec, xvfb-run — and
// returns the words of the command they run, with the NAME=value words `env` sets.
func Unwrap(args []Word) (rest []Word, assigns []Word) {
	for len(args) > 0 {
		n := path.Base(args[0].Value)
		var skip int
		switch n {
		case "sudo":
			skip = skipFlags(args[1:], "-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U")
		case "env":
			skip = skipFlags(args[1:], "-u", "-C", "-S")
			for skip+1 < len(args) && IsAssignment(args[skip+1].Value) {
				assigns = append(assigns, args[skip+1])
				skip++
			}
		case "exec", "builtin", "nohup":
			skip = skipFlags(args[1:], "-a")
		case "command", "time":
			skip = skipFlags(args[1:])
		case "nice", "ionice", "stdbuf":
			skip = skipFlags(args[1:], "-n", "-c")
		case "timeout":
			skip = skipFlags(args[1:], "-s", "-k", "--signal", "--kill-after") + 1
		case "xargs":
			skip = skipFlags(args[1:], "-I", "-n", "-P", "-d", "-L", "-s", "-a", "-E")
		case "gosu", "su-exec":
			skip = 1
		case "xvfb-run":
			skip = skipFlags(args[1:], "-s", "--server-args", "-n", "--server-num", "-f", "-e")
		default:
			return args, assigns
		}
		if 1+skip > len(args) {
			return nil, assigns
		}
		args = args[1+skip:]
	}
	return args, assigns
}

// skipFlags counts the leading options of args; valued names options that take the next word.
func skipFlags(args []Word, valued ...string) int {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i].Value, "-") && args[i].Value != "-" {
		if args[i].Value == "--" {
			return i + 1
		}
		for _, v := range valued {
			if args[i].Value == v {
				i++
				break
			}
		}
		i++
	}
	return min(i, len(args))
}

// IsAssignment reports whether w is NAME=value.
func IsAssignment(w string) bool {
	k, _, ok := strings.Cut(w, "=")
	if !ok || k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Values returns the Value of each word.
func Values(ws []Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Value
	}
	return out
}

// printers write their arguments (or, for cat/tee/env/printenv, files or the environment) to
// stdout.
var printers = map[string]bool{"echo": true, "printf": true, "cat": true, "tee": true, "env": true, "printenv": true, "export": false}

// Prints reports whether the command writes what it is given to the log: echo/printf/cat/tee/
// env/printenv whose stdout is neither piped nor redirected to a file. (A command run under
// `set -x` has its expanded words traced to the log too: see Xtrace.)
func (c *Cmd) Prints() bool {
	args, _ := Unwrap(c.Args)
	if len(args) == 0 {
		// `env` alone was unwrapped to nothing; it prints the environment.
		if len(c.Args) > 0 && path.Base(c.Args[0].Value) == "env" {
			return c.ToLog()
		}
		return false
	}
	return printers[path.Base(args[0].Value)] && c.ToLog()
}
