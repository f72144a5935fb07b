// Package fleet owns linting an organisation's repositories as one run: where the repositories
// come from (a directory of checkouts, checkouts named one by one, or an organisation read
// through the GitHub API), linting each with its own .molecule-ci.yml in parallel in one
// process, the call graph of their reusable-workflow calls, the report of the whole fleet in
// every format, and the splitting of a large fleet into shards whose results merge into exactly
// the report of one run.
//
// One repository that cannot be read or linted is a line in the report for that repository; the
// run goes on. The package never prints, exits or reads the environment: the CLI hands it the
// sources, the per-repository lint options and a progress callback. Everything a repository
// holds (names, paths, messages) is hostile and is encoded where it is written (report, Render).
package fleet

import (
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/contract"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// Repo is one repository of the fleet.
type Repo struct {
	Owner, Name string
	// Path is how reports name where the repository came from: the directory given, or
	// OWNER/NAME for a repository read through the API.
	Path string
	// Dir is the local checkout; "" until a remote repository is opened.
	Dir string
	// SizeKB is the repository's size, for balancing shards.
	SizeKB int64
	// Branch is the branch a remote repository is read at (its default branch).
	Branch string
	// Unlisted marks a repository a shard's plan names that the source no longer lists.
	Unlisted bool
}

// FullName is OWNER/NAME, or NAME when the owner is not known.
func (r Repo) FullName() string {
	if r.Owner == "" {
		return r.Name
	}
	return r.Owner + "/" + r.Name
}

// Checkout is an opened repository: the directory to lint and what to do when done with it.
type Checkout struct {
	Dir    string
	Commit string // the commit read, when known
	// Notes are things the reader left out that the report should say (files over the size
	// limit, symlinks in a tarball).
	Notes []string
	Close func()
}

// Source lists a fleet's repositories and opens them one by one.
type Source interface {
	// List returns the repositories, or an error when the fleet itself cannot be read (no such
	// directory, an organisation the token cannot see): a usage or tool error of the whole run.
	List(ctx context.Context) ([]Repo, error)
	// Open makes a repository available on disk. An error is reported for that repository alone.
	Open(ctx context.Context, r Repo) (Checkout, error)
}

// Options is everything a fleet run needs; the CLI builds it.
type Options struct {
	Source Source
	// Repos, when set, are the repositories to lint (a shard); nil lints everything Source lists.
	Repos []Repo
	// Configure returns the lint options of a repository checked out at dir, from its own
	// .molecule-ci.yml and the command line, and findings about its configuration that lint would
	// not report itself. An error is reported for the repository, which is then not linted.
	Configure func(ctx context.Context, r Repo, dir string) (lint.Options, []report.Finding, error)
	// Jobs is how many repositories are linted at once; 0 means 4 per CPU: a repository spends
	// much of its time waiting (for the API, for a shellcheck batch shared with the others), and
	// the script checker's batches fill best when many repositories queue scripts together.
	Jobs int
	// Progress, when set, is told when a repository starts and finishes (from several goroutines,
	// one call at a time).
	Progress func(Event)
	// CallsOnly reads the repositories' calls and does not lint them (fleet --calls).
	CallsOnly bool
}

// Event is a progress notice: a repository started (Done is false) or finished.
type Event struct {
	Repo     Repo
	Finished bool
	// Result is the finished repository's result.
	Result *RepoResult
	// Done and Total count the repositories finished and in the run.
	Done, Total int
	// Running are the repositories still being linted, the longest-running first, with when
	// each started.
	Running []Running
}

// Running is a repository being linted since Since.
type Running struct {
	Repo  Repo
	Since time.Time
}

// RepoResult is what linting one repository gave.
type RepoResult struct {
	Repo Repo
	// Kind is the repository's contract kind (workspace-template, plugin, go-plugin,
	// org-template) or none.
	Kind         string
	Findings     []report.Finding // paths relative to the repository root; redacted
	FilesChecked int
	Calls        []reusable.Call
	// Error says why the repository was not linted (it could not be read, its lint failed);
	// Skipped says why there was nothing to lint in it. Both are empty for a linted repository.
	Error   string
	Skipped string
	Notes   []string
	// Duration is how long it took: progress only, part of no report.
	Duration time.Duration
}

// Counts returns the numbers of error, warning and info findings.
func (r *RepoResult) Counts() (errs, warns, infos int) {
	rep := report.Report{Findings: r.Findings}
	return rep.Counts()
}

// Run lints every repository of the fleet and returns the results sorted by repository. An
// error means the fleet could not be listed or the run was interrupted; a repository that fails
// is a RepoResult with Error set.
func Run(ctx context.Context, opts Options) (*Result, error) {
	repos := opts.Repos
	if repos == nil {
		var err error
		if repos, err = opts.Source.List(ctx); err != nil {
			return nil, err
		}
	}
	repos = slices.Clone(repos)
	SortRepos(repos)
	if len(repos) == 0 && opts.Repos == nil {
		return nil, errors.New("the fleet has no repositories: nothing to lint")
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = 4 * runtime.GOMAXPROCS(0)
	}
	results := make([]RepoResult, len(repos))
	var mu sync.Mutex
	running := map[string]Running{}
	done := 0
	notify := func(r Repo, res *RepoResult) {
		if opts.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		key := r.FullName() + "\x00" + r.Path
		if res == nil {
			running[key] = Running{Repo: r, Since: time.Now()}
		} else {
			delete(running, key)
			done++
		}
		ev := Event{Repo: r, Finished: res != nil, Result: res, Done: done, Total: len(repos)}
		for _, rn := range running {
			ev.Running = append(ev.Running, rn)
		}
		slices.SortFunc(ev.Running, func(a, b Running) int {
			return cmp.Or(a.Since.Compare(b.Since), strings.Compare(a.Repo.Name, b.Repo.Name))
		})
		opts.Progress(ev)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, r := range repos {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			notify(r, nil)
			start := time.Now()
			res := lintRepo(gctx, opts, r)
			res.Duration = time.Since(start)
			if err := gctx.Err(); err != nil {
				return err
			}
			results[i] = res
			notify(r, &results[i])
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Result{Repos: results}, nil
}

// SortRepos orders repositories as every report lists them: by name, then owner, then path.
func SortRepos(repos []Repo) {
	slices.SortFunc(repos, compareRepos)
}

func compareRepos(a, b Repo) int {
	return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Name, b.Name),
		strings.Compare(a.Owner, b.Owner), strings.Compare(a.Path, b.Path))
}

// lintRepo opens, configures and lints one repository. Its failures are the result's Error.
func lintRepo(ctx context.Context, opts Options, r Repo) RepoResult {
	res := RepoResult{Repo: r, Kind: string(config.ContractNone)}
	if r.Unlisted {
		res.Error = "cannot be read: the plan names it, but it is no longer listed (deleted, renamed or archived since the plan was made)"
		return res
	}
	co, err := opts.Source.Open(ctx, r)
	if err != nil {
		res.Error = "cannot be read: " + err.Error()
		return res
	}
	if co.Close != nil {
		defer co.Close()
	}
	res.Notes = co.Notes
	if opts.CallsOnly {
		res.Kind = kindOf(co.Dir, "")
		res.Calls = callsOf(co.Dir, 0)
		return res
	}
	lopts, extra, err := opts.Configure(ctx, r, co.Dir)
	if err != nil {
		res.Error = "cannot be configured: " + err.Error()
		return res
	}
	res.Kind = kindOf(co.Dir, lopts.Contracts.Contract.Kind)
	res.Calls = callsOf(co.Dir, lopts.MaxFileSize)
	rep, err := lint.Run(ctx, lopts)
	var pe *lint.PathError
	switch {
	case ctx.Err() != nil:
		return res
	case errors.As(err, &pe) && strings.HasPrefix(pe.Msg, "nothing to lint"):
		res.Skipped = pe.Msg
		return res
	case err != nil:
		res.Error = "lint failed: " + err.Error()
		return res
	}
	all := append(rep.Findings, extra...)
	// The report keeps the findings only, redacted: the sources lint read are not held for the
	// whole fleet (a run over thousands of repositories keeps its memory to its findings).
	res.Findings = report.Redacted(&report.Report{Findings: report.Sort(all)}).Findings
	res.FilesChecked = rep.FilesChecked
	return res
}

func kindOf(dir string, k config.ContractKind) string {
	if k == "" || k == config.ContractAuto {
		k = contract.Detect(dir)
	}
	return string(k)
}

// callerDirs are the directories whose workflows GitHub and Gitea run: the call graph is made
// of them (workflows-shared/ holds templates that run nowhere).
var callerDirs = []string{".github/workflows", ".gitea/workflows"}

// callsOf reads the call sites of a checkout's workflows. A workflow that cannot be read or
// parsed has none here: lint reports what is wrong with it.
func callsOf(dir string, maxSize int64) []reusable.Call {
	if maxSize <= 0 {
		maxSize = lint.DefaultMaxFileSize
	}
	var calls []reusable.Call
	for _, d := range callerDirs {
		// Symlinks are not followed (lint reports them): a checkout's call graph is its own files.
		if st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(d))); err != nil || !st.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(d)))
		if err != nil {
			continue
		}
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if !e.Type().IsRegular() || (ext != ".yml" && ext != ".yaml") {
				continue
			}
			rel := d + "/" + e.Name()
			src, err := fsutil.ReadRegular(filepath.Join(dir, filepath.FromSlash(rel)), maxSize)
			if err != nil {
				continue
			}
			if cs, err := reusable.Calls(rel, src); err == nil {
				calls = append(calls, cs...)
			}
		}
	}
	return calls
}

// Result is the fleet's results, one per repository, sorted.
type Result struct {
	Repos []RepoResult
}
