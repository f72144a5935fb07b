package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A build reads its contexts and Dockerfiles from the repository, and the build: section naming
// them is as much a pull request's to change as the Dockerfiles are. `context: ../outside`, a
// context directory that is a symlink out of the checkout, or `dockerfile: ../x/Dockerfile` would
// hand BuildKit files of the machine the build runs on (a runner's credentials, another job's
// checkout) for a COPY to put into an image and a RUN or smoke check to print. Every such path is
// resolved, symlinks included, and refused unless it stays inside the repository root, before
// the daemon is contacted.

// RepoRoot is the directory a build's files must stay inside: the nearest directory at or above
// dir that holds .git (a clone, a worktree or a submodule), or dir itself when none does (a
// source archive). Symlinks are resolved.
func RepoRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	for d := real; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return real, nil
		}
		d = parent
	}
}

// resolvePath is p with every symlink resolved. A path that does not exist (yet) is resolved as
// far as it exists and the rest appended, so a missing file under a symlinked directory is still
// judged by where the directory really is.
func resolvePath(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return p, nil
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}

// Inside resolves p (symlinks included) and reports whether it lies inside root, a directory as
// RepoRoot returns it. The resolved path is returned either way, for messages.
func Inside(root, p string) (string, bool, error) {
	real, err := resolvePath(p)
	if err != nil {
		return "", false, err
	}
	return real, insideDir(root, real), nil
}

// insideDir reports whether the resolved path p is root or under it.
func insideDir(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// confine resolves the slash-separated path rel (relative to dir) and returns it when it lies
// inside root. what names the path in the error ("context", "dockerfile"); key is the config
// key that set it ("" for a path the convention found), for the error's position.
func confine(root, dir, rel, what, key string) (string, error) {
	real, err := resolvePath(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", &ConfigError{Files: []string{rel}, Key: key, Msg: fmt.Sprintf("%s %q: %v", what, rel, err)}
	}
	if insideDir(root, real) {
		return real, nil
	}
	where := "resolves to " + real
	if lexical := filepath.Join(dir, filepath.FromSlash(rel)); insideDir(root, lexical) {
		where = "is a symlink to " + real
	}
	msg := fmt.Sprintf("%s, outside the repository (%s): a build reads only files of the checkout", where, root)
	if key == "" {
		// A path the convention found: the file itself is the place to look.
		return "", &ConfigError{Files: []string{rel}, Msg: msg}
	}
	return "", &ConfigError{Files: []string{configFile}, Key: key, Msg: fmt.Sprintf("%s: %q %s", key, rel, msg)}
}

// confineImages resolves every image's context and Dockerfile inside root, keeping the resolved
// paths for the build to read, or returns the first that leaves it.
func confineImages(root, dir string, images []Image) error {
	for i := range images {
		im := &images[i]
		var err error
		if im.ctxPath, err = confine(root, dir, im.Context, "context", im.contextKey); err != nil {
			return err
		}
		if im.dfPath, err = confine(root, dir, im.Dockerfile, "dockerfile", im.dockerfileKey); err != nil {
			return err
		}
	}
	return nil
}
