// Command molecule-ci is the organisation's CI tool. All logic lives in internal/cli; main only
// wires the process to it: signals, standard streams, environment, exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/Molecule-AI/molecule-ci/internal/cli"
	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"golang.org/x/term"
)

func main() {
	// A run is short and allocates a parse tree per file that dies with it: collecting less often
	// trades tens of MB of peak memory for about a fifth of the wall time on a large repository.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	wd, _ := os.Getwd()
	env := cli.Env{
		Actions:    ghaction.New(os.Getenv, os.Stdout),
		WorkDir:    wd,
		IsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
	}
	code := cli.Run(ctx, os.Args[1:], cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, env)
	stop()
	os.Exit(code)
}
