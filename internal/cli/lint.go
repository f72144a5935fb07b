package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/workflow"
)

const lintSummary = `Lint GitHub/Gitea workflows, action metadata (action.yml), Dockerfiles and .molecule-ci.yml
under each PATH (default: the current directory), with actionlint, BuildKit's Dockerfile checks
and the organisation's rules. A PATH may also name single files.`

func runLint(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("lint", "[PATH...]", lintSummary, s.Stderr)
	var po publishOptions
	po.register(flags)
	configPath := flags.String("config", "", "config file (default: .molecule-ci.yml in the working directory, if present)")
	shellcheck := flags.String("shellcheck", "", "shellcheck for run: scripts: auto (if on PATH), off, or the executable (default from config, else auto)")
	pyflakes := flags.String("pyflakes", "", "pyflakes for python run: scripts: auto, off, or the executable (default from config, else auto)")
	cacheDir := flags.String("cache-dir", "", "where shellcheck/pyflakes results are cached (default: the user cache dir)")
	noCache := flags.Bool("no-cache", false, "do not read or write the script-check cache")
	jobs := flags.Int("j", 0, "files linted at once (default: number of CPUs)")
	listRules := flags.Bool("list-rules", false, "list every rule with its default severity and why it exists, then exit")
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

	cfg, err := loadConfig(env, *configPath)
	if err != nil {
		return err
	}
	lc := cfg.Lint
	opts := lint.Options{
		WorkDir: env.WorkDir,
		Paths:   paths,
		Ignore:  append(slices.Clip(lc.Ignore), actionSelfIgnore(env)...),
		Jobs:    firstNonZero(*jobs, lc.Jobs),
		Rules:   map[string]lint.RuleConfig{},
		Workflow: workflow.Options{
			Org:                lc.Org,
			PinPolicy:          lc.Pinning.Policy,
			TrustedOwners:      lc.Pinning.TrustedOwners,
			MergeQueueBranches: lc.MergeQueueBranches,
			RunnerLabels:       lc.RunnerLabels,
			WorkDir:            env.WorkDir,
		},
		DockerAllowRoot:     lc.Docker.AllowRoot,
		DockerPrivilegeDrop: lc.Docker.PrivilegeDrop,
	}
	for id, rc := range lc.Rules {
		if !lint.KnownRule(id) {
			return &config.Error{Path: relPath(env.WorkDir, cfg.Path), Line: rc.Pos.Line, Col: rc.Pos.Col,
				Msg: fmt.Sprintf("unknown rule %q in lint.rules (run `molecule-ci lint --list-rules`)", id)}
		}
		opts.Rules[id] = lint.RuleConfig{Severity: rc.Severity, Disabled: rc.Disabled, Ignore: rc.Ignore}
	}
	if opts.Scripts.Shellcheck, err = resolveTool("shellcheck", firstNonEmpty(*shellcheck, configTool(cfg, lc.Shellcheck), "auto")); err != nil {
		return err
	}
	if opts.Scripts.Pyflakes, err = resolveTool("pyflakes", firstNonEmpty(*pyflakes, configTool(cfg, lc.Pyflakes), "auto")); err != nil {
		return err
	}
	if !*noCache {
		opts.Scripts.CacheDir = resolveCacheDir(firstNonEmpty(*cacheDir, lc.CacheDir), env)
	}

	for _, p := range paths {
		if _, err := os.Stat(absPath(env.WorkDir, p)); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return usagef("cannot lint %s: %v", p, err)
		}
	}
	rep, err := lint.Run(ctx, opts)
	if err != nil {
		return err
	}
	rep.Tool, rep.Version = "molecule-ci", Version()
	return publish(ctx, rep, po, s, env)
}

// configTool makes a tool path written in the config file relative to the file's directory;
// auto and off stay as they are.
func configTool(cfg *config.Config, setting string) string {
	if strings.Contains(setting, "/") {
		return cfg.Resolve(setting)
	}
	return setting
}

// resolveTool turns auto/off/a path into the executable to run ("" = do not run). auto quietly
// does without a tool that is not installed; a tool named explicitly must exist.
func resolveTool(name, setting string) (string, error) {
	switch setting {
	case "off":
		return "", nil
	case "auto":
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		return "", nil
	}
	p, err := exec.LookPath(setting)
	if err != nil {
		return "", usagef("--%s %q: %v", name, setting, err)
	}
	return p, nil
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
func actionSelfIgnore(env Env) []string {
	p := env.Actions.Getenv("GITHUB_ACTION_PATH")
	if p == "" || env.WorkDir == "" || !filepath.IsAbs(p) {
		return nil
	}
	rel, err := filepath.Rel(env.WorkDir, filepath.Clean(p))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	return []string{filepath.ToSlash(rel)}
}
