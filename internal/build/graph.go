package build

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	model "github.com/Molecule-AI/molecule-ci/internal/dockerfile"
)

// Image is one node of the build graph.
type Image struct {
	// Name is the short name shown in progress lines and the summary, e.g. "claude-code".
	Name string
	// Ref is the name other Dockerfiles of the set build FROM, e.g. "workspace-template:base".
	Ref string
	// Dockerfile and Context are slash-separated paths relative to the graph's directory.
	Dockerfile string
	Context    string
	Target     string
	// Args are this image's own build args (the global ones are merged in at build time).
	Args      map[string]string
	Platforms []string
	// Tags are tag templates for this image; empty means the run's templates apply.
	Tags  []string
	Smoke []string
	// SmokeImports and SmokeBoot are the import and boot checks (nil: none).
	SmokeImports *config.ImportCheck
	SmokeBoot    *config.BootCheck
	// single marks the one image of a single-image repository: with no tag templates it is
	// tagged <ref>:latest and <ref>:sha-<7>.
	single bool
	// Deps are the names of the images of the set this one builds on, sorted.
	Deps []string
	// depRefs maps each dependency's name to the normalised FROM/--from name the Dockerfile
	// uses for it, which is the key of the named context that hands the built image over.
	depRefs map[string]string
	// sees are the context paths the Dockerfile reads (COPY/ADD sources, bind mounts); nil when
	// it could not be worked out, which means "everything".
	sees []string
	// contextKey and dockerfileKey are the config keys that set Context and Dockerfile ("" for
	// paths the convention found), for errors; ctxPath and dfPath are the two resolved inside
	// the repository (see confine), which is what the build reads.
	contextKey, dockerfileKey string
	ctxPath, dfPath           string
	// foreign are the FROM names that are not images of the set (a registry's images);
	// convention marks the images the convention found, whose base is "base".
	foreign    []string
	convention bool
	// parseErr is kept rather than returned: BuildKit reports the same error with its own
	// wording and line when the image is built, and the rest of the set still builds.
	parseErr error
}

// Graph is the set of images in build order: every image comes after what it builds on, ties
// broken by name so the order is deterministic.
type Graph struct {
	// Dir is the directory the image paths are relative to.
	Dir    string
	Images []Image
}

// Lookup returns the image with the given name.
func (g *Graph) Lookup(name string) (*Image, bool) {
	for i := range g.Images {
		if g.Images[i].Name == name {
			return &g.Images[i], true
		}
	}
	return nil, false
}

// Names returns the image names in build order.
func (g *Graph) Names() []string {
	out := make([]string, len(g.Images))
	for i, im := range g.Images {
		out[i] = im.Name
	}
	return out
}

// Discover builds the graph for dir: from cfg's images when it lists any, otherwise from the
// convention (dir/<context>/Dockerfile is the base, tagged <dirname>:base, and each
// adapters/<x>/Dockerfile builds FROM it with the base directory as context, tagged
// <dirname>:<x with _ replaced by ->).
//
// With build.single (and no images listed) the Dockerfile at the context is the one image, named
// after the runtime derived from the directory's name (see SingleImage).
//
// Every context and Dockerfile must resolve (symlinks included) inside the repository that holds
// dir (see RepoRoot); one that does not is a *ConfigError.
func Discover(dir string, cfg *config.BuildConfig) (*Graph, error) {
	return discover(dir, "", cfg, "")
}

// discover is Discover with the repository root the images must stay in ("" means RepoRoot of
// dir) and the repository name single-image mode derives the runtime from ("" means the
// directory's name).
func discover(dir, root string, cfg *config.BuildConfig, repo string) (*Graph, error) {
	if cfg == nil {
		cfg = &config.BuildConfig{}
	}
	if root == "" {
		var err error
		if root, err = RepoRoot(dir); err != nil {
			return nil, fmt.Errorf("find the repository root of %s: %w", dir, err)
		}
	}
	var images []Image
	var err error
	switch {
	case len(cfg.Images) > 0:
		images, err = fromConfig(cfg)
	case cfg.Single != nil:
		images, err = fromSingle(dir, cmp.Or(cfg.Context, "."), cfg.Single, repo)
	default:
		images, err = fromConvention(dir, cmp.Or(cfg.Context, "."), cfg.BaseName)
	}
	if err != nil {
		return nil, err
	}
	if len(cfg.Images) == 0 && cfg.Context != "" {
		for i := range images {
			images[i].contextKey = "build.context"
		}
	}
	if err := confineImages(root, dir, images); err != nil {
		return nil, err
	}
	for i := range images {
		images[i].readDockerfile()
		var ce *ConfigError
		if errors.As(images[i].parseErr, &ce) {
			return nil, ce
		}
	}
	if err := link(images); err != nil {
		return nil, err
	}
	sorted, err := topoSort(images)
	if err != nil {
		return nil, err
	}
	return &Graph{Dir: dir, Images: sorted}, nil
}

func fromConfig(cfg *config.BuildConfig) ([]Image, error) {
	seen := map[string]bool{}
	refs := map[string]string{}
	var images []Image
	for i, c := range cfg.Images {
		key := fmt.Sprintf("build.images[%d]", i)
		if c.Name == "" {
			return nil, &ConfigError{Files: []string{configFile}, Key: key, Msg: key + ": name is required"}
		}
		if seen[c.Name] {
			return nil, &ConfigError{Files: []string{configFile}, Key: key + ".name", Msg: fmt.Sprintf("build.images: duplicate image name %q", c.Name)}
		}
		seen[c.Name] = true
		ctxDir := cleanRel(cmp.Or(c.Context, "."))
		im := Image{
			Name:       c.Name,
			Ref:        cmp.Or(c.Ref, c.Name),
			Context:    ctxDir,
			Dockerfile: cleanRel(cmp.Or(c.Dockerfile, path.Join(ctxDir, "Dockerfile"))),
			Target:     c.Target,
			Args:       c.Args,
			Platforms:  c.Platforms,
			Tags:       c.Tags,
			Smoke:      c.Smoke,

			SmokeImports: c.SmokeImports,
			SmokeBoot:    c.SmokeBoot,

			contextKey:    key,
			dockerfileKey: key,
		}
		if c.Context != "" {
			im.contextKey = key + ".context"
			im.dockerfileKey = im.contextKey
		}
		if c.Dockerfile != "" {
			im.dockerfileKey = key + ".dockerfile"
		}
		if err := checkSmoke(&im, fmt.Sprintf("build.images[%d] (%s)", i, c.Name)); err != nil {
			return nil, err
		}
		key, err := contextKey(im.Ref)
		if err != nil {
			return nil, &ConfigError{Files: []string{configFile}, Key: key + ".ref", Msg: fmt.Sprintf("build.images[%d] (%s): invalid ref %q: %v", i, c.Name, im.Ref, err)}
		}
		if other, ok := refs[key]; ok {
			return nil, &ConfigError{Files: []string{configFile}, Key: key + ".ref", Msg: fmt.Sprintf("build.images: images %q and %q have the same ref %q", other, c.Name, im.Ref)}
		}
		refs[key] = c.Name
		images = append(images, im)
	}
	return images, nil
}

// configFile names the config in errors about the build: section.
const configFile = ".molecule-ci.yml"

// fromConvention finds the base (ctxDir/Dockerfile) and its adapters (ctxDir/adapters/*/Dockerfile),
// named <baseName>:base and <baseName>:<adapter>; baseName "" means the directory's name.
func fromConvention(dir, ctxDir, baseName string) ([]Image, error) {
	ctxDir = cleanRel(ctxDir)
	abs, err := filepath.Abs(filepath.Join(dir, filepath.FromSlash(ctxDir)))
	if err != nil {
		return nil, fmt.Errorf("discover images: %w", err)
	}
	base := path.Join(ctxDir, "Dockerfile")
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(base))); err != nil {
		return nil, &ConfigError{
			Files: []string{cleanRel(ctxDir)},
			Msg:   "no build: section in " + configFile + " and no Dockerfile here to build by convention (a Dockerfile plus adapters/*/Dockerfile)",
		}
	}
	repo := baseName
	if repo == "" {
		repo = strings.ToLower(filepath.Base(abs))
	} else if _, err := contextKey(repo + ":base"); err != nil || strings.Contains(repo, ":") {
		return nil, &ConfigError{Files: []string{configFile}, Key: "build.base-name",
			Msg: fmt.Sprintf("build.base-name: %q is not an image repository name (lowercase letters, digits and . _ - /, no tag)", repo)}
	}
	images := []Image{{Name: "base", Ref: repo + ":base", Dockerfile: base, Context: ctxDir, convention: true}}
	matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(ctxDir), "adapters", "*", "Dockerfile"))
	if err != nil {
		return nil, fmt.Errorf("discover adapters: %w", err)
	}
	slices.Sort(matches)
	for _, m := range matches {
		x := filepath.Base(filepath.Dir(m))
		name := strings.ReplaceAll(x, "_", "-")
		images = append(images, Image{
			Name:       name,
			Ref:        repo + ":" + name,
			Dockerfile: path.Join(ctxDir, "adapters", x, "Dockerfile"),
			Context:    ctxDir,
			convention: true,
		})
	}
	return images, nil
}

func cleanRel(p string) string {
	return path.Clean(filepath.ToSlash(p))
}

// stageRef is a name a Dockerfile builds from or copies from, where it appears.
type stageRef struct {
	name string
	line int
}

// readDockerfile fills in what the build needs from the Dockerfile: which images it builds on
// and which context paths it can see.
func (im *Image) readDockerfile() {
	dt, err := os.ReadFile(im.dfPath)
	if err != nil {
		im.parseErr = err
		return
	}
	refs, sees, stages, err := scanDockerfile(dt, im.Args)
	if err != nil {
		im.parseErr = err
	} else if sees == nil {
		sees = []string{} // parsed, and reads nothing from the context
	}
	im.sees = sees
	im.depRefs = map[string]string{}
	for _, r := range refs {
		im.depRefs[r.name] = r.name // resolved against the set by link
	}
	if im.Target != "" && err == nil {
		if !slices.Contains(stages, strings.ToLower(im.Target)) {
			im.parseErr = &ConfigError{
				Files: []string{im.Dockerfile},
				Msg:   fmt.Sprintf("target stage %q not found (valid: %s)", im.Target, strings.Join(stages, ", ")),
			}
		}
	}
}

// scanDockerfile returns the external images a Dockerfile builds or copies from (stage names
// and indexes excluded), the context paths it reads (nil means all of them: a path with a
// variable that has no value could be any) and its stage names. It reads the shared Dockerfile
// model, which keeps the outline of a file with an instruction BuildKit refuses, so such a
// Dockerfile still yields its edges; BuildKit reports the instruction error itself when the image
// is built.
func scanDockerfile(dt []byte, args map[string]string) (refs []stageRef, sees []string, stages []string, err error) {
	f, err := model.Parse(context.Background(), dt, model.Options{BuildArgs: args})
	if err != nil {
		return nil, nil, nil, err
	}
	stageSet := map[string]bool{}
	seen := map[string]bool{}
	addRef := func(name string, line int) {
		if name == "" || stageSet[strings.ToLower(name)] || seen[name] {
			return
		}
		if _, err := strconv.Atoi(name); err == nil {
			return // COPY --from=0: a stage index
		}
		seen[name] = true
		refs = append(refs, stageRef{name: name, line: line})
	}
	all := false
	for _, st := range f.Stages {
		addRef(st.Base, st.FirstLine)
		if st.Name != "" {
			stageSet[st.Name] = true
			stages = append(stages, st.Name)
		}
		for _, in := range st.Instructions {
			all = all || in.Unexpanded || in.MountsErr != nil
			switch c := in.Command.(type) {
			case *instructions.CopyCommand:
				addRef(c.From, in.Line())
			case *instructions.RunCommand:
				for _, m := range in.Mounts {
					if m.From != "" {
						addRef(m.From, in.Line())
					} else if m.Type == instructions.MountTypeBind {
						sees = append(sees, cmp.Or(m.Source, "."))
					}
				}
			}
			sees = append(sees, in.Sources...)
		}
	}
	if all {
		sees = nil
	}
	return refs, sees, stages, nil
}

// contextKey normalises an image name the way the Dockerfile frontend looks up named contexts
// (familiar form, ":latest" dropped), so "FROM docker.io/library/x:latest" and "FROM x" meet.
func contextKey(name string) (string, error) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(reference.FamiliarString(named), ":latest"), nil
}

// link turns each image's FROM names into edges to other images of the set, and rejects names
// that use a repository of the set with a tag no image has.
func link(images []Image) error {
	byKey := map[string]string{}
	repos := map[string][]string{}
	for _, im := range images {
		key, err := contextKey(im.Ref)
		if err != nil {
			return &ConfigError{Files: []string{im.Dockerfile}, Msg: fmt.Sprintf("image %q: invalid ref %q: %v", im.Name, im.Ref, err)}
		}
		byKey[key] = im.Name
		repo, _, _ := strings.Cut(key, ":")
		repos[repo] = append(repos[repo], im.Ref)
	}
	for i := range images {
		im := &images[i]
		resolved := map[string]string{}
		for _, name := range slices.Sorted(mapsKeys(im.depRefs)) {
			key, err := contextKey(name)
			if err != nil {
				continue // an ARG we could not expand, or scratch-like names; BuildKit decides
			}
			if dep, ok := byKey[key]; ok {
				if dep == im.Name {
					return &ConfigError{Files: []string{im.Dockerfile}, Msg: fmt.Sprintf("image %q builds FROM itself (%s)", im.Name, name)}
				}
				resolved[dep] = key
				continue
			}
			im.foreign = append(im.foreign, name)
			repo, _, _ := strings.Cut(key, ":")
			if known, ok := repos[repo]; ok {
				slices.Sort(known)
				return &ConfigError{
					Files: []string{im.Dockerfile},
					Msg:   fmt.Sprintf("FROM %s: unknown image of the set (valid: %s)", name, strings.Join(known, ", ")),
				}
			}
		}
		im.depRefs = resolved
		im.Deps = slices.Sorted(mapsKeys(resolved))
	}
	return nil
}

// baseHint explains a failed adapter of the convention that builds FROM an image tagged like the
// base but named otherwise ("FROM workspace-template:base" where the base here is "foo:base"):
// that name was looked up in a registry instead of handed the base built here. "" otherwise.
func (g *Graph) baseHint(im *Image) string {
	base, ok := g.Lookup("base")
	if !ok || !im.convention || im.Name == "base" {
		return ""
	}
	_, tag, _ := strings.Cut(base.Ref, ":")
	for _, name := range im.foreign {
		key, err := contextKey(name)
		if err != nil {
			continue
		}
		if repo, t, ok := strings.Cut(key, ":"); ok && t == tag {
			return fmt.Sprintf("FROM %s is not the base this build made, which is %s, so it was looked up in a registry; "+
				"set build.base-name: %s in .molecule-ci.yml to build the base under the name the adapters use", name, base.Ref, repo)
		}
	}
	return ""
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// topoSort orders images so each comes after its dependencies, alphabetically among equals
// (Kahn's algorithm with a sorted ready list), and reports a cycle naming its files.
func topoSort(images []Image) ([]Image, error) {
	byName := map[string]*Image{}
	indeg := map[string]int{}
	users := map[string][]string{}
	for i := range images {
		byName[images[i].Name] = &images[i]
	}
	for _, im := range images {
		indeg[im.Name] = len(im.Deps)
		for _, d := range im.Deps {
			users[d] = append(users[d], im.Name)
		}
	}
	var ready []string
	for _, im := range images {
		if indeg[im.Name] == 0 {
			ready = append(ready, im.Name)
		}
	}
	var out []Image
	for len(ready) > 0 {
		slices.Sort(ready)
		n := ready[0]
		ready = ready[1:]
		out = append(out, *byName[n])
		for _, u := range users[n] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(out) == len(images) {
		return out, nil
	}
	return nil, cycleError(images, indeg)
}

func cycleError(images []Image, indeg map[string]int) error {
	byName := map[string]*Image{}
	for i := range images {
		byName[images[i].Name] = &images[i]
	}
	// Walk dependencies from the first image left in the cycle until a name repeats.
	var start string
	for _, im := range images {
		if indeg[im.Name] > 0 {
			start = im.Name
			break
		}
	}
	var chain []string
	pos := map[string]int{}
	for n := start; ; {
		if p, ok := pos[n]; ok {
			chain = append(chain[p:], n)
			break
		}
		pos[n] = len(chain)
		chain = append(chain, n)
		for _, d := range byName[n].Deps {
			if indeg[d] > 0 {
				n = d
				break
			}
		}
	}
	var files, steps []string
	for i, n := range chain {
		steps = append(steps, fmt.Sprintf("%s (%s)", n, byName[n].Dockerfile))
		if i < len(chain)-1 {
			files = append(files, byName[n].Dockerfile)
		}
	}
	return &ConfigError{Files: files, Msg: "dependency cycle: " + strings.Join(steps, " -> ")}
}
