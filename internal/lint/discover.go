package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
)

// FileKind says which linter a file goes to.
type FileKind int

// The kinds of file lint knows.
const (
	KindUnknown FileKind = iota
	KindWorkflow
	KindAction
	KindDockerfile
	KindConfig
)

var kindNames = map[FileKind]string{
	KindWorkflow: "workflow", KindAction: "action metadata", KindDockerfile: "Dockerfile",
	KindConfig: "molecule-ci config",
}

func (k FileKind) String() string { return kindNames[k] }

// file is one file to lint: Path is what findings show (relative to the working directory,
// slash-separated), Abs is where to read it, Rel is its path relative to the repository root
// (what ignore globs match).
type file struct {
	Path string
	Abs  string
	Rel  string
	Kind FileKind
	// Explicit files were named on the command line: a problem reading one is a usage error,
	// not a finding.
	Explicit bool
	// Problem, when set, is why the file is not linted; it becomes a RuleNotLinted finding.
	Problem string
}

// skipDirs are never descended into: they hold other people's code or build output, and walking
// node_modules alone can take longer than linting everything else.
var skipDirs = []string{".git", "node_modules", "vendor", ".venv", "__pycache__"}

// classify decides from a slash path relative to the repository root what kind of file it is.
func classify(rel string) FileKind {
	base := path.Base(rel)
	dir := path.Dir(rel)
	ext := path.Ext(base)
	isYAML := ext == ".yml" || ext == ".yaml"
	switch {
	case base == ".molecule-ci.yml" || base == ".molecule-ci.yaml":
		return KindConfig
	// A workflows folder holds workflows whatever their names: GitHub and Gitea run an action.yml
	// there as a workflow, so it is linted as one, not as action metadata.
	case isYAML && (strings.HasSuffix(dir, "/.github/workflows") || dir == ".github/workflows" ||
		strings.HasSuffix(dir, "/.gitea/workflows") || dir == ".gitea/workflows"):
		return KindWorkflow
	case base == "action.yml" || base == "action.yaml":
		return KindAction
	case isYAML && (strings.HasPrefix(rel, "workflows-shared/") || strings.Contains(rel, "/workflows-shared/")):
		return KindWorkflow
	case isDockerfileName(base):
		return KindDockerfile
	}
	return KindUnknown
}

// classifyExplicit decides the kind of a file named on the command line. Its place decides
// first, as for files found by walking; a YAML file elsewhere is a workflow when its top level
// has on: or jobs:, action metadata when it has runs:. Everything else is refused, so
// `lint config.yaml` says what it expected instead of reporting a workflow's missing sections.
// This is the one place that decides what an explicit file may be.
func classifyExplicit(rel string, read func() ([]byte, error)) (FileKind, error) {
	if k := classify(rel); k != KindUnknown {
		return k, nil
	}
	if ext := path.Ext(rel); ext != ".yml" && ext != ".yaml" {
		return KindUnknown, nil
	}
	src, err := read()
	if err != nil {
		return KindUnknown, err
	}
	keys := topLevelKeys(src)
	switch {
	case keys["jobs"] || keys["on"]:
		return KindWorkflow, nil
	case keys["runs"]:
		return KindAction, nil
	}
	return KindUnknown, nil
}

// topLevelKeys are the keys of a YAML document's top-level mapping; none when it is not one.
// Aliases are not expanded, so a hostile file costs one parse.
func topLevelKeys(src []byte) map[string]bool {
	var doc yaml.Node
	keys := map[string]bool{}
	if yaml.Unmarshal(src, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return keys
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return keys
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		keys[m.Content[i].Value] = true
	}
	return keys
}

func isDockerfileName(base string) bool {
	return base == "Dockerfile" || strings.HasSuffix(base, ".Dockerfile") ||
		strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".dockerfile")
}

// PathError is a PATH on the command line that lint cannot use: missing, not a file lint knows,
// not a regular file, too large, or holding nothing to lint. The CLI exits 2 for it.
type PathError struct {
	Path string
	Msg  string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Msg }
func (e *PathError) Unwrap() error { return e.Err }

// UnknownFileError is returned when a file named on the command line is not something lint knows.
type UnknownFileError struct{ Path string }

func (e *UnknownFileError) Error() string {
	return fmt.Sprintf("%s: not a workflow, action metadata, Dockerfile or .molecule-ci.yml (a workflow lives in .github/workflows or has top-level on: and jobs:; action metadata is action.yml or has runs:)", e.Path)
}

// discover lists the CI files to lint under each of paths, sorted and without duplicates.
// Display paths are relative to workDir; ignore globs match paths relative to root (the
// repository). A directory that is itself ignored is a *PathError; whether a directory held
// anything at all to check (CI files, text files for the secret scan, a contract) Run decides.
func discover(ctx context.Context, workDir, root string, paths, ignore []string, maxSize int64) ([]file, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	if root == "" {
		root = workDir
	}
	seen := map[string]bool{}
	var out []file
	add := func(f file) {
		if seen[f.Path] || ignored(f.Rel, ignore) {
			return
		}
		seen[f.Path] = true
		out = append(out, f)
	}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(workDir, p)
		}
		info, err := os.Stat(abs)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &PathError{Path: p, Msg: err.Error(), Err: err}
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				return nil, &PathError{Path: p, Msg: fmt.Sprintf("not a regular file (%s); lint reads only regular files", fsutil.Kind(info.Mode()))}
			}
			kind, err := classifyExplicit(relTo(root, abs), func() ([]byte, error) { return fsutil.ReadRegular(abs, maxSize) })
			if err != nil {
				return nil, readProblem(p, err)
			}
			if kind == KindUnknown {
				return nil, &UnknownFileError{Path: p}
			}
			f := file{Path: display(workDir, abs), Abs: abs, Rel: relTo(root, abs), Kind: kind, Explicit: true}
			if ignored(f.Rel, ignore) {
				return nil, &PathError{Path: p, Msg: "nothing to lint: the file is ignored by lint.ignore"}
			}
			add(f)
			continue
		}
		if r := relTo(root, abs); r != "." && ignored(r, ignore) {
			return nil, &PathError{Path: p, Msg: "nothing to lint: the directory is ignored by lint.ignore"}
		}
		walkRoot := abs
		if lst, err := os.Lstat(abs); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
			// A PATH that is a symlink to a directory is walked through the link (WalkDir
			// would not enter it); the paths shown stay under the name the user gave.
			walkRoot = abs + string(filepath.Separator)
		}
		err = filepath.WalkDir(walkRoot, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			fp = filepath.Clean(fp)
			rel := relTo(root, fp)
			if d.Type()&fs.ModeSymlink != 0 && isCIDir(rel) {
				// The directories whose files lint classifies by place are not followed when
				// they are symlinks, and say so instead of vanishing.
				add(file{Path: display(workDir, fp), Abs: fp, Rel: rel, Kind: KindWorkflow,
					Problem: "not linted: a symlink to a directory; lint does not follow directory symlinks, so the workflows in it are not checked (name the target directory instead)"})
				return nil
			}
			if d.IsDir() {
				if fp != abs && slices.Contains(skipDirs, d.Name()) {
					return filepath.SkipDir
				}
				if fp != abs && ignored(rel, ignore) {
					return filepath.SkipDir
				}
				return nil
			}
			kind := classify(rel)
			if kind == KindUnknown {
				return nil
			}
			f := file{Path: display(workDir, fp), Abs: fp, Rel: rel, Kind: kind}
			if !d.Type().IsRegular() {
				f.Problem = irregular(root, fp, d.Type())
			}
			add(f)
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("lint %s: %w", p, err)
		}
	}
	slices.SortFunc(out, func(a, b file) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// isCIDir reports whether rel names a directory whose YAML files are workflows by place.
func isCIDir(rel string) bool {
	for _, d := range []string{".github", ".gitea", ".github/workflows", ".gitea/workflows", "workflows-shared"} {
		if rel == d || strings.HasSuffix(rel, "/"+d) {
			return true
		}
	}
	return false
}

// irregular says why a non-regular file found by walking is not linted, or "" when it is a
// symlink to a regular file inside the repository (which is then linted like any other file).
func irregular(root, p string, mode fs.FileMode) string {
	if mode&fs.ModeSymlink == 0 {
		return fmt.Sprintf("not linted: %s, not a regular file", fsutil.Kind(mode))
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return fmt.Sprintf("not linted: a symlink that cannot be resolved (%v)", unwrapPath(err))
	}
	st, err := os.Stat(target)
	if err != nil {
		return fmt.Sprintf("not linted: a symlink that cannot be resolved (%v)", unwrapPath(err))
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		realRoot = root
	}
	if !within(realRoot, target) {
		return fmt.Sprintf("not linted: a symlink to %s, outside the repository; only files inside it are linted", target)
	}
	if !st.Mode().IsRegular() {
		return fmt.Sprintf("not linted: a symlink to %s, %s, not a regular file", target, fsutil.Kind(st.Mode()))
	}
	return ""
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readProblem turns a refused read of an explicit file into a *PathError naming what was wrong.
func readProblem(p string, err error) error {
	var tl *fsutil.TooLargeError
	var nr *fsutil.NotRegularError
	switch {
	case errors.As(err, &tl):
		return &PathError{Path: p, Msg: sizeMsg(tl), Err: err}
	case errors.As(err, &nr):
		return &PathError{Path: p, Msg: fmt.Sprintf("not a regular file (%s); lint reads only regular files", fsutil.Kind(nr.Mode)), Err: err}
	}
	return &PathError{Path: p, Msg: unwrapPath(err).Error(), Err: err}
}

func sizeMsg(tl *fsutil.TooLargeError) string {
	if tl.Size < 0 {
		return fmt.Sprintf("larger than the %d-byte limit (raise --max-file-size or lint.max-file-size)", tl.Limit)
	}
	return fmt.Sprintf("%d bytes is larger than the %d-byte limit (raise --max-file-size or lint.max-file-size)", tl.Size, tl.Limit)
}

// display is the path findings show: relative to workDir (with ../ when outside it, as editors
// and the problem matcher expect), slash-separated.
func display(workDir, abs string) string {
	if rel, err := filepath.Rel(workDir, abs); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(abs)
}

// relTo is p relative to root when inside it, else p's slash form: what classify and ignore
// globs see.
func relTo(root, p string) string {
	if rel, err := filepath.Rel(root, p); err == nil && within(root, p) {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

// ignored reports whether rel matches one of the doublestar globs. A glob that names a directory
// ("vendor" or "legacy/**") ignores everything below it.
func ignored(rel string, globs []string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
		if ok, _ := doublestar.Match(strings.TrimSuffix(g, "/")+"/**", rel); ok {
			return true
		}
	}
	return false
}
