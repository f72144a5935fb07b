package fleet

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/git"
)

// API is what OrgSource needs of the GitHub API (internal/github implements it; the CLI wires it).
type API interface {
	Repositories(ctx context.Context, org string) ([]RemoteRepo, error)
	// BranchHead returns a branch's head commit and its tree (a conditional request).
	BranchHead(ctx context.Context, owner, repo, branch string) (commit, tree string, err error)
	// Tarball streams the gzipped tarball of a commit, at most limit bytes of it.
	Tarball(ctx context.Context, owner, repo, commit string, limit int64, read func(io.Reader) error) error
}

// RemoteRepo is a repository as the organisation's listing shows it.
type RemoteRepo struct {
	Owner, Name, DefaultBranch string
	Archived, Fork             bool
	SizeKB                     int64
}

// OrgSource is an organisation read through the GitHub API. Each repository costs two requests
// when it changed (its branch head, then its tarball) and none counted when it did not (the head
// is a conditional request answered 304, and the tree is already in the cache).
type OrgSource struct {
	API API
	Org string
	// IncludeArchived and IncludeForks lint archived repositories and forks, left out by default.
	IncludeArchived, IncludeForks bool
	// CacheDir keeps each tree read, by its SHA, for the next run; "" reads into temporary
	// directories removed after each repository is linted.
	CacheDir string
	// MaxFile is the largest file kept (larger ones are noted, as lint would not read them);
	// MaxTarball bounds a download.
	MaxFile, MaxTarball int64

	// LeftOut counts what List left out, for the report.
	LeftOut struct{ Archived, Forks int }
}

// Defaults of OrgSource's bounds.
const (
	DefaultMaxTarball = 1 << 30
	maxEntries        = 200000
	maxExtracted      = 4 << 30
)

// List lists the organisation's repositories, without archived ones and forks unless included.
func (s *OrgSource) List(ctx context.Context) ([]Repo, error) {
	remote, err := s.API.Repositories(ctx, s.Org)
	if err != nil {
		return nil, err
	}
	var repos []Repo
	for _, r := range remote {
		switch {
		case r.Archived && !s.IncludeArchived:
			s.LeftOut.Archived++
			continue
		case r.Fork && !s.IncludeForks:
			s.LeftOut.Forks++
			continue
		}
		repos = append(repos, Repo{Owner: r.Owner, Name: r.Name, Path: r.Owner + "/" + r.Name, SizeKB: r.SizeKB, Branch: r.DefaultBranch})
	}
	SortRepos(repos)
	return repos, nil
}

// Open reads a repository's default branch: from the cache when its tree is there, else from
// its tarball.
func (s *OrgSource) Open(ctx context.Context, r Repo) (Checkout, error) {
	if r.Branch == "" {
		return Checkout{}, errors.New("the repository has no default branch (it is empty)")
	}
	commit, tree, err := s.API.BranchHead(ctx, r.Owner, r.Name, r.Branch)
	if err != nil {
		return Checkout{}, err
	}
	if s.CacheDir == "" {
		tmp, err := os.MkdirTemp("", "molecule-ci-fleet-*")
		if err != nil {
			return Checkout{}, err
		}
		notes, err := s.fetch(ctx, r, commit, filepath.Join(tmp, "files"))
		if err != nil {
			os.RemoveAll(tmp)
			return Checkout{}, err
		}
		return Checkout{Dir: filepath.Join(tmp, "files"), Commit: commit, Notes: notes, Close: func() { os.RemoveAll(tmp) }}, nil
	}
	if !git.IsObjectID(tree) {
		return Checkout{}, fmt.Errorf("GitHub named the tree %q, not a SHA", tree)
	}
	final := filepath.Join(s.CacheDir, "trees", tree)
	if notes, ok := readTree(final); ok {
		now := time.Now()
		os.Chtimes(filepath.Join(final, "notes.json"), now, now) // last used, for pruning
		return Checkout{Dir: filepath.Join(final, "files"), Commit: commit, Notes: notes}, nil
	}
	if err := os.MkdirAll(filepath.Join(s.CacheDir, "trees"), 0o700); err != nil {
		return Checkout{}, err
	}
	tmp := filepath.Join(s.CacheDir, "trees", ".tmp-"+randomName())
	notes, err := s.fetch(ctx, r, commit, filepath.Join(tmp, "files"))
	if err == nil {
		var b []byte
		if b, err = json.Marshal(notes); err == nil {
			err = fsutil.WriteFile(filepath.Join(tmp, "notes.json"), b, 0o600)
		}
	}
	if err != nil {
		os.RemoveAll(tmp)
		return Checkout{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another run or repository with the same tree got there first: theirs is as good.
		os.RemoveAll(tmp)
		if _, ok := readTree(final); !ok {
			return Checkout{}, fmt.Errorf("keep the tree in the cache: %w", err)
		}
	}
	return Checkout{Dir: filepath.Join(final, "files"), Commit: commit, Notes: notes}, nil
}

// readTree returns the notes of a complete tree in the cache (notes.json is written last).
func readTree(dir string) ([]string, bool) {
	b, err := fsutil.ReadRegular(filepath.Join(dir, "notes.json"), 1<<20)
	if err != nil {
		return nil, false
	}
	var notes []string
	if json.Unmarshal(b, &notes) != nil {
		return nil, false
	}
	return notes, true
}

// Prune removes the trees of the cache not used for maxAge: the cache of a nightly run over an
// organisation keeps what changes, not every tree it ever read.
func (s *OrgSource) Prune(maxAge time.Duration) error {
	if s.CacheDir == "" {
		return nil
	}
	dir := filepath.Join(s.CacheDir, "trees")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-maxAge)
	for _, e := range entries {
		st, err := os.Stat(filepath.Join(dir, e.Name(), "notes.json"))
		if err == nil && st.ModTime().After(cutoff) {
			continue
		}
		if strings.HasPrefix(e.Name(), ".tmp-") && err != nil {
			if info, ierr := e.Info(); ierr == nil && info.ModTime().After(cutoff) {
				continue // another run may be writing it
			}
		}
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	return nil
}

func (s *OrgSource) fetch(ctx context.Context, r Repo, commit, dst string) ([]string, error) {
	limit := s.MaxTarball
	if limit <= 0 {
		limit = DefaultMaxTarball
	}
	var notes []string
	err := s.API.Tarball(ctx, r.Owner, r.Name, commit, limit, func(rd io.Reader) error {
		var err error
		notes, err = Extract(ctx, rd, dst, s.MaxFile)
		return err
	})
	return notes, err
}

func randomName() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Extract writes the regular files of a repository's gzipped tarball (GitHub's, or git archive's
// with a --prefix: everything under one top directory) into dst, which must not exist. The archive is hostile: names are cleaned
// and must stay inside dst, no link is created or followed, a file over maxFile bytes is not
// written, entries and bytes are bounded. What was left out comes back as notes.
func Extract(ctx context.Context, r io.Reader, dst string, maxFile int64) ([]string, error) {
	if maxFile <= 0 {
		maxFile = 8 << 20
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzipped tarball: %w", err)
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	var top string
	var large, links, odd, outside []string
	var total int64
	for n := 0; ; n++ {
		if n == maxEntries {
			return nil, fmt.Errorf("the tarball has more than %d entries", maxEntries)
		}
		if n%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read the tarball: %w", err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name := strings.TrimPrefix(h.Name, "./")
		first, rest, _ := strings.Cut(name, "/")
		if top == "" {
			top = first
		}
		if first != top {
			outside = append(outside, h.Name)
			continue
		}
		if rest == "" || rest == "/" {
			continue // the top directory itself
		}
		rel, ok := cleanRel(rest)
		if !ok {
			outside = append(outside, h.Name)
			continue
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				odd = append(odd, rel)
			}
		case tar.TypeReg:
			if h.Size > maxFile {
				large = append(large, rel)
				continue
			}
			if total += h.Size; total > maxExtracted {
				return nil, fmt.Errorf("the tarball holds more than %d bytes", int64(maxExtracted))
			}
			if err := writeEntry(target, tr, h.Size); err != nil {
				odd = append(odd, rel)
			}
		case tar.TypeSymlink, tar.TypeLink:
			links = append(links, rel)
		default:
			odd = append(odd, rel)
		}
	}
	var notes []string
	note := func(what string, names []string) {
		if len(names) > 0 {
			notes = append(notes, fmt.Sprintf("%s: %s", what, listNames(names)))
		}
	}
	note(fmt.Sprintf("%d files over the %d-byte limit not read", len(large), maxFile), large)
	note(fmt.Sprintf("%d links not followed", len(links)), links)
	note(fmt.Sprintf("%d entries that are not regular files or directories, or clash, not read", len(odd)), odd)
	note(fmt.Sprintf("%d entries named outside the repository's directory, or inside .git, not read", len(outside)), outside)
	return notes, nil
}

// writeEntry writes one file of the tarball, creating its directories. O_EXCL: a name seen twice
// (or a directory's) is not overwritten.
func writeEntry(target string, r io.Reader, size int64) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, r, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// cleanRel cleans a path inside the archive's top directory; false when it is not a plain
// relative path inside it (absolute, "..", a .git component, a NUL or control character).
func cleanRel(p string) (string, bool) {
	if strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) || strings.HasPrefix(p, "/") {
		return "", false
	}
	c := path.Clean(p)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	for _, part := range strings.Split(c, "/") {
		if part == ".." || part == ".git" {
			return "", false
		}
	}
	return c, true
}

// listNames shows at most five names of a list.
func listNames(names []string) string {
	const most = 5
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	return strings.Join(names, ", ")
}
