package build

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// TestDiscoverConfined: a context or Dockerfile that leaves the repository, by `..` or through
// a symlink, is a *ConfigError naming the config key that set it; symlinks that stay inside
// are followed.
func TestDiscoverConfined(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   *config.BuildConfig
		links map[string]string // link -> target, relative to the repository
		files map[string]string
		want  string // "" means discovered; <root> and <tmp> stand for the directories
		key   string
	}{
		{
			name: "context dotdot",
			cfg:  &config.BuildConfig{Images: []config.BuildImage{{Name: "evil", Context: "../outside"}}},
			want: `.molecule-ci.yml: build.images[0].context: "../outside" resolves to <tmp>/outside, outside the repository (<root>): a build reads only files of the checkout`,
			key:  "build.images[0].context",
		},
		{
			name:  "context symlink",
			cfg:   &config.BuildConfig{Images: []config.BuildImage{{Name: "evil", Context: "ctx"}}},
			links: map[string]string{"ctx": "../outside"},
			want:  `.molecule-ci.yml: build.images[0].context: "ctx" is a symlink to <tmp>/outside, outside the repository (<root>): a build reads only files of the checkout`,
			key:   "build.images[0].context",
		},
		{
			name: "dockerfile dotdot",
			cfg:  &config.BuildConfig{Images: []config.BuildImage{{Name: "ok"}, {Name: "evil", Ref: "evil", Dockerfile: "../outside/Dockerfile"}}},
			want: `.molecule-ci.yml: build.images[1].dockerfile: "../outside/Dockerfile" resolves to <tmp>/outside/Dockerfile, outside the repository (<root>): a build reads only files of the checkout`,
			key:  "build.images[1].dockerfile",
		},
		{
			name:  "dockerfile symlink under a context",
			cfg:   &config.BuildConfig{Images: []config.BuildImage{{Name: "evil", Context: "sub"}}},
			files: map[string]string{"sub/x": "x\n"},
			links: map[string]string{"sub/Dockerfile": "/etc/hostname"},
			want:  `.molecule-ci.yml: build.images[0].context: "sub/Dockerfile" is a symlink to /etc/hostname, outside the repository (<root>): a build reads only files of the checkout`,
			key:   "build.images[0].context",
		},
		{
			name:  "convention context",
			cfg:   &config.BuildConfig{Context: "tmpl"},
			links: map[string]string{"tmpl": "../outside"},
			want:  `.molecule-ci.yml: build.context: "tmpl" is a symlink to <tmp>/outside, outside the repository (<root>): a build reads only files of the checkout`,
			key:   "build.context",
		},
		{
			name:  "convention adapter directory",
			links: map[string]string{"adapters/x": "../../outside"},
			want:  `adapters/x/Dockerfile: is a symlink to <tmp>/outside/Dockerfile, outside the repository (<root>): a build reads only files of the checkout`,
		},
		{
			name:  "convention base dockerfile",
			files: map[string]string{"Dockerfile": ""},
			links: map[string]string{"Dockerfile": "../outside/Dockerfile"},
			want:  `Dockerfile: is a symlink to <tmp>/outside/Dockerfile, outside the repository (<root>): a build reads only files of the checkout`,
		},
		{
			name:  "symlinks inside the repository",
			cfg:   &config.BuildConfig{Images: []config.BuildImage{{Name: "in", Context: "ctx", Dockerfile: "df/Dockerfile"}}},
			files: map[string]string{"real/a": "a\n", "dfs/Dockerfile": "FROM scratch\nCOPY a /a\n"},
			links: map[string]string{"ctx": "real", "df": "dfs"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(tmp, "repo")
			files := map[string]string{
				"repo/.git/HEAD":     "ref: refs/heads/main\n",
				"repo/Dockerfile":    "FROM scratch\n",
				"outside/Dockerfile": "FROM scratch\nCOPY secret /s\n",
				"outside/secret":     "s3cret\n",
			}
			for p, c := range tc.files {
				files["repo/"+p] = c
			}
			for p, c := range files {
				if err := writeFile(filepath.Join(tmp, p), []byte(c)); err != nil {
					t.Fatal(err)
				}
			}
			for link, target := range tc.links {
				p := filepath.Join(root, link)
				os.Remove(p)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, p); err != nil {
					t.Fatal(err)
				}
			}
			// Discovering from a subdirectory: the boundary is the checkout, not the directory.
			g, err := Discover(root, tc.cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("error %v, want the images discovered", err)
				}
				im := g.Images[0]
				if im.ctxPath != filepath.Join(root, "real") || im.dfPath != filepath.Join(root, "dfs", "Dockerfile") {
					t.Errorf("resolved context %s and dockerfile %s, want real/ and dfs/Dockerfile", im.ctxPath, im.dfPath)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want *ConfigError", err, err)
			}
			got := strings.ReplaceAll(strings.ReplaceAll(err.Error(), root, "<root>"), tmp, "<tmp>")
			if got != tc.want || ce.Key != tc.key {
				t.Errorf("error\n  %s (key %q)\nwant\n  %s (key %q)", got, ce.Key, tc.want, tc.key)
			}
		})
	}
}

func TestRepoRoot(t *testing.T) {
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(tmp, "repo", ".git"), []byte("gitdir: /elsewhere\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "repo", "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(tmp, "repo", "a"), filepath.Join(tmp, "link")); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		filepath.Join(tmp, "repo", "a", "b"): filepath.Join(tmp, "repo"), // a worktree's .git file counts
		filepath.Join(tmp, "link", "b"):      filepath.Join(tmp, "repo"), // found from where the link points
		tmp:                                  tmp,                        // no checkout: the directory itself
	} {
		if got, err := RepoRoot(dir); err != nil || got != want {
			t.Errorf("RepoRoot(%s) = %s, %v; want %s", dir, got, err, want)
		}
	}
}
