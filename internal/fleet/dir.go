package fleet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DirSource is a fleet of local checkouts: every immediate subdirectory of Parent (named after
// its directory), and each of Dirs, all owned by Owner.
type DirSource struct {
	Owner  string
	Parent string   // "" for none
	Dirs   []string // checkouts named one by one
	// Display turns a directory into the path reports show (relative to the working directory).
	Display func(dir string) string
}

// maxSizeWalk bounds the files counted for a checkout's size: the size only balances shards.
const maxSizeWalk = 100000

// List lists the checkouts. A parent or a checkout that is not a directory is an error of the
// whole run (the command line named it); hidden subdirectories of the parent are not
// repositories.
func (s DirSource) List(ctx context.Context) ([]Repo, error) {
	var dirs []string
	if s.Parent != "" {
		entries, err := os.ReadDir(s.Parent)
		if err != nil {
			return nil, fmt.Errorf("--dir %s: %w", s.Parent, unwrap(err))
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(s.Parent, e.Name())
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				dirs = append(dirs, p)
			}
		}
		if len(dirs) == 0 {
			return nil, fmt.Errorf("--dir %s: no subdirectories, so no repositories", s.Parent)
		}
	}
	for _, d := range s.Dirs {
		st, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("--repo %s: %w", d, unwrap(err))
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("--repo %s: not a directory", d)
		}
		dirs = append(dirs, d)
	}
	var repos []Repo
	seen := map[string]bool{}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		if seen[abs] {
			continue
		}
		seen[abs] = true
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := d
		if s.Display != nil {
			path = s.Display(abs)
		}
		repos = append(repos, Repo{Owner: s.Owner, Name: filepath.Base(abs), Path: path, Dir: abs, SizeKB: dirSizeKB(abs)})
	}
	SortRepos(repos)
	return repos, nil
}

// Open returns the checkout as it is.
func (s DirSource) Open(_ context.Context, r Repo) (Checkout, error) {
	if st, err := os.Stat(r.Dir); err != nil || !st.IsDir() {
		return Checkout{}, fmt.Errorf("%s is not a directory (%v)", r.Path, err)
	}
	return Checkout{Dir: r.Dir}, nil
}

// Checkouts maps OWNER/NAME of every repository to its directory, for the callee resolver.
func Checkouts(repos []Repo) map[string]string {
	m := map[string]string{}
	for _, r := range repos {
		if r.Dir != "" {
			m[r.FullName()] = r.Dir
		}
	}
	return m
}

// dirSizeKB is the size of a checkout's files in KiB (.git and the directories lint skips not
// counted), bounded in files walked.
func dirSizeKB(dir string) int64 {
	var size int64
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != dir && slices.Contains(skipDirs, d.Name()) {
			return filepath.SkipDir
		}
		if n++; n > maxSizeWalk {
			return filepath.SkipAll
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	return size/1024 + 1
}

// skipDirs are the directories lint does not descend into.
var skipDirs = []string{".git", "node_modules", "vendor", ".venv", "__pycache__"}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
