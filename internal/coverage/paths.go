package coverage

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
)

// module is one go.mod found under the repository root.
type module struct {
	path string // module path, e.g. github.com/Molecule-AI/molecule-monorepo/platform
	dir  string // slash-separated directory relative to the root, "" for the root itself
}

// paths turns the file names reports write (import paths, absolute paths, paths relative to a
// source directory or to where the producer ran) into slash-separated paths relative to the
// repository root.
type paths struct {
	root    string // absolute, cleaned
	modules []module
	scanned bool
	exists  map[string]bool
}

func newPaths(root string) *paths {
	return &paths{root: root, exists: map[string]bool{}}
}

// skipDirs are never searched for go.mod: they hold other people's modules, not this repository's.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true}

// scanModules finds every go.mod under the root, nested modules included, longest module path
// first so that a nested module wins over the module around it.
func (p *paths) scanModules() {
	if p.scanned {
		return
	}
	p.scanned = true
	_ = filepath.WalkDir(p.root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && name != p.root {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			base := d.Name()
			if name != p.root && (skipDirs[base] || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() != "go.mod" {
			return nil
		}
		if mp := modulePath(name); mp != "" {
			rel, _ := filepath.Rel(p.root, filepath.Dir(name))
			rel = filepath.ToSlash(rel)
			if rel == "." {
				rel = ""
			}
			p.modules = append(p.modules, module{path: mp, dir: rel})
		}
		return nil
	})
	slices.SortFunc(p.modules, func(a, b module) int {
		if len(a.path) != len(b.path) {
			return len(b.path) - len(a.path)
		}
		return strings.Compare(a.dir, b.dir)
	})
}

var moduleLine = regexp.MustCompile(`^module\s+("[^"]+"|\S+)`)

// modulePath reads the module directive of a go.mod.
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if m := moduleLine.FindSubmatch(line); m != nil {
			mp := string(m[1])
			if uq, err := strconv.Unquote(mp); err == nil {
				mp = uq
			}
			return mp
		}
	}
	return ""
}

// goFile maps a Go coverprofile file name. ok is false when no module under the root claims it;
// the name is then kept as written.
func (p *paths) goFile(name string) (rel string, ok bool) {
	if strings.HasPrefix(name, "_/") { // a file outside GOPATH and modules: "_" + absolute path
		name = name[1:]
	}
	if filepath.IsAbs(name) || strings.HasPrefix(name, "/") {
		return p.absolute(name)
	}
	p.scanModules()
	for _, m := range p.modules {
		if rest, found := strings.CutPrefix(name, m.path+"/"); found {
			return path.Join(m.dir, rest), true
		}
	}
	return path.Clean(name), false
}

// file maps a file name from a report at reportPath. Relative names are tried against each base
// in bases (Cobertura sources), then against the report's directory and its parents up to the
// root, then against the root; the first candidate that exists wins. ok is false when the file
// is outside the root or exists nowhere.
func (p *paths) file(name, reportPath string, bases []string) (rel string, ok bool) {
	name = filepath.FromSlash(strings.ReplaceAll(name, `\`, "/"))
	if filepath.IsAbs(name) {
		return p.absolute(name)
	}
	var fallback string
	for _, b := range bases {
		cand := filepath.Join(b, name)
		if !filepath.IsAbs(cand) {
			cand = filepath.Join(p.root, cand)
		}
		if p.inside(cand) {
			r := p.rel(cand)
			if p.existsRel(r) {
				return r, true
			}
			if fallback == "" {
				fallback = r
			}
			continue
		}
		if r, ok := p.absolute(cand); ok {
			return r, true
		}
	}
	if fallback != "" {
		return fallback, false
	}
	if reportPath != "" {
		dir, err := filepath.Abs(filepath.Dir(reportPath))
		for err == nil && p.inside(dir) {
			if r := p.rel(filepath.Join(dir, name)); p.existsRel(r) {
				return r, true
			}
			if dir == p.root {
				break
			}
			dir = filepath.Dir(dir)
		}
	}
	r := p.rel(filepath.Join(p.root, name))
	return r, p.existsRel(r)
}

// absolute maps an absolute path: relative to the root when inside it; otherwise the longest
// tail of it that exists under the root (a report made on another machine or checkout, e.g.
// /home/runner/work/repo/repo/workspace/x.py); otherwise the path as written, not ok.
func (p *paths) absolute(name string) (string, bool) {
	name = filepath.Clean(name)
	if p.inside(name) {
		r := p.rel(name)
		return r, true
	}
	parts := strings.Split(filepath.ToSlash(name), "/")
	for i := 1; i < len(parts); i++ {
		tail := strings.Join(parts[i:], "/")
		if tail != "" && p.existsRel(tail) {
			return tail, true
		}
	}
	return filepath.ToSlash(name), false
}

func (p *paths) inside(abs string) bool {
	r, err := filepath.Rel(p.root, abs)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

func (p *paths) rel(abs string) string {
	r, err := filepath.Rel(p.root, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(r)
}

func (p *paths) existsRel(rel string) bool {
	if rel == "" || rel == "." || strings.HasPrefix(rel, "../") {
		return false
	}
	if v, ok := p.exists[rel]; ok {
		return v
	}
	st, err := os.Stat(filepath.Join(p.root, filepath.FromSlash(rel)))
	v := err == nil && st.Mode().IsRegular()
	p.exists[rel] = v
	return v
}

// maxGeneratedHead is how much of a Go file is searched for the generated-code marker.
const maxGeneratedHead = 1 << 20

// insideReal reports whether abs is inside the root once the root's own symlinks are resolved
// (a checkout under a symlinked /tmp, say).
func (p *paths) insideReal(abs string) bool {
	root, err := filepath.EvalSymlinks(p.root)
	if err != nil {
		return false
	}
	r, err := filepath.Rel(root, abs)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// generatedMarker is Go's convention for generated files (https://go.dev/s/generatedcode).
var generatedMarker = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// isGenerated reports whether the Go file at rel carries the generated-code marker before its
// package clause. A file that cannot be read is not generated.
func (p *paths) isGenerated(rel string) bool {
	// Only files inside the root are opened: a report names files (../../etc/x.go, a symlink out
	// of the checkout) that a pull request controls. Regular files only, and only the head of
	// the file is read (the marker must precede the package clause).
	if !p.existsRel(rel) {
		return false
	}
	abs := filepath.Join(p.root, filepath.FromSlash(rel))
	if real, err := filepath.EvalSymlinks(abs); err != nil || !p.inside(real) && !p.insideReal(real) {
		return false
	}
	f, err := fsutil.OpenRegular(abs)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxGeneratedHead))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if generatedMarker.MatchString(line) {
			return true
		}
		if strings.HasPrefix(line, "package ") {
			return false
		}
	}
	return false
}
