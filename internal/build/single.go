package build

import (
	"cmp"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// The organisation's defaults for single-image (workspace template) repositories, as the publish
// workflow they replace spelled them.
const (
	DefaultSinglePrefix = "molecule-ai-workspace-template-"
	DefaultSingleRef    = "workspace-template-{runtime}"
	DefaultBootTimeout  = 120 * time.Second
	DefaultBootMount    = "/configs"
	DefaultImportDir    = "/app"
	DefaultPython       = "python3"
)

// runtimeRE is what a derived or given runtime name must look like: it becomes part of an image
// reference.
var runtimeRE = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// RuntimeName derives the runtime of a single-image repository: explicit when given, else the
// repository name with prefix stripped. A repository name without the prefix is an error that
// says how to fix it, as the publish workflow did.
func RuntimeName(explicit, repo, prefix string) (string, error) {
	rt := explicit
	if rt == "" {
		prefix = cmp.Or(prefix, DefaultSinglePrefix)
		name := strings.ToLower(repo)
		var ok bool
		rt, ok = strings.CutPrefix(name, prefix)
		if !ok || rt == "" {
			return "", fmt.Errorf("repository name %q does not match %q: set build.single.runtime (the publish workflow's runtime_name input) explicitly", repo, prefix+"<runtime>")
		}
	}
	if !runtimeRE.MatchString(rt) {
		return "", fmt.Errorf("runtime name %q is not a valid image name component (lowercase letters, digits and . _ - between them)", rt)
	}
	return rt, nil
}

// RepoFromSource is the repository name at the end of a source URL
// (https://github.com/Molecule-AI/x -> x); "" when there is none.
func RepoFromSource(source string) string {
	s := strings.TrimSuffix(strings.TrimSuffix(source, "/"), ".git")
	if i := strings.LastIndex(s, "/"); i >= 0 && i < len(s)-1 {
		return s[i+1:]
	}
	return ""
}

func fromSingle(dir, ctxDir string, s *config.SingleImage, repo string) ([]Image, error) {
	ctxDir = cleanRel(ctxDir)
	df := path.Join(ctxDir, "Dockerfile")
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(df))); err != nil {
		return nil, &ConfigError{Files: []string{df}, Msg: "build.single: no Dockerfile to build (the repository's root Dockerfile is its one image)"}
	}
	repo = cmp.Or(s.Repository, repo)
	if repo == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("discover image: %w", err)
		}
		repo = filepath.Base(abs)
	}
	rt, err := RuntimeName(s.Runtime, repo, s.Prefix)
	if err != nil {
		return nil, &ConfigError{Files: []string{configFile}, Msg: "build.single: " + err.Error()}
	}
	ref := strings.ReplaceAll(cmp.Or(s.Ref, DefaultSingleRef), "{runtime}", rt)
	if _, err := contextKey(ref); err != nil {
		return nil, &ConfigError{Files: []string{configFile}, Msg: fmt.Sprintf("build.single: ref %q: %v", ref, err)}
	}
	im := Image{
		Name: rt, Ref: ref, Dockerfile: df, Context: ctxDir, single: true,
		Smoke: s.Smoke, SmokeImports: s.SmokeImports, SmokeBoot: s.SmokeBoot,
	}
	if err := checkSmoke(&im, "build.single"); err != nil {
		return nil, err
	}
	if b := im.SmokeBoot; b != nil {
		for _, f := range b.Files {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(ctxDir), filepath.FromSlash(f))); err != nil {
				return nil, &ConfigError{Files: []string{path.Join(ctxDir, f)}, Msg: "build.single.smoke-boot.files: not found in the build context; the boot check mounts it at " + cmp.Or(b.Mount, DefaultBootMount)}
			}
		}
	}
	return []Image{im}, nil
}

// checkSmoke validates the import and boot checks' settings where they are given.
func checkSmoke(im *Image, where string) error {
	bad := func(format string, a ...any) error {
		return &ConfigError{Files: []string{configFile}, Msg: where + ": " + fmt.Sprintf(format, a...)}
	}
	if c := im.SmokeImports; c != nil {
		if d := c.Dir; d != "" && !path.IsAbs(d) {
			return bad("smoke-imports.dir %q must be an absolute path in the image", d)
		}
	}
	if b := im.SmokeBoot; b != nil {
		if b.Timeout < 0 {
			return bad("smoke-boot.timeout %s must be positive", b.Timeout)
		}
		if m := b.Mount; m != "" && (!path.IsAbs(m) || path.Clean(m) == "/") {
			return bad("smoke-boot.mount %q must be an absolute directory other than /", m)
		}
		for _, f := range b.Files {
			c := path.Clean(filepath.ToSlash(f))
			if f == "" || path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") || strings.ContainsAny(f, "*?[") {
				return bad("smoke-boot.files: %q must be a plain path inside the build context", f)
			}
		}
		if m := b.RequiresImport; m != "" && !moduleRE.MatchString(m) {
			return bad("smoke-boot.requires-import %q is not a Python module name", safeName(m))
		}
		for k := range b.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return bad("smoke-boot.env: %q is not a variable name", k)
			}
		}
	}
	return nil
}
