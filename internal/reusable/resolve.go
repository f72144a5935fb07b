package reusable

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/git"
)

// Status is what resolving a call found.
type Status int

// The outcomes of Resolve. RefMissing, FileMissing and NotCallable are definitive: the call fails
// on GitHub. Unchecked means the callee could not be read, and Reason says why.
const (
	Resolved Status = iota + 1
	RefMissing
	FileMissing
	NotCallable
	Unchecked
)

var statusNames = map[Status]string{Resolved: "resolved", RefMissing: "ref-missing", FileMissing: "file-missing", NotCallable: "not-callable", Unchecked: "unchecked"}

func (s Status) String() string { return statusNames[s] }

// Resolution is where a call's callee was read and what it declares.
type Resolution struct {
	Status    Status
	Interface *Interface // set when Resolved
	// Source says where the callee was read: "the caller's files", "checkout DIR", "the GitHub
	// API"; "" when it was not read.
	Source string
	// Commit is the commit the callee was read at, when known.
	Commit string
	// Reason says, for every status but Resolved, what is wrong or why the call was not checked,
	// as the tail of a sentence: `ref "v9" does not exist in Molecule-AI/molecule-ci (checkout ../molecule-ci)`.
	Reason string
}

// Sentinel errors a Remote returns (errors.Is), so the resolver can tell a definitive answer
// from a failure to ask.
var (
	// ErrNoRef: the repository exists and the ref names no branch, tag or commit in it.
	ErrNoRef = errors.New("no such ref")
	// ErrNoFile: the commit exists and has no such file.
	ErrNoFile = errors.New("no such file")
	// ErrNoRepo: no such repository, or one the token cannot see (GitHub answers 404 to both).
	ErrNoRepo = errors.New("repository not found or not visible")
)

// Remote reads reusable workflows from the GitHub API (implemented in internal/github, wired
// by the CLI).
type Remote interface {
	// Commit resolves ref (a branch, tag or commit SHA) of owner/repo to a full commit SHA.
	Commit(ctx context.Context, owner, repo, ref string) (string, error)
	// File returns the file at path in commit.
	File(ctx context.Context, owner, repo, commit, path string) ([]byte, error)
}

// Caller is the repository a call is made from.
type Caller struct {
	Repo string // OWNER/REPO; "" when unknown (then no call is recognised as into itself)
	Root string // its working tree: local calls are read here, and calls into Repo at a ref from its git history
}

// maxCallee bounds a callee workflow read from anywhere; the largest real workflows are tens of KB.
const maxCallee = 1 << 20

// Resolver finds callees. It is safe for concurrent use, and remembers what it resolved, so a
// fleet of repositories calling the same six workflows reads each once.
type Resolver struct {
	// Checkouts maps OWNER/REPO (any case) to a local checkout of it.
	Checkouts map[string]string
	// Remote reads from the GitHub API; nil when there is no token.
	Remote Remote
	// NoRemote says why there is no Remote, for the "call not checked" reason ("no GitHub token").
	NoRemote string
	// Git is the git executable ("" = git on PATH).
	Git string
	// Display names a checkout's directory in messages (relative to where the user runs the tool);
	// nil: as it is.
	Display func(dir string) string

	once    sync.Once
	byRepo  map[string]string
	group   singleflight.Group
	mu      sync.Mutex
	done    map[string]Resolution
	refs    map[string]*refTable
	answers map[string]remoteAnswer
}

func (r *Resolver) init() {
	r.once.Do(func() {
		r.byRepo = map[string]string{}
		for k, v := range r.Checkouts {
			r.byRepo[strings.ToLower(k)] = v
		}
		r.done = map[string]Resolution{}
		r.refs = map[string]*refTable{}
		r.answers = map[string]remoteAnswer{}
	})
}

// Resolve finds the workflow u calls from caller and reads its interface: from the caller's own
// files (a ./ call, or a call into the caller's repository at a ref), a local checkout of the
// callee read at the ref, the GitHub API at the ref, in that order. It never fails: what could
// not be read is a Resolution with status Unchecked and the reason.
func (r *Resolver) Resolve(ctx context.Context, caller Caller, u Uses) Resolution {
	r.init()
	if u.Local {
		if caller.Root == "" {
			return Resolution{Status: Unchecked, Reason: "the calling repository's files are not available"}
		}
		return r.memo(ctx, "local\x00"+caller.Root+"\x00"+u.Path, func() Resolution { return readLocal(caller.Root, u.Path) })
	}
	type source struct {
		dir string
		own bool // the caller's own clone, not a checkout named to be the callee's truth
	}
	var dirs []source
	if caller.Root != "" && caller.Repo != "" && strings.EqualFold(caller.Repo, u.Repository()) {
		dirs = append(dirs, source{caller.Root, true})
	}
	if d, ok := r.byRepo[strings.ToLower(u.Repository())]; ok && (len(dirs) == 0 || dirs[0].dir != d) {
		dirs = append(dirs, source{d, false})
	}
	var skipped []string
	for _, s := range dirs {
		key := fmt.Sprintf("git\x00%s\x00%t\x00%s\x00%s", s.dir, s.own, u.Ref, u.Path)
		res := r.memo(ctx, key, func() Resolution { return r.readCheckout(ctx, s.dir, s.own, u) })
		if res.Status != Unchecked {
			return res
		}
		skipped = append(skipped, res.Reason)
	}
	if r.Remote != nil {
		return r.memo(ctx, "api\x00"+strings.ToLower(u.Repository())+"\x00"+u.Ref+"\x00"+u.Path, func() Resolution { return r.readRemote(ctx, u) })
	}
	why := r.NoRemote
	if why == "" {
		why = "no GitHub token to read it through the API"
	}
	if len(skipped) == 0 {
		skipped = append(skipped, fmt.Sprintf("no local checkout of %s (lint.reusable.checkouts, or the sibling %s of a fleet run)", u.Repository(), u.Repo))
	}
	return Resolution{Status: Unchecked, Reason: strings.Join(skipped, "; ") + "; " + why}
}

// memo resolves each key once: concurrent callers wait for the first, later ones get its answer.
// An answer cut short by a cancelled context is not kept.
func (r *Resolver) memo(ctx context.Context, key string, f func() Resolution) Resolution {
	r.mu.Lock()
	res, ok := r.done[key]
	r.mu.Unlock()
	if ok {
		return res
	}
	v, _, _ := r.group.Do(key, func() (any, error) {
		res := f()
		if ctx.Err() == nil {
			r.mu.Lock()
			r.done[key] = res
			r.mu.Unlock()
		}
		return res, nil
	})
	return v.(Resolution)
}

func readLocal(root, p string) Resolution {
	src, err := fsutil.ReadRegular(filepath.Join(root, filepath.FromSlash(p)), maxCallee)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Resolution{Status: FileMissing, Source: "the caller's files", Reason: fmt.Sprintf("the repository has no %s", p)}
	case err != nil:
		return Resolution{Status: Unchecked, Reason: fmt.Sprintf("%s cannot be read: %v", p, unwrapPath(err))}
	}
	return interfaceOf(src, Resolution{Source: "the caller's files"}, "./"+p)
}

// interfaceOf parses a callee read at where (for messages) into a Resolution.
func interfaceOf(src []byte, res Resolution, where string) Resolution {
	iface, err := ParseInterface(src)
	var pe *ParseError
	switch {
	case errors.Is(err, ErrNotCallable):
		res.Status, res.Reason = NotCallable, fmt.Sprintf("%s has no on.workflow_call trigger, so it cannot be called", where)
	case errors.As(err, &pe):
		res.Status, res.Reason = Unchecked, fmt.Sprintf("%s is not a workflow actionlint can parse (%v)", where, pe)
	case err != nil:
		res.Status, res.Reason = Unchecked, fmt.Sprintf("%s: %v", where, err)
	default:
		res.Status, res.Interface = Resolved, iface
	}
	return res
}

// refTable is a checkout's refs by the names a uses: ref can take.
type refTable struct {
	err     error
	commits map[string]string // short name → commit
	shallow bool
	names   []string // branches and tags, for messages
}

func (r *Resolver) refsOf(ctx context.Context, dir string) *refTable {
	r.mu.Lock()
	t, ok := r.refs[dir]
	r.mu.Unlock()
	if ok {
		return t
	}
	v, _, _ := r.group.Do("refs\x00"+dir, func() (any, error) {
		t := loadRefs(ctx, git.Repo{Dir: dir, Exe: r.Git})
		if ctx.Err() == nil {
			r.mu.Lock()
			r.refs[dir] = t
			r.mu.Unlock()
		}
		return t, nil
	})
	return v.(*refTable)
}

// loadRefs reads a checkout's branches, tags and remote-tracking branches. A ref name resolves
// as GitHub would resolve it in the remote repository: a local branch, else a tag, else the
// remote-tracking branch of that name (origin's first), since a CI checkout often has the branch
// only as origin/NAME.
func loadRefs(ctx context.Context, repo git.Repo) *refTable {
	t := &refTable{commits: map[string]string{}}
	refs, err := repo.ListRefs(ctx)
	if err != nil {
		t.err = err
		return t
	}
	add := func(name, commit string) {
		if _, ok := t.commits[name]; !ok && commit != "" {
			t.commits[name] = commit
		}
	}
	for _, kind := range []string{git.Branch, git.Tag} {
		for _, ref := range refs {
			if ref.Kind == kind {
				add(ref.Short(), ref.Commit)
				t.names = append(t.names, ref.Short())
			}
		}
	}
	remotes := slices.Clone(refs)
	// origin's branches before other remotes' of the same name.
	slices.SortStableFunc(remotes, func(a, b git.Ref) int {
		ao, bo := strings.HasPrefix(a.Short(), "origin/"), strings.HasPrefix(b.Short(), "origin/")
		switch {
		case ao && !bo:
			return -1
		case bo && !ao:
			return 1
		}
		return 0
	})
	for _, ref := range remotes {
		if ref.Kind != git.Remote {
			continue
		}
		if _, name, ok := strings.Cut(ref.Short(), "/"); ok {
			add(name, ref.Commit)
			if !slices.Contains(t.names, name) {
				t.names = append(t.names, name)
			}
		}
	}
	if out, err := repo.IsShallow(ctx); err == nil {
		t.shallow = out
	}
	return t
}

// readCheckout reads u's workflow from the checkout dir at u's ref. A checkout that is not a git
// repository, or a shallow one without the ref, is Unchecked (the next source is tried); a ref a
// full checkout does not have is RefMissing: a checkout is taken as the truth, so keep it fetched.
// The caller's own clone (own) is not: a CI clone often has neither the other branches nor the
// tags, so a ref it lacks is Unchecked there too.
func (r *Resolver) readCheckout(ctx context.Context, dir string, own bool, u Uses) Resolution {
	shown := dir
	if r.Display != nil {
		shown = r.Display(dir)
	}
	where := "checkout " + shown
	if own {
		where = "the caller's clone " + shown
	}
	if !isGitDir(dir) {
		// A copy of a repository's files (a download, a fleet of plain directories) is at no
		// known ref: reading it for a call pinned at one could report what that ref does not have.
		return Resolution{Status: Unchecked, Reason: fmt.Sprintf("%s is not a git repository, so %s@%s cannot be read from it", where, u.Repository(), u.Ref)}
	}
	t := r.refsOf(ctx, dir)
	if t.err != nil {
		return Resolution{Status: Unchecked, Reason: fmt.Sprintf("%s cannot be read as a git repository (%v)", where, oneLine(t.err))}
	}
	repo := git.Repo{Dir: dir, Exe: r.Git, MaxOutput: maxCallee}
	commit, ok := t.commits[u.Ref]
	if !ok && isHex(u.Ref) && len(u.Ref) >= 7 {
		if id, err := repo.RevParse(ctx, u.Ref); err == nil {
			commit, ok = id, true
		}
	}
	if !ok {
		switch {
		case t.shallow:
			return Resolution{Status: Unchecked, Reason: fmt.Sprintf("ref %q is not in %s, a shallow clone (fetch it)", u.Ref, where)}
		case own:
			return Resolution{Status: Unchecked, Reason: fmt.Sprintf("ref %q is not in %s (fetch it, or its tags)", u.Ref, where)}
		}
		return Resolution{Status: RefMissing, Source: where, Reason: fmt.Sprintf("ref %q does not exist in %s (%s: %s)", u.Ref, u.Repository(), where, refList(t.names))}
	}
	src, err := repo.Show(ctx, commit, u.Path)
	var le *git.LimitError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Resolution{Status: FileMissing, Source: where, Commit: commit, Reason: fmt.Sprintf("%s has no %s at %s (commit %s, %s)", u.Repository(), u.Path, u.Ref, short(commit), where)}
	case errors.As(err, &le):
		return Resolution{Status: Unchecked, Commit: commit, Reason: fmt.Sprintf("%s at %s in %s is larger than %d bytes", u.Path, u.Ref, where, maxCallee)}
	case err != nil:
		return Resolution{Status: Unchecked, Commit: commit, Reason: fmt.Sprintf("%s at %s cannot be read from %s (%v)", u.Path, u.Ref, where, oneLine(err))}
	}
	return interfaceOf(src, Resolution{Source: where, Commit: commit}, fmt.Sprintf("%s at %s", u.Workflow(), u.Ref))
}

// readRemote reads u's workflow through the GitHub API.
func (r *Resolver) readRemote(ctx context.Context, u Uses) Resolution {
	const where = "the GitHub API"
	commit, err := r.remoteCommit(ctx, u)
	switch {
	case errors.Is(err, ErrNoRef):
		return Resolution{Status: RefMissing, Source: where, Reason: fmt.Sprintf("ref %q does not exist in %s (GitHub: no branch, tag or commit of that name)", u.Ref, u.Repository())}
	case errors.Is(err, ErrNoRepo):
		return Resolution{Status: Unchecked, Reason: fmt.Sprintf("%s is not visible to the token (GitHub answers 404 for a repository that does not exist and for a private one the token cannot read)", u.Repository())}
	case err != nil:
		return Resolution{Status: Unchecked, Reason: fmt.Sprintf("reading %s@%s through the GitHub API failed: %v", u.Repository(), u.Ref, oneLine(err))}
	}
	src, err := r.remoteFile(ctx, u, commit)
	switch {
	case errors.Is(err, ErrNoFile):
		return Resolution{Status: FileMissing, Source: where, Commit: commit, Reason: fmt.Sprintf("%s has no %s at %s (commit %s)", u.Repository(), u.Path, u.Ref, short(commit))}
	case err != nil:
		return Resolution{Status: Unchecked, Commit: commit, Reason: fmt.Sprintf("reading %s at %s through the GitHub API failed: %v", u.Workflow(), u.Ref, oneLine(err))}
	case len(src) > maxCallee:
		return Resolution{Status: Unchecked, Commit: commit, Reason: fmt.Sprintf("%s at %s is larger than %d bytes", u.Workflow(), u.Ref, maxCallee)}
	}
	return interfaceOf(src, Resolution{Source: where, Commit: commit}, fmt.Sprintf("%s at %s", u.Workflow(), u.Ref))
}

// isGitDir reports whether dir is a git working tree (a .git directory or file) or a bare
// repository, without running git.
func isGitDir(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	_, errHead := os.Stat(filepath.Join(dir, "HEAD"))
	st, errObj := os.Stat(filepath.Join(dir, "objects"))
	return errHead == nil && errObj == nil && st.IsDir()
}

// remoteCommit resolves u's ref through the Remote once per run, however many workflows of the
// repository are called at it.
func (r *Resolver) remoteCommit(ctx context.Context, u Uses) (string, error) {
	key := "apiref\x00" + strings.ToLower(u.Repository()) + "\x00" + u.Ref
	f, err := r.remoteOnce(ctx, key, func() ([]byte, error) {
		c, err := r.Remote.Commit(ctx, u.Owner, u.Repo, u.Ref)
		return []byte(c), err
	})
	return string(f), err
}

// remoteFile reads u's file at commit through the Remote once per run: two refs of one commit
// (main and v1 on the same commit) cost one request, even when asked at the same time.
func (r *Resolver) remoteFile(ctx context.Context, u Uses, commit string) ([]byte, error) {
	key := "apifile\x00" + strings.ToLower(u.Repository()) + "\x00" + commit + "\x00" + u.Path
	return r.remoteOnce(ctx, key, func() ([]byte, error) { return r.Remote.File(ctx, u.Owner, u.Repo, commit, u.Path) })
}

// remoteOnce asks the Remote for key once: concurrent askers wait for the first, later ones get
// its answer; an answer cut short by a cancelled context is not kept.
func (r *Resolver) remoteOnce(ctx context.Context, key string, ask func() ([]byte, error)) ([]byte, error) {
	r.mu.Lock()
	f, ok := r.answers[key]
	r.mu.Unlock()
	if ok {
		return f.b, f.err
	}
	v, _, _ := r.group.Do(key, func() (any, error) {
		b, err := ask()
		f := remoteAnswer{b, err}
		if ctx.Err() == nil {
			r.mu.Lock()
			r.answers[key] = f
			r.mu.Unlock()
		}
		return f, nil
	})
	f = v.(remoteAnswer)
	return f.b, f.err
}

// remoteAnswer is an answer of the Remote (a file, a commit id), or why there is none.
type remoteAnswer struct {
	b   []byte
	err error
}

func refList(names []string) string {
	if len(names) == 0 {
		return "no branches or tags"
	}
	const most = 8
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	return strings.Join(names, ", ")
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// oneLine keeps an error's first line: git's stderr can run long.
func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
