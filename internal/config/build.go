package config

// BuildConfig is the `build:` section of .molecule-ci.yml: the set of images `molecule-ci build`
// builds. With no images listed, the build discovers them by convention (a directory with a
// Dockerfile and adapters/*/Dockerfile). Paths are relative to the directory of the config file.
type BuildConfig struct {
	// Context is the directory the convention looks in when Images is empty (default ".").
	Context string `yaml:"context"`
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
}
