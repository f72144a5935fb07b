package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client"
)

func TestExpandTag(t *testing.T) {
	im := &Image{Name: "claude-code", Ref: "workspace-template:claude-code"}
	vars := tagVars(im, "ghcr.io/molecule-ai/", "0123456789abcdef")
	for _, tc := range []struct {
		tmpl, want, err string
	}{
		{tmpl: "{ref}", want: "workspace-template:claude-code"},
		{tmpl: "{registry}/{repo}-{name}:latest", want: "ghcr.io/molecule-ai/workspace-template-claude-code:latest"},
		{tmpl: "{registry}/{repo}:{tag}-sha-{sha7}", want: "ghcr.io/molecule-ai/workspace-template:claude-code-sha-0123456"},
		{tmpl: "x/{name}:{sha}", want: "x/claude-code:0123456789abcdef"},
		{tmpl: "{registry}/{nmae}:latest", err: `tag template "{registry}/{nmae}:latest": unknown placeholder {nmae} (valid: {name}, {ref}, {registry}, {repo}, {sha}, {sha7}, {tag})`},
		{tmpl: "{repo}:Bad Tag", err: `tag template "{repo}:Bad Tag" gives invalid reference "workspace-template:Bad Tag": could not parse reference: workspace-template:Bad Tag`},
	} {
		t.Run(tc.tmpl, func(t *testing.T) {
			got, err := ExpandTag(tc.tmpl, vars)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		tmpl string
		vars TagVars
		err  string
	}{
		{"{registry}/x", TagVars{}, `tag template "{registry}/x" uses {registry} but no registry is set (--registry or build.registry)`},
		{"x:sha-{sha7}", TagVars{}, `tag template "x:sha-{sha7}" uses {sha7} but the commit is unknown (--commit)`},
	} {
		if _, err := ExpandTag(tc.tmpl, tc.vars); err == nil || err.Error() != tc.err {
			t.Errorf("ExpandTag(%q): error %v, want %s", tc.tmpl, err, tc.err)
		}
	}
}

func FuzzExpandTag(f *testing.F) {
	f.Add("{registry}/{repo}-{name}:sha-{sha7}", "abc")
	f.Add("{", "")
	f.Fuzz(func(t *testing.T, tmpl, sha string) {
		_, _ = ExpandTag(tmpl, TagVars{Registry: "r", Name: "n", Repo: "p", Tag: "t", Ref: "p:t", SHA: sha})
	})
}

func TestParseSecret(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(file, []byte("from-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NPM_TOKEN": "s3cr3t", "pip": "p"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct {
		spec      string
		id, value string
		err       string
	}{
		{spec: "id=npm,env=NPM_TOKEN", id: "npm", value: "s3cr3t"},
		{spec: "id=pip", id: "pip", value: "p"},
		{spec: "id=f,src=" + file, id: "f", value: "from-file"},
		{spec: "id=x,env=MISSING", err: `secret "x": environment variable MISSING is not set`},
		{spec: "env=NPM_TOKEN", err: `secret "env=NPM_TOKEN": id is required`},
		{spec: "id=x,mode=0400", err: `secret "id=x,mode=0400": unknown key "mode" (valid keys: id, env, src)`},
		{spec: "novalue", err: `secret "novalue": "novalue" is not key=value (valid keys: id, env, src)`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseSecret(tc.spec, lookup)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || s.ID != tc.id || string(s.Value) != tc.value {
				t.Fatalf("got %+v, %v", s, err)
			}
		})
	}
}

func FuzzParseSecret(f *testing.F) {
	f.Add("id=a,env=B")
	f.Add(`"id=a,b",env=c`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseSecret(s, func(string) (string, bool) { return "", false })
	})
}

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Output
		err  string
	}{
		{spec: "oci=out", want: Output{Type: "oci", Dest: "out"}},
		{spec: "tar=dist/images", want: Output{Type: "tar", Dest: "dist/images"}},
		{spec: "type=oci,dest=x", want: Output{Type: "oci", Dest: "x"}},
		{spec: "docker=x", err: `output "docker=x": unknown key "docker" (valid keys: type, dest)`},
		{spec: "type=local,dest=x", err: `output "type=local,dest=x": unknown type "local" (valid: oci, tar)`},
		{spec: "tar", err: `output "tar": unknown key "tar" (valid keys: type, dest)`},
		{spec: "oci=", err: `output "oci=": a destination directory is required, e.g. oci=out/`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseOutput(tc.spec)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseOutput(f *testing.F) {
	f.Add("oci=out")
	f.Add("type=tar,dest=x")
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseOutput(s) })
}

func TestParseCache(t *testing.T) {
	gha := GHACache{RuntimeToken: "tok", ResultsURL: "https://results.example/"}
	for _, tc := range []struct {
		spec string
		gha  GHACache
		want client.CacheOptionsEntry
		err  string
	}{
		{spec: "type=registry,ref=ghcr.io/o/cache,mode=max", want: client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": "ghcr.io/o/cache:base", "mode": "max"}}},
		{spec: "type=registry,ref=ghcr.io/o/cache:build", want: client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": "ghcr.io/o/cache:build-base"}}},
		{spec: "type=registry,ref=localhost:5000/c:{name}", want: client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": "localhost:5000/c:base"}}},
		{spec: "type=local,dest=/tmp/c", want: client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"dest": "/tmp/c/base"}}},
		{spec: "type=gha", gha: gha, want: client.CacheOptionsEntry{Type: "gha", Attrs: map[string]string{
			"scope": "base", "version": "2", "url_v2": "https://results.example/", "url": "https://results.example/", "token": "tok"}}},
		{spec: "type=gha,scope=ci", gha: gha, want: client.CacheOptionsEntry{Type: "gha", Attrs: map[string]string{
			"scope": "ci-base", "version": "2", "url_v2": "https://results.example/", "url": "https://results.example/", "token": "tok"}}},
		{spec: "type=gha", err: `cache "type=gha": type=gha needs url= or ACTIONS_RESULTS_URL/ACTIONS_CACHE_URL (run inside GitHub Actions)`},
		{spec: "type=gha", gha: GHACache{ResultsURL: "u"}, err: `cache "type=gha": type=gha needs token= or ACTIONS_RUNTIME_TOKEN (run inside GitHub Actions)`},
		{spec: "type=s4", err: `cache "type=s4": unknown type "s4" (valid: gha, inline, local, registry)`},
		{spec: "type=registry", err: `cache "type=registry": type=registry needs ref=`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := parseCache(tc.spec, "base", tc.gha)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseCache(f *testing.F) {
	f.Add("type=registry,ref=x")
	f.Add("type=gha,scope={name}")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseCache(s, "img", GHACache{RuntimeToken: "t", ResultsURL: "u"})
	})
}

func TestSees(t *testing.T) {
	for _, tc := range []struct {
		srcs []string
		rel  string
		want bool
	}{
		{nil, "anything", true},
		{[]string{}, "a", false},
		{[]string{"."}, "a/b", true},
		{[]string{"adapters/"}, "adapters/x/requirements.txt", true},
		{[]string{"adapters/crewai/requirements.txt"}, "adapters/crewai/requirements.txt", true},
		{[]string{"adapters/crewai/requirements.txt"}, "adapters/hermes/requirements.txt", false},
		{[]string{"*.py"}, "main.py", true},
		{[]string{"*.py"}, "pkg/main.py", false},
		{[]string{"adapters/*/req*.txt"}, "adapters/x/req.txt", true},
		{[]string{"/src"}, "src/a.go", true},
	} {
		if got := sees(tc.srcs, tc.rel); got != tc.want {
			t.Errorf("sees(%q, %q) = %v, want %v", tc.srcs, tc.rel, got, tc.want)
		}
	}
}

// TestPlanChangedSince checks which images --changed-since rebuilds, with a fake git diff, on the
// real layout's shape plus a .dockerignore.
func TestPlanChangedSince(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":                        "FROM scratch\nCOPY requirements.txt /app/\nCOPY *.py /app/\n",
		".dockerignore":                     "*.md\n",
		"adapters/crewai/Dockerfile":        "FROM wt:base\nCOPY adapters/crewai/requirements.txt /tmp/\n",
		"adapters/hermes/Dockerfile":        "FROM wt:base\nCOPY adapters/hermes/requirements.txt /tmp/\n",
		"adapters/claude_code/Dockerfile":   "FROM wt:base\nRUN true\n",
		"adapters/crewai/requirements.txt":  "crewai\n",
		"adapters/hermes/requirements.txt":  "hermes\n",
		"adapters/hermes/notes-not-copied":  "x\n",
		"requirements.txt":                  "a2a\n",
		"adapters/crewai/README.md":         "docs\n",
		"adapters/claude_code/requirements": "x\n",
	}
	for p, c := range files {
		p = filepath.Join(dir, "wt", p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir = filepath.Join(dir, "wt")
	for _, tc := range []struct {
		name    string
		changed []string
		only    []string
		want    string
	}{
		{"one adapter", []string{"adapters/crewai/requirements.txt"}, nil,
			"base skipped needed unchanged since main; built from cache only as the base of its dependants, not exported\n" +
				"claude-code skipped unchanged since main\ncrewai export\nhermes skipped unchanged since main\n"},
		{"base input", []string{"main.py"}, nil, "base export\nclaude-code export\ncrewai export\nhermes export\n"},
		{"ignored and unseen files", []string{"adapters/crewai/README.md", "adapters/hermes/notes-not-copied", "other/x"}, nil,
			"base skipped unchanged since main\nclaude-code skipped unchanged since main\ncrewai skipped unchanged since main\nhermes skipped unchanged since main\n"},
		{"dockerfile", []string{"adapters/claude_code/Dockerfile"}, nil,
			"base skipped needed unchanged since main; built from cache only as the base of its dependants, not exported\n" +
				"claude-code export\ncrewai skipped unchanged since main\nhermes skipped unchanged since main\n"},
		{"dockerignore", []string{".dockerignore"}, []string{"hermes"},
			"base skipped needed not selected; built from cache only as the base of its dependants, not exported\n" +
				"claude-code skipped not selected\ncrewai skipped not selected\nhermes export\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Discover(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Dir: dir, ChangedSince: "main", Only: tc.only, GitDiff: func(_ context.Context, d, ref string) ([]string, error) {
				if d != dir || ref != "main" {
					t.Errorf("git diff in %s since %s", d, ref)
				}
				return tc.changed, nil
			}}
			r, err := newRunner(context.Background(), dir, g, &config.BuildConfig{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.plan(context.Background()); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, n := range r.nodes {
				b.WriteString(n.im.Name)
				if n.export {
					b.WriteString(" export\n")
					continue
				}
				b.WriteString(" skipped")
				if n.needed {
					b.WriteString(" needed")
				}
				b.WriteString(" " + n.result.Reason + "\n")
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	dir := filepath.Join(testdataDir, "workspace-template")
	for _, tc := range []struct {
		name string
		opts Options
		want string
		as   func(error) bool
	}{
		{
			name: "daemon down",
			opts: Options{Dir: dir, Addr: "unix:///nonexistent/buildkitd.sock"},
			want: "cannot reach the BuildKit daemon at unix:///nonexistent/buildkitd.sock",
			as: func(err error) bool {
				var e *DaemonUnreachableError
				return errors.As(err, &e) && e.Addr == "unix:///nonexistent/buildkitd.sock"
			},
		},
		{
			name: "unknown image",
			opts: Options{Dir: dir, Only: []string{"crewia"}},
			want: `unknown image "crewia" (valid: autogen, base, claude-code, crewai, deepagents, gemini-cli, hermes, langgraph, openclaw)`,
			as:   func(err error) bool { var e *ConfigError; return errors.As(err, &e) },
		},
		{
			name: "bad progress",
			opts: Options{Dir: dir, ProgressMode: "fancy"},
			want: `unknown progress mode "fancy" (valid: auto, tty, plain, rawjson, quiet)`,
			as:   func(err error) bool { var e *ConfigError; return errors.As(err, &e) },
		},
		{
			name: "bad tag",
			opts: Options{Dir: dir, Tags: []string{"{registry}/x"}},
			want: `Dockerfile: tag template "{registry}/x" uses {registry} but no registry is set`,
			as:   func(err error) bool { var e *ConfigError; return errors.As(err, &e) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), tc.opts)
			if err == nil {
				t.Fatalf("no error, result %+v", res)
			}
			if !strings.Contains(err.Error(), tc.want) || !tc.as(err) {
				t.Fatalf("error %T %q, want %q", err, err, tc.want)
			}
		})
	}
}
