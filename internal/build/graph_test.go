package build

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"golang.org/x/tools/txtar"
	"gopkg.in/yaml.v3"
)

// testdataDir is the repository's testdata/build.
var testdataDir = filepath.Join("..", "..", "testdata", "build")

// dumpGraph is the golden form of a graph: one line per image in build order.
func dumpGraph(g *Graph) string {
	var b strings.Builder
	for _, im := range g.Images {
		fmt.Fprintf(&b, "%s ref=%s dockerfile=%s context=%s", im.Name, im.Ref, im.Dockerfile, im.Context)
		if im.Target != "" {
			fmt.Fprintf(&b, " target=%s", im.Target)
		}
		fmt.Fprintf(&b, " deps=[%s]", strings.Join(im.Deps, " "))
		for _, d := range im.Deps {
			fmt.Fprintf(&b, " context:%s=input:%s", im.depRefs[d], d)
		}
		if im.sees == nil {
			b.WriteString(" sees=ALL")
		} else {
			fmt.Fprintf(&b, " sees=[%s]", strings.Join(im.sees, " "))
		}
		if c := im.SmokeImports; c != nil {
			dir := c.Dir
			if dir == "" {
				dir = DefaultImportDir
			}
			fmt.Fprintf(&b, " smoke-imports=%s", dir)
		}
		if c := im.SmokeBoot; c != nil {
			var env []string
			for k := range c.Env {
				env = append(env, k)
			}
			slices.Sort(env)
			fmt.Fprintf(&b, " smoke-boot=[%s] files=[%s]", strings.Join(env, " "), strings.Join(c.Files, " "))
		}
		if im.parseErr != nil {
			fmt.Fprintf(&b, " parse-error=%q", im.parseErr.Error())
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// loadConfig decodes a build: section the way the config package does (yaml tags, strict).
func loadConfig(t *testing.T, path string) *config.BuildConfig {
	t.Helper()
	dt, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.BuildConfig
	dec := yaml.NewDecoder(bytes.NewReader(dt))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &cfg
}

func TestDiscoverScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdataDir, "graph", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The convention names the repository after the directory.
			dir := filepath.Join(t.TempDir(), "workspace-template")
			for _, f := range ar.Files {
				if f.Name == "want" {
					continue
				}
				p := filepath.Join(dir, f.Name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			g, err := Discover(dir, loadConfig(t, filepath.Join(dir, ".molecule-ci.yml")))
			var got string
			if err != nil {
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Fatalf("error %v is %T, want *ConfigError", err, err)
				}
				got = "error: " + err.Error() + "\n"
			} else {
				got = dumpGraph(g)
			}
			golden.CheckSection(t, file, ar, "want", []byte(got))
		})
	}
}

// TestDiscoverWorkspaceTemplate discovers the shape of the organisation's real layout (copied
// from molecule-core's workspace-template): the base plus 8 adapters, tagged by the convention.
func TestDiscoverWorkspaceTemplate(t *testing.T) {
	g, err := Discover(filepath.Join(testdataDir, "workspace-template"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Images) != 9 {
		t.Errorf("got %d images, want base + 8 adapters", len(g.Images))
	}
	golden.Check(t, filepath.Join(testdataDir, "workspace-template.graph"), []byte(dumpGraph(g)))
	wantRefs := map[string]string{
		"base": "workspace-template:base", "autogen": "workspace-template:autogen",
		"claude-code": "workspace-template:claude-code", "crewai": "workspace-template:crewai",
		"deepagents": "workspace-template:deepagents", "gemini-cli": "workspace-template:gemini-cli",
		"hermes": "workspace-template:hermes", "langgraph": "workspace-template:langgraph",
		"openclaw": "workspace-template:openclaw",
	}
	for _, im := range g.Images {
		if wantRefs[im.Name] != im.Ref {
			t.Errorf("image %s: ref %q, want %q", im.Name, im.Ref, wantRefs[im.Name])
		}
		if im.Name != "base" && (len(im.Deps) != 1 || im.Deps[0] != "base") {
			t.Errorf("image %s: deps %v, want [base]", im.Name, im.Deps)
		}
	}
	if g.Images[0].Name != "base" {
		t.Errorf("first image %s, want base", g.Images[0].Name)
	}
}

func FuzzScanDockerfile(f *testing.F) {
	for _, s := range []string{
		"FROM scratch\nCOPY . /\n",
		"ARG B=x\nFROM $B AS a\nFROM a\nCOPY --from=a / /\nRUN --mount=type=bind,source=s true\n",
		"FROM a:b\nCOPY <<EOF /x\nhi\nEOF\n",
		"# escape=`\nFROM x\nRUN a `\n b\n",
		"",
		"FROM",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _, _ = scanDockerfile([]byte(s), map[string]string{"B": "y"})
	})
}
