package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/scriptcheck"
	"github.com/Molecule-AI/molecule-ci/internal/lint/workflow"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

const lintSummary = `Lint GitHub/Gitea workflows, action metadata (action.yml), Dockerfiles and .molecule-ci.yml
under each PATH (default: the current directory), with actionlint, BuildKit's Dockerfile checks
and the organisation's rules. A PATH may also name single files. Each PATH is linted with the
.molecule-ci.yml of its repository (the nearest directory above it holding .git).`

func runLint(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("lint", "[PATH...]", lintSummary, s.Stderr)
	var po publishOptions
	po.register(flags)
	configPath := flags.String("config", "", "config file for every PATH (default: .molecule-ci.yml at the root of each PATH's repository, if present)")
	shellcheck := flags.String("shellcheck", "", "shellcheck for run: scripts: auto (if on PATH), off, or the executable (default from config, else auto)")
	pyflakes := flags.String("pyflakes", "", "pyflakes for python run: scripts: auto, off, or the executable (default from config, else auto)")
	cacheDir := flags.String("cache-dir", "", "where shellcheck/pyflakes results are cached (default: the user cache dir)")
	noCache := flags.Bool("no-cache", false, "do not read or write the script-check cache")
	jobs := flags.Int("j", 0, "files linted at once (default: number of CPUs)")
	maxSize := flags.String("max-file-size", "", "largest file read, in bytes or with a KiB/MiB/GiB suffix (default from config, else 8MiB)")
	trustTools := flags.Bool("trust-repo-tools", false, "run a shellcheck/pyflakes that the repository's config points at inside the repository (never on pull_request_target)")
	listRules := flags.Bool("list-rules", false, "list every rule with its default severity and why it exists, then exit")
	cf := registerContractFlags(flags) // lint_contracts.go
	bf := registerBaselineFlags(flags) // lint_baseline.go
	paths, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if *listRules {
		for _, r := range lint.Rules() {
			fmt.Fprintf(s.Stdout, "%-28s %-8s %s\n", r.ID, r.Severity, r.Doc)
		}
		return nil
	}
	if err := po.validate(); err != nil {
		return err
	}
	if *jobs < 0 {
		return usagef("-j: must be 0 (one per CPU) or more, got %d", *jobs)
	}
	var flagMax int64
	if *maxSize != "" {
		if flagMax, err = parseSize(*maxSize); err != nil {
			return usagef("--max-file-size: %v", err)
		}
	}

	var explicitCfg *config.Config
	if *configPath != "" {
		if explicitCfg, err = loadConfig(env, *configPath); err != nil {
			return err
		}
	}
	groups, err := groupByRepository(env.WorkDir, paths)
	if err != nil {
		return err
	}
	toolEnv := map[string]string{}
	for _, name := range scriptcheck.ToolEnv {
		toolEnv[name] = env.Actions.Getenv(name)
	}
	trust := toolTrust{flag: *trustTools, event: env.Actions.Getenv("GITHUB_EVENT_NAME")}
	run, err := env.Actions.Repository()
	if err != nil {
		return usagef("lint: %v", err)
	}
	lintCtx, loaded := bf.load(ctx, env) // lint_baseline.go: read beside the run

	var reports []*report.Report
	calls := &lintCalls{env: env, stderr: s.Stderr}
	if !*noCache {
		calls.cache = resolveCacheDir(*cacheDir, env)
	}
	for _, g := range groups {
		cfg := explicitCfg
		if cfg == nil {
			if cfg, err = loadRepoConfig(env, g.root); err != nil {
				return err
			}
		}
		resolver, err := calls.resolver(cfg)
		if err != nil {
			return err
		}
		opts, err := lintOptions(cfg, g, env, lintFlags{
			jobs: *jobs, maxSize: flagMax, shellcheck: *shellcheck, pyflakes: *pyflakes,
			cacheDir: *cacheDir, noCache: *noCache, toolEnv: toolEnv, trust: trust, run: run, calls: resolver,
		})
		if err != nil {
			return err
		}
		if opts.Contracts, err = cf.options(cfg.Lint.Contract); err != nil { // lint_contracts.go
			return err
		}
		rep, err := lint.Run(lintCtx, opts)
		if err != nil {
			if _, berr := loaded.wait(); berr != nil {
				return berr // a bad baseline stopped the run
			}
			var pe *lint.PathError
			var ue *lint.UnknownFileError
			if errors.As(err, &pe) || errors.As(err, &ue) {
				return usagef("cannot lint %v", err)
			}
			return contractRunError(err) // lint_contracts.go
		}
		reports = append(reports, rep)
	}
	rep := mergeReports(reports)
	rep.Tool, rep.Version = "molecule-ci", Version()
	if err := bf.apply(rep, loaded, firstNonZero64(flagMax, lint.DefaultMaxFileSize), env, s); err != nil { // lint_baseline.go
		return err
	}
	return publish(ctx, rep, po, s, env)
}

// lintFlags are the command-line settings that apply to every repository.
type lintFlags struct {
	jobs                 int
	maxSize              int64
	shellcheck, pyflakes string
	cacheDir             string
	noCache              bool
	toolEnv              map[string]string
	trust                toolTrust
	// run is the repository the Actions run is for (GITHUB_REPOSITORY, the event payload).
	run ghaction.Repository
	// calls finds the callees of reusable-workflow calls (reusable.go); nil: local callees only.
	calls *reusable.Resolver
}

// lintOptions builds the options for one repository's paths from its config and the flags.
func lintOptions(cfg *config.Config, g repoGroup, env Env, f lintFlags) (lint.Options, error) {
	lc := cfg.Lint
	opts := lint.Options{
		WorkDir:     env.WorkDir,
		Paths:       g.paths,
		Root:        g.root,
		Ignore:      append(slices.Clip(lc.Ignore), actionSelfIgnore(env, g.root)...),
		Jobs:        firstNonZero(f.jobs, lc.Jobs),
		MaxFileSize: firstNonZero64(f.maxSize, lc.MaxFileSize, config.DefaultLintMaxFileSize),
		Rules:       map[string]lint.RuleConfig{},
		Workflow: workflow.Options{
			Org:                lintOrg(lc.Org, g.root, env, f.run),
			PrivateRepository:  privateRepository(lc.Repository.Private, g.root, env, f.run),
			PinPolicy:          lc.Pinning.Policy,
			RefuseMajorTags:    lc.Pinning.MajorTags == config.MajorTagsRefuse,
			TrustedOwners:      lc.Pinning.TrustedOwners,
			MergeQueueBranches: lc.MergeQueueBranches,
			RunnerLabels:       lc.RunnerLabels,
			WorkDir:            env.WorkDir,
			Root:               g.root,
			Repository:         callerRepository(g.root, env, f),
			Calls:              f.calls,
		},
		DockerAllowRoot:     lc.Docker.AllowRoot,
		DockerPrivilegeDrop: lc.Docker.PrivilegeDrop,
	}
	for id, rc := range lc.Rules {
		if !lint.KnownRule(id) {
			return opts, &config.Error{Path: relPath(env.WorkDir, cfg.Path), Line: rc.Pos.Line, Col: rc.Pos.Col,
				Msg: fmt.Sprintf("unknown rule %q in lint.rules (run `molecule-ci lint --list-rules`)", id)}
		}
		opts.Rules[id] = lint.RuleConfig{Severity: rc.Severity, Disabled: rc.Disabled, Ignore: rc.Ignore,
			Path: relPath(env.WorkDir, cfg.Path), Line: rc.Pos.Line, Col: rc.Pos.Col}
	}
	var err error
	if opts.Scripts.Shellcheck, err = resolveTool("shellcheck", f.shellcheck, cfg, lc.Shellcheck, g.root, f.trust, env); err != nil {
		return opts, err
	}
	if opts.Scripts.Pyflakes, err = resolveTool("pyflakes", f.pyflakes, cfg, lc.Pyflakes, g.root, f.trust, env); err != nil {
		return opts, err
	}
	if !f.noCache {
		dir := f.cacheDir
		if dir == "" && lc.CacheDir != "" {
			dir = cfg.Resolve(lc.CacheDir)
		}
		opts.Scripts.CacheDir = resolveCacheDir(dir, env)
	}
	opts.Scripts.Timeout = lc.ToolTimeout
	if opts.Scripts.Timeout == 0 {
		opts.Scripts.Timeout = config.DefaultLintToolTimeout
	}
	switch lc.ToolMemory {
	case 0:
		opts.Scripts.MemoryLimit = config.DefaultLintToolMemory
	case -1:
		opts.Scripts.MemoryLimit = -1
	default:
		opts.Scripts.MemoryLimit = lc.ToolMemory
	}
	opts.Scripts.Env = f.toolEnv
	return opts, nil
}

// DefaultOrg is the organisation lint.org falls back to when neither the run nor the repository
// names an owner.
const DefaultOrg = "Molecule-AI"

// lintOrg is "the organisation" of a repository's rules: lint.org when the config sets it, else
// the repository's owner — GITHUB_REPOSITORY's when the repository is the run's workspace, else
// the owner in its origin remote — else DefaultOrg.
func lintOrg(configured, root string, env Env, run ghaction.Repository) string {
	if configured != "" {
		return configured
	}
	if run.Owner != "" && isRunWorkspace(root, env) {
		return run.Owner
	}
	if o := lint.OriginOwner(root); o != "" {
		return o
	}
	return DefaultOrg
}

// privateRepository says whether a repository is known to be private: lint.repository.private
// when set, else the event payload's repository.private for the run's own workspace; unknown
// means public, which keeps the rules about public repositories on.
func privateRepository(configured *bool, root string, env Env, run ghaction.Repository) bool {
	if configured != nil {
		return *configured
	}
	return run.Private != nil && *run.Private && isRunWorkspace(root, env)
}

// isRunWorkspace reports whether root is the repository the Actions run checked out
// (GITHUB_WORKSPACE), or there is no run to tell otherwise.
func isRunWorkspace(root string, env Env) bool {
	ws := env.Actions.Getenv("GITHUB_WORKSPACE")
	if ws == "" {
		return true
	}
	a, errA := filepath.Abs(ws)
	b, errB := filepath.Abs(root)
	return errA == nil && errB == nil && filepath.Clean(a) == filepath.Clean(b)
}

// repoGroup is the paths of one repository, linted with that repository's config.
type repoGroup struct {
	root  string
	paths []string // nil: the working directory
}

// groupByRepository finds each path's repository root (the nearest directory holding .git,
// else the working directory) and groups the paths by it, in the order first named. A path that
// does not exist is a usage error here, before any config is read.
func groupByRepository(workDir string, paths []string) ([]repoGroup, error) {
	if len(paths) == 0 {
		return []repoGroup{{root: repoRoot(workDir, workDir)}}, nil
	}
	var groups []repoGroup
	for _, p := range paths {
		abs := absPath(workDir, p)
		st, err := os.Stat(abs)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, usagef("cannot lint %s: %v", p, err)
		}
		dir := abs
		if !st.IsDir() {
			dir = filepath.Dir(abs)
		}
		root := repoRoot(dir, workDir)
		i := slices.IndexFunc(groups, func(g repoGroup) bool { return g.root == root })
		if i < 0 {
			groups = append(groups, repoGroup{root: root})
			i = len(groups) - 1
		}
		groups[i].paths = append(groups[i].paths, p)
	}
	return groups, nil
}

// repoRoot is the nearest directory at or above dir that holds .git (a directory, or a file in
// a worktree or submodule); fallback when there is none.
func repoRoot(dir, fallback string) string {
	for d := filepath.Clean(dir); ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return filepath.Clean(fallback)
		}
		d = parent
	}
}

// loadRepoConfig loads the .molecule-ci.yml at a repository root (defaults when there is none),
// with paths in errors relative to the working directory.
func loadRepoConfig(env Env, root string) (*config.Config, error) {
	cfg, err := config.Load(root, "")
	for _, e := range config.AsErrors(err) {
		e.Path = relPath(env.WorkDir, e.Path)
	}
	return cfg, err
}

// mergeReports joins the reports of several repositories into one.
func mergeReports(reps []*report.Report) *report.Report {
	if len(reps) == 1 {
		return reps[0]
	}
	out := &report.Report{Command: "lint", Rules: lint.Rules(), Sources: map[string][]byte{}}
	var all []report.Finding
	out.Scope = reps[0].Scope
	for i, r := range reps {
		if i > 0 {
			out.Scope = out.Scope.Merge(r.Scope)
		}
		all = append(all, r.Findings...)
		out.FilesChecked += r.FilesChecked
		maps.Copy(out.Sources, r.Sources)
	}
	out.Findings = report.Sort(all)
	return out
}

// toolTrust decides whether a checker that lives inside the linted repository may run.
type toolTrust struct {
	flag  bool   // --trust-repo-tools
	event string // GITHUB_EVENT_NAME
}

// resolveTool turns the flag or config setting (auto/off/a path) into the executable to run
// ("" = do not run). auto quietly does without a tool that is not installed; a tool named
// explicitly must exist. A tool the config points at inside the repository is code from the
// repository: it runs only with --trust-repo-tools, and never on pull_request_target, whose
// token can write while the files may come from the pull request.
func resolveTool(name, flagValue string, cfg *config.Config, setting, root string, trust toolTrust, env Env) (string, error) {
	fromConfig := flagValue == ""
	value := flagValue
	if fromConfig {
		value = firstNonEmpty(setting, config.ToolAuto)
		if strings.Contains(value, "/") {
			value = cfg.Resolve(value)
		}
	}
	switch value {
	case config.ToolOff:
		return "", nil
	case config.ToolAuto:
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		return "", nil
	}
	// Decided before the file is even looked up: a repository's checker is not run, nor stat'd,
	// unless trusted.
	if fromConfig && strings.Contains(value, "/") && insideRepo(absPath(env.WorkDir, value), root, cfg.Dir) {
		where := relPath(env.WorkDir, cfg.Path)
		switch {
		case trust.event == "pull_request_target":
			return "", usagef("%s: lint.%s %q is inside the repository; molecule-ci never runs a repository's own checker on pull_request_target (the files may come from the pull request, the token can write): use the checker on the runner (lint.%s: auto)", where, name, setting, name)
		case !trust.flag:
			return "", usagef("%s: lint.%s %q is inside the repository, so running it would run the repository's code; pass --trust-repo-tools when the config comes from a trusted branch, or use the checker on the runner (lint.%s: auto)", where, name, setting, name)
		}
	}
	p, err := exec.LookPath(value)
	if err != nil {
		return "", usagef("--%s %q: %v", name, value, err)
	}
	return p, nil
}

// insideRepo reports whether the executable p (symlinks resolved) lies under the repository
// root or the config's directory.
func insideRepo(p string, dirs ...string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		real = p
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r
		}
		if rel, err := filepath.Rel(abs, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// parseSize reads a byte count: digits with an optional KiB, MiB or GiB (or K, M, G) suffix.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}}
	num, mult := s, int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q (want a positive number of bytes, optionally with KiB, MiB or GiB)", s)
	}
	return n * mult, nil
}

// resolveCacheDir follows os.UserCacheDir's rules on Linux and macOS, reading the environment
// through env so tests control it. No HOME (some containers) means no cache, not a failure.
func resolveCacheDir(dir string, env Env) string {
	if dir != "" {
		return absPath(env.WorkDir, dir)
	}
	if xdg := env.Actions.Getenv("XDG_CACHE_HOME"); xdg != "" {
		return filepath.Join(xdg, "molecule-ci")
	}
	if home := env.Actions.Getenv("HOME"); home != "" {
		if runtime.GOOS == "darwin" {
			return filepath.Join(home, "Library", "Caches", "molecule-ci")
		}
		return filepath.Join(home, ".cache", "molecule-ci")
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func firstNonZero(vs ...int) int {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

// actionSelfIgnore keeps lint out of the copy of molecule-ci that is running it: a reusable
// workflow checks molecule-ci out inside the caller's workspace (.molecule-ci-action, see
// action.yml) and its test fixtures are defective on purpose. Only a strict subdirectory of the
// working directory is left out, so `uses: ./` in molecule-ci's own repository still lints it all.
// The glob is relative to the repository root, like every ignore glob.
func actionSelfIgnore(env Env, root string) []string {
	p := env.Actions.Getenv("GITHUB_ACTION_PATH")
	if p == "" || env.WorkDir == "" || !filepath.IsAbs(p) {
		return nil
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(env.WorkDir, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	if rel, err = filepath.Rel(root, p); err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	return []string{filepath.ToSlash(rel)}
}

func firstNonZero64(vs ...int64) int64 {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}
