package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/build"
	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/lint/contract"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/tonistiigi/go-csvvalue"
)

const buildSummary = `Build the base image and every adapter built FROM it through a BuildKit daemon: bases first,
independent images in parallel, each built base handed straight to its dependants.

The images come from the build: section of .molecule-ci.yml in DIR (default: the current
directory), or by convention from DIR/Dockerfile (the base) and DIR/adapters/*/Dockerfile, named
<base-name>:base and <base-name>:<adapter> (build.base-name; default workspace-template in a
workspace template, else DIR's name). Contexts and Dockerfiles must stay inside the repository.
Progress goes to stderr; the result (a table, workflow commands or a JSON document) to stdout.
Exit 1 when an image failed, 2 on bad flags or config, 3 when the daemon cannot be reached.`

// defaultTemplateBaseName is build.base-name in a workspace template repository.
const defaultTemplateBaseName = "workspace-template"

// buildFormats are the --format values of build: its json is every command's document (each
// image's metadata, then the findings); SARIF has nothing to say about images.
var buildFormats = []string{"human", "json", "github"}

// stringList is a repeatable flag; split also accepts comma-separated values in one flag.
type stringList struct {
	values []string
	split  bool
}

func (l *stringList) String() string { return strings.Join(l.values, ",") }

func (l *stringList) Set(v string) error {
	if !l.split {
		l.values = append(l.values, v)
		return nil
	}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			l.values = append(l.values, p)
		}
	}
	return nil
}

// buildFlags are the flags of `molecule-ci build` that are not build.Options fields as they are.
type buildFlags struct {
	po           publishOptions
	config       string
	addr         string
	tls          build.TLS
	parallel     int
	failFast     bool
	noCache      bool
	only         stringList
	tags         stringList
	registry     string
	commit       string
	source       string
	created      string
	buildArgs    stringList
	platforms    stringList
	secrets      stringList
	push         bool
	insecure     bool
	outputs      stringList
	token        string
	user         string
	cacheFrom    stringList
	cacheTo      stringList
	changedSince string
	progress     string
	metadataFile string
}

func (f *buildFlags) register(fs *flag.FlagSet) {
	f.only.split, f.platforms.split = true, true
	fs.StringVar(&f.po.format, "format", "", "output format: "+strings.Join(buildFormats, ", ")+" (json: each image's metadata, then the findings; default: github in GitHub Actions, else human)")
	f.po.registerChecks(fs)
	fs.StringVar(&f.config, "config", "", "config `FILE` (default: .molecule-ci.yml in DIR, if present)")
	fs.StringVar(&f.addr, "addr", "", "BuildKit daemon address (default: $BUILDKIT_HOST, else "+build.DefaultAddr+")")
	fs.StringVar(&f.tls.CACert, "tlscacert", "", "CA certificate file of a tcp:// daemon")
	fs.StringVar(&f.tls.Cert, "tlscert", "", "client certificate file for a tcp:// daemon")
	fs.StringVar(&f.tls.Key, "tlskey", "", "client key file for a tcp:// daemon")
	fs.StringVar(&f.tls.ServerName, "tlsservername", "", "server name the daemon's certificate must have (default: the address's host)")
	fs.IntVar(&f.parallel, "parallel", 0, "images built at once (default: build.parallel in the config, else 4)")
	fs.BoolVar(&f.failFast, "fail-fast", false, "cancel the other images when one fails")
	fs.BoolVar(&f.noCache, "no-cache", false, "do not use BuildKit's cache")
	fs.Var(&f.only, "only", "build only image `NAME` (and, as inputs, what it builds on); repeatable or comma-separated")
	fs.Var(&f.tags, "tag", "tag `TEMPLATE`, e.g. {registry}/{repo}-{name}:sha-{sha7}; repeatable; replaces build.tags (default: the image's ref)")
	fs.StringVar(&f.registry, "registry", "", "fills {registry} in tag templates, e.g. ghcr.io/molecule-ai (default: build.registry)")
	fs.StringVar(&f.commit, "commit", "", "commit SHA for {sha}, {sha7} and the revision label (default: $GITHUB_SHA)")
	fs.StringVar(&f.source, "source", "", "repository URL for the source label (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY)")
	fs.StringVar(&f.created, "created", "", "RFC 3339 time for the created label (default: the commit's time in git, else now)")
	fs.Var(&f.buildArgs, "build-arg", "`KEY=VALUE` build arg for every image; repeatable (never for secrets: use --secret)")
	fs.Var(&f.platforms, "platform", "target `PLATFORM`, e.g. linux/amd64; repeatable or comma-separated (default: build.platforms, else the daemon's)")
	fs.Var(&f.secrets, "secret", "build secret `SPEC` for RUN --mount=type=secret: id=x,env=VAR or id=x,src=FILE; repeatable")
	fs.BoolVar(&f.push, "push", false, "push every tag to its registry")
	fs.BoolVar(&f.insecure, "insecure-registry", false, "allow pushing to plain-HTTP registries")
	fs.Var(&f.outputs, "output", "also write each image as `SPEC`: oci=DIR (an OCI layout DIR/<name>) or tar=DIR (DIR/<name>.tar); repeatable")
	fs.StringVar(&f.token, "registry-token", "", "registry password or token (default: $GITHUB_TOKEN, for ghcr.io only)")
	fs.StringVar(&f.user, "registry-user", "", "registry user for --registry-token (default: $GITHUB_ACTOR)")
	fs.Var(&f.cacheFrom, "cache-from", "cache `SPEC` to import: type=registry,ref=R | type=local,src=DIR | type=gha; repeatable; replaces build.cache-from")
	fs.Var(&f.cacheTo, "cache-to", "cache `SPEC` to export: type=registry,ref=R,mode=max | type=local,dest=DIR | type=gha; repeatable; replaces build.cache-to")
	fs.StringVar(&f.changedSince, "changed-since", "", "build only images whose inputs changed since this git `REF`, and what builds on them")
	fs.StringVar(&f.progress, "progress", "auto", "progress display on stderr: "+strings.Join(build.ProgressModes, ", ")+" (auto: tty on a terminal, else plain)")
	fs.StringVar(&f.metadataFile, "metadata-file", "", "write the metadata JSON (per image: refs, digest, status) to `FILE`")
}

func runBuild(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("build", "[DIR]", buildSummary, s.Stderr)
	var f buildFlags
	f.register(flags)
	positional, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	opts, cfg, err := buildOptions(ctx, &f, positional, s, env)
	if err != nil {
		return err
	}
	res, err := build.Run(ctx, opts)
	if err != nil {
		return buildError(err, opts.Dir, cfg, env)
	}
	if ctx.Err() != nil {
		// Interrupted: the images show as cancelled, but the run as a whole did not finish.
		return ctx.Err()
	}
	return publishBuild(ctx, res, opts.Dir, f, s, env)
}

// buildOptions turns flags, the config and the environment into build.Options. Everything the
// command reads from the environment is read here, through env.Actions.
func buildOptions(ctx context.Context, f *buildFlags, positional []string, s Streams, env Env) (build.Options, *config.Config, error) {
	var opts build.Options
	if err := f.po.validateFormat(buildFormats); err != nil {
		return opts, nil, err
	}
	if !slices.Contains(build.ProgressModes, f.progress) {
		return opts, nil, usagef("unknown --progress %q (valid: %s)", f.progress, strings.Join(build.ProgressModes, ", "))
	}
	if len(positional) > 1 {
		return opts, nil, usagef("build takes one DIR, got %d: %s", len(positional), strings.Join(positional, " "))
	}
	dir := env.WorkDir
	if len(positional) == 1 {
		dir = absPath(env.WorkDir, positional[0])
	}

	cfg, err := loadBuildConfig(env, dir, f.config)
	if err != nil {
		return opts, nil, err
	}
	bc := cfg.Build
	// The config's paths are relative to its file; without images or a context in it, the
	// convention looks in DIR.
	opts.Dir = dir
	if cfg.Path != "" && (len(bc.Images) > 0 || bc.Context != "") {
		opts.Dir = cfg.Dir
	}
	if bc.BaseName == "" && len(bc.Images) == 0 && bc.Single == nil &&
		contract.Detect(filepath.Join(opts.Dir, filepath.FromSlash(bc.Context))) == config.ContractWorkspaceTemplate {
		// The organisation's adapters say FROM workspace-template:base: in a workspace template
		// (recognised as the contract check recognises one) that is the base, whatever the
		// checkout's directory is called.
		bc.BaseName = defaultTemplateBaseName
	}
	opts.Config = &bc
	opts.Only = f.only.values
	opts.Addr = firstNonEmpty(f.addr, env.Actions.Getenv("BUILDKIT_HOST"), build.DefaultAddr)
	opts.TLS = build.TLS{
		CACert: absPath(env.WorkDir, f.tls.CACert), Cert: absPath(env.WorkDir, f.tls.Cert),
		Key: absPath(env.WorkDir, f.tls.Key), ServerName: f.tls.ServerName,
	}
	opts.InActions = env.Actions.InActions()
	opts.Parallel, opts.FailFast, opts.NoCache = f.parallel, f.failFast, f.noCache
	opts.Tags, opts.Registry = f.tags.values, f.registry
	opts.Platforms = f.platforms.values
	opts.Push, opts.Insecure = f.push, f.insecure
	opts.CacheFrom, opts.CacheTo = f.cacheFrom.values, f.cacheTo.values
	opts.ChangedSince = f.changedSince

	gctx, gerr := env.Actions.Context()
	opts.Commit = f.commit
	if opts.Commit == "" {
		opts.Commit = cmp.Or(gctx.SHA, env.Actions.Getenv("GITHUB_SHA"))
	}
	opts.Source = f.source
	if opts.Source == "" {
		if gerr == nil && gctx.Owner != "" {
			opts.Source = strings.TrimSuffix(gctx.ServerURL, "/") + "/" + gctx.Owner + "/" + gctx.Repo
		} else if repo := env.Actions.Getenv("GITHUB_REPOSITORY"); repo != "" {
			opts.Source = strings.TrimSuffix(cmp.Or(env.Actions.Getenv("GITHUB_SERVER_URL"), "https://github.com"), "/") + "/" + repo
		}
	}
	if f.created != "" {
		t, err := time.Parse(time.RFC3339, f.created)
		if err != nil {
			return opts, nil, usagef("--created %q: not an RFC 3339 time like 2025-01-02T03:04:05Z", f.created)
		}
		opts.Created = t
	} else {
		opts.Created = commitTime(ctx, opts.Dir, opts.Commit)
	}

	opts.Args = map[string]string{}
	for _, a := range f.buildArgs.values {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return opts, nil, usagef("--build-arg %q: want KEY=VALUE", a)
		}
		opts.Args[k] = v
	}

	// A secret spec's src= is relative to where it was written: the config's directory or the
	// working directory. The lookup goes through env, so tests and Actions see the same values.
	lookup := func(k string) (string, bool) {
		v := env.Actions.Getenv(k)
		return v, v != ""
	}
	bySpec := func(spec, base, where string) error {
		spec, err := absSecretSrc(spec, base)
		if err == nil {
			var sec build.Secret
			if sec, err = build.ParseSecret(spec, lookup); err == nil {
				opts.Secrets = slices.DeleteFunc(opts.Secrets, func(o build.Secret) bool { return o.ID == sec.ID })
				opts.Secrets = append(opts.Secrets, sec)
				return nil
			}
		}
		return usagef("%s: %v", where, err)
	}
	for i, spec := range bc.Secrets {
		if err := configSecretInRepo(cfg, i, spec); err != nil {
			for _, e := range config.AsErrors(err) {
				e.Path = relPath(env.WorkDir, e.Path)
			}
			return opts, nil, err
		}
		if err := bySpec(spec, cfg.Dir, "build.secrets"); err != nil {
			return opts, nil, err
		}
	}
	for _, spec := range f.secrets.values {
		if err := bySpec(spec, env.WorkDir, "--secret"); err != nil {
			return opts, nil, err
		}
	}

	for _, spec := range f.outputs.values {
		o, err := build.ParseOutput(spec)
		if err != nil {
			return opts, nil, usagef("--output: %v", err)
		}
		o.Dest = absPath(env.WorkDir, o.Dest)
		opts.Outputs = append(opts.Outputs, o)
	}

	if d := env.Actions.Getenv("DOCKER_CONFIG"); d != "" {
		opts.DockerConfigDir = absPath(env.WorkDir, d)
	} else if home := env.Actions.Getenv("HOME"); home != "" {
		opts.DockerConfigDir = filepath.Join(home, ".docker")
	}
	auth, err := registryAuth(f, cmp.Or(f.registry, bc.Registry), env)
	if err != nil {
		return opts, nil, err
	}
	opts.RegistryAuth = auth

	opts.GHA = build.GHACache{
		RuntimeToken: env.Actions.Getenv("ACTIONS_RUNTIME_TOKEN"),
		ResultsURL:   env.Actions.Getenv("ACTIONS_RESULTS_URL"),
		CacheURL:     env.Actions.Getenv("ACTIONS_CACHE_URL"),
	}

	opts.Progress = s.Stderr
	opts.ProgressMode = f.progress
	if f.progress == "auto" && !env.IsTerminal {
		// BuildKit's auto would pick tty for any console; a log (CI, a pipe) gets plain lines.
		opts.ProgressMode = "plain"
	}
	f.metadataFile = absPath(env.WorkDir, f.metadataFile)
	return opts, cfg, nil
}

// loadBuildConfig is loadConfig for DIR rather than the working directory.
func loadBuildConfig(env Env, dir, explicit string) (*config.Config, error) {
	explicit = absPath(env.WorkDir, explicit)
	cfg, err := config.Load(dir, explicit)
	for _, e := range config.AsErrors(err) {
		e.Path = relPath(env.WorkDir, e.Path)
	}
	return cfg, err
}

// configSecretInRepo refuses a build.secrets[i] whose src= file is outside the repository: the
// config is a pull request's to change, and a secret is there for a RUN to read, so a src of the
// runner's credentials would be printed by a build step. A file outside the checkout is given
// with --secret, which the workflow, not the repository, controls.
func configSecretInRepo(cfg *config.Config, i int, spec string) error {
	fields, err := csvvalue.Fields(spec, nil)
	if err != nil {
		return nil // ParseSecret explains it
	}
	for _, fld := range fields {
		k, v, ok := strings.Cut(fld, "=")
		if !ok || v == "" || !(strings.EqualFold(k, "src") || strings.EqualFold(k, "source")) {
			continue
		}
		root, err := build.RepoRoot(cfg.Dir)
		if err != nil {
			return fmt.Errorf("find the repository root of %s: %w", cfg.Dir, err)
		}
		real, ok, err := build.Inside(root, cfg.Resolve(v))
		if err != nil {
			return fmt.Errorf("build.secrets[%d]: src %q: %w", i, v, err)
		}
		if !ok {
			key := fmt.Sprintf("build.secrets[%d]", i)
			return cfg.ErrorAt(configPos(cfg, key), "%s: src %q resolves to %s, outside the repository (%s): a secret file the config names must be in the checkout; give others with --secret", key, v, real, root)
		}
	}
	return nil
}

// absSecretSrc makes the src= of a secret spec absolute against base, leaving the rest of the
// spec as written. Specs that do not parse are returned as they are, for ParseSecret to explain.
func absSecretSrc(spec, base string) (string, error) {
	fields, err := csvvalue.Fields(spec, nil)
	if err != nil {
		return spec, nil
	}
	changed := false
	for i, fld := range fields {
		k, v, ok := strings.Cut(fld, "=")
		if ok && (strings.EqualFold(k, "src") || strings.EqualFold(k, "source")) && v != "" && !filepath.IsAbs(v) {
			fields[i] = k + "=" + filepath.Join(base, v)
			changed = true
		}
	}
	if !changed {
		return spec, nil
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(fields); err != nil {
		return "", err
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n"), w.Error()
}

// registryAuth is the explicit credential: --registry-token for the --registry host (ghcr.io when
// none is set), or GITHUB_TOKEN for ghcr.io. In Actions the token is masked before anything else
// could print it.
func registryAuth(f *buildFlags, registry string, env Env) ([]build.RegistryAuth, error) {
	host := "ghcr.io"
	if registry != "" {
		host, _, _ = strings.Cut(registry, "/")
	}
	token := f.token
	if token == "" {
		if host != "ghcr.io" {
			return nil, nil
		}
		token = env.Actions.Getenv("GITHUB_TOKEN")
	}
	if token == "" {
		if f.user != "" {
			return nil, usagef("--registry-user %q needs --registry-token (or GITHUB_TOKEN for ghcr.io)", f.user)
		}
		return nil, nil
	}
	if env.Actions.InActions() {
		env.Actions.AddMask(token)
	}
	// GHCR accepts any user name with a GITHUB_TOKEN; the actor is what docker/login-action uses.
	user := firstNonEmpty(f.user, env.Actions.Getenv("GITHUB_ACTOR"), "x-access-token")
	return []build.RegistryAuth{{Host: host, Username: user, Password: token}}, nil
}

// commitTime is the committer time of commit (HEAD when unknown) in dir's git repository, so that
// rebuilding the same commit gives the same created label; outside git it is now.
func commitTime(ctx context.Context, dir, commit string) time.Time {
	if t, err := (git.Repo{Dir: dir}).CommitTime(ctx, cmp.Or(commit, "HEAD")); err == nil {
		return t
	}
	return time.Now()
}

// buildError maps the library's errors to exit codes: a build set that cannot be built as
// described is a config error (2); the daemon unreachable and everything else are tool errors
// (3), shown verbatim.
func buildError(err error, dir string, cfg *config.Config, env Env) error {
	var ce *build.ConfigError
	var re *git.RefError
	if errors.As(err, &re) { // --changed-since names no commit
		return &usageError{err}
	}
	if errors.As(err, &ce) {
		if ce.Key != "" && cfg != nil && cfg.Path != "" {
			// A problem with a value of the build: section: at its line and column.
			e := cfg.ErrorAt(configPos(cfg, ce.Key), "%s", ce.Msg)
			e.Path = relPath(env.WorkDir, e.Path)
			return e
		}
		for i, f := range ce.Files {
			if f == config.FileNames[0] && cfg != nil && cfg.Path != "" {
				ce.Files[i] = relPath(env.WorkDir, cfg.Path)
				continue
			}
			ce.Files[i] = relPath(env.WorkDir, filepath.Join(dir, filepath.FromSlash(f)))
		}
		return &usageError{err}
	}
	return err
}

// configPos is where key is set in the file, or the closest enclosing key that is (an image's
// context left to its default points at the image).
func configPos(cfg *config.Config, key string) config.Pos {
	for k := key; k != ""; {
		if p := cfg.Pos(k); p.IsValid() {
			return p
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return config.Pos{}
}

// publishBuild reports a finished run: stdout in the chosen format, the metadata file, and in
// GitHub Actions the check run, job summary and step outputs. It returns errFindings when an
// image failed.
func publishBuild(ctx context.Context, res *build.Result, dir string, f buildFlags, s Streams, env Env) error {
	rep := &report.Report{Tool: "molecule-ci", Version: Version(), Command: "build", FilesChecked: len(res.Images), Summary: res}
	for _, fd := range res.Findings() {
		if fd.Path != "" {
			fd.Path = relPath(env.WorkDir, filepath.Join(dir, filepath.FromSlash(fd.Path)))
		}
		rep.Findings = append(rep.Findings, fd)
	}
	format := defaultFormat(f.po, env)
	checked, err := publishChecks(ctx, rep, res.Failed(), f.po, s, env)
	if err != nil {
		return err
	}
	opts := report.Options{Color: writerOptions(f.po, env).Color}
	switch {
	case format == "github" && checked:
		fmt.Fprintf(s.Stderr, "molecule-ci: %d annotations sent to the check run; the log lists them as text\n", len(rep.Findings))
		err = report.Write(s.Stdout, "human", rep, opts)
	case format == "github":
		// The annotations and their count first, then the table: the annotations say each error
		// with its output, so the table after them does not repeat it.
		annotations := *rep
		annotations.Summary = nil
		if err = report.Write(s.Stdout, "github", &annotations, opts); err == nil {
			err = report.Write(s.Stdout, "human", &report.Report{Summary: res.Table()}, opts)
		}
	default:
		err = report.Write(s.Stdout, format, rep, opts)
	}
	if err != nil {
		return fmt.Errorf("write %s output: %w", format, err)
	}
	if f.metadataFile != "" {
		if err := res.WriteMetadata(f.metadataFile); err != nil {
			return err
		}
	}
	if env.Actions.InActions() {
		outs, err := res.StepOutputs()
		if err != nil {
			return fmt.Errorf("step outputs: %w", err)
		}
		list := make([]output, 0, len(outs)+1)
		for _, k := range slices.Sorted(maps.Keys(outs)) {
			list = append(list, output{k, outs[k]})
		}
		if f.metadataFile != "" {
			list = append(list, output{"metadata-file", f.metadataFile})
		}
		if err := reportToActions(env.Actions, func() string { return report.Markdown(rep) }, list); err != nil {
			return err
		}
	}
	if res.Failed() {
		return errFindings
	}
	return nil
}
