package build

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/Molecule-AI/molecule-ci/internal/git"
)

// GitDiffFunc lists the files changed since ref, slash-separated and relative to dir.
type GitDiffFunc func(ctx context.Context, dir, ref string) ([]string, error)

// GitDiff lists what changed since ref in dir: tracked files whose content differs, committed or
// not (a rename as both its paths), and untracked files (a new requirements file counts). A ref
// that names no commit is a *git.RefError.
func GitDiff(ctx context.Context, dir, ref string) ([]string, error) {
	repo := git.Repo{Dir: dir}
	changed, err := repo.ChangedFiles(ctx, ref)
	if err != nil {
		return nil, err
	}
	untracked, err := repo.Untracked(ctx)
	if err != nil {
		return nil, err
	}
	return append(changed, untracked...), nil
}

// ownChange says why an image's own inputs changed (its Dockerfile, its .dockerignore, or a
// context file its Dockerfile can see), or "" when none did. changed is relative to dir.
func ownChange(dir string, im *Image, changed []string) (string, error) {
	ignoreFiles := []string{path.Join(im.Context, ".dockerignore"), im.Dockerfile + ".dockerignore"}
	var pm *patternmatcher.PatternMatcher
	for _, f := range ignoreFiles {
		rd, err := os.Open(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			continue
		}
		patterns, err := ignorefile.ReadAll(rd)
		rd.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
		pm, err = patternmatcher.New(patterns)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
		break // the Dockerfile-specific ignore file wins, as in BuildKit; first found is used
	}
	for _, f := range changed {
		f = path.Clean(f)
		if f == im.Dockerfile {
			return f + " changed", nil
		}
		for _, ig := range ignoreFiles {
			if f == ig {
				return f + " changed", nil
			}
		}
		rel, ok := within(im.Context, f)
		if !ok {
			continue
		}
		if pm != nil {
			excluded, err := pm.MatchesOrParentMatches(rel)
			if err != nil {
				return "", err
			}
			if excluded {
				continue
			}
		}
		if sees(im.sees, rel) {
			return f + " changed", nil
		}
	}
	return "", nil
}

// within returns f relative to the context directory ctxDir, if it is inside it.
func within(ctxDir, f string) (string, bool) {
	if ctxDir == "." {
		return f, !strings.HasPrefix(f, "../")
	}
	rel, ok := strings.CutPrefix(f, ctxDir+"/")
	return rel, ok
}

// sees reports whether a Dockerfile that reads the context paths srcs (COPY/ADD sources, bind
// mounts; nil means unknown, so everything) can see the context file rel.
func sees(srcs []string, rel string) bool {
	if srcs == nil {
		return true
	}
	for _, s := range srcs {
		s = path.Clean(strings.TrimPrefix(s, "/"))
		if s == "." || s == rel || strings.HasPrefix(rel, s+"/") {
			return true
		}
		// A glob source matches the file itself or one of its parent directories.
		for p := rel; p != "."; p = path.Dir(p) {
			if ok, _ := path.Match(s, p); ok {
				return true
			}
		}
	}
	return false
}
