package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/scriptcheck"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

const fleetSummary = `Lint many repositories as one run, each with its own .molecule-ci.yml, in parallel in one
process: every immediate subdirectory of --dir, each --repo, or every repository of --org through
the GitHub API (archived repositories and forks left out unless included). Prints a table of the
repositories (verdict, contract kind, errors, warnings, the shared workflows each calls and at
which ref); --calls prints the call graph instead, without linting.

Sharding (a GitHub Actions matrix): --plan --shards N prints the matrix; --shard I --plan-file
FILE (or --of N) lints one shard; --merge REPORT... joins the shards' JSON reports into the
report of one run.

The token (--org, and the tracking issue) comes from FLEET_TOKEN, else GITHUB_TOKEN;
GITHUB_API_URL points at a GitHub Enterprise Server.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage, 3 a repository could not be
read or linted (the report still lists every other one) or the tool failed.`

var fleetFormats = []string{"human", "json", "markdown", "sarif"}

// fleetMarker identifies an organisation's tracking issue among the repository's issues.
func fleetMarker(org string) string { return "<!-- molecule-ci:fleet:" + strings.ToLower(org) + " -->" }

// fleetClientOptions are added to the fleet's GitHub client: tests give it the fake's clock and a
// sleep that advances it.
var fleetClientOptions []github.Option

// fleetBounds are the limits no repository's .molecule-ci.yml can raise in a fleet run: the
// repositories of an organisation are not all trusted.
const (
	fleetMaxToolTimeout = 30 * time.Second
	fleetMaxReport      = 1 << 30
)

type fleetFlags struct {
	po           publishOptions
	dir, org     string
	repos        stringList
	owner        string
	inclArchived bool
	inclForks    bool
	calls        bool
	plan         bool
	shards       int
	shard, of    int
	planFile     string
	merge        bool
	site         string
	jsonFile     string
	issue        bool
	issueLabel   string
	jobs         int
	cacheDir     string
	noCache      bool
	shellcheck   string
	pyflakes     string
	maxFileSize  string
	maxWait      time.Duration
	flagMaxSize  int64
}

func (f *fleetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.po.format, "format", "human", "output: "+strings.Join(fleetFormats, ", "))
	fs.StringVar(&f.po.failOn, "fail-on", "error", "lowest severity that makes the exit code 1: error, warning, info, or never")
	fs.StringVar(&f.po.color, "color", "auto", "colour the table: auto, always, never")
	fs.StringVar(&f.po.sarifFile, "sarif-file", "", "also write SARIF 2.1.0, one run per repository, to this file")
	fs.StringVar(&f.jsonFile, "json-file", "", "also write the JSON report to this file (what --merge reads)")
	f.registerSource(fs, "lint", "linted")
	fs.BoolVar(&f.calls, "calls", false, "print the call graph of reusable-workflow calls instead of linting")
	fs.BoolVar(&f.plan, "plan", false, "print the shard plan (a matrix for fromJSON) instead of linting; with --shards")
	fs.IntVar(&f.shards, "shards", 0, "--plan: how many shards (1 to 256)")
	fs.IntVar(&f.shard, "shard", -1, "lint only shard I of the plan (--plan-file, or --of N)")
	fs.IntVar(&f.of, "of", 0, "--shard: the number of shards, when the plan is made again from the listing")
	fs.StringVar(&f.planFile, "plan-file", "", "the plan: --plan writes it there too; --shard lints its shard of it; --merge checks that every repository of it is there")
	fs.BoolVar(&f.merge, "merge", false, "join the JSON reports named as arguments (shards of one plan; a directory stands for its *.json files) into one report")
	fs.StringVar(&f.site, "site", "", "also write the HTML dashboard of the fleet into this directory")
	fs.BoolVar(&f.issue, "issue", false, "keep one tracking issue per organisation in GITHUB_REPOSITORY up to date (found by --issue-label, edited in place)")
	fs.StringVar(&f.issueLabel, "issue-label", "molecule-ci-fleet", "the label that finds the tracking issue")
	fs.StringVar(&f.shellcheck, "shellcheck", config.ToolAuto, "shellcheck for every repository: auto, off, or the executable (a repository's own setting is not used)")
	fs.StringVar(&f.pyflakes, "pyflakes", config.ToolAuto, "pyflakes for every repository: auto, off, or the executable")
	fs.StringVar(&f.maxFileSize, "max-file-size", "", "largest file read, in bytes or with a KiB/MiB/GiB suffix (default 8MiB; a repository's config cannot raise it)")
}

// registerSource registers the flags that say which repositories the fleet is and how they are
// read, shared by fleet and its impact and migrate subcommands; verb says what is done to them.
func (f *fleetFlags) registerSource(fs *flag.FlagSet, verb, done string) {
	fs.StringVar(&f.dir, "dir", "", verb+" every immediate subdirectory of this directory, each named after its directory")
	fs.Var(&f.repos, "repo", verb+" this checkout (repeatable)")
	fs.StringVar(&f.org, "org", "", verb+" every repository of this organisation through the GitHub API")
	fs.StringVar(&f.owner, "owner", "", "owner of the --dir and --repo repositories (default: the owner of GITHUB_REPOSITORY, else lint.org)")
	fs.BoolVar(&f.inclArchived, "include-archived", false, "--org: "+verb+" archived repositories too")
	fs.BoolVar(&f.inclForks, "include-forks", false, "--org: "+verb+" forks too")
	fs.IntVar(&f.jobs, "j", 0, "repositories "+done+" at once (default: 4 per CPU)")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "cache of script checks, API answers and repository trees (default: the user cache dir)")
	fs.BoolVar(&f.noCache, "no-cache", false, "read and write no cache")
	fs.DurationVar(&f.maxWait, "max-wait", time.Hour, "longest wait for a rate limit to reset before a repository is reported unread")
}

func (f *fleetFlags) validate() error {
	f.po.checks = "off" // the fleet's findings are in many repositories: no check run
	if err := f.po.validateFormat(fleetFormats); err != nil {
		return err
	}
	sources := f.sources()
	switch {
	case f.merge && sources > 0:
		return usagef("fleet --merge reads shard reports: no --dir, --repo or --org")
	case !f.merge:
		if err := f.validateSource("fleet"); err != nil {
			return err
		}
	}
	switch {
	case f.plan && (f.shards < 1 || f.shards > fleet.MaxShards):
		return usagef("--plan needs --shards N, 1 to %d", fleet.MaxShards)
	case !f.plan && f.shards != 0:
		return usagef("--shards goes with --plan")
	case f.shard >= 0 && f.planFile == "" && f.of < 1:
		return usagef("--shard %d: say which plan: --plan-file FILE, or --of N", f.shard)
	case f.shard < 0 && f.of != 0:
		return usagef("--of goes with --shard")
	case f.of > fleet.MaxShards || (f.of > 0 && f.shard >= f.of):
		return usagef("--shard %d --of %d: want 0 <= shard < of <= %d", f.shard, f.of, fleet.MaxShards)
	case f.plan && (f.merge || f.shard >= 0 || f.calls):
		return usagef("--plan prints the plan: not with --merge, --shard or --calls")
	case f.merge && f.shard >= 0:
		return usagef("--merge joins shards: not with --shard")
	case f.calls && f.po.format == "sarif":
		return usagef("--calls prints the call graph: formats human, json, markdown")
	case f.issue && strings.TrimSpace(f.issueLabel) == "":
		return usagef("--issue-label must not be empty")
	}
	if f.maxFileSize != "" {
		n, err := parseSize(f.maxFileSize)
		if err != nil {
			return usagef("--max-file-size: %v", err)
		}
		f.flagMaxSize = n
	}
	return nil
}

// sources counts the kinds of source named: the checkouts (--dir, --repo) and --org.
func (f *fleetFlags) sources() int {
	n := 0
	if f.dir != "" || len(f.repos.values) > 0 {
		n++
	}
	if f.org != "" {
		n++
	}
	return n
}

// validateSource checks the source flags of cmd (fleet, fleet impact, fleet migrate).
func (f *fleetFlags) validateSource(cmd string) error {
	switch {
	case f.sources() == 0:
		return usagef("%s: name the repositories: --dir PARENT, --repo DIR (repeatable) or --org NAME", cmd)
	case f.sources() > 1:
		return usagef("%s: --org reads the repositories through the API: not with --dir or --repo", cmd)
	case f.jobs < 0:
		return usagef("-j: must be 0 (one per CPU) or more, got %d", f.jobs)
	case f.maxWait < 0:
		return usagef("--max-wait %v: want 0 or more", f.maxWait)
	case f.org != "" && !config.ValidOrg(f.org):
		return usagef("--org %q is not a GitHub organisation name", f.org)
	case f.owner != "" && !config.ValidOrg(f.owner):
		return usagef("--owner %q is not a GitHub owner name", f.owner)
	}
	return nil
}

func runFleet(ctx context.Context, args []string, s Streams, env Env) error {
	if len(args) > 0 {
		switch args[0] {
		case "impact":
			return runFleetImpact(ctx, args[1:], s, env)
		case "migrate":
			return runFleetMigrate(ctx, args[1:], s, env)
		}
	}
	flags := newFlagSet("fleet", "[SHARD-REPORT...]", fleetSummary, s.Stderr)
	var f fleetFlags
	f.register(flags)
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	if !f.merge && len(rest) > 0 {
		return usagef("fleet: unexpected argument %q (shard reports go with --merge)", rest[0])
	}
	if f.merge && len(rest) == 0 {
		return usagef("fleet --merge: name the shards' JSON reports")
	}
	r := &fleetRun{f: f, s: s, env: env}
	if f.merge {
		return r.merge(ctx, rest)
	}
	return r.run(ctx)
}

// fleetRun is one invocation of `molecule-ci fleet`.
type fleetRun struct {
	f      fleetFlags
	s      Streams
	env    Env
	client *github.Client // --org, --issue
	cache  string         // the cache directory, "" with --no-cache
	org    *fleet.OrgSource
}

// source builds the fleet's source from the flags.
func (r *fleetRun) source(ctx context.Context) (fleet.Source, error) {
	f := r.f
	r.cache = ""
	if !f.noCache {
		r.cache = resolveCacheDir(f.cacheDir, r.env)
	}
	if f.org == "" {
		owner := f.owner
		if owner == "" {
			if gctx, err := r.env.Actions.Context(); err == nil && gctx.Owner != "" {
				owner = gctx.Owner
			}
		}
		if owner == "" {
			cfg, err := loadConfig(r.env, "")
			if err != nil {
				return nil, err
			}
			owner = cmp.Or(cfg.Lint.Org, DefaultOrg)
		}
		var dirs []string
		for _, d := range f.repos.values {
			dirs = append(dirs, absPath(r.env.WorkDir, d))
		}
		parent := ""
		if f.dir != "" {
			parent = absPath(r.env.WorkDir, f.dir)
		}
		return fleet.DirSource{Owner: owner, Parent: parent, Dirs: dirs, Display: func(d string) string { return relPath(r.env.WorkDir, d) }}, nil
	}
	client, err := r.githubClient()
	if err != nil {
		return nil, err
	}
	src := &fleet.OrgSource{API: fleetAPI{client}, Org: f.org, IncludeArchived: f.inclArchived, IncludeForks: f.inclForks,
		MaxFile: max(f.flagMaxSize, 0)}
	if src.MaxFile == 0 {
		src.MaxFile = config.DefaultLintMaxFileSize
	}
	if r.cache != "" {
		src.CacheDir = filepath.Join(r.cache, "fleet")
	}
	r.org = src
	return src, nil
}

// githubClient makes the client of FLEET_TOKEN (else GITHUB_TOKEN), once.
func (r *fleetRun) githubClient() (*github.Client, error) {
	if r.client != nil {
		return r.client, nil
	}
	gha := r.env.Actions
	gctx, err := gha.Context()
	if err != nil {
		return nil, err
	}
	token := r.fleetToken()
	if token == "" {
		return nil, usagef("fleet: no token: set FLEET_TOKEN (or GITHUB_TOKEN) to a token that can read the organisation's repositories")
	}
	if gha.InActions() && (r.f.po.format == "human" || r.f.po.format == "markdown") {
		// The mask is a command on stdout: not in a JSON or SARIF document a step redirects.
		gha.AddMask(token)
	}
	opts := []github.Option{github.WithMaxWait(r.f.maxWait), github.WithLogf(func(format string, args ...any) {
		fmt.Fprintf(r.s.Stderr, "molecule-ci: "+format+"\n", args...)
	})}
	if r.cache != "" {
		opts = append(opts, github.WithCache(filepath.Join(r.cache, "github")))
	}
	r.client, err = github.NewClient(token, gctx.APIURL, append(opts, fleetClientOptions...)...)
	return r.client, err
}

// fleetToken is FLEET_TOKEN, else GITHUB_TOKEN (or the action's github-token), else "".
func (r *fleetRun) fleetToken() string {
	if t := r.env.Actions.Getenv("FLEET_TOKEN"); t != "" {
		return t
	}
	gctx, err := r.env.Actions.Context()
	if err != nil {
		return ""
	}
	return gctx.Token
}

func (r *fleetRun) run(ctx context.Context) error {
	f := r.f
	src, err := r.source(ctx)
	if err != nil {
		return err
	}
	// A shard of an --org plan file that names the branches opens its repositories straight
	// away: listing the organisation again would cost every shard ceil(repositories/100) requests.
	var plan *fleet.Plan
	if f.shard >= 0 && f.planFile != "" {
		if plan, err = r.plan(nil); err != nil {
			return err
		}
	}
	var repos []fleet.Repo
	if plan == nil || !plan.Planned(f.shard) || r.org == nil {
		if repos, err = src.List(ctx); err != nil {
			return r.listError(err)
		}
	}
	if r.org != nil && (r.org.LeftOut.Archived > 0 || r.org.LeftOut.Forks > 0) {
		fmt.Fprintf(r.s.Stderr, "molecule-ci: fleet: %d archived repositories and %d forks left out (--include-archived, --include-forks)\n", r.org.LeftOut.Archived, r.org.LeftOut.Forks)
	}
	if len(repos) == 0 && plan == nil {
		return usagef("fleet: no repositories to lint")
	}
	if f.plan {
		p, err := fleet.MakePlan(repos, f.shards)
		if err != nil {
			return usagef("%v", err)
		}
		if f.planFile != "" {
			full, err := p.JSON()
			if err != nil {
				return err
			}
			if err := fsutil.WriteFile(absPath(r.env.WorkDir, f.planFile), full, 0o644); err != nil {
				return fmt.Errorf("write the plan: %w", err)
			}
		}
		b, err := p.Matrix()
		if err != nil {
			return err
		}
		if _, err := r.s.Stdout.Write(b); err != nil {
			return err
		}
		return reportToActions(r.env.Actions, func() string {
			return fmt.Sprintf("## molecule-ci fleet\n\n%s in %d shards.\n", plural(len(repos), "repository", "repositories"), f.shards)
		}, []output{{"matrix", strings.TrimSpace(string(b))}, {"shards", strconv.Itoa(f.shards)}, {"repos", strconv.Itoa(len(repos))}})
	}
	selected := repos
	if f.shard >= 0 {
		if plan == nil {
			if plan, err = r.plan(repos); err != nil {
				return err
			}
		}
		if selected, err = plan.Select(repos, f.shard); err != nil {
			return usagef("%v", err)
		}
	}
	lf, err := r.lintFlags()
	if err != nil {
		return err
	}
	if !f.calls {
		if lf.calls, err = r.callResolver(repos); err != nil {
			return err
		}
	}
	scripts, err := r.scriptChecker(ctx, lf)
	if err != nil {
		return err
	}
	prog := newFleetProgress(r.s.Stderr, r.env.Actions.Interactive(r.env.IsTerminal), r.budget)
	res, err := fleet.Run(ctx, fleet.Options{
		Source: src, Repos: selected, Jobs: f.jobs, Progress: prog.event, CallsOnly: f.calls,
		Configure: func(ctx context.Context, repo fleet.Repo, dir string) (lint.Options, []report.Finding, error) {
			opts, extra, err := r.configure(repo, dir, lf)
			opts.Scripts, opts.SharedScripts = scriptcheck.Options{}, scripts
			return opts, extra, err
		},
	})
	if scripts != nil {
		scripts.Wait()
	}
	prog.finish()
	if err != nil {
		return err
	}
	if r.org != nil && r.cache != "" {
		_ = r.org.Prune(30 * 24 * time.Hour)
	}
	return r.publish(ctx, res.Document())
}

// plan is the plan of a --shard run: the file's, or made again from the listing.
func (r *fleetRun) plan(repos []fleet.Repo) (*fleet.Plan, error) {
	if r.f.planFile == "" {
		p, err := fleet.MakePlan(repos, r.f.of)
		if err != nil {
			return nil, usagef("%v", err)
		}
		return p, nil
	}
	data, err := fsutil.ReadRegular(absPath(r.env.WorkDir, r.f.planFile), 64<<20)
	if err != nil {
		return nil, usagef("--plan-file: %v", err)
	}
	p, err := fleet.ParsePlan(data)
	if err != nil {
		return nil, usagef("--plan-file %s: %v", r.f.planFile, err)
	}
	if r.f.of > 0 && r.f.of != len(p.Include) {
		return nil, usagef("--of %d, but the plan in %s has %d shards", r.f.of, r.f.planFile, len(p.Include))
	}
	return p, nil
}

// listError: an organisation or directory that cannot be listed is a usage error when the
// command line named something that is not there, a tool error otherwise.
func (r *fleetRun) listError(err error) error {
	var rl *github.RateLimitError
	switch {
	case errors.Is(err, github.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return &usageError{err}
	case errors.As(err, &rl):
		return fmt.Errorf("fleet: %w", err)
	case r.f.org == "":
		return &usageError{err}
	}
	return err
}

// maxMergeFiles bounds the reports one merge reads: a plan has at most 256 shards.
const maxMergeFiles = 1024

// mergeFiles expands the --merge arguments: a directory stands for its *.json files, sorted (an
// artifact download leaves the shards' reports in one).
func mergeFiles(workDir string, args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		p := absPath(workDir, a)
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			files = append(files, a)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(matches) == 0 {
			return nil, usagef("--merge %s: a directory without *.json reports", a)
		}
		files = append(files, matches...)
	}
	if len(files) > maxMergeFiles {
		return nil, usagef("--merge: %d reports, more than the %d a merge reads", len(files), maxMergeFiles)
	}
	return files, nil
}

func (r *fleetRun) merge(ctx context.Context, args []string) error {
	files, err := mergeFiles(r.env.WorkDir, args)
	if err != nil {
		return err
	}
	var docs []*fleet.Document
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := fsutil.ReadRegular(absPath(r.env.WorkDir, name), fleetMaxReport)
		if err != nil {
			return usagef("--merge: %v", err)
		}
		d, err := fleet.ParseDocument(data)
		if err != nil {
			return usagef("--merge %s: %v", name, err)
		}
		docs = append(docs, d)
	}
	d, err := fleet.Merge(docs...)
	if err != nil {
		return usagef("--merge: %v", err)
	}
	if r.f.planFile != "" {
		p, err := r.plan(nil)
		if err != nil {
			return err
		}
		if err := p.Check(d); err != nil {
			// The report is written all the same: what the shards found is not lost.
			if perr := r.publish(ctx, d); perr != nil && !errors.Is(perr, errFindings) {
				return perr
			}
			return fmt.Errorf("fleet --merge: %w", err)
		}
	}
	return r.publish(ctx, d)
}

// lintFlags are the command-line settings every repository is linted with. The script tools and
// the cache are the fleet's, never a repository's own (a repository of an organisation is not
// trusted to name a program to run or a directory to write).
func (r *fleetRun) lintFlags() (lintFlags, error) {
	toolEnv := map[string]string{}
	for _, name := range scriptcheck.ToolEnv {
		toolEnv[name] = r.env.Actions.Getenv(name)
	}
	lf := lintFlags{jobs: 0, maxSize: r.f.flagMaxSize, shellcheck: r.f.shellcheck, pyflakes: r.f.pyflakes,
		noCache: r.f.noCache, toolEnv: toolEnv, trust: toolTrust{event: r.env.Actions.Getenv("GITHUB_EVENT_NAME")}}
	if lf.maxSize == 0 {
		lf.maxSize = config.DefaultLintMaxFileSize
	}
	if !r.f.noCache {
		lf.cacheDir = resolveCacheDir(r.f.cacheDir, r.env)
		if lf.cacheDir == "" {
			lf.noCache = true
		}
	}
	return lf, nil
}

// scriptChecker is the one shellcheck/pyflakes checker of the run, shared by every repository:
// the tools are resolved once and their batches filled with every repository's scripts. The
// tools, the cache and the limits are the fleet's (a repository's own settings are not used).
func (r *fleetRun) scriptChecker(ctx context.Context, lf lintFlags) (*scriptcheck.Checker, error) {
	if r.f.calls {
		return nil, nil
	}
	opts, err := lintOptions(config.Default(), repoGroup{root: r.env.WorkDir}, r.env, lf)
	if err != nil {
		return nil, err
	}
	if opts.Scripts.Shellcheck == "" && opts.Scripts.Pyflakes == "" {
		return nil, nil
	}
	sc, err := scriptcheck.NewContext(ctx, opts.Scripts)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return sc, nil
}

// configure is fleet's Configure: a repository's lint options from its own .molecule-ci.yml and
// the fleet's flags. A config that does not load is linted with the defaults (lint reports the
// file's problems itself, at their lines); problems lint would not see come back as findings.
func (r *fleetRun) configure(repo fleet.Repo, dir string, lf lintFlags) (lint.Options, []report.Finding, error) {
	cfg, err := config.Load(dir, "")
	var extra []report.Finding
	if err != nil {
		errs := config.AsErrors(err)
		if len(errs) == 0 {
			return lint.Options{}, nil, err
		}
		for _, e := range errs {
			if e.Line == 0 {
				extra = append(extra, report.Finding{Path: relPath(dir, cmp.Or(e.Path, filepath.Join(dir, ".molecule-ci.yml"))), Rule: lint.ConfigRule, Severity: report.Error,
					Message: e.Msg + " (the repository was linted with the default configuration)"})
			}
		}
		cfg = config.Default()
		cfg.Dir = dir
	}
	if cfg.Lint.Org == "" {
		// "The organisation" of each repository's rules is its owner, as lint's default says.
		cfg.Lint.Org = repo.Owner
	}
	renv := r.env
	renv.WorkDir = dir
	opts, err := lintOptions(cfg, repoGroup{root: dir}, renv, lf)
	var ce *config.Error
	if errors.As(err, &ce) {
		// An unknown rule id in lint.rules: said at its line, and the rules left at their defaults.
		extra = append(extra, report.Finding{Path: ".molecule-ci.yml", Line: ce.Line, Col: ce.Col, Rule: lint.ConfigRule, Severity: report.Error,
			Message: ce.Msg + " (the repository was linted with the rules at their defaults)"})
		cfg.Lint.Rules = nil
		opts, err = lintOptions(cfg, repoGroup{root: dir}, renv, lf)
	}
	if err != nil {
		return lint.Options{}, nil, err
	}
	// The fleet names each repository (its directory under --dir, its listing under --org): a call
	// into it at a ref is read from its own history.
	opts.Workflow.Repository = repo.FullName()
	opts.Contracts = lint.ContractOptions{Contract: cfg.Lint.Contract}
	opts.Jobs = 1 // the fleet's parallelism is across repositories
	// No repository raises the fleet's bounds.
	opts.MaxFileSize = min(opts.MaxFileSize, lf.maxSize)
	opts.Scripts.Timeout = min(opts.Scripts.Timeout, fleetMaxToolTimeout)
	if opts.Scripts.MemoryLimit < 0 || opts.Scripts.MemoryLimit > config.DefaultLintToolMemory {
		opts.Scripts.MemoryLimit = config.DefaultLintToolMemory
	}
	return opts, extra, nil
}

// budget is the API budget for the progress line, when the fleet reads the API.
func (r *fleetRun) budget() (github.Budget, bool) {
	if r.client == nil {
		return github.Budget{}, false
	}
	b := r.client.Budget()
	return b, b.Known
}

// publish writes the report everywhere it goes and returns the exit status: a repository not
// read or linted is a tool failure (3), findings at or above --fail-on are 1.
func (r *fleetRun) publish(ctx context.Context, d *fleet.Document) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f := r.f
	var out bytes.Buffer
	colour := f.po.color == "always" || (f.po.color == "auto" && r.env.IsTerminal && r.env.Actions.Getenv("NO_COLOR") == "")
	// The report and the call graph are report.Summary values, rendered by internal/report; SARIF
	// with one run per repository is the fleet's.
	rep := d.Report(Version())
	if f.calls {
		rep = d.CallGraph().Report()
	}
	var err error
	switch f.po.format {
	case "markdown":
		_, err = out.WriteString(report.Markdown(rep))
	case "sarif":
		err = d.SARIF(&out, Version())
	default:
		err = report.Write(&out, f.po.format, rep, report.Options{Color: colour})
	}
	if err != nil {
		return err
	}
	if _, err := r.s.Stdout.Write(out.Bytes()); err != nil {
		return err
	}
	writeTo := func(name string, write func(io.Writer) error) error {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return err
		}
		p := absPath(r.env.WorkDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := fsutil.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return nil
	}
	if f.jsonFile != "" {
		if err := writeTo(f.jsonFile, d.WriteJSON); err != nil {
			return err
		}
	}
	if f.po.sarifFile != "" {
		if err := writeTo(f.po.sarifFile, func(w io.Writer) error { return d.SARIF(w, Version()) }); err != nil {
			return err
		}
	}
	if f.site != "" {
		if err := fleet.WriteSite(absPath(r.env.WorkDir, f.site), d, fleet.SiteOptions{Title: r.siteTitle(d), Generated: time.Now().UTC(), Version: Version()}); err != nil {
			return fmt.Errorf("--site: %w", err)
		}
	}
	s := d.Summary
	if err := reportToActions(r.env.Actions, func() string { return report.Markdown(rep) }, []output{
		{"repos", strconv.Itoa(s.Repos)}, {"failing", strconv.Itoa(s.Failing)}, {"unreadable", strconv.Itoa(s.Unreadable)},
		{"errors", strconv.Itoa(s.Errors)}, {"warnings", strconv.Itoa(s.Warnings)}, {"calls", strconv.Itoa(s.Calls)},
	}); err != nil {
		return err
	}
	if f.issue {
		if err := r.trackingIssue(ctx, d); err != nil {
			return err
		}
	}
	if s.Unreadable > 0 {
		return fmt.Errorf("fleet: %s could not be read or linted (see the report)", plural(s.Unreadable, "repository", "repositories"))
	}
	if !f.calls && fleetFailing(d, f.po.failOn) {
		return errFindings
	}
	return nil
}

// siteTitle names the dashboard after the organisation.
func (r *fleetRun) siteTitle(d *fleet.Document) string {
	if org := r.orgName(d); org != "" {
		return org + " CI fleet"
	}
	return "CI fleet"
}

// orgName is the organisation the fleet is: --org, else --owner, else the owner every
// repository of the report shares.
func (r *fleetRun) orgName(d *fleet.Document) string {
	if org := cmp.Or(r.f.org, r.f.owner); org != "" {
		return org
	}
	owner := ""
	for i, repo := range d.Repos {
		if i > 0 && repo.Owner != owner {
			return ""
		}
		owner = repo.Owner
	}
	return owner
}

func fleetFailing(d *fleet.Document, failOn string) bool {
	if failOn == "never" {
		return false
	}
	min, _ := report.ParseSeverity(failOn)
	s := d.Summary
	return min <= report.Error && s.Errors > 0 || min <= report.Warning && s.Warnings > 0 || min <= report.Info && s.Infos > 0
}

// trackingIssue keeps the organisation's tracking issue in GITHUB_REPOSITORY: found by label and
// marker, edited in place, never filed twice.
func (r *fleetRun) trackingIssue(ctx context.Context, d *fleet.Document) error {
	gctx, err := r.env.Actions.Context()
	if err != nil {
		return err
	}
	if gctx.Owner == "" || gctx.Token == "" {
		return usagef("--issue: needs GITHUB_REPOSITORY and GITHUB_TOKEN with issues: write on it")
	}
	org := cmp.Or(r.orgName(d), gctx.Owner)
	cfg, err := loadConfig(r.env, "")
	if err != nil {
		return err
	}
	c, err := github.NewClient(gctx.Token, gctx.APIURL, append([]github.Option{github.WithIdentity(cfg.Report.Identity),
		github.WithLogf(func(format string, args ...any) { fmt.Fprintf(r.s.Stderr, "molecule-ci: "+format+"\n", args...) })}, fleetClientOptions...)...)
	if err != nil {
		return err
	}
	rep := d.Report(Version())
	if run := gctx.RunURL(); run != "" {
		rep.Summary = withRunLink{d, run}
	}
	body := report.MarkdownWithin(rep, report.MaxCommentBytes)
	res, err := c.UpsertTrackingIssue(ctx, github.TrackingIssue{
		Owner: gctx.Owner, Repo: gctx.Repo, Label: r.f.issueLabel, Marker: fleetMarker(org),
		Title: fmt.Sprintf("CI fleet of %s: %d of %d repositories failing", org, d.Summary.Failing+d.Summary.Unreadable, d.Summary.Repos),
		Body:  body,
	})
	if err != nil {
		return fmt.Errorf("--issue: %w", err)
	}
	fmt.Fprintf(r.s.Stderr, "molecule-ci: fleet: tracking issue %s: %s\n", res.Action, res.URL)
	return r.env.Actions.SetOutput("tracking-issue", res.URL)
}

// withRunLink is the fleet report in the tracking issue: the job summary's Markdown and a link to
// the run that wrote it.
type withRunLink struct {
	*fleet.Document
	run string
}

func (w withRunLink) Markdown() report.Doc {
	doc := w.Document.Markdown()
	doc.Blocks = append(doc.Blocks, report.Lines{report.Line(report.Link("The run that wrote this", w.run), report.Markup("."))})
	return doc
}

// fleetAPI adapts the GitHub client to fleet.API.
type fleetAPI struct{ c *github.Client }

func (a fleetAPI) Repositories(ctx context.Context, org string) ([]fleet.RemoteRepo, error) {
	repos, err := a.c.OrgRepositories(ctx, org)
	out := make([]fleet.RemoteRepo, len(repos))
	for i, r := range repos {
		out[i] = fleet.RemoteRepo{Owner: r.Owner, Name: r.Name, DefaultBranch: r.DefaultBranch, Archived: r.Archived, Fork: r.Fork, SizeKB: r.SizeKB}
	}
	return out, err
}

func (a fleetAPI) BranchHead(ctx context.Context, owner, repo, branch string) (string, string, error) {
	h, err := a.c.BranchHead(ctx, owner, repo, branch)
	return h.Commit, h.Tree, err
}

func (a fleetAPI) Tarball(ctx context.Context, owner, repo, commit string, limit int64, read func(io.Reader) error) error {
	return a.c.Tarball(ctx, owner, repo, commit, limit, read)
}
