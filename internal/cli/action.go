package cli

import (
	"context"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/shell"
	"mvdan.cc/sh/v3/syntax"
)

// maxActionArgs bounds the args input: it is a list of flags and paths, and a workflow value
// that grew into kilobytes is a mistake or an attack, not a command line.
const maxActionArgs = 64 << 10

// actionCommands are the commands the composite action may run. The hidden `action` command
// itself and `help` are not among them.
var actionCommands = []string{"build", "coverage", "fleet", "lint", "probe", "triage", "version"}

// runAction is the entry point of action.yml: it reads the action's inputs (INPUT_COMMAND,
// INPUT_ARGS, INPUT_CONFIG, INPUT_SARIF_FILE, INPUT_BASELINE, which action.yml passes to its run
// step), splits
// args with shell quoting rules and runs the command as if it had been typed.
func runAction(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("action", "", "Run the command the composite action's inputs name (used by action.yml).", s.Stderr)
	if _, err := parseFlags(flags, args); err != nil {
		return err
	}
	argv, err := actionArgv(env.Actions.Input("command"), env.Actions.Input("args"),
		env.Actions.Input("config"), env.Actions.Input("sarif_file"), env.Actions.Input("baseline"))
	if err != nil {
		return err
	}
	for _, c := range commands() {
		if c.name == argv[0] && c.run != nil {
			return c.run(ctx, argv[1:], s, env)
		}
	}
	return usagef("input command: %q is not a command of this molecule-ci (valid: %s)", argv[0], strings.Join(actionCommands, ", "))
}

// actionArgv builds the command line from the action's inputs. A path input (config,
// sarif-file, baseline) is one argument whatever it holds: it is never split like args.
func actionArgv(command, args, config, sarif, baseline string) ([]string, error) {
	if command == "" {
		command = "lint"
	}
	valid := false
	for _, c := range actionCommands {
		valid = valid || c == command
	}
	if !valid {
		return nil, usagef("input command: unknown command %q (valid: %s)", command, strings.Join(actionCommands, ", "))
	}
	fields, err := SplitArgs(args)
	if err != nil {
		return nil, usagef("input args: %v", err)
	}
	argv := []string{command}
	if config != "" {
		argv = append(argv, "--config", config)
	}
	if sarif != "" {
		if command != "lint" {
			return nil, usagef("input sarif-file: only the lint command writes SARIF (command is %q)", command)
		}
		argv = append(argv, "--sarif-file", sarif)
	}
	if baseline != "" {
		if command != "lint" {
			return nil, usagef("input baseline: only the lint command reads a baseline (command is %q)", command)
		}
		argv = append(argv, "--baseline", baseline)
	}
	return append(argv, fields...), nil
}

// SplitArgs splits s into words with the shell's quoting rules ('single', "double", \escapes,
// word splitting on blanks) through mvdan.cc/sh's parser. Nothing in s is expanded: a parameter
// ($X, ${X}), command substitution ($(..), `..`), arithmetic, process substitution or a leading
// ~ is an error naming it, so a value pasted into args can neither read the environment nor run
// anything. Glob characters stay literal (globbing is not performed).
func SplitArgs(s string) ([]string, error) {
	if len(s) > maxActionArgs {
		return nil, fmt.Errorf("%d bytes is more than the %d allowed", len(s), maxActionArgs)
	}
	p := syntax.NewParser()
	for w, err := range p.WordsSeq(strings.NewReader(s)) {
		if err != nil {
			return nil, err
		}
		if err := literalWord(s, w); err != nil {
			return nil, err
		}
	}
	// Every word is literal (checked above), so the environment is never consulted; the function
	// refuses to answer all the same, as a second line of defence.
	return shell.Fields(s, func(string) string { return "" })
}

// literalWord reports the first part of w that would expand.
func literalWord(src string, w *syntax.Word) error {
	if len(w.Parts) > 0 {
		if lit, ok := w.Parts[0].(*syntax.Lit); ok && strings.HasPrefix(lit.Value, "~") {
			return fmt.Errorf("col %d: %q: tilde expansion is not performed; quote it", lit.Pos().Col(), lit.Value)
		}
	}
	var bad error
	syntax.Walk(w, func(n syntax.Node) bool {
		if bad != nil || n == nil {
			return false
		}
		var what string
		switch n.(type) {
		case *syntax.ParamExp:
			what = "parameter expansion"
		case *syntax.CmdSubst:
			what = "command substitution"
		case *syntax.ArithmExp:
			what = "arithmetic expansion"
		case *syntax.ProcSubst:
			what = "process substitution"
		case *syntax.ExtGlob:
			what = "extended glob"
		default:
			return true
		}
		start, end := n.Pos().Offset(), n.End().Offset()
		text := ""
		if int(end) <= len(src) && start < end {
			text = src[start:end]
		}
		bad = fmt.Errorf("col %d: %s %q is not performed in args; quote it with single quotes to pass it literally", n.Pos().Col(), what, text)
		return false
	})
	return bad
}
