package lint

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
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
// slash-separated), Abs is where to read it.
type file struct {
	Path string
	Abs  string
	Kind FileKind
}

// skipDirs are never descended into: they hold other people's code or build output, and walking
// node_modules alone can take longer than linting everything else.
var skipDirs = []string{".git", "node_modules", "vendor", ".venv", "__pycache__"}

// classify decides from a slash path what kind of file it is when found by walking a tree.
func classify(rel string) FileKind {
	base := path.Base(rel)
	dir := path.Dir(rel)
	ext := path.Ext(base)
	isYAML := ext == ".yml" || ext == ".yaml"
	switch {
	case base == ".molecule-ci.yml" || base == ".molecule-ci.yaml":
		return KindConfig
	case base == "action.yml" || base == "action.yaml":
		return KindAction
	case isYAML && (strings.HasSuffix(dir, ".github/workflows") || dir == ".github/workflows" ||
		strings.HasSuffix(dir, ".gitea/workflows") || dir == ".gitea/workflows"):
		return KindWorkflow
	case isYAML && (strings.HasPrefix(rel, "workflows-shared/") || strings.Contains(rel, "/workflows-shared/")):
		return KindWorkflow
	case isDockerfileName(base):
		return KindDockerfile
	}
	return KindUnknown
}

// classifyExplicit decides the kind of a file named on the command line: its name is a stronger
// hint than its place, so any YAML file is taken as a workflow unless it is action metadata.
func classifyExplicit(rel string) FileKind {
	if k := classify(rel); k != KindUnknown {
		return k
	}
	if ext := path.Ext(rel); ext == ".yml" || ext == ".yaml" {
		return KindWorkflow
	}
	return KindUnknown
}

func isDockerfileName(base string) bool {
	return base == "Dockerfile" || strings.HasSuffix(base, ".Dockerfile") ||
		strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".dockerfile")
}

// UnknownFileError is returned when a file named on the command line is not something lint knows.
type UnknownFileError struct{ Path string }

func (e *UnknownFileError) Error() string {
	return fmt.Sprintf("%s: not a file lint knows (want a workflow or action YAML file, a Dockerfile or .molecule-ci.yml)", e.Path)
}

// discover lists the files to lint under each of paths, sorted and without duplicates. Paths in
// the result are relative to workDir when they lie under it.
func discover(workDir string, paths []string, ignore []string) ([]file, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := map[string]bool{}
	var out []file
	add := func(abs string, kind FileKind) {
		rel := display(workDir, abs)
		if seen[rel] || ignored(rel, ignore) {
			return
		}
		seen[rel] = true
		out = append(out, file{Path: rel, Abs: abs, Kind: kind})
	}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(workDir, p)
		}
		info, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("lint %s: %w", p, err)
		}
		if !info.IsDir() {
			kind := classifyExplicit(filepath.ToSlash(p))
			if kind == KindUnknown {
				return nil, &UnknownFileError{Path: p}
			}
			add(abs, kind)
			continue
		}
		err = filepath.WalkDir(abs, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if fp != abs && (slices.Contains(skipDirs, d.Name()) || ignored(display(workDir, fp), ignore)) {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(abs, fp)
			if err != nil {
				return err
			}
			if kind := classify(filepath.ToSlash(rel)); kind != KindUnknown {
				add(fp, kind)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lint %s: %w", p, err)
		}
	}
	slices.SortFunc(out, func(a, b file) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// display is the path findings show: relative to workDir (with ../ when outside it, as editors
// and the problem matcher expect), slash-separated.
func display(workDir, abs string) string {
	if rel, err := filepath.Rel(workDir, abs); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(abs)
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
