package build

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/go-csvvalue"
)

// TagVars are the values tag templates are expanded with.
type TagVars struct {
	Registry string // {registry}, e.g. ghcr.io/molecule-ai
	Name     string // {name}, the image's short name, e.g. claude-code
	Repo     string // {repo}, the repository of the image's ref, e.g. workspace-template
	Tag      string // {tag}, the tag of the image's ref, e.g. claude-code
	Ref      string // {ref}, the image's ref, e.g. workspace-template:claude-code
	SHA      string // {sha}, the full commit
}

var tagPlaceholders = []string{"{name}", "{ref}", "{registry}", "{repo}", "{sha}", "{sha7}", "{tag}"}

// ExpandTag expands one tag template: {registry} {name} {repo} {tag} {ref} {sha} {sha7}. The
// result must be a valid image reference; "latest" and "sha-{sha7}" are spelled in the template,
// e.g. "{registry}/{repo}-{name}:sha-{sha7}".
func ExpandTag(tmpl string, v TagVars) (string, error) {
	out := tmpl
	for _, p := range tagPlaceholders {
		var val string
		switch p {
		case "{name}":
			val = v.Name
		case "{ref}":
			val = v.Ref
		case "{registry}":
			val = v.Registry
			if val == "" && strings.Contains(out, p) {
				return "", fmt.Errorf("tag template %q uses {registry} but no registry is set (--registry or build.registry)", tmpl)
			}
		case "{repo}":
			val = v.Repo
		case "{sha}":
			val = v.SHA
		case "{sha7}":
			val = v.SHA[:min(7, len(v.SHA))]
		case "{tag}":
			val = v.Tag
		}
		if (p == "{sha}" || p == "{sha7}") && val == "" && strings.Contains(out, p) {
			return "", fmt.Errorf("tag template %q uses %s but the commit is unknown (--commit)", tmpl, p)
		}
		out = strings.ReplaceAll(out, p, val)
	}
	if i := strings.Index(out, "{"); i >= 0 {
		j := strings.Index(out[i:], "}")
		bad := out[i:]
		if j >= 0 {
			bad = out[i : i+j+1]
		}
		return "", fmt.Errorf("tag template %q: unknown placeholder %s (valid: %s)", tmpl, bad, strings.Join(tagPlaceholders, ", "))
	}
	ref, err := name.ParseReference(out, name.WithDefaultRegistry(""))
	if err != nil {
		return "", fmt.Errorf("tag template %q gives invalid reference %q: %w", tmpl, out, err)
	}
	_ = ref
	return out, nil
}

// tagVars splits an image's ref into the template values.
func tagVars(im *Image, registry, sha string) TagVars {
	repo, tag := im.Ref, "latest"
	if i := strings.LastIndex(im.Ref, ":"); i > strings.LastIndex(im.Ref, "/") {
		repo, tag = im.Ref[:i], im.Ref[i+1:]
	}
	return TagVars{Registry: strings.TrimSuffix(registry, "/"), Name: im.Name, Repo: repo, Tag: tag, Ref: im.Ref, SHA: sha}
}

// Secret is a build secret handed to BuildKit through the session, for RUN --mount=type=secret.
// It never becomes a build arg, so it is in no layer and no history entry.
type Secret struct {
	ID    string
	Value []byte
}

// ParseSecret parses a --secret spec: "id=x,env=Y" (the value of environment variable Y, looked
// up with lookupEnv) or "id=x,src=path" (a file's contents); "id=x" alone reads env x.
func ParseSecret(spec string, lookupEnv func(string) (string, bool)) (Secret, error) {
	fields, err := csvvalue.Fields(spec, nil)
	if err != nil {
		return Secret{}, fmt.Errorf("secret %q: %w", spec, err)
	}
	var id, env, src string
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return Secret{}, fmt.Errorf("secret %q: %q is not key=value (valid keys: id, env, src)", spec, f)
		}
		switch strings.ToLower(k) {
		case "id":
			id = v
		case "env":
			env = v
		case "src", "source":
			src = v
		default:
			return Secret{}, fmt.Errorf("secret %q: unknown key %q (valid keys: id, env, src)", spec, k)
		}
	}
	if id == "" {
		return Secret{}, fmt.Errorf("secret %q: id is required", spec)
	}
	if src != "" {
		dt, err := os.ReadFile(src)
		if err != nil {
			return Secret{}, fmt.Errorf("secret %q: %w", id, err)
		}
		return Secret{ID: id, Value: dt}, nil
	}
	env = cmp.Or(env, id)
	v, ok := lookupEnv(env)
	if !ok {
		return Secret{}, fmt.Errorf("secret %q: environment variable %s is not set", id, env)
	}
	return Secret{ID: id, Value: []byte(v)}, nil
}

// Output is where built images go besides a registry push.
type Output struct {
	// Type is "oci" (an OCI layout directory per image, Dest/<name>) or "tar" (a docker-loadable
	// tarball per image, Dest/<name>.tar).
	Type string
	Dest string
}

var outputTypes = []string{"oci", "tar"}

// ParseOutput parses "oci=DIR", "tar=DIR" or "type=oci,dest=DIR".
func ParseOutput(spec string) (Output, error) {
	var o Output
	if t, d, ok := strings.Cut(spec, "="); ok && slices.Contains(outputTypes, t) {
		o = Output{Type: t, Dest: d}
	} else {
		fields, err := csvvalue.Fields(spec, nil)
		if err != nil {
			return o, fmt.Errorf("output %q: %w", spec, err)
		}
		for _, f := range fields {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "type":
				o.Type = v
			case "dest":
				o.Dest = v
			default:
				return o, fmt.Errorf("output %q: unknown key %q (valid keys: type, dest)", spec, k)
			}
		}
	}
	if !slices.Contains(outputTypes, o.Type) {
		return o, fmt.Errorf("output %q: unknown type %q (valid: %s)", spec, o.Type, strings.Join(outputTypes, ", "))
	}
	if o.Dest == "" {
		return o, fmt.Errorf("output %q: a destination directory is required, e.g. %s=out/", spec, o.Type)
	}
	return o, nil
}

// GHACache carries the GitHub Actions values the gha cache backend needs; the CLI reads them
// from ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL and ACTIONS_CACHE_URL.
type GHACache struct {
	RuntimeToken string
	ResultsURL   string
	CacheURL     string
}

var cacheTypes = []string{"gha", "inline", "local", "registry"}

// parseCache parses a cache spec like buildctl's --import-cache/--export-cache and makes it
// specific to one image: each image gets its own cache so they do not overwrite each other.
// "{name}" in any value is replaced by the image name; without it, a registry ref gets
// "-<name>" appended to its tag, local dirs get a <name> subdirectory, and gha gets scope <name>.
func parseCache(spec, image string, gha GHACache) (client.CacheOptionsEntry, error) {
	e := client.CacheOptionsEntry{Attrs: map[string]string{}}
	fields, err := csvvalue.Fields(spec, nil)
	if err != nil {
		return e, fmt.Errorf("cache %q: %w", spec, err)
	}
	named := strings.Contains(spec, "{name}")
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return e, fmt.Errorf("cache %q: %q is not key=value", spec, f)
		}
		v = strings.ReplaceAll(v, "{name}", image)
		if strings.ToLower(k) == "type" {
			e.Type = v
			continue
		}
		e.Attrs[strings.ToLower(k)] = v
	}
	if !slices.Contains(cacheTypes, e.Type) {
		return e, fmt.Errorf("cache %q: unknown type %q (valid: %s)", spec, e.Type, strings.Join(cacheTypes, ", "))
	}
	switch e.Type {
	case "registry":
		if e.Attrs["ref"] == "" {
			return e, fmt.Errorf("cache %q: type=registry needs ref=", spec)
		}
		if !named {
			e.Attrs["ref"] = perImageRef(e.Attrs["ref"], image)
		}
	case "local":
		for _, k := range []string{"src", "dest"} {
			if v := e.Attrs[k]; v != "" && !named {
				e.Attrs[k] = filepath.Join(v, image)
			}
		}
	case "gha":
		if _, ok := e.Attrs["scope"]; !ok {
			e.Attrs["scope"] = image
		} else if !named {
			e.Attrs["scope"] += "-" + image
		}
		// As buildx does: cache service v2 when the runner gives ACTIONS_RESULTS_URL.
		if gha.ResultsURL != "" {
			if _, ok := e.Attrs["version"]; !ok {
				e.Attrs["version"] = "2"
			}
			if _, ok := e.Attrs["url_v2"]; !ok {
				e.Attrs["url_v2"] = gha.ResultsURL
			}
		}
		if _, ok := e.Attrs["url"]; !ok {
			if u := cmp.Or(gha.CacheURL, gha.ResultsURL); u != "" {
				e.Attrs["url"] = u
			}
		}
		if e.Attrs["url"] == "" && e.Attrs["url_v2"] == "" {
			return e, fmt.Errorf("cache %q: type=gha needs url= or ACTIONS_RESULTS_URL/ACTIONS_CACHE_URL (run inside GitHub Actions)", spec)
		}
		if _, ok := e.Attrs["token"]; !ok {
			if gha.RuntimeToken == "" {
				return e, fmt.Errorf("cache %q: type=gha needs token= or ACTIONS_RUNTIME_TOKEN (run inside GitHub Actions)", spec)
			}
			e.Attrs["token"] = gha.RuntimeToken
		}
	}
	return e, nil
}

// perImageRef appends -<image> to a ref's tag ("cache" when it has none).
func perImageRef(ref, image string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref + "-" + image
	}
	return ref + ":" + image
}
