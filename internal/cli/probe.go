package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/probe"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

const probeSummary = `Probe the services of the probe: section of .molecule-ci.yml (or of an Upptime .upptimerc.yml
with --upptime): HTTP checks and deep checks against Vercel, Fly.io and GHCR. With stored state
(--state DIR, or --state-branch BRANCH in GitHub Actions) a service is declared down only after the
down-after policy, one incident issue is opened per outage and closed on recovery, and Telegram is
paged on both transitions. --site DIR writes the status page and its JSON.

Tokens come from the environment: VERCEL_TOKEN, FLY_API_TOKEN, GITHUB_TOKEN (issues, data branch,
and the ghcr check unless PACKAGES_TOKEN is set), TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID. A deep check whose token is unset runs as "degraded-check".

Exit codes: 0 all up, 1 a service down (or degraded, with fail-on: degraded), 2 bad config,
3 the tool failed (state could not be read or saved).`

// upptimeMaxSize bounds an --upptime file.
const upptimeMaxSize = 4 << 20

// probeFlags are the flags of `molecule-ci probe`.
type probeFlags struct {
	format, config, upptime, env   string
	stateDir, stateBranch, site    string
	issues, page                   string
	vercelAPI, flyAPI, telegramAPI string
	nowText                        string
	now                            time.Time // --now parsed; zero: the clock
}

func (f *probeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "format", "", "output: "+strings.Join(report.Formats(), ", ")+" (default: github in GitHub Actions, else human)")
	fs.StringVar(&f.config, "config", "", "config file (default: .molecule-ci.yml, if present)")
	fs.StringVar(&f.upptime, "upptime", "", "read the services from this Upptime .upptimerc.yml instead of the probe: section")
	fs.StringVar(&f.env, "env", "", "probe only the services of this environment (e.g. production, staging)")
	fs.StringVar(&f.stateDir, "state", "", "keep state and history in this directory")
	fs.StringVar(&f.stateBranch, "state-branch", "", "keep state and history on this branch of the repository, through the GitHub API (compare-and-swap on the branch)")
	fs.StringVar(&f.site, "site", "", "write the status page, api/v1/status.json, summary.json and badges to this directory")
	fs.StringVar(&f.issues, "issues", "auto", "incident issues: auto (with a token and stored state), on, off")
	fs.StringVar(&f.page, "page", "auto", "Telegram pages: auto (when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set), off")
	fs.StringVar(&f.vercelAPI, "vercel-api", "", "Vercel API base URL (default "+probe.DefaultVercelAPI+")")
	fs.StringVar(&f.flyAPI, "fly-api", "", "Fly Machines API base URL (default "+probe.DefaultFlyAPI+")")
	fs.StringVar(&f.telegramAPI, "telegram-api", "", "Telegram Bot API base URL (default "+probe.DefaultTelegramAPI+")")
	fs.StringVar(&f.nowText, "now", "", "judge the run as of this time, RFC 3339 (replaying a schedule; never before the last recorded run; default: now)")
}

// check refuses the flag values no run can use, and parses --now.
func (f *probeFlags) check() error {
	if f.format != "" && !slices.Contains(report.Formats(), f.format) {
		return usagef("unknown format %q (valid: %s)", f.format, strings.Join(report.Formats(), ", "))
	}
	for _, fl := range []struct {
		name, value string
		valid       []string
	}{{"--issues", f.issues, []string{"auto", "on", "off"}}, {"--page", f.page, []string{"auto", "off"}}} {
		if !slices.Contains(fl.valid, fl.value) {
			return usagef("unknown %s %q (valid: %s)", fl.name, fl.value, strings.Join(fl.valid, ", "))
		}
	}
	if f.nowText != "" {
		var err error
		if f.now, err = time.Parse(time.RFC3339, f.nowText); err != nil {
			return usagef("--now %q: want a time like 2026-12-01T14:30:00Z", f.nowText)
		}
	}
	if f.stateDir != "" && f.stateBranch != "" {
		return usagef("--state and --state-branch: give one")
	}
	return nil
}

func runProbe(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("probe", "", probeSummary, s.Stderr)
	var f probeFlags
	f.register(flags)
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("probe: unexpected argument %q", rest[0])
	}
	if err := f.check(); err != nil {
		return err
	}
	services, err := loadProbeServices(env, f)
	if err != nil {
		return err
	}
	logf := func(format string, args ...any) { fmt.Fprintf(s.Stderr, "molecule-ci: "+format+"\n", args...) }
	opts, err := probeOptions(f, services, env, logf)
	if err != nil {
		return err
	}
	res, err := probe.Run(ctx, opts)
	if err != nil {
		if late := (*probe.BeforeLastRunError)(nil); errors.As(err, &late) {
			return usagef("--now: %v", err)
		}
		if res == nil {
			return err
		}
		// The checks ran but the state could not be saved: show what was measured, then fail.
		logf("%v", err)
	}
	rerr := reportProbe(ctx, res, services, f, s, env)
	if err != nil && (rerr == nil || errors.Is(rerr, errFindings)) {
		return err // the state could not be saved: the tool failed, whatever the services
	}
	return rerr
}

// probeServices is the probe section a run uses, and where its services are written.
type probeServices struct {
	config config.ProbeConfig
	path   string
	// pos is a service's line and column in the config, by its index in config.Services; nil
	// for an --upptime file.
	pos func(int) (int, int)
	// identity is report.identity: how the tool signs what it files on GitHub.
	identity string
}

// loadProbeServices reads the probe: section (or the --upptime file), keeping the services of
// --env only.
func loadProbeServices(env Env, f probeFlags) (probeServices, error) {
	var ps probeServices
	if f.upptime != "" {
		path := absPath(env.WorkDir, f.upptime)
		data, err := fsutil.ReadRegular(path, upptimeMaxSize)
		if err != nil {
			return ps, &config.Error{Path: relPath(env.WorkDir, path), Msg: "cannot read: " + err.Error(), Err: err}
		}
		ps.path = relPath(env.WorkDir, path)
		if ps.config, err = config.ParseUpptime(ps.path, data); err != nil {
			return ps, err
		}
	} else {
		cfg, err := loadConfig(env, f.config)
		if err != nil {
			return ps, err
		}
		if cfg.Path == "" {
			return ps, usagef("probe: no .molecule-ci.yml with a probe: section here; pass --config FILE or --upptime FILE")
		}
		ps.config, ps.path, ps.identity = cfg.Probe, relPath(env.WorkDir, cfg.Path), cfg.Report.Identity
		ps.pos = func(i int) (int, int) {
			p := cfg.KeyPos(fmt.Sprintf("probe.services[%d]", i))
			return p.Line, p.Col
		}
	}
	if f.env != "" {
		if err := ps.only(f.env); err != nil {
			return ps, err
		}
	}
	if len(ps.config.Services) == 0 {
		return ps, &config.Error{Path: ps.path, Msg: "probe.services: no services to probe"}
	}
	return ps, nil
}

// only keeps the services of one environment; their positions stay those of the full list.
func (ps *probeServices) only(envName string) error {
	var kept []config.ProbeService
	var envs []string
	for _, svc := range ps.config.Services {
		if svc.Env == envName {
			kept = append(kept, svc)
		}
		if !slices.Contains(envs, svc.Env) {
			envs = append(envs, svc.Env)
		}
	}
	if len(kept) == 0 {
		return usagef("--env %q: no service in that environment (valid: %s)", envName, strings.Join(envs, ", "))
	}
	if full := ps.pos; full != nil {
		idx := map[string]int{}
		for i, svc := range ps.config.Services {
			idx[svc.Slug] = i
		}
		ps.pos = func(i int) (int, int) { return full(idx[kept[i].Slug]) }
	}
	ps.config.Services = kept
	return nil
}

// probeOptions turns the flags, the probe section and the environment into probe.Options: the
// tokens (masked for the runner), the GitHub clients, the store, the incident tracker and the
// pager. Everything the command reads from the environment is read here, through env.Actions.
func probeOptions(f probeFlags, ps probeServices, env Env, logf func(string, ...any)) (probe.Options, error) {
	gha, pc := env.Actions, ps.config
	tokens := probe.Tokens{
		Vercel: gha.Getenv("VERCEL_TOKEN"),
		Fly:    gha.Getenv("FLY_API_TOKEN"),
		GitHub: gha.Getenv("GITHUB_TOKEN"),
	}
	tgToken, tgChat, pkgToken := gha.Getenv("TELEGRAM_BOT_TOKEN"), gha.Getenv("TELEGRAM_CHAT_ID"), gha.Getenv("PACKAGES_TOKEN")
	// Secrets passed as secrets.* are masked by the runner already; masking again covers tokens
	// set some other way, and the values headers-from-env reads, which are secrets too. Not with
	// --format json, whose stdout must be the document alone.
	if gha.InActions() && f.format != "json" {
		for _, t := range append([]string{tokens.Vercel, tokens.Fly, tokens.GitHub, tgToken, pkgToken}, probe.SecretValues(pc, gha.Getenv)...) {
			if t != "" {
				gha.AddMask(t)
			}
		}
	}
	gctx, _ := gha.Context()
	if gctx.Token != "" {
		tokens.GitHub = gctx.Token
	}
	opts := probe.Options{
		Config: pc, Getenv: gha.Getenv, Tokens: tokens,
		VercelAPI: f.vercelAPI, FlyAPI: f.flyAPI, Logf: logf, RunURL: gctx.RunURL(),
	}
	if !f.now.IsZero() {
		now := f.now
		opts.Now, opts.Replay = func() time.Time { return now }, true
	}
	if f.site != "" {
		opts.Site = absPath(env.WorkDir, f.site)
	}
	if err := connectGitHub(&opts, f, gctx, pkgToken, ps.identity, env, logf); err != nil {
		return opts, err
	}
	if f.page == "auto" {
		if tgToken != "" && tgChat != "" {
			opts.Pager = &probe.Telegram{Token: tgToken, ChatID: tgChat, API: f.telegramAPI}
		} else if opts.Store != nil {
			logf("Telegram pages off: no $TELEGRAM_BOT_TOKEN or $TELEGRAM_CHAT_ID set")
		}
	}
	return opts, nil
}

// connectGitHub sets what the run asks of GitHub: the packages the ghcr check lists, the data
// branch or directory the state is kept in, and the repository incidents are filed in.
func connectGitHub(opts *probe.Options, f probeFlags, gctx ghaction.Context, pkgToken, identity string, env Env, logf func(string, ...any)) error {
	var client *github.Client
	if opts.Tokens.GitHub != "" {
		var err error
		if client, err = github.NewClient(opts.Tokens.GitHub, gctx.APIURL, github.WithLogf(logf), github.WithIdentity(identity)); err != nil {
			return err
		}
		opts.Packages = client
	}
	// A workflow's GITHUB_TOKEN cannot list an organisation's packages; PACKAGES_TOKEN (read:packages)
	// can, and is used for the ghcr check only.
	if pkgToken != "" {
		pkgClient, err := github.NewClient(pkgToken, gctx.APIURL, github.WithLogf(logf))
		if err != nil {
			return err
		}
		opts.Packages, opts.Tokens.GitHub = pkgClient, pkgToken
	}
	pc := opts.Config
	owner, repo := gctx.Owner, gctx.Repo
	if pc.Repository != "" {
		owner, repo, _ = strings.Cut(pc.Repository, "/")
	}
	switch {
	case f.stateDir != "":
		opts.Store = probe.DirStore{Dir: absPath(env.WorkDir, f.stateDir)}
	case f.stateBranch != "":
		if client == nil || owner == "" {
			return usagef("--state-branch needs GITHUB_TOKEN and GITHUB_REPOSITORY (or probe.repository)")
		}
		opts.Store = branchStore{&github.DataBranch{Client: client, Owner: owner, Repo: repo, Branch: f.stateBranch}}
	}
	switch {
	case f.issues == "off":
	case client != nil && owner != "" && opts.Store != nil:
		opts.Issues = issueTracker{client, owner, repo}
	case f.issues == "on":
		return usagef("--issues on: needs GITHUB_TOKEN, a repository (GITHUB_REPOSITORY or probe.repository) and --state or --state-branch")
	}
	return nil
}

// reportProbe writes the run in the chosen format, and in GitHub Actions its job summary and step
// outputs: status (the worst state shown), and how many services are down, failing (not yet
// confirmed down) and probed. It returns errFindings when the run fails the step.
func reportProbe(ctx context.Context, res *probe.Result, ps probeServices, f probeFlags, s Streams, env Env) error {
	rep := res.Report(ps.path, ps.pos)
	rep.Tool, rep.Version = "molecule-ci", Version()
	// probe publishes no check run: its incidents are issues, and it runs on a schedule.
	po := publishOptions{format: f.format, checks: "off", color: "never"}
	if err := writeOutputs(ctx, rep, po, res.Failed(), s, env); err != nil {
		return err
	}
	return finish(rep, res.Failed(), []output{
		{"status", string(res.Worst())}, {"down", strconv.Itoa(res.Count(probe.Down))},
		{"failing", strconv.Itoa(res.Count(probe.Failing))}, {"services", strconv.Itoa(len(res.Services))},
	}, env)
}

// branchStore adapts a GitHub data branch to probe.Store.
type branchStore struct{ b *github.DataBranch }

func (s branchStore) Load(ctx context.Context) (probe.Snapshot, error) {
	files, paths, version, err := s.b.Load(ctx, probe.Loaded)
	var stored []string
	for _, p := range paths {
		if probe.Stored(p) {
			stored = append(stored, p)
		}
	}
	return probe.Snapshot{Version: version, Files: files, Paths: stored}, err
}

func (s branchStore) Save(ctx context.Context, base string, files map[string][]byte, message string) (string, error) {
	v, err := s.b.Save(ctx, base, files, message)
	if errors.Is(err, github.ErrRefMoved) {
		return "", fmt.Errorf("%w: %v", probe.ErrConflict, err)
	}
	return v, err
}

// issueTracker adapts the GitHub client to probe.Issues for one repository.
type issueTracker struct {
	c           *github.Client
	owner, repo string
}

func (t issueTracker) FindOpen(ctx context.Context, labels []string) ([]probe.Issue, error) {
	list, err := t.c.FindOpenIssues(ctx, t.owner, t.repo, labels)
	out := make([]probe.Issue, len(list))
	for i, is := range list {
		out[i] = probe.Issue{Number: is.Number, URL: is.URL}
	}
	return out, err
}

func (t issueTracker) Create(ctx context.Context, title, body string, labels []string) (probe.Issue, error) {
	is, err := t.c.CreateIssue(ctx, t.owner, t.repo, title, body, labels)
	return probe.Issue{Number: is.Number, URL: is.URL}, err
}

func (t issueTracker) Comment(ctx context.Context, number int, body string) error {
	return t.c.CommentIssue(ctx, t.owner, t.repo, number, body)
}

func (t issueTracker) Close(ctx context.Context, number int, reason string) error {
	return t.c.CloseIssue(ctx, t.owner, t.repo, number, reason)
}
