package config

import "time"

// BuildConfig is the `build:` section of .molecule-ci.yml: the set of images `molecule-ci build`
// builds. With no images listed, the build discovers them by convention (a directory with a
// Dockerfile and adapters/*/Dockerfile). Paths are relative to the directory of the config file.
type BuildConfig struct {
	// Context is the directory the convention looks in when Images is empty (default ".").
	Context string `yaml:"context"`
	// BaseName is the repository part of the convention's refs: the base is <base-name>:base
	// and each adapter <base-name>:<adapter>, the name the adapters' FROM lines use. Default:
	// workspace-template in a workspace template repository (as the contract recognises one),
	// else the directory's name.
	BaseName string `yaml:"base-name"`
	// Images lists the images explicitly; order does not matter, FROM lines decide it.
	Images []BuildImage `yaml:"images"`
	// Tags are tag templates applied to every image (see build.ExpandTag for the placeholders),
	// e.g. "{registry}/{repo}-{name}:sha-{sha7}". Default: the image's own ref.
	Tags []string `yaml:"tags"`
	// Registry fills {registry} in tag templates, e.g. "ghcr.io/molecule-ai".
	Registry string `yaml:"registry"`
	// Args are build args given to every image; an image's own args win.
	Args map[string]string `yaml:"args"`
	// Platforms, e.g. ["linux/amd64"]; default: the daemon's platform.
	Platforms []string `yaml:"platforms"`
	// Parallel bounds how many images build at once (default 4).
	Parallel int `yaml:"parallel"`
	// CacheFrom and CacheTo are BuildKit cache specs, e.g. "type=registry,ref=ghcr.io/o/cache".
	CacheFrom []string `yaml:"cache-from"`
	CacheTo   []string `yaml:"cache-to"`
	// Secrets are secret specs "id=x,env=Y" or "id=x,src=path", mounted with RUN --mount=type=secret.
	Secrets []string `yaml:"secrets"`
	// Single makes the Dockerfile at Context the one image of the build (a workspace template),
	// named after the repository instead of by the base-and-adapters convention. Ignored when
	// Images lists any.
	Single *SingleImage `yaml:"single"`
}

// SingleImage describes a repository whose root Dockerfile is its one image. The runtime name
// is Runtime when set, else the repository name with Prefix stripped (a name without the prefix
// is an error, as in the publish workflow it replaces); {runtime} in Ref is replaced by it.
type SingleImage struct {
	// Repository is the repository name the runtime is derived from (default: the last segment of
	// the source URL, i.e. $GITHUB_REPOSITORY, else the directory's name).
	Repository string `yaml:"repository"`
	// Prefix is stripped from the repository name (default "molecule-ai-workspace-template-").
	Prefix string `yaml:"prefix"`
	// Runtime names the runtime explicitly, skipping the derivation.
	Runtime string `yaml:"runtime"`
	// Ref is the image's ref; {runtime} is replaced (default "workspace-template-{runtime}").
	// With no tags configured the image is tagged <ref>:latest and <ref>:sha-<7>, under the
	// registry when one is set.
	Ref string `yaml:"ref"`
	// Smoke, SmokeImports and SmokeBoot are the image's smoke checks (see BuildImage).
	Smoke        []string     `yaml:"smoke"`
	SmokeImports *ImportCheck `yaml:"smoke-imports"`
	SmokeBoot    *BootCheck   `yaml:"smoke-boot"`
}

// ImportCheck imports every Python module of a directory of the built image, one module per
// BuildKit exec, so a module whose imports do not resolve against the installed packages stops
// the push and is named.
type ImportCheck struct {
	// Dir is the directory whose *.py files are imported, as the working directory (default "/app").
	Dir string `yaml:"dir"`
	// Python is the interpreter, looked up on the image's PATH (default "python3").
	Python string `yaml:"python"`
	// Exclude lists module names not imported (default ["__init__"]).
	Exclude []string `yaml:"exclude"`
}

// BootCheck runs the image's own ENTRYPOINT and CMD (read from its config) with extra env under
// a time limit, by BuildKit; a non-zero exit or a run past the limit stops the push.
type BootCheck struct {
	// Env is added to the image's environment, e.g. MOLECULE_SMOKE_MODE: "1".
	Env map[string]string `yaml:"env"`
	// Timeout bounds the boot (default 120s). The image needs `timeout` (coreutils or busybox)
	// on its PATH; the run is `timeout -k 10 <secs> <entrypoint> <cmd>`.
	Timeout time.Duration `yaml:"timeout"`
	// Files are build-context paths made available in Mount (e.g. config.yaml at /configs).
	Files []string `yaml:"files"`
	// Mount is the directory Files appear in (default "/configs").
	Mount string `yaml:"mount"`
	// RequiresImport, e.g. molecule_runtime.smoke_mode, skips the boot (with a warning) when
	// this module does not import in the image: a runtime that predates smoke mode would serve
	// forever instead of exiting. Empty: always boot.
	RequiresImport string `yaml:"requires-import"`
}

// BuildImage is one image of the build: where its Dockerfile is, what it is called, and how to
// check it works.
type BuildImage struct {
	// Name is the short name used in progress lines, the summary and tag templates ({name}).
	Name string `yaml:"name"`
	// Ref is the name other Dockerfiles of the set use in FROM to build on this image, e.g.
	// "workspace-template:base". Default: Name.
	Ref string `yaml:"ref"`
	// Dockerfile is the path of the Dockerfile (default: <context>/Dockerfile).
	Dockerfile string `yaml:"dockerfile"`
	// Context is the build context directory (default ".").
	Context string `yaml:"context"`
	// Target is the stage to build in a multi-stage Dockerfile (default: the last).
	Target string `yaml:"target"`
	// Tags are tag templates for this image only; they replace the section's Tags.
	Tags []string `yaml:"tags"`
	// Args are build args for this image only, e.g. RUNTIME_VERSION.
	Args map[string]string `yaml:"args"`
	// Platforms replaces the section's Platforms for this image.
	Platforms []string `yaml:"platforms"`
	// Smoke are shell commands run inside the built image by BuildKit before it is exported, e.g.
	// `python3 -c "import crewai"`. A failing command stops the image from being pushed.
	Smoke []string `yaml:"smoke"`
	// SmokeImports imports every Python module of a directory of the image (see ImportCheck).
	SmokeImports *ImportCheck `yaml:"smoke-imports"`
	// SmokeBoot boots the image's ENTRYPOINT/CMD under a time limit (see BootCheck).
	SmokeBoot *BootCheck `yaml:"smoke-boot"`
}
