package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
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

var probeFormats = []string{"human", "json", "github"}

// upptimeMaxSize bounds an --upptime file.
const upptimeMaxSize = 4 << 20

func runProbe(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("probe", "", probeSummary, s.Stderr)
	format := flags.String("format", "", "output: human, json, github (default: github in GitHub Actions, else human)")
	configPath := flags.String("config", "", "config file (default: .molecule-ci.yml, if present)")
	upptime := flags.String("upptime", "", "read the services from this Upptime .upptimerc.yml instead of the probe: section")
	envName := flags.String("env", "", "probe only the services of this environment (e.g. production, staging)")
	stateDir := flags.String("state", "", "keep state and history in this directory")
	stateBranch := flags.String("state-branch", "", "keep state and history on this branch of the repository, through the GitHub API (compare-and-swap on the branch)")
	site := flags.String("site", "", "write the status page, api/v1/status.json, summary.json and badges to this directory")
	issues := flags.String("issues", "auto", "incident issues: auto (with a token and stored state), on, off")
	page := flags.String("page", "auto", "Telegram pages: auto (when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set), off")
	vercelAPI := flags.String("vercel-api", "", "Vercel API base URL (default "+probe.DefaultVercelAPI+")")
	flyAPI := flags.String("fly-api", "", "Fly Machines API base URL (default "+probe.DefaultFlyAPI+")")
	telegramAPI := flags.String("telegram-api", "", "Telegram Bot API base URL (default "+probe.DefaultTelegramAPI+")")
	nowFlag := flags.String("now", "", "judge the run as of this time, RFC 3339 (replaying a schedule; default: now)")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("probe: unexpected argument %q", rest[0])
	}
	if *format != "" && !slices.Contains(probeFormats, *format) {
		return usagef("unknown format %q (valid: %s)", *format, strings.Join(probeFormats, ", "))
	}
	for name, v := range map[string]string{"--issues": *issues, "--page": *page} {
		valid := []string{"auto", "on", "off"}
		if name == "--page" {
			valid = []string{"auto", "off"}
		}
		if !slices.Contains(valid, v) {
			return usagef("unknown %s %q (valid: %s)", name, v, strings.Join(valid, ", "))
		}
	}
	var now time.Time
	if *nowFlag != "" {
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return usagef("--now %q: want a time like 2026-12-01T14:30:00Z", *nowFlag)
		}
	}
	if *stateDir != "" && *stateBranch != "" {
		return usagef("--state and --state-branch: give one")
	}

	var pc config.ProbeConfig
	cfgPath, identity := "", ""
	var pos func(int) (int, int)
	if *upptime != "" {
		path := absPath(env.WorkDir, *upptime)
		data, err := fsutil.ReadRegular(path, upptimeMaxSize)
		if err != nil {
			return &config.Error{Path: relPath(env.WorkDir, path), Msg: "cannot read: " + err.Error(), Err: err}
		}
		cfgPath = relPath(env.WorkDir, path)
		if pc, err = config.ParseUpptime(cfgPath, data); err != nil {
			return err
		}
	} else {
		cfg, err := loadConfig(env, *configPath)
		if err != nil {
			return err
		}
		pc, identity = cfg.Probe, cfg.Report.Identity
		cfgPath = relPath(env.WorkDir, cfg.Path)
		if cfg.Path == "" {
			return usagef("probe: no .molecule-ci.yml with a probe: section here; pass --config FILE or --upptime FILE")
		}
		pos = func(i int) (int, int) {
			p := cfg.KeyPos(fmt.Sprintf("probe.services[%d]", i))
			return p.Line, p.Col
		}
	}
	if *envName != "" {
		var kept []config.ProbeService
		var envs []string
		for _, svc := range pc.Services {
			if svc.Env == *envName {
				kept = append(kept, svc)
			}
			if !slices.Contains(envs, svc.Env) {
				envs = append(envs, svc.Env)
			}
		}
		if len(kept) == 0 {
			return usagef("--env %q: no service in that environment (valid: %s)", *envName, strings.Join(envs, ", "))
		}
		// Positions stay those of the full list: remap by name.
		if pos != nil {
			full := pos
			idx := map[string]int{}
			for i, svc := range pc.Services {
				idx[svc.Slug] = i
			}
			slugs := make([]string, len(kept))
			for i, svc := range kept {
				slugs[i] = svc.Slug
			}
			pos = func(i int) (int, int) { return full(idx[slugs[i]]) }
		}
		pc.Services = kept
	}
	if len(pc.Services) == 0 {
		return &config.Error{Path: cfgPath, Msg: "probe.services: no services to probe"}
	}

	gha := env.Actions
	logf := func(format string, args ...any) { fmt.Fprintf(s.Stderr, "molecule-ci: "+format+"\n", args...) }
	tokens := probe.Tokens{
		Vercel: gha.Getenv("VERCEL_TOKEN"),
		Fly:    gha.Getenv("FLY_API_TOKEN"),
		GitHub: gha.Getenv("GITHUB_TOKEN"),
	}
	tgToken, tgChat := gha.Getenv("TELEGRAM_BOT_TOKEN"), gha.Getenv("TELEGRAM_CHAT_ID")
	// Secrets passed as secrets.* are masked by the runner already; masking again covers tokens
	// set some other way. Not with --format json, whose stdout must be the document alone.
	if gha.InActions() && *format != "json" {
		for _, t := range append([]string{tokens.Vercel, tokens.Fly, tokens.GitHub, tgToken, gha.Getenv("PACKAGES_TOKEN")}, probe.SecretValues(pc, gha.Getenv)...) {
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
		VercelAPI: *vercelAPI, FlyAPI: *flyAPI, Logf: logf, RunURL: gctx.RunURL(),
	}
	if !now.IsZero() {
		opts.Now, opts.Replay = func() time.Time { return now }, true
	}
	if *site != "" {
		opts.Site = absPath(env.WorkDir, *site)
	}

	var client *github.Client
	if tokens.GitHub != "" {
		client, err = github.NewClient(tokens.GitHub, gctx.APIURL, github.WithLogf(logf), github.WithIdentity(identity))
		if err != nil {
			return err
		}
		opts.Packages = client
	}
	// A workflow's GITHUB_TOKEN cannot list an organisation's packages; PACKAGES_TOKEN (read:packages)
	// can, and is used for the ghcr check only.
	if pt := gha.Getenv("PACKAGES_TOKEN"); pt != "" {
		pc, err := github.NewClient(pt, gctx.APIURL, github.WithLogf(logf))
		if err != nil {
			return err
		}
		opts.Packages, opts.Tokens.GitHub = pc, pt
	}
	owner, repo := gctx.Owner, gctx.Repo
	if pc.Repository != "" {
		owner, repo, _ = strings.Cut(pc.Repository, "/")
	}
	switch {
	case *stateDir != "":
		opts.Store = probe.DirStore{Dir: absPath(env.WorkDir, *stateDir)}
	case *stateBranch != "":
		if client == nil || owner == "" {
			return usagef("--state-branch needs GITHUB_TOKEN and GITHUB_REPOSITORY (or probe.repository)")
		}
		opts.Store = branchStore{&github.DataBranch{Client: client, Owner: owner, Repo: repo, Branch: *stateBranch}}
	}
	switch {
	case *issues == "off":
	case client != nil && owner != "" && opts.Store != nil:
		opts.Issues = issueTracker{client, owner, repo}
	case *issues == "on":
		return usagef("--issues on: needs GITHUB_TOKEN, a repository (GITHUB_REPOSITORY or probe.repository) and --state or --state-branch")
	}
	if *page == "auto" {
		if tgToken != "" && tgChat != "" {
			opts.Pager = &probe.Telegram{Token: tgToken, ChatID: tgChat, API: *telegramAPI}
		} else if opts.Store != nil {
			logf("Telegram pages off: no $TELEGRAM_BOT_TOKEN or $TELEGRAM_CHAT_ID set")
		}
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
	rep := &report.Report{Tool: "molecule-ci", Version: Version(), Command: "probe",
		Findings: res.Findings(cfgPath, pos), FilesChecked: 1, Rules: probe.Rules}
	f := *format
	if f == "" {
		f = defaultFormat(publishOptions{}, env)
	}
	var out bytes.Buffer
	if werr := writeResult(&out, f, res, rep, report.Options{}, false, false); werr != nil {
		return werr
	}
	if _, werr := s.Stdout.Write(out.Bytes()); werr != nil {
		return werr
	}
	worst := probe.Up
	down := 0
	for _, svc := range res.Services {
		if svc.Status == probe.Down {
			down++
			worst = probe.Down
		} else if svc.Status != probe.Up && worst == probe.Up {
			worst = svc.Status
		}
	}
	if oerr := reportToActions(gha, res.Markdown, []output{
		{"status", string(worst)}, {"down", strconv.Itoa(down)}, {"services", strconv.Itoa(len(res.Services))},
	}); oerr != nil {
		return oerr
	}
	if err != nil {
		return err
	}
	if res.Failed() {
		return errFindings
	}
	return nil
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
