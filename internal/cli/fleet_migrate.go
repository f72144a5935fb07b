package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/Molecule-AI/molecule-ci/internal/baseline"
	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/migrate"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

const fleetMigrateSummary = `Rewrite every repository's calls of the organisation's old shared workflows
(Molecule-AI/molecule-ci/.github/workflows/{validate-workspace-template,publish-template-image,
validate-plugin,validate-org-template,validate-go-plugin}.yml@main|staging and
Molecule-AI/molecule-core/.github/workflows/secret-scan.yml@staging) to their successors in
Molecule-AI/molecule-ci at --ref: the ref pinned to its commit with a "# REF" comment when the
commit is known (the fleet's checkout of molecule-ci, --successor, or the API) and the
repository's lint.pinning.policy is sha, inputs renamed as the successor names them, the token
scopes the successor's jobs ask for granted to the calling job. Files are edited as text, so
comments and formatting stay. A call that cannot be migrated as it is stays as it is, and the
report says why. Each migrated repository is linted; findings the migration adds are reported.

--dry-run prints one unified diff per repository (each applies with git apply from the
repository's root). Without it, one pull request per repository from branch --branch, updated
in place on every run. --status lists each pull request's checks. --explain prints MIGRATING.md's
table of every caller.

Exit codes: 0 every call migrated and nothing new from lint, 1 a call left as it is or a finding
added, 2 bad usage, 3 a repository could not be read or the API failed.`

var migrateFormats = []string{"human", "json", "markdown"}

type migrateFlags struct {
	fleetFlags
	ref       string
	dryRun    bool
	status    bool
	explain   bool
	successor string
	branch    string
	base      string
	noLint    bool
}

func runFleetMigrate(ctx context.Context, args []string, s Streams, env Env) error {
	flags := newFlagSet("fleet migrate", "", fleetMigrateSummary, s.Stderr)
	var f migrateFlags
	f.registerSource(flags, "migrate", "read")
	flags.StringVar(&f.ref, "ref", "", "the successor's ref to call, e.g. v1 (default: the highest vX.Y.Z tag of the successor's checkout; required until the first release)")
	flags.BoolVar(&f.dryRun, "dry-run", false, "print the diffs; open no pull request")
	flags.BoolVar(&f.status, "status", false, "list each repository's migration pull request and its checks")
	flags.BoolVar(&f.explain, "explain", false, "print the table of every caller and its change (MIGRATING.md's), as Markdown")
	flags.StringVar(&f.successor, "successor", "", "a checkout of the successors' repository (default: the fleet's molecule-ci); its files are read when it lacks --ref")
	flags.StringVar(&f.branch, "branch", "molecule-ci/migrate", "the pull requests' branch")
	flags.StringVar(&f.base, "base", "", "--dir, --repo: the branch the pull requests target (default main; --org: each repository's default branch)")
	flags.BoolVar(&f.noLint, "no-lint", false, "do not lint the migrated repositories")
	flags.StringVar(&f.po.format, "format", "human", "output: "+strings.Join(migrateFormats, ", "))
	flags.StringVar(&f.jsonFile, "json-file", "", "also write the JSON report to this file")
	rest, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	f.po.checks, f.po.color = "off", "never"
	modes := 0
	for _, m := range []bool{f.dryRun, f.status, f.explain} {
		if m {
			modes++
		}
	}
	switch {
	case len(rest) > 0:
		return usagef("fleet migrate: unexpected argument %q", rest[0])
	case modes > 1:
		return usagef("fleet migrate: --dry-run, --status and --explain are different runs: one at a time")
	case f.ref != "" && git.ValidateRef(f.ref) != nil:
		return usagef("--ref: %v", git.ValidateRef(f.ref))
	case git.ValidateRef(f.branch) != nil:
		return usagef("--branch: %v", git.ValidateRef(f.branch))
	}
	if err := f.po.validateFormat(migrateFormats); err != nil {
		return err
	}
	if err := f.validateSource("fleet migrate"); err != nil {
		return err
	}
	r := &migrateRun{fleetRun: fleetRun{f: f.fleetFlags, s: s, env: env}, f: f}
	return r.run(ctx)
}

// migrateRun is one invocation of `molecule-ci fleet migrate`.
type migrateRun struct {
	fleetRun
	f    migrateFlags
	src  fleet.Source
	succ migrate.Successor
	lf   lintFlags
}

func (r *migrateRun) run(ctx context.Context) error {
	var err error
	if r.src, err = r.source(ctx); err != nil {
		return err
	}
	repos, err := r.src.List(ctx)
	if err != nil {
		return r.listError(err)
	}
	doc := &migrate.Document{Successor: migrate.SuccessorRepo, Ref: r.f.ref, Status: r.f.status, Repos: make([]migrate.RepoDoc, len(repos))}
	var client *github.Client
	if !r.f.dryRun && !r.f.explain {
		if client, err = r.githubClient(); err != nil {
			return err
		}
	}
	if r.f.status {
		return r.statusRun(ctx, client, repos, doc)
	}
	if r.f.ref == "" {
		if r.f.ref = r.latestRelease(ctx, fleet.Checkouts(repos)); r.f.ref == "" {
			return usagef("fleet migrate: --ref REF names the successor's ref to call (required until the first release: no vX.Y.Z tag in the successor's checkout)")
		}
		fmt.Fprintf(r.s.Stderr, "molecule-ci: fleet migrate: --ref %s, the successor's latest release\n", r.f.ref)
		doc.Ref = r.f.ref
	}
	if r.succ, err = r.successor(ctx, fleet.Checkouts(repos)); err != nil {
		return err
	}
	doc.Pin = r.succ.Pin
	if r.lf, err = r.lintFlags(); err != nil {
		return err
	}
	r.lf.shellcheck, r.lf.pyflakes = config.ToolAuto, config.ToolAuto // as lint runs in the repository: the baseline must know what it reports
	// The lint before and after reads callees as fleet does (the fleet's checkouts, the API with
	// a token), and the successor where --successor names it: the migrated calls are checked
	// against the successors' interfaces at the ref they now pin.
	if r.lf.calls, err = r.callResolver(repos); err != nil {
		return err
	}
	if r.f.successor != "" {
		if r.lf.calls.Checkouts == nil {
			r.lf.calls.Checkouts = map[string]string{}
		}
		r.lf.calls.Checkouts[migrate.SuccessorRepo] = absPath(r.env.WorkDir, r.f.successor)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, repo := range repos {
		g.Go(func() error {
			doc.Repos[i] = r.repo(gctx, client, repo)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Repositories without an old call are not part of the report.
	kept := doc.Repos[:0]
	for _, rd := range doc.Repos {
		if rd.Error != "" || len(rd.Calls) > 0 {
			kept = append(kept, rd)
		}
	}
	doc.Repos = kept
	return r.publishMigrate(doc)
}

// releaseTag is a release's tag.
var releaseTag = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)$`)

// latestRelease is the highest vX.Y.Z tag of the successor's checkout (--successor, else the
// fleet's), or "" when there is none: then --ref is required.
func (r *migrateRun) latestRelease(ctx context.Context, checkouts map[string]string) string {
	dir := r.f.successor
	if dir != "" {
		dir = absPath(r.env.WorkDir, dir)
	}
	for k, v := range checkouts {
		if dir == "" && strings.EqualFold(k, migrate.SuccessorRepo) {
			dir = v
		}
	}
	if dir == "" {
		return ""
	}
	refs, err := git.Repo{Dir: dir}.ListRefs(ctx)
	if err != nil {
		return ""
	}
	best, bestV := "", [3]int{-1}
	for _, ref := range refs {
		m := releaseTag.FindStringSubmatch(ref.Short())
		if ref.Kind != git.Tag || m == nil {
			continue
		}
		var v [3]int
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+1])
		}
		if slices.Compare(v[:], bestV[:]) > 0 {
			best, bestV = ref.Short(), v
		}
	}
	return best
}

// successor finds the successors' interface at --ref: the checkout (--successor, else the
// fleet's) read at the ref from its git history, else the API; a --successor checkout without
// the ref is read as its files are, and the ref is written as given.
func (r *migrateRun) successor(ctx context.Context, checkouts map[string]string) (migrate.Successor, error) {
	owner, name, _ := strings.Cut(migrate.SuccessorRepo, "/")
	s := migrate.Successor{Repo: migrate.SuccessorRepo, Ref: r.f.ref, Pin: r.f.ref}
	dir := ""
	if r.f.successor != "" {
		dir = absPath(r.env.WorkDir, r.f.successor)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return s, usagef("--successor %s: not a directory", r.f.successor)
		}
	} else {
		for k, v := range checkouts {
			if strings.EqualFold(k, migrate.SuccessorRepo) {
				dir = v
			}
		}
	}
	rv := &reusable.Resolver{NoRemote: "no GitHub token (FLEET_TOKEN or GITHUB_TOKEN) to read it through the API"}
	if dir != "" {
		rv.Checkouts = map[string]string{migrate.SuccessorRepo: dir}
	}
	if r.client != nil {
		rv.Remote = reusableRemote{r.client}
	} else if gctx, err := r.env.Actions.Context(); err == nil && (gctx.Token != "" || r.env.Actions.Getenv("FLEET_TOKEN") != "") && !r.f.dryRun && !r.f.explain {
		if c, err := r.githubClient(); err == nil {
			rv.Remote = reusableRemote{c}
		}
	}
	probe := rv.Resolve(ctx, reusable.Caller{}, reusable.Uses{Owner: owner, Repo: name, Path: migrate.Mappings[0].To, Ref: r.f.ref})
	switch {
	case probe.Status == reusable.Resolved || probe.Status == reusable.FileMissing || probe.Status == reusable.NotCallable:
		if probe.Commit != "" {
			s.Pin = probe.Commit
		}
		s.Interface = func(p string) (*reusable.Interface, error) {
			res := rv.Resolve(ctx, reusable.Caller{}, reusable.Uses{Owner: owner, Repo: name, Path: p, Ref: r.f.ref})
			if res.Status != reusable.Resolved {
				return nil, errors.New(res.Reason)
			}
			return res.Interface, nil
		}
	case r.f.successor != "":
		fmt.Fprintf(r.s.Stderr, "molecule-ci: fleet migrate: %s; reading the successors from the files of %s and writing @%s as given\n", probe.Reason, r.f.successor, r.f.ref)
		s.Interface = migrate.DirInterfaces(dir)
	case probe.Status == reusable.RefMissing:
		return s, usagef("--ref %s: %s", r.f.ref, probe.Reason)
	default:
		return s, usagef("fleet migrate: the successors cannot be read: %s (give --successor DIR, a checkout of %s)", probe.Reason, migrate.SuccessorRepo)
	}
	return s, nil
}

// repo migrates one repository; what goes wrong is its report's Error.
func (r *migrateRun) repo(ctx context.Context, client *github.Client, repo fleet.Repo) migrate.RepoDoc {
	rd := migrate.RepoDoc{Repo: repo.Name, Path: repo.Path}
	co, err := r.src.Open(ctx, repo)
	if err != nil {
		rd.Error = "cannot be read: " + err.Error()
		return rd
	}
	if co.Close != nil {
		defer co.Close()
	}
	succ := r.succ
	if cfg, err := config.Load(co.Dir, ""); err == nil && cfg.Lint.Pinning.Policy == config.PinTag {
		succ.Pin = succ.Ref // the repository pins the organisation's workflows by tag
	}
	maxFile := int64(config.DefaultLintMaxFileSize)
	res, err := migrate.Repository(co.Dir, succ, maxFile)
	if err != nil {
		rd.Error = "cannot be migrated: " + err.Error()
		return rd
	}
	rd.Calls, rd.Diff = res.Calls, res.Diff()
	if len(res.Files) == 0 || r.f.explain {
		return rd
	}
	if !r.f.noLint {
		if err := r.adopt(ctx, repo, co.Dir, succ, res, &rd); err != nil {
			rd.Error = "lint of the migrated repository failed: " + err.Error()
			return rd
		}
		rd.Diff = res.Diff()
	}
	if r.f.dryRun {
		return rd
	}
	if err := r.openPR(ctx, client, repo, co, res, &rd); err != nil {
		rd.Error = err.Error()
	}
	return rd
}

// adopt lints the repository as it is and as the migration leaves it, and makes the migrated
// repository adopt molecule-ci's lint without turning red: a caller of the successor's lint
// workflow (added, or the repository's own) passing a baseline of the findings the repository
// already had, written beside. The findings the migration adds are never baselined: they are
// rd.Lint.New, and fail the run.
func (r *migrateRun) adopt(ctx context.Context, repo fleet.Repo, dir string, succ migrate.Successor, res *migrate.Result, rd *migrate.RepoDoc) error {
	branch := cmpOr(repo.Branch, cmpOr(r.f.base, "main"))
	maxFile := int64(config.DefaultLintMaxFileSize)
	ad, err := migrate.LintCaller(dir, res.Files, succ, migrate.BaselineFile, branch, maxFile)
	if err != nil {
		return err
	}
	files := res.Files
	if ad.File != nil {
		files = putFile(slices.Clone(files), *ad.File)
	}
	// The migrated calls of the validate-* workflows and the secret scan get the baseline too:
	// their contract and secret findings are the repository's as much as lint's are. Linted as
	// they will be, so the baseline is fingerprinted on the files as written.
	var notes []string
	if ad.Baseline != "" {
		if files, notes, err = migrate.PassBaseline(files, res.Calls, succ, ad.Baseline); err != nil {
			return err
		}
	}
	before, err := r.lintTree(ctx, repo, dir)
	if err != nil {
		return err
	}
	tmp, err := migrate.Overlay(dir, files, maxFile)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	after, err := r.lintTree(ctx, repo, tmp)
	if err != nil {
		return err
	}
	ld, had := compareLint(before.Findings, after.Findings)
	rd.Lint = ld
	rd.Lint.Note = ad.Note
	if ad.Baseline != "" && len(had) > 0 {
		b := baseline.New(had, baseline.Options{WorkDir: tmp, Dir: filepath.Dir(filepath.Join(tmp, filepath.FromSlash(ad.Baseline))),
			Source: baseline.ReportSource(after, tmp, maxFile)})
		bf := migrate.File{Path: ad.Baseline, New: b.Marshal()}
		old, err := fsutil.ReadRegular(filepath.Join(dir, filepath.FromSlash(ad.Baseline)), baseline.MaxBytes)
		switch {
		case err == nil:
			bf.Old = old
		case errors.Is(err, fs.ErrNotExist):
			bf.Created = true
		default:
			return fmt.Errorf("%s: %w", ad.Baseline, err)
		}
		rd.Lint.Baseline = ad.Baseline
		rd.Lint.Note = strings.Join(slices.DeleteFunc(append([]string{ad.Note}, notes...), func(n string) bool { return n == "" }), "; ")
		res.Files = files
		if !bytes.Equal(bf.Old, bf.New) || bf.Created {
			res.Files = append(res.Files, bf)
		}
		return nil
	}
	// Nothing to baseline: the caller passes none.
	if ad, err = migrate.LintCaller(dir, res.Files, succ, "", branch, maxFile); err != nil {
		return err
	}
	if ad.File != nil {
		res.Files = putFile(res.Files, *ad.File)
	}
	return nil
}

// putFile replaces the file of f's path in files, or adds f: the lint workflow's caller may be
// a file the migration changed already.
func putFile(files []migrate.File, f migrate.File) []migrate.File {
	if i := slices.IndexFunc(files, func(g migrate.File) bool { return g.Path == f.Path }); i >= 0 {
		files[i] = f
		return files
	}
	return append(files, f)
}

// compareLint returns the verdict on the migrated repository, with the findings the migration
// adds, and the findings of after the repository already had (before): findings compared by
// file, rule, severity and message (the migration moves lines, never what a finding says).
func compareLint(before, after []report.Finding) (*migrate.LintDoc, []report.Finding) {
	type key struct {
		path, rule, msg string
		sev             report.Severity
	}
	count := map[key]int{}
	for _, f := range before {
		count[key{f.Path, f.Rule, f.Message, f.Severity}]++
	}
	ld := &migrate.LintDoc{New: []report.JSONFinding{}}
	var added, had []report.Finding
	for _, f := range after {
		switch f.Severity {
		case report.Error:
			ld.Errors++
		case report.Warning:
			ld.Warnings++
		}
		k := key{f.Path, f.Rule, f.Message, f.Severity}
		if count[k] > 0 {
			count[k]--
			ld.Baselined++
			had = append(had, f)
			continue
		}
		added = append(added, f)
	}
	ld.New = report.JSONFindings(report.Redacted(&report.Report{Findings: added}).Findings)
	return ld, had
}

// lintTree lints one tree as `molecule-ci lint` would in the repository (its configuration;
// shellcheck and pyflakes when on PATH, as on GitHub's runners), so that the baseline written
// from it is the one the reusable lint workflow compares with.
func (r *migrateRun) lintTree(ctx context.Context, repo fleet.Repo, dir string) (*report.Report, error) {
	opts, extra, err := r.configure(repo, dir, r.lf)
	if err != nil {
		return nil, err
	}
	rep, err := lint.Run(ctx, opts)
	if err != nil {
		return nil, err
	}
	rep.Findings = report.Sort(append(rep.Findings, extra...))
	return rep, nil
}

// openPR opens or updates the repository's migration pull request, on top of the commit the
// migration was computed from.
func (r *migrateRun) openPR(ctx context.Context, client *github.Client, repo fleet.Repo, co fleet.Checkout, res *migrate.Result, rd *migrate.RepoDoc) error {
	if repo.Owner == "" {
		return errors.New("no owner to open the pull request in: give --owner")
	}
	base, commit := repo.Branch, co.Commit
	if commit == "" { // a local checkout: its HEAD, which must be what the files were read from
		g := git.Repo{Dir: co.Dir}
		head, err := g.RevParse(ctx, "HEAD")
		if err != nil {
			return fmt.Errorf("the checkout's HEAD: %w", err)
		}
		for _, f := range res.Files {
			committed, err := g.Show(ctx, head, f.Path)
			if err != nil || !bytes.Equal(committed, f.Old) {
				return fmt.Errorf("%s differs from its committed version (HEAD %s): commit or stash it first", f.Path, head[:12])
			}
		}
		commit = head
	}
	if base == "" {
		base = cmpOr(r.f.base, "main")
	}
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Path] = f.New
	}
	n := 0
	for _, c := range res.Calls {
		if c.Problem == "" {
			n++
		}
	}
	// The description is Markdown rendered by internal/report: the diff is data (a file of the
	// repository may hold backticks), in a fence no run of backticks inside can close.
	body := report.RenderMarkdown(report.Doc{Blocks: []report.Block{
		report.Lines{report.Line(report.Markup(fmt.Sprintf("Moves %s of the organisation's old shared workflows to their successors in ", plural(n, "call", "calls"))),
			report.Code(migrate.SuccessorRepo), report.Markup(" at "), report.Code(r.succ.Ref), report.Markup(" (see MIGRATING.md)."))},
		report.CodeBlock{Text: rd.Diff},
		report.Lines{report.Line(report.Markup("Opened by `molecule-ci fleet migrate`; a re-run updates it in place."))},
	}}, report.MaxCommentBytes)
	pr, err := client.UpsertBranchPR(ctx, github.BranchPR{Owner: repo.Owner, Repo: repo.Name, Base: base, BaseCommit: commit, Branch: r.f.branch,
		Files: files, Message: "ci: call molecule-ci's shared workflows at " + r.succ.Ref, Title: "ci: move to molecule-ci's shared workflows at " + r.succ.Ref, Body: body})
	if err != nil {
		return err
	}
	rd.PR = &migrate.PRDoc{Number: pr.Number, URL: pr.URL, Action: pr.Action}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// statusRun lists each repository's migration pull request and its checks.
func (r *migrateRun) statusRun(ctx context.Context, client *github.Client, repos []fleet.Repo, doc *migrate.Document) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, repo := range repos {
		g.Go(func() error {
			rd := migrate.RepoDoc{Repo: repo.Name, Path: repo.Path}
			checks, ok, err := client.PRChecks(gctx, repo.Owner, repo.Name, r.f.branch)
			switch {
			case err != nil:
				rd.Error = err.Error()
			case ok:
				rd.PR = &migrate.PRDoc{Number: checks.Number, URL: checks.URL}
				for _, c := range checks.Checks {
					rd.PR.Checks = append(rd.PR.Checks, c.Name+": "+cmpOr(c.Conclusion, c.Status))
				}
				if len(checks.Checks) == 0 {
					rd.PR.Checks = []string{"no checks yet"}
				}
			}
			mu.Lock()
			doc.Repos[i] = rd
			mu.Unlock()
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	kept := doc.Repos[:0]
	for _, rd := range doc.Repos {
		if rd.PR != nil || rd.Error != "" {
			kept = append(kept, rd)
		}
	}
	doc.Repos = kept
	return r.publishMigrate(doc)
}

// publishMigrate writes the report and returns the exit status.
func (r *migrateRun) publishMigrate(doc *migrate.Document) error {
	rep := doc.Report(Version())
	var out bytes.Buffer
	var err error
	switch {
	case r.f.explain:
		_, err = out.WriteString(doc.Explain())
	case r.f.po.format == "markdown":
		_, err = out.WriteString(report.Markdown(rep))
	default:
		err = report.Write(&out, r.f.po.format, rep, report.Options{})
	}
	if err != nil {
		return err
	}
	if _, err := r.s.Stdout.Write(out.Bytes()); err != nil {
		return err
	}
	if r.f.jsonFile != "" {
		var buf bytes.Buffer
		if err := report.Write(&buf, "json", rep, report.Options{}); err != nil {
			return err
		}
		if err := fsutil.WriteFile(absPath(r.env.WorkDir, r.f.jsonFile), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", r.f.jsonFile, err)
		}
	}
	repos, migrated, problems, unread := doc.Counts()
	if err := reportToActions(r.env.Actions, func() string { return report.Markdown(rep) }, []output{
		{"repos", fmt.Sprint(repos)}, {"migrated", fmt.Sprint(migrated)}, {"left", fmt.Sprint(problems)},
	}); err != nil {
		return err
	}
	switch {
	case unread > 0:
		return fmt.Errorf("fleet migrate: %s could not be migrated (see the report)", plural(unread, "repository", "repositories"))
	case !r.f.status && !r.f.explain && (problems > 0 || doc.NewFindings() > 0):
		return errFindings
	}
	return nil
}
