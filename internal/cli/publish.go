package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// publishOptions are the reporting flags every findings-producing command shares.
type publishOptions struct {
	format    string
	sarifFile string
	checks    string
	checkName string
	failOn    string
	color     string
}

func (po *publishOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&po.format, "format", "", "output format: "+strings.Join(report.Formats(), ", ")+" (default: github in GitHub Actions, else human)")
	fs.StringVar(&po.sarifFile, "sarif-file", "", "also write SARIF 2.1.0 to this file (for code scanning upload)")
	fs.StringVar(&po.failOn, "fail-on", "warning", "lowest severity that makes the exit code 1: error, warning, info, or never")
	po.registerChecks(fs)
}

// registerChecks adds the flags of the Checks API and colour, which every command that reports
// findings shares, even one with its own formats.
func (po *publishOptions) registerChecks(fs *flag.FlagSet) {
	fs.StringVar(&po.checks, "checks", "auto", "publish a check run with every finding as an annotation: auto (in GitHub Actions with a token), on, off")
	fs.StringVar(&po.checkName, "check-name", "", "name of the check run (default: molecule-ci <command>)")
	fs.StringVar(&po.color, "color", "auto", "colour human output: auto, always, never")
}

func (po *publishOptions) validate() error {
	return po.validateFormat(report.Formats())
}

func (po *publishOptions) validateFormat(formats []string) error {
	if po.format != "" && !slices.Contains(formats, po.format) {
		return usagef("unknown format %q (valid: %s)", po.format, strings.Join(formats, ", "))
	}
	if !slices.Contains([]string{"auto", "on", "off"}, po.checks) {
		return usagef("unknown --checks %q (valid: auto, on, off)", po.checks)
	}
	if !slices.Contains([]string{"auto", "always", "never"}, po.color) {
		return usagef("unknown --color %q (valid: auto, always, never)", po.color)
	}
	if po.failOn != "never" && po.failOn != "" {
		if _, err := report.ParseSeverity(po.failOn); err != nil {
			return usagef("--fail-on: %v (or never)", err)
		}
	}
	return nil
}

// publish sends lint's report everywhere it should go: writeOutputs, then the job summary and
// step outputs (finish). It returns errFindings when a finding at or above --fail-on exists.
func publish(ctx context.Context, rep *report.Report, po publishOptions, s Streams, env Env) error {
	failed := failing(rep, po.failOn)
	if err := writeOutputs(ctx, rep, po, failed, s, env); err != nil {
		return err
	}
	errs, warns, infos := rep.Counts()
	outs := []output{
		{"findings", strconv.Itoa(len(rep.Findings))}, {"errors", strconv.Itoa(errs)}, {"warnings", strconv.Itoa(warns)},
		{"notices", strconv.Itoa(infos)}, {"files-checked", strconv.Itoa(rep.FilesChecked)},
	}
	if po.sarifFile != "" {
		outs = append(outs, output{"sarif-file", po.sarifFile})
	}
	if rep.Baseline != nil {
		// The counts above are of the new findings, the ones the gate judged.
		outs = append(outs, output{"known", strconv.Itoa(len(rep.Baseline.Known))}, output{"stale-entries", strconv.Itoa(len(rep.Baseline.Stale))})
	}
	return finish(rep, failed, outs, env)
}

// writeOutputs is the first half of publishing a command's report, the same for every command:
// the check run (when possible), stdout in the chosen format, and the --sarif-file. failed is the
// command's verdict, the check run's conclusion.
func writeOutputs(ctx context.Context, rep *report.Report, po publishOptions, failed bool, s Streams, env Env) error {
	if err := ctx.Err(); err != nil {
		return err // interrupted: a partial report is not printed
	}
	format := defaultFormat(po, env)

	// The Checks API carries every annotation; workflow commands show only 10 per severity and
	// step. So try it first, and when it worked, do not annotate twice.
	checked, err := publishChecks(ctx, rep, failed, po, s, env)
	if err != nil {
		return err
	}
	wopts := writerOptions(po, env)
	if checked && format == "github" {
		fmt.Fprintf(s.Stderr, "molecule-ci: %d annotations sent to the check run; the log lists them as text\n", len(rep.Findings))
		format = "human"
	}
	if err := report.Write(s.Stdout, format, rep, wopts); err != nil {
		return fmt.Errorf("write %s output: %w", format, err)
	}
	if po.sarifFile != "" {
		var buf bytes.Buffer
		if err := report.Write(&buf, "sarif", rep, report.Options{}); err != nil {
			return err
		}
		if err := fsutil.WriteFile(absPath(env.WorkDir, po.sarifFile), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write SARIF: %w", err)
		}
	}
	return nil
}

// finish is the second half of publishing a command's report: in GitHub Actions the job summary
// (report.Markdown: the command's own summary, or its findings) and the command's step outputs.
// It returns errFindings when the command's verdict failed the step.
func finish(rep *report.Report, failed bool, outs []output, env Env) error {
	if err := reportToActions(env.Actions, func() string { return report.Markdown(rep) }, outs); err != nil {
		return err
	}
	if failed {
		return errFindings
	}
	return nil
}

// writerOptions are the report.Options for the terminal or log the command writes to.
func writerOptions(po publishOptions, env Env) report.Options {
	return report.Options{
		Color:  po.color == "always" || (po.color == "auto" && env.IsTerminal && env.Actions.Getenv("NO_COLOR") == ""),
		Source: func(path string) ([]byte, error) { return fsutil.ReadRegular(absPath(env.WorkDir, path), 0) },
	}
}

// defaultFormat is github in GitHub Actions, where workflow commands become annotations, and
// human everywhere else.
func defaultFormat(po publishOptions, env Env) string {
	if po.format != "" {
		return po.format
	}
	if env.Actions.InActions() {
		return "github"
	}
	return "human"
}

// publishChecks creates a check run when asked to, or when auto and possible. It reports whether
// the annotations reached GitHub. A token that may not create check runs (fork pull requests) is
// not a failure: the findings still go out as workflow commands, and the log says why.
func publishChecks(ctx context.Context, rep *report.Report, failed bool, po publishOptions, s Streams, env Env) (bool, error) {
	gha := env.Actions
	if po.checks == "off" || gha == nil {
		return false, nil
	}
	gctx, err := gha.Context()
	if err != nil || !gha.InActions() || gctx.Token == "" || gctx.Owner == "" || gctx.HeadSHA == "" {
		if po.checks == "on" {
			if err == nil {
				err = errors.New("needs GitHub Actions with GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_SHA")
			}
			return false, usagef("--checks on: %v", err)
		}
		return false, nil
	}
	client, err := github.NewClient(gctx.Token, gctx.APIURL, github.WithLogf(func(format string, args ...any) {
		fmt.Fprintf(s.Stderr, "molecule-ci: "+format+"\n", args...)
	}))
	if err != nil {
		return false, err
	}
	name := po.checkName
	if name == "" {
		name = "molecule-ci " + rep.Command
	}
	errs, warns, _ := rep.Counts()
	conclusion := "success"
	if failed {
		conclusion = "failure"
	}
	_, err = client.PublishCheckRun(ctx, github.CheckRun{
		Owner: gctx.Owner, Repo: gctx.Repo, HeadSHA: gctx.HeadSHA, Name: name,
		Title:      fmt.Sprintf("%d errors, %d warnings", errs, warns),
		Summary:    report.FindingsMarkdown(rep),
		DetailsURL: gctx.RunURL(),
		Findings:   report.Redacted(rep).Findings,
		Conclusion: conclusion,
	})
	var perm *github.PermissionError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &perm):
		fmt.Fprintf(s.Stderr, "molecule-ci: cannot create a check run (%v); falling back to workflow commands, which show at most 10 errors and 10 warnings per step: the job summary lists every finding. Grant `checks: write` to annotate them all.\n", err)
		return false, nil
	case po.checks == "on":
		return false, fmt.Errorf("check run: %w", err)
	default:
		fmt.Fprintf(s.Stderr, "molecule-ci: check run not published: %v; falling back to workflow commands\n", err)
		return false, nil
	}
}

func failing(rep *report.Report, failOn string) bool {
	if failOn == "never" {
		return false
	}
	min, _ := report.ParseSeverity(failOn)
	for _, f := range rep.Findings {
		if f.Severity >= min {
			return true
		}
	}
	return false
}

func absPath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
