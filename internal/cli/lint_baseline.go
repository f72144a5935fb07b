package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/baseline"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// baselineFlags are lint's --baseline and --write-baseline (see internal/baseline and
// docs/baseline.md).
type baselineFlags struct {
	read, write string
}

func registerBaselineFlags(fs *flag.FlagSet) *baselineFlags {
	b := &baselineFlags{}
	fs.StringVar(&b.read, "baseline", "", "compare the findings with this baseline file: findings in it are shown as known and never fail, entries nothing matches any more are listed as stale")
	fs.StringVar(&b.write, "write-baseline", "", "write the findings to this baseline file, which then knows them all (with --baseline: only the known ones, so a baseline only shrinks)")
	return b
}

// loadedBaseline is --baseline being read while lint runs.
type loadedBaseline struct {
	done   chan struct{}
	b      *baseline.Baseline
	err    error
	cancel context.CancelCauseFunc // releases the lint run's context; nil without --baseline
}

// load starts reading --baseline beside the lint run: a baseline of 10,000 findings takes
// milliseconds to read, and a bad one stops the run at once (the returned context is cancelled)
// instead of after linting.
func (bf *baselineFlags) load(ctx context.Context, env Env) (context.Context, *loadedBaseline) {
	l := &loadedBaseline{done: make(chan struct{})}
	if bf.read == "" {
		close(l.done)
		return ctx, l
	}
	ctx, l.cancel = context.WithCancelCause(ctx)
	go func() {
		defer close(l.done)
		if l.b, l.err = baseline.Read(bf.read, absPath(env.WorkDir, bf.read)); l.err != nil {
			l.err = baselineReadError(bf.read, l.err)
			l.cancel(l.err)
		}
	}()
	return ctx, l
}

// wait returns the baseline once read. It is called when linting is over, which releases the
// run's context.
func (l *loadedBaseline) wait() (*baseline.Baseline, error) {
	<-l.done
	if l.cancel != nil {
		l.cancel(nil)
	}
	return l.b, l.err
}

// apply compares the finished run with the baseline, writes the baseline, or both, and leaves
// in rep what the formats show: the new findings as Findings, the known and stale in
// rep.Baseline. maxSize bounds the files read again for fingerprints (those lint did not keep).
func (bf *baselineFlags) apply(rep *report.Report, loaded *loadedBaseline, maxSize int64, env Env, s Streams) error {
	if bf.read == "" && bf.write == "" {
		return nil
	}
	source := baseline.ReportSource(rep, env.WorkDir, maxSize)
	optsFor := func(file string) baseline.Options {
		return baseline.Options{WorkDir: env.WorkDir, Dir: filepath.Dir(absPath(env.WorkDir, file)), Source: source, Scope: rep.Scope}
	}
	if bf.read == "" {
		// Adoption: every finding of today becomes known.
		opts := optsFor(bf.write)
		b := baseline.New(rep.Findings, opts)
		if err := bf.save(b, env, s); err != nil {
			return err
		}
		b.Match(rep.Findings, opts).Apply(rep, opts, bf.write, shrinkCommand(bf.write))
		return nil
	}
	b, err := loaded.wait()
	if err != nil {
		return err
	}
	opts := optsFor(bf.read)
	m := b.Match(rep.Findings, opts)
	m.Apply(rep, opts, bf.read, shrinkCommand(bf.read))
	if bf.write != "" {
		// Only the known findings: the baseline shrinks by its stale entries and never takes
		// in a new finding, which still fails this run. The entries outside what this run
		// checked stay: it could not judge them.
		kept := m.Shrunk(rep.Baseline.Known, opts, optsFor(bf.write))
		if err := bf.save(kept, env, s); err != nil {
			return err
		}
		rep.Baseline.Shrink = "" // done
	}
	return nil
}

// save writes b to --write-baseline, atomically, and says so on stderr.
func (bf *baselineFlags) save(b *baseline.Baseline, env Env, s Streams) error {
	if err := baseline.Write(absPath(env.WorkDir, bf.write), b); err != nil {
		// The error names the temporary file the write went through; the user named this one.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("--write-baseline %s: the directory %s does not exist", bf.write, filepath.Dir(bf.write))
		}
		return fmt.Errorf("write baseline %s: %w", bf.write, err)
	}
	fmt.Fprintf(s.Stderr, "molecule-ci: wrote %s with %s\n", bf.write, plural(len(b.Entries), "finding", "findings"))
	return nil
}

// baselineReadError words a baseline that cannot be read: a missing, malformed, oversized or
// special file is a usage error (exit 2), anything else the tool's.
func baselineReadError(name string, err error) error {
	var pe *baseline.ParseError
	var tooLarge *fsutil.TooLargeError
	var notRegular *fsutil.NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usagef("--baseline %s: no such file (write it first: molecule-ci lint --write-baseline %s)", name, shellWord(name))
	case errors.As(err, &pe):
		return usagef("%v", err)
	case errors.As(err, &tooLarge), errors.As(err, &notRegular):
		return usagef("--baseline %s: %v", name, err)
	}
	return fmt.Errorf("read baseline %s: %w", name, err)
}

// shrinkCommand is the command that writes the baseline without its stale entries.
func shrinkCommand(file string) string {
	w := shellWord(file)
	return "molecule-ci lint --baseline " + w + " --write-baseline " + w
}

// shellWord quotes s for a shell when it needs it, so a command shown can be pasted.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
