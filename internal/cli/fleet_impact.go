package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/impact"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

const fleetImpactSummary = `Check what a change to a shared-workflow repository does to every call into it across the
fleet, before it merges. --candidate is the changed tree (the pull request's checkout); its
repository is GITHUB_REPOSITORY, else its git remote origin. Each call site into that repository
is checked against the called workflow where the caller pins it (the base: the fleet's own
checkout of the repository, read at the caller's ref from its git history, else the GitHub API)
and in the candidate: an input removed or renamed that the caller passes, a new input it must
pass, a type change, a secret newly required or removed, an output it reads removed, the file
removed or renamed, on.workflow_call removed.

Verdicts: when the base is itself a molecule-ci tree, the repositories calling it are linted by
the base's rules and the candidate's (each built from its tree) and those going green to red or
red to green are listed with the findings that changed. Any other base (the first switch from
the Python validators) gets the interface check only, and the report says so.

--ref REF checks only the calls pinning REF (e.g. v1, before a release moves it), against the
candidate's repository at REF; when none does, the report says "No caller of @REF" with every
repository read and the refs the other calls pin (the release's proof, not an assumption).

A pull request declares a break with a "BREAKING: ..." line in its description or a
--breaking-label label (read from the event payload); the report names the declaration.

Exit codes: 0 nothing breaks (or the break is declared), 1 a call breaks or a repository goes
green to red, 2 bad usage, 3 a repository could not be read or the tool failed.`

var impactFormats = []string{"human", "json", "markdown"}

// impactMarker identifies the impact comment among a pull request's comments.
const impactMarker = "<!-- molecule-ci:fleet-impact -->"

type impactFlags struct {
	fleetFlags
	candidate string
	prComment bool
	labels    stringList
	verdicts  string
	ref       string
}

func runFleetImpact(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("fleet impact", "", fleetImpactSummary, s.Stderr)
	var f impactFlags
	f.registerSource(flags, "check", "read")
	flags.StringVar(&f.candidate, "candidate", "", "the candidate tree: the changed shared-workflow repository's checkout (required)")
	flags.StringVar(&f.po.format, "format", "human", "output: "+strings.Join(impactFormats, ", "))
	flags.StringVar(&f.po.color, "color", "auto", "colour the report: auto, always, never")
	flags.StringVar(&f.jsonFile, "json-file", "", "also write the JSON report to this file")
	flags.BoolVar(&f.prComment, "pr-comment", false, "keep one comment with the report on the pull request (pull_request events; needs pull-requests: write)")
	flags.Var(&f.labels, "breaking-label", "a pull request label that declares the break (repeatable; default breaking-change)")
	flags.StringVar(&f.ref, "ref", "", "check only the calls pinning this ref (e.g. v1), against the candidate's repository at it; none: the report says no caller of @REF")
	flags.StringVar(&f.verdicts, "verdicts", "auto", "auto: compare verdicts when the base is a molecule-ci tree; off: check the interface only")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	f.po.checks = "off"
	switch {
	case len(rest) > 0:
		return usagef("fleet impact: unexpected argument %q", rest[0])
	case f.candidate == "":
		return usagef("fleet impact: --candidate DIR names the changed tree")
	case f.verdicts != "auto" && f.verdicts != "off":
		return usagef("--verdicts %q: want auto or off", f.verdicts)
	case f.ref != "" && git.ValidateRef(f.ref) != nil:
		return usagef("--ref: %v", git.ValidateRef(f.ref))
	}
	if err := f.po.validateFormat(impactFormats); err != nil {
		return err
	}
	if err := f.validateSource("fleet impact"); err != nil {
		return err
	}
	if st, err := os.Stat(absPath(env.WorkDir, f.candidate)); err != nil || !st.IsDir() {
		return usagef("--candidate %s: not a directory", f.candidate)
	}
	if len(f.labels.values) == 0 {
		f.labels.values = []string{"breaking-change"}
	}
	r := &impactRun{fleetRun: fleetRun{f: f.fleetFlags, s: s, env: env}, f: f, candidate: absPath(env.WorkDir, f.candidate)}
	return r.run(ctx)
}

// impactRun is one invocation of `molecule-ci fleet impact`.
type impactRun struct {
	fleetRun
	f         impactFlags
	candidate string
	src       fleet.Source
	repos     []fleet.Repo
	checkouts map[string]string // OWNER/NAME → the fleet's checkout
	// temps are directories removed when the run ends (built executables without a cache).
	temps []string
}

func (r *impactRun) run(ctx context.Context) error {
	repoName, err := r.candidateRepo(ctx)
	if err != nil {
		return err
	}
	if r.src, err = r.source(ctx); err != nil {
		return err
	}
	defer func() {
		for _, t := range r.temps {
			os.RemoveAll(t)
		}
	}()
	repos, err := r.src.List(ctx)
	if err != nil {
		return r.listError(err)
	}
	r.repos = repos
	prog := newFleetProgress(r.s.Stderr, r.env.Actions.Interactive(r.env.IsTerminal), r.budget)
	res, err := fleet.Run(ctx, fleet.Options{Source: r.src, Repos: repos, Jobs: r.f.jobs, Progress: prog.event, CallsOnly: true})
	prog.finish()
	if err != nil {
		return err
	}
	callers, unreadable := impact.CallersOf(res)
	var otherRefs map[string]int
	if r.f.ref != "" {
		callers, otherRefs = impact.PinningRef(callers, repoName, r.f.ref)
	}
	r.checkouts = fleet.Checkouts(repos)
	rv := &reusable.Resolver{Checkouts: r.checkouts}
	if client, why := r.apiClient(); client != nil {
		rv.Remote = reusableRemote{client}
	} else {
		rv.NoRemote = why
	}
	iface, err := impact.CheckInterfaces(ctx, impact.Options{Candidate: r.candidate, Repo: repoName, Resolver: rv}, callers)
	if err != nil {
		return err
	}
	if r.f.ref != "" && iface.Refs[r.f.ref] == "" {
		// No caller read the base: read it anyway, so the report says what the tree at the ref
		// is (a molecule-ci tree, or the Python validators: interface only).
		owner, name, _ := strings.Cut(repoName, "/")
		probe := rv.Resolve(ctx, reusable.Caller{}, reusable.Uses{Owner: owner, Repo: name, Path: ".github/workflows/ci.yml", Ref: r.f.ref})
		if probe.Commit != "" {
			iface.Refs[r.f.ref] = probe.Commit
		}
	}
	d := iface.Document(repoName, callers, unreadable)
	d.Ref, d.OtherRefs = r.f.ref, otherRefs
	if err := r.compareVerdicts(ctx, d, iface, callers); err != nil {
		return err
	}
	gctx, err := r.env.Actions.Context()
	if err != nil {
		return err
	}
	body, labels := gctx.PullRequestBody, gctx.PullRequestLabels
	if gctx.PullRequest == 0 && gctx.MergeGroupPR > 0 && d.Breaking() {
		// In the merge queue the declaration is read from the pull request the queue tests.
		if body, labels, err = r.queuedPR(ctx, gctx.Owner, gctx.Repo, gctx.MergeGroupPR); err != nil {
			return err
		}
	}
	d.Declared = impact.Declared(body, labels, r.f.labels.values)
	return r.publishImpact(ctx, d)
}

// queuedPR reads the description and labels of the pull request a merge queue tests.
func (r *impactRun) queuedPR(ctx context.Context, owner, repo string, n int) (string, []string, error) {
	gctx, err := r.env.Actions.Context()
	if err != nil {
		return "", nil, err
	}
	if gctx.Token == "" {
		return "", nil, fmt.Errorf("fleet impact: the merge queue's pull request #%d cannot be read without GITHUB_TOKEN", n)
	}
	c, err := github.NewClient(gctx.Token, gctx.APIURL, fleetClientOptions...)
	if err != nil {
		return "", nil, err
	}
	info, err := c.PullRequest(ctx, owner, repo, n)
	if err != nil {
		return "", nil, fmt.Errorf("fleet impact: the merge queue's pull request: %w", err)
	}
	return info.Body, info.Labels, nil
}

// githubRepo matches OWNER/NAME at the end of a GitHub remote URL (https or ssh).
var githubRepo = regexp.MustCompile(`[:/]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$`)

// candidateRepo is the candidate's OWNER/NAME: GITHUB_REPOSITORY, else the candidate's git
// remote origin.
func (r *impactRun) candidateRepo(ctx context.Context) (string, error) {
	gctx, err := r.env.Actions.Context()
	if err != nil {
		return "", err
	}
	if gctx.Owner != "" && gctx.Repo != "" {
		return gctx.Owner + "/" + gctx.Repo, nil
	}
	u, err := git.Repo{Dir: r.candidate}.RemoteURL(ctx, "origin")
	if err != nil {
		return "", usagef("fleet impact: the candidate's repository is GITHUB_REPOSITORY, else its git remote origin, and neither is set: %v", err)
	}
	m := githubRepo.FindStringSubmatch(u)
	if m == nil {
		return "", usagef("fleet impact: the candidate's remote origin %q does not name a GitHub repository (OWNER/NAME)", u)
	}
	return m[1] + "/" + m[2], nil
}

// apiClient is the client that reads callees the fleet has no checkout of: --org's, else one
// made from FLEET_TOKEN or GITHUB_TOKEN when set; nil and why not otherwise.
func (r *impactRun) apiClient() (*github.Client, string) {
	if r.client != nil {
		return r.client, ""
	}
	gctx, err := r.env.Actions.Context()
	if err != nil || (r.env.Actions.Getenv("FLEET_TOKEN") == "" && gctx.Token == "") {
		return nil, "no GitHub token (FLEET_TOKEN or GITHUB_TOKEN) to read it through the API"
	}
	c, err := r.githubClient()
	if err != nil {
		return nil, "the GitHub API client: " + err.Error()
	}
	return c, ""
}

// baseTree is where the base of one ref is read for verdicts.
type baseTree struct {
	ref, commit string
	rules       bool   // a molecule-ci tree
	why         string // why it cannot be used, when not
}

// compareVerdicts runs the verdicts when some caller's base is a molecule-ci tree, and says in
// the document why not otherwise.
func (r *impactRun) compareVerdicts(ctx context.Context, d *impact.Document, iface *impact.Interface, callers []impact.Caller) error {
	if r.f.verdicts == "off" {
		d.InterfaceOnly = "verdicts are turned off (--verdicts off)"
		return nil
	}
	owner, name, _ := strings.Cut(d.Candidate, "/")
	refs := slices.Sorted(func(yield func(string) bool) {
		for ref := range iface.Refs {
			if !yield(ref) {
				return
			}
		}
	})
	bases := map[string]*baseTree{}
	var notRules, unread []string
	for _, ref := range refs {
		b := &baseTree{ref: ref, commit: iface.Refs[ref]}
		switch {
		case b.commit == "":
			b.why = "not read"
			unread = append(unread, ref)
		default:
			ok, err := r.isRulesTree(ctx, owner, name, b.commit)
			switch {
			case err != nil:
				b.why = err.Error()
				unread = append(unread, ref)
			case !ok:
				notRules = append(notRules, ref)
			}
			b.rules = ok && err == nil
		}
		bases[ref] = b
	}
	var targets []impact.Target
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	rules := map[string]impact.Rules{}
	for _, c := range callers {
		ref := ""
		for _, call := range c.Calls {
			if !call.Uses.Local && call.UsesErr == "" && strings.EqualFold(call.Uses.Repository(), d.Candidate) && bases[call.Uses.Ref] != nil && bases[call.Uses.Ref].rules {
				ref = call.Uses.Ref
				break
			}
		}
		if ref == "" {
			continue
		}
		commit := bases[ref].commit
		if rules[commit] == nil {
			exe, err := r.baseRules(ctx, owner, name, commit)
			if err != nil {
				return fmt.Errorf("fleet impact: the rules of %s at %s (%s): %w", d.Candidate, ref, commit[:12], err)
			}
			rules[commit] = impact.Binary{Exe: exe, Env: impact.ChildEnv(os.Environ())}
		}
		dir := c.Root
		if dir == "" {
			co, err := r.src.Open(ctx, r.repoOf(c))
			if err != nil {
				d.Unreadable = append(d.Unreadable, impact.RepoError{Repo: c.Repo, Error: "cannot be read for its verdicts: " + err.Error()})
				continue
			}
			if co.Close != nil {
				cleanups = append(cleanups, co.Close)
			}
			dir = co.Dir
		}
		targets = append(targets, impact.Target{Repo: c.Repo, Dir: dir, Base: rules[commit]})
	}
	if len(targets) == 0 {
		switch {
		case len(notRules) > 0:
			d.InterfaceOnly = fmt.Sprintf("the base (%s at %s) is not a molecule-ci tree (no %s): verdicts compare two versions of the same rules", d.Candidate, strings.Join(notRules, ", "), impact.RulesMarker)
		case len(unread) > 0:
			d.InterfaceOnly = fmt.Sprintf("the base (%s at %s) could not be read", d.Candidate, strings.Join(unread, ", "))
		case r.f.ref != "":
			d.InterfaceOnly = fmt.Sprintf("no repository calls %s at %s", d.Candidate, r.f.ref)
		default:
			d.InterfaceOnly = "no repository calls the candidate's repository"
		}
		return nil
	}
	cand, err := r.candidateRules(ctx)
	if err != nil {
		return fmt.Errorf("fleet impact: the candidate's rules: %w", err)
	}
	verdicts, bad, err := impact.CompareVerdicts(ctx, targets, impact.Binary{Exe: cand, Env: impact.ChildEnv(os.Environ())}, max(1, runtime.GOMAXPROCS(0)))
	if err != nil {
		return err
	}
	d.Verdicts, d.Compared = verdicts, len(targets)-len(bad)
	d.Unreadable = append(d.Unreadable, bad...)
	return nil
}

// repoOf is the fleet's repository of a caller.
func (r *impactRun) repoOf(c impact.Caller) fleet.Repo {
	for _, rp := range r.repos {
		if rp.Name == c.Repo && rp.Owner == c.Owner {
			return rp
		}
	}
	return fleet.Repo{Owner: c.Owner, Name: c.Repo, Path: c.Owner + "/" + c.Repo}
}

// isRulesTree reports whether the candidate's repository at commit is a molecule-ci tree: from
// the fleet's checkout when it has one, else through the API.
func (r *impactRun) isRulesTree(ctx context.Context, owner, name, commit string) (bool, error) {
	if dir := r.checkoutOf(owner, name); dir != "" {
		_, err := git.Repo{Dir: dir, MaxOutput: 1 << 20}.Show(ctx, commit, impact.RulesMarker)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return false, nil
		case err != nil:
			return false, err
		}
		return true, nil
	}
	client, why := r.apiClient()
	if client == nil {
		return false, errors.New(why)
	}
	_, err := client.FileAt(ctx, owner, name, commit, impact.RulesMarker, 1<<20)
	if errors.Is(err, github.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (r *impactRun) checkoutOf(owner, name string) string {
	for k, v := range r.checkouts {
		if strings.EqualFold(k, owner+"/"+name) {
			return v
		}
	}
	return ""
}

// baseRules returns the molecule-ci executable built from the candidate's repository at commit,
// kept in the cache by commit (a commit does not change).
func (r *impactRun) baseRules(ctx context.Context, owner, name, commit string) (string, error) {
	cacheDir := ""
	if !r.f.noCache {
		cacheDir = resolveCacheDir(r.f.cacheDir, r.env)
	}
	if cacheDir != "" {
		exe := filepath.Join(cacheDir, "impact", "rules", commit, "molecule-ci")
		if st, err := os.Stat(exe); err == nil && st.Mode().IsRegular() {
			return exe, nil
		}
	}
	tmp, err := os.MkdirTemp("", "molecule-ci-impact-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "tree")
	read := func(rd io.Reader) error {
		_, err := fleet.Extract(ctx, rd, tree, 64<<20)
		return err
	}
	if dir := r.checkoutOf(owner, name); dir != "" {
		err = git.Repo{Dir: dir}.Archive(ctx, commit, fleet.DefaultMaxTarball, read)
	} else if client, why := r.apiClient(); client != nil {
		err = client.Tarball(ctx, owner, name, commit, fleet.DefaultMaxTarball, read)
	} else {
		err = errors.New(why)
	}
	if err != nil {
		return "", fmt.Errorf("read the tree: %w", err)
	}
	out := filepath.Join(cacheDir, "impact", "rules", commit)
	if cacheDir == "" {
		// The executable outlives tmp: a directory of its own, removed when the run ends.
		if out, err = r.tempDir(); err != nil {
			return "", err
		}
	}
	return impact.Build(ctx, tree, out, os.Environ())
}

// candidateRules is the candidate's molecule-ci executable: this one, when it was built from
// the candidate's commit with nothing modified (impact.yml builds it so), else one built from the
// candidate's files.
func (r *impactRun) candidateRules(ctx context.Context) (string, error) {
	if exe, ok := r.runningIsCandidate(ctx); ok {
		return exe, nil
	}
	out, err := r.tempDir()
	if err != nil {
		return "", err
	}
	return impact.Build(ctx, r.candidate, out, os.Environ())
}

func (r *impactRun) tempDir() (string, error) {
	d, err := os.MkdirTemp("", "molecule-ci-impact-*")
	if err == nil {
		r.temps = append(r.temps, d)
	}
	return d, err
}

func (r *impactRun) runningIsCandidate(ctx context.Context) (string, bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	rev, modified := buildVCS(info)
	if rev == "" || modified {
		return "", false
	}
	head, err := git.Repo{Dir: r.candidate}.RevParse(ctx, "HEAD")
	if err != nil || head != rev {
		return "", false
	}
	exe, err := os.Executable()
	return exe, err == nil
}

// publishImpact writes the report everywhere it goes and returns the exit status.
func (r *impactRun) publishImpact(ctx context.Context, d *impact.Document) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f := r.f
	rep := d.Report(Version())
	var out bytes.Buffer
	colour := f.po.color == "always" || (f.po.color == "auto" && r.env.IsTerminal && r.env.Actions.Getenv("NO_COLOR") == "")
	var err error
	if f.po.format == "markdown" {
		_, err = out.WriteString(report.Markdown(rep))
	} else {
		err = report.Write(&out, f.po.format, rep, report.Options{Color: colour})
	}
	if err != nil {
		return err
	}
	if _, err := r.s.Stdout.Write(out.Bytes()); err != nil {
		return err
	}
	if f.jsonFile != "" {
		var buf bytes.Buffer
		if err := report.Write(&buf, "json", rep, report.Options{}); err != nil {
			return err
		}
		if err := fsutil.WriteFile(absPath(r.env.WorkDir, f.jsonFile), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.jsonFile, err)
		}
	}
	if err := reportToActions(r.env.Actions, func() string { return report.Markdown(rep) }, []output{
		{"callers", strconv.Itoa(d.Callers)}, {"breaks", strconv.Itoa(len(d.Breaks))},
		{"green-to-red", strconv.Itoa(len(d.Worsened()))}, {"declared", d.Declared},
	}); err != nil {
		return err
	}
	if f.prComment {
		cfg, err := loadConfig(r.env, "")
		identity := ""
		if err == nil {
			identity = cfg.Report.Identity
		}
		upsertPRComment(ctx, "fleet impact", "--pr-comment", impactMarker, report.MarkdownWithin(rep, report.MaxCommentBytes), identity, r.s, r.env)
	}
	switch {
	case d.Fails():
		return errFindings
	case len(d.Unreadable) > 0:
		return fmt.Errorf("fleet impact: %s could not be read (see the report)", plural(len(d.Unreadable), "repository", "repositories"))
	case d.Unread() > 0:
		// A required check that passes with calls it could not read would be one that cannot fail.
		return fmt.Errorf("fleet impact: the base of %s could not be read, so nothing shows the change leaves them working (see the report)", plural(d.Unread(), "call", "calls"))
	}
	return nil
}
