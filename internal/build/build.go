// Package build owns `molecule-ci build`: it discovers a set of images (a base and the adapters
// built FROM it, from the build: config or by convention), orders them by their FROM lines, and
// builds them through a BuildKit daemon in parallel, handing each built base straight to its
// dependants (FrontendInputs and context:<name>=input:<key>, as buildx bake does) instead of
// through a registry. It tags, labels, smoke-checks, pushes or writes the images, and reports
// per image what was built, failed or skipped and why.
//
// It never prints (progress goes to Options.Progress), never reads the environment (the daemon
// address, tokens and ACTIONS_* values come in through Options) and never exits.
package build

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// DefaultAddr is where the daemon is looked for when neither --addr nor BUILDKIT_HOST is given.
const DefaultAddr = "unix:///run/buildkit/buildkitd.sock"

// TLS configures the connection to a remote tcp:// daemon.
type TLS struct {
	CACert     string // file
	Cert, Key  string // files, for client authentication
	ServerName string // default: the host of the address
}

// RegistryAuth is a credential for one registry host, e.g. ghcr.io with a GITHUB_TOKEN; it
// takes precedence over the Docker config file for that host.
type RegistryAuth struct {
	Host     string
	Username string
	Password string
}

// Options is everything a build run needs. Zero values mean the documented defaults.
type Options struct {
	// Dir is the directory the config's paths (or the convention) are relative to.
	Dir string
	// Root is the directory every context and Dockerfile must resolve inside, symlinks
	// included; "" means the repository that holds Dir (see RepoRoot).
	Root string
	// Config is the build: section; nil or empty Images means discover by convention.
	Config *config.BuildConfig
	// Only restricts the run to these image names (and, as inputs only, what they build on).
	Only []string

	// Addr is the daemon address (the CLI resolves --addr, BUILDKIT_HOST, DefaultAddr).
	Addr string
	TLS  TLS

	// Parallel bounds how many images are solved at once (default: config, then 4).
	Parallel int
	// FailFast cancels the other images when one fails.
	FailFast bool
	NoCache  bool

	// Tags are tag templates (see ExpandTag), replacing the config's; default "{ref}".
	Tags []string
	// Registry fills {registry} in tag templates (default: the config's).
	Registry string
	// Commit is the full commit SHA: {sha}, {sha7} and the revision label.
	Commit string
	// Source is the repository URL for the org.opencontainers.image.source label.
	Source string
	// Created is the org.opencontainers.image.created label (default: now).
	Created time.Time
	// Args are build args for every image; they override the config's global args, and an
	// image's own args override both.
	Args      map[string]string
	Platforms []string
	Secrets   []Secret

	// Push pushes every tag to its registry. Insecure allows plain-HTTP registries.
	Push     bool
	Insecure bool
	Outputs  []Output
	// DockerConfigDir holds config.json with registry credentials ("" means none).
	DockerConfigDir string
	RegistryAuth    []RegistryAuth

	// CacheFrom and CacheTo are cache specs (type=registry|local|gha|inline,...), replacing the
	// config's. See parseCache for how one spec is made per-image.
	CacheFrom, CacheTo []string
	GHA                GHACache

	// ChangedSince builds only images whose inputs changed since this git ref (and what builds
	// on them). GitDiff lists the changed files; nil means the git command.
	ChangedSince string
	GitDiff      GitDiffFunc

	// InActions says the run is a GitHub Actions job, for hints that fit where it runs.
	InActions bool

	// Progress receives BuildKit's progress display; nil shows none.
	Progress io.Writer
	// ProgressMode is one of ProgressModes (default "auto").
	ProgressMode string
}

// Status is what happened to one image.
type Status string

// The statuses.
const (
	Built     Status = "built"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
	Cancelled Status = "cancelled"
)

// ImageResult is one image's outcome.
type ImageResult struct {
	Name       string
	Ref        string
	Dockerfile string
	Status     Status
	// Reason says why an image was skipped, failed or cancelled.
	Reason string
	// Refs are the image's tags; Digest is the manifest digest when it was exported.
	Refs   []string
	Digest string
	Pushed bool
	// Executed are the Dockerfile steps and smoke checks BuildKit ran for this image (not from
	// the cache); Cached counts those it took from the cache.
	Executed []string
	Cached   int
	// Notes are warnings about a built image, e.g. a boot check skipped because the image's
	// runtime predates smoke mode.
	Notes    []string
	Duration time.Duration
	// Err is an *ImageError or *SmokeError when Status is Failed.
	Err error
}

// Result is the outcome of a run, images in build order.
type Result struct {
	Images   []ImageResult
	Duration time.Duration
}

// Failed reports whether any image failed (the CLI exits 1).
func (r *Result) Failed() bool {
	return slices.ContainsFunc(r.Images, func(i ImageResult) bool { return i.Status == Failed })
}

// Image returns the result of the named image.
func (r *Result) Image(name string) (ImageResult, bool) {
	for _, i := range r.Images {
		if i.Name == name {
			return i, true
		}
	}
	return ImageResult{}, false
}

const defaultParallel = 4

// Run builds the image set described by opts. The error is for runs that could not happen
// (*ConfigError, *DaemonUnreachableError, I/O); images that fail to build are reported in the
// Result with Status Failed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.BuildConfig{}
	}
	dir := cmp.Or(opts.Dir, ".")
	g, err := discover(dir, opts.Root, cfg, RepoFromSource(opts.Source))
	if err != nil {
		return nil, err
	}
	r, err := newRunner(ctx, dir, g, cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := r.plan(ctx); err != nil {
		return nil, err
	}
	res := &Result{Images: make([]ImageResult, len(g.Images))}
	if r.anyNeeded() {
		c, err := connect(ctx, opts.Addr, opts.TLS)
		if err != nil {
			var du *DaemonUnreachableError
			if errors.As(err, &du) {
				du.InActions = opts.InActions
			}
			return nil, err
		}
		defer c.Close()
		r.c = c
		disp, err := newDisplay(ctx, opts.Progress, cmp.Or(opts.ProgressMode, "auto"))
		if err != nil {
			return nil, &ConfigError{Msg: err.Error()}
		}
		r.disp = disp
		r.buildAll(ctx)
		disp.close()
	}
	for i := range g.Images {
		res.Images[i] = r.nodes[i].result
	}
	res.Duration = time.Since(start)
	return res, nil
}

// connect dials the daemon and checks it answers, so "no daemon" is one clear error instead of
// one per image.
func connect(ctx context.Context, addr string, tls TLS) (*client.Client, error) {
	addr = cmp.Or(addr, DefaultAddr)
	if err := checkAddr(addr); err != nil {
		return nil, err
	}
	var copts []client.ClientOpt
	if tls.CACert != "" {
		copts = append(copts, client.WithServerConfig(tls.ServerName, tls.CACert))
	}
	if tls.Cert != "" || tls.Key != "" {
		copts = append(copts, client.WithCredentials(tls.Cert, tls.Key))
	}
	c, err := client.New(ctx, addr, copts...)
	if err != nil {
		return nil, &DaemonUnreachableError{Addr: addr, Err: err}
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := c.ListWorkers(pctx); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &DaemonUnreachableError{Addr: addr, Err: err}
	}
	return c, nil
}

// node is one image's state during a run.
type node struct {
	im     *Image
	export bool // build, smoke-check and export
	needed bool // build at all (export, or as the input of a dependant)
	reason string

	tracker *tracker
	// defined is closed when the image's LLB (res, the frontend's result before it is built) is
	// known, or when it never will be (res nil): a dependant hands res to its own frontend at
	// once, and BuildKit builds the vertices they share once, so a dependant's start-up
	// (Dockerfile, context, frontend) overlaps its base's build.
	defined     chan struct{}
	definedOnce sync.Once
	// ready is closed when the image is built and smoke-checked; ok says whether it passed. A
	// dependant is exported only on a base that passed. The image's Build call stays open
	// (keeping the session that serves its build context alive) until every dependant has
	// built: users, released once by each dependant (releaseDeps).
	ready       chan struct{}
	readyOnce   sync.Once
	ok          bool
	res         *gatewayResult
	users       sync.WaitGroup
	releaseOnce sync.Once
	result      ImageResult
	deps        []*node
}

func (n *node) markDefined() {
	n.definedOnce.Do(func() { close(n.defined) })
}

func (n *node) markReady(ok bool) {
	n.readyOnce.Do(func() {
		n.ok = ok
		close(n.ready)
	})
}

// releaseDeps tells each base this image no longer needs its session, so its Build can finish
// (and export) while this one is still being smoke-checked and exported.
func (n *node) releaseDeps() {
	n.releaseOnce.Do(func() {
		for _, d := range n.deps {
			d.users.Done()
		}
	})
}

type runner struct {
	dir     string
	g       *Graph
	opts    Options
	cfg     *config.BuildConfig
	nodes   []*node
	byName  map[string]*node
	c       *client.Client
	disp    *display
	sem     chan struct{}
	args    map[string]string
	tags    []string
	reg     string
	created time.Time
	cancel  context.CancelCauseFunc
	// secretValues are the build secrets' and registry passwords' values, longest first, for
	// redact.
	secretValues []string
}

func newRunner(ctx context.Context, dir string, g *Graph, cfg *config.BuildConfig, opts Options) (*runner, error) {
	r := &runner{dir: dir, g: g, opts: opts, cfg: cfg, byName: map[string]*node{}}
	for i := range g.Images {
		n := &node{im: &g.Images[i], defined: make(chan struct{}), ready: make(chan struct{}), tracker: newTracker(g.Images[i].Name)}
		n.result = ImageResult{Name: n.im.Name, Ref: n.im.Ref, Dockerfile: n.im.Dockerfile}
		r.nodes = append(r.nodes, n)
		r.byName[n.im.Name] = n
	}
	for _, n := range r.nodes {
		for _, d := range n.im.Deps {
			n.deps = append(n.deps, r.byName[d])
		}
	}
	par := cmp.Or(opts.Parallel, cfg.Parallel, defaultParallel)
	if par < 1 {
		return nil, &ConfigError{Msg: fmt.Sprintf("parallel must be at least 1, got %d", par)}
	}
	r.sem = make(chan struct{}, par)
	r.args = map[string]string{}
	maps.Copy(r.args, cfg.Args)
	maps.Copy(r.args, opts.Args)
	if len(opts.Tags) > 0 {
		r.tags = opts.Tags
	} else {
		r.tags = cfg.Tags
	}
	r.reg = cmp.Or(opts.Registry, cfg.Registry)
	for _, s := range opts.Secrets {
		r.secretValues = append(r.secretValues, string(s.Value))
	}
	for _, a := range opts.RegistryAuth {
		r.secretValues = append(r.secretValues, a.Password)
	}
	// Longest first, so a secret containing another is masked whole; values under 3 bytes
	// would mask ordinary text and are too short to be a credential.
	r.secretValues = slices.DeleteFunc(r.secretValues, func(v string) bool { return len(v) < 3 })
	slices.SortFunc(r.secretValues, func(a, b string) int { return len(b) - len(a) })
	r.created = opts.Created
	if r.created.IsZero() {
		r.created = time.Now()
	}
	if opts.ProgressMode != "" && !slices.Contains(ProgressModes, opts.ProgressMode) {
		return nil, &ConfigError{Msg: fmt.Sprintf("unknown progress mode %q (valid: %s)", opts.ProgressMode, strings.Join(ProgressModes, ", "))}
	}
	// Resolve tags and cache specs up front so a bad template is a config error before any work.
	for _, n := range r.nodes {
		refs, err := r.refsFor(n.im)
		if err != nil {
			return nil, &ConfigError{Files: []string{n.im.Dockerfile}, Msg: err.Error()}
		}
		n.result.Refs = refs
		if _, _, err := r.cacheFor(n.im); err != nil {
			return nil, &ConfigError{Msg: err.Error()}
		}
	}
	if opts.Push && len(r.nodes) > 0 {
		for _, n := range r.nodes {
			if len(n.result.Refs) == 0 {
				return nil, &ConfigError{Msg: fmt.Sprintf("--push: image %q has no tags", n.im.Name)}
			}
		}
	}
	return r, nil
}

func (r *runner) refsFor(im *Image) ([]string, error) {
	tmpls := im.Tags
	if len(tmpls) == 0 {
		tmpls = r.tags
	}
	if len(tmpls) == 0 && im.single {
		// As the publish workflow tagged a template image: :latest and, for a known commit, :sha-<7>.
		pre := ""
		if r.reg != "" {
			pre = "{registry}/"
		}
		tmpls = []string{pre + "{ref}:latest"}
		if r.opts.Commit != "" {
			tmpls = append(tmpls, pre+"{ref}:sha-{sha7}")
		}
	}
	if len(tmpls) == 0 {
		tmpls = []string{"{ref}"}
	}
	var refs []string
	for _, t := range tmpls {
		ref, err := ExpandTag(t, tagVars(im, r.reg, r.opts.Commit))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

func (r *runner) cacheFor(im *Image) (from, to []client.CacheOptionsEntry, err error) {
	fromSpecs, toSpecs := r.opts.CacheFrom, r.opts.CacheTo
	if len(fromSpecs) == 0 {
		fromSpecs = r.cfg.CacheFrom
	}
	if len(toSpecs) == 0 {
		toSpecs = r.cfg.CacheTo
	}
	for _, s := range fromSpecs {
		e, err := parseCache(s, im.Name, r.opts.GHA)
		if err != nil {
			return nil, nil, err
		}
		from = append(from, e)
	}
	for _, s := range toSpecs {
		e, err := parseCache(s, im.Name, r.opts.GHA)
		if err != nil {
			return nil, nil, err
		}
		to = append(to, e)
	}
	return from, to, nil
}

// plan decides per image: build and export, build only as an input of a dependant, or skip.
func (r *runner) plan(ctx context.Context) error {
	for _, name := range r.opts.Only {
		if _, ok := r.byName[name]; !ok {
			return &ConfigError{Msg: fmt.Sprintf("unknown image %q (valid: %s)", name, strings.Join(slices.Sorted(maps.Keys(r.byName)), ", "))}
		}
	}
	var changed []string
	if r.opts.ChangedSince != "" {
		diff := r.opts.GitDiff
		if diff == nil {
			diff = GitDiff
		}
		var err error
		changed, err = diff(ctx, r.dir, r.opts.ChangedSince)
		var re *git.RefError
		switch {
		case errors.As(err, &re): // it names the ref: --changed-since ref "x": why
			return fmt.Errorf("--changed-since %w", err)
		case err != nil:
			return fmt.Errorf("--changed-since %s: %w", r.opts.ChangedSince, err)
		}
	}
	rebuild := map[string]string{}
	for _, n := range r.nodes { // build order: bases are decided before their dependants
		n.export = len(r.opts.Only) == 0 || slices.Contains(r.opts.Only, n.im.Name)
		if !n.export {
			n.reason = "not selected"
		}
		if r.opts.ChangedSince == "" || !n.export {
			continue
		}
		why, err := ownChange(r.dir, n.im, changed)
		if err != nil {
			return err
		}
		for _, d := range n.im.Deps {
			if why == "" && rebuild[d] != "" {
				why = "base " + d + " rebuilds"
			}
		}
		if why == "" {
			n.export = false
			n.reason = "unchanged since " + r.opts.ChangedSince
			continue
		}
		rebuild[n.im.Name] = why
	}
	for i := len(r.nodes) - 1; i >= 0; i-- {
		n := r.nodes[i]
		n.needed = n.needed || n.export
		if !n.needed {
			continue
		}
		for _, d := range n.im.Deps {
			dep := r.byName[d]
			if !dep.needed {
				dep.needed = true
			}
			dep.users.Add(1)
		}
	}
	for _, n := range r.nodes {
		if !n.export {
			n.result.Status = Skipped
			n.result.Reason = n.reason
			if n.needed {
				n.result.Reason += "; built from cache only as the base of its dependants, not exported"
			}
		}
	}
	return nil
}

func (r *runner) anyNeeded() bool {
	return slices.ContainsFunc(r.nodes, func(n *node) bool { return n.needed })
}

func (r *runner) buildAll(ctx context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancel = cancel
	var wg sync.WaitGroup
	for _, n := range r.nodes {
		if !n.needed {
			n.markDefined()
			n.markReady(false)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.buildNode(ctx, n)
		}()
	}
	wg.Wait()
}

func (r *runner) buildNode(ctx context.Context, n *node) {
	defer n.markReady(false)
	defer n.markDefined()
	deps := n.deps
	// Tell each base this image is done with it, whatever happens, so its Build can finish.
	defer n.releaseDeps()
	start := time.Now()
	err := r.solve(ctx, n, deps)
	var df *depFailedError
	if errors.As(err, &df) {
		if n.export {
			n.result.Status = Skipped
			n.result.Reason = baseReason(df.dep)
		}
		return
	}
	n.result.Duration = time.Since(start)
	skip := map[digest.Digest]bool{}
	for _, d := range deps {
		d.allSteps(skip)
	}
	n.result.Executed, n.result.Cached = n.tracker.executed(skip)
	if err == nil {
		if n.export {
			n.result.Status = Built
		}
		return
	}
	if ctx.Err() != nil {
		r.setCancelled(n, ctx)
		return
	}
	var ie *ImageError
	if errors.As(err, &ie) {
		ie.Hint = r.g.baseHint(n.im)
	}
	n.result.Status = Failed
	n.result.Err = err
	n.result.Reason = err.Error()
	if r.opts.FailFast {
		r.cancel(fmt.Errorf("--fail-fast: image %s failed", n.im.Name))
	}
}

// allSteps adds to into the vertices of this image and of everything it builds on.
func (n *node) allSteps(into map[digest.Digest]bool) {
	for _, d := range n.tracker.digests() {
		into[d] = true
	}
	for _, d := range n.deps {
		d.allSteps(into)
	}
}

// baseReason is why an image was skipped when its base did not build: `its base "base" failed`.
func baseReason(dep *node) string {
	what := "did not build"
	switch dep.result.Status {
	case Failed:
		what = "failed"
	case Cancelled:
		what = "was cancelled"
	case Skipped:
		what = "was skipped"
	}
	return fmt.Sprintf("its base %q %s", dep.im.Name, what)
}

// depFailedError stops an image whose base did not build; it is reported as skipped.
type depFailedError struct{ dep *node }

func (e *depFailedError) Error() string { return "base " + e.dep.im.Name + " did not build" }

func (r *runner) setCancelled(n *node, ctx context.Context) {
	n.result.Status = Cancelled
	n.result.Reason = "cancelled"
	if c := context.Cause(ctx); c != nil {
		n.result.Reason = "cancelled: " + c.Error()
	}
}
