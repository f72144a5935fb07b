package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/coverage"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

const coverageSummary = `Read coverage reports — Go coverprofiles, Cobertura XML (pytest-cov), LCOV and Istanbul JSON
(vitest), detected by content — into one model and judge it against the coverage: policy of
.molecule-ci.yml and the --min flags: total, per-package and per-file floors, an allowlist with
enforced expiry, a ratchet against a baseline, and the coverage of changed lines. With no gate
at all, the run says so in a warning: it cannot fail.`

var coverageFormats = []string{"human", "json", "sarif", "github"}

func runCoverage(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("coverage", "REPORT...", coverageSummary, s.Stderr)
	var po publishOptions
	flags.StringVar(&po.format, "format", "", "output: human, json, sarif, github (default: github in GitHub Actions, else human)")
	po.registerChecks(flags)
	configPath := flags.String("config", "", "config file (default: .molecule-ci.yml in --root, if present)")
	root := flags.String("root", "", "repository root that report paths are made relative to (default: the working directory)")
	baseline := flags.String("baseline", "", "ratchet against this baseline JSON (written on main by --write-baseline)")
	writeBaseline := flags.String("write-baseline", "", "write this run's baseline JSON to FILE")
	base := flags.String("base", "", "git ref: gate the coverage of lines added or changed since it")
	badge := flags.String("badge", "", "write a shields.io endpoint badge JSON to FILE")
	today := flags.String("today", "", "judge allowlist expiry as of this date, YYYY-MM-DD (default: today)")
	prComment := flags.Bool("pr-comment", false, "on a pull_request event in GitHub Actions, keep one comment on the pull request with the coverage summary (edited in place on every run)")
	minTotal := flags.String("min", "", "fail when the total coverage is below PERCENT (overrides coverage.total)")
	minFile := flags.String("min-file", "", "fail when a file's coverage is below PERCENT (a higher coverage.files floor still applies to its files)")
	minPackage := flags.String("min-package", "", "fail when a directory's coverage, its subdirectories included, is below PERCENT (a higher coverage.packages floor still applies)")
	reports, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if err := po.validateFormat(coverageFormats); err != nil {
		return err
	}
	if len(reports) == 0 {
		return usagef("coverage: name at least one report (e.g. coverage.out, coverage.xml, lcov.info, coverage-final.json)")
	}
	rootDir := env.WorkDir
	if *root != "" {
		rootDir = absPath(env.WorkDir, *root)
		// A root that does not exist would find no config there and drop every gate.
		if st, err := os.Stat(rootDir); err != nil || !st.IsDir() {
			return usagef("coverage: --root %q is not a directory", *root)
		}
	}
	if *base != "" {
		if err := git.ValidateRef(*base); err != nil {
			return &usageError{fmt.Errorf("--base %w", err)}
		}
	}
	// The policy lives at the repository root, but a --config path is the user's, relative to
	// where they are.
	cfgEnv := env
	cfgEnv.WorkDir = rootDir
	explicit := *configPath
	if explicit != "" {
		explicit = absPath(env.WorkDir, explicit)
	}
	cfg, err := loadConfig(cfgEnv, explicit)
	if err != nil {
		return err
	}
	policy, err := coverage.PolicyFromConfig(cfg.Coverage)
	if err != nil {
		return configError(cfg, env, err)
	}
	if err := floorFlags(&policy, *minTotal, *minFile, *minPackage); err != nil {
		return err
	}
	opts := coverage.Options{
		RepoRoot:      rootDir,
		Policy:        policy,
		Reports:       reports,
		Dir:           env.WorkDir,
		Baseline:      *baseline,
		WriteBaseline: *writeBaseline,
		Base:          *base,
	}
	if *today != "" {
		if opts.Now, err = time.Parse(time.DateOnly, *today); err != nil {
			return usagef("--today %q: want a date like 2026-05-23", *today)
		}
	}

	res, err := coverage.Run(ctx, opts)
	var pe *coverage.ParseError
	var re *git.RefError
	switch {
	case errors.As(err, &pe), errors.As(err, &re), errors.Is(err, fs.ErrNotExist):
		return &usageError{err}
	case err != nil:
		return err
	}

	rep := res.Report()
	rep.Tool, rep.Version = "molecule-ci", Version()
	if err := writeOutputs(ctx, rep, po, !res.Passed, s, env); err != nil {
		return err
	}
	if *badge != "" {
		b, err := res.Badge().JSON()
		if err != nil {
			return err
		}
		if err := fsutil.WriteFile(absPath(env.WorkDir, *badge), b, 0o644); err != nil {
			return fmt.Errorf("write badge: %w", err)
		}
	}
	if *prComment {
		upsertPRComment(ctx, "coverage", "--pr-comment", coverageMarker, report.MarkdownWithin(rep, report.MaxCommentBytes), cfg.Report.Identity, s, env)
	}
	return finish(rep, !res.Passed, []output{
		{"percent", strconv.FormatFloat(res.Total.Percent, 'f', 2, 64)},
		{"covered", strconv.Itoa(res.Total.Covered)},
		{"total", strconv.Itoa(res.Total.Total)},
		{"passed", strconv.FormatBool(res.Passed)},
	}, env)
}

// floorFlags adds the floors of --min, --min-file and --min-package to the policy. Flags come
// after the config: --min replaces coverage.total; --min-file and --min-package add a floor for
// every file and every directory, next to the config's own (the highest floor of a path applies).
func floorFlags(p *coverage.Policy, total, file, pkg string) error {
	for _, f := range []struct {
		name, value string
		set         func(float64)
	}{
		{"--min", total, func(v float64) { p.Total = &v }},
		{"--min-file", file, func(v float64) {
			p.Files = append(p.Files, coverage.Floor{Glob: coverage.EveryPath, Min: v, From: "--min-file"})
		}},
		{"--min-package", pkg, func(v float64) {
			p.Packages = append(p.Packages, coverage.Floor{Glob: coverage.EveryPath, Min: v, From: "--min-package"})
		}},
	} {
		if f.value == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f.value, "%"), 64)
		if err != nil || !(v >= 0 && v <= 100) {
			return usagef("%s %q: want a percentage from 0 to 100, e.g. 80 or 72.5", f.name, f.value)
		}
		f.set(v)
	}
	return nil
}

// configError turns an error about a config section into a *config.Error at the file's path, so
// it exits 2 and names the file even when the section's own check did not know a position.
func configError(cfg *config.Config, env Env, err error) error {
	if len(config.AsErrors(err)) > 0 {
		return err
	}
	path := cfg.Path
	if path == "" {
		path = ".molecule-ci.yml"
	}
	return &config.Error{Path: relPath(env.WorkDir, path), Msg: err.Error(), Err: err}
}

// coverageMarker identifies the coverage comment among a pull request's comments.
const coverageMarker = "<!-- molecule-ci:coverage -->"

// upsertPRComment keeps the pull request's comment of a command (what, e.g. "coverage"; flag the
// option that asked for it) up to date, found by marker. A comment is a convenience, not the
// verdict: when it cannot be written (not a pull request, a fork's read-only token, an API
// error) the log says why, verbatim, and the gate's result stands.
func upsertPRComment(ctx context.Context, what, flag, marker, markdown, identity string, s Streams, env Env) {
	gha := env.Actions
	gctx, err := gha.Context()
	switch {
	case err != nil:
		fmt.Fprintf(s.Stderr, "molecule-ci: %s: %v\n", flag, err)
		return
	case !gha.InActions() || gctx.PullRequest == 0:
		fmt.Fprintf(s.Stderr, "molecule-ci: %s: not a pull request event; no comment written\n", flag)
		return
	case gctx.Token == "":
		fmt.Fprintf(s.Stderr, "molecule-ci: %s: no GITHUB_TOKEN; no comment written\n", flag)
		return
	}
	client, err := github.NewClient(gctx.Token, gctx.APIURL, github.WithIdentity(identity), github.WithLogf(func(format string, args ...any) {
		fmt.Fprintf(s.Stderr, "molecule-ci: "+format+"\n", args...)
	}))
	if err != nil {
		fmt.Fprintf(s.Stderr, "molecule-ci: %s: %v\n", flag, err)
		return
	}
	res, err := client.UpsertStickyComment(ctx, github.StickyComment{
		Owner: gctx.Owner, Repo: gctx.Repo, Number: gctx.PullRequest, Marker: marker, Body: markdown,
	})
	var perm *github.PermissionError
	switch {
	case errors.As(err, &perm):
		fmt.Fprintf(s.Stderr, "molecule-ci: %s: cannot comment (%v); grant `pull-requests: write` (fork pull requests get a read-only token)\n", flag, err)
	case err != nil:
		fmt.Fprintf(s.Stderr, "molecule-ci: %s: %v\n", flag, err)
	default:
		fmt.Fprintf(s.Stderr, "molecule-ci: %s comment %s: %s\n", what, res.Action, res.URL)
	}
}
