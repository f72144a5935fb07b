package build

import (
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

func TestRuntimeName(t *testing.T) {
	for _, tc := range []struct {
		explicit, repo, prefix string
		want, err              string
	}{
		{repo: "molecule-ai-workspace-template-claude-code", want: "claude-code"},
		{repo: "Molecule-AI-Workspace-Template-OpenClaw", want: "openclaw"},
		{repo: "molecule-ai-workspace-template-gemini-cli", want: "gemini-cli"},
		{explicit: "hermes", repo: "anything", want: "hermes"},
		{repo: "acme-agents-x", prefix: "acme-agents-", want: "x"},
		{repo: "template-claude-code", err: `repository name "template-claude-code" does not match "molecule-ai-workspace-template-<runtime>": set build.single.runtime (the publish workflow's runtime_name input) explicitly`},
		{repo: "molecule-ai-workspace-template-", err: `repository name "molecule-ai-workspace-template-" does not match`},
		{explicit: "Bad Name", err: `runtime name "Bad Name" is not a valid image name component`},
		{explicit: "x/../y", err: `runtime name "x/../y" is not a valid image name component`},
		{repo: "molecule-ai-workspace-template-a--b", err: `runtime name "a--b" is not a valid image name component`},
	} {
		got, err := RuntimeName(tc.explicit, tc.repo, tc.prefix)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("RuntimeName(%q, %q, %q) = %q, %v; want error %q", tc.explicit, tc.repo, tc.prefix, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("RuntimeName(%q, %q, %q) = %q, %v; want %q", tc.explicit, tc.repo, tc.prefix, got, err, tc.want)
		}
	}
}

func TestRepoFromSource(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/Molecule-AI/molecule-ai-workspace-template-hermes":     "molecule-ai-workspace-template-hermes",
		"https://github.com/Molecule-AI/molecule-ai-workspace-template-hermes/":    "molecule-ai-workspace-template-hermes",
		"https://github.com/Molecule-AI/molecule-ai-workspace-template-hermes.git": "molecule-ai-workspace-template-hermes",
		"":                    "",
		"https://github.com/": "github.com",
		"no-slash":            "",
	} {
		if got := RepoFromSource(in); got != want {
			t.Errorf("RepoFromSource(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBootArgs(t *testing.T) {
	for _, tc := range []struct {
		cfg  string
		want string
		err  string
	}{
		{cfg: `{"config":{"Entrypoint":["/entrypoint.sh"],"Cmd":["serve","--port","8000"]}}`, want: "/entrypoint.sh serve --port 8000"},
		{cfg: `{"config":{"Entrypoint":["molecule-runtime"]}}`, want: "molecule-runtime"},
		{cfg: `{"config":{"Cmd":["python3","-m","app"]}}`, want: "python3 -m app"},
		{cfg: `{"config":{}}`, err: "the image has no ENTRYPOINT or CMD to boot"},
		{cfg: `{"config":`, err: "read the image config: unexpected end of JSON input"},
		{cfg: "", err: "the built image has no config to read its ENTRYPOINT/CMD from"},
	} {
		var in []byte
		if tc.cfg != "" {
			in = []byte(tc.cfg)
		}
		got, err := bootArgs(in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("bootArgs(%s) = %q, %v; want error %q", tc.cfg, got, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("bootArgs(%s) = %q, %v; want %q", tc.cfg, got, err, tc.want)
		}
	}
}

// TestSingleTags: with no templates the one image gets <ref>:latest and, for a known commit,
// <ref>:sha-<7>, under the registry when one is set; explicit templates replace them.
func TestSingleTags(t *testing.T) {
	im := &Image{Name: "hermes", Ref: "workspace-template-hermes", single: true}
	for _, tc := range []struct {
		reg, commit string
		tags        []string
		want        string
	}{
		{reg: "ghcr.io/molecule-ai", commit: "0123456789abcdef", want: "ghcr.io/molecule-ai/workspace-template-hermes:latest ghcr.io/molecule-ai/workspace-template-hermes:sha-0123456"},
		{reg: "", commit: "0123456789abcdef", want: "workspace-template-hermes:latest workspace-template-hermes:sha-0123456"},
		{reg: "ghcr.io/molecule-ai/", commit: "", want: "ghcr.io/molecule-ai/workspace-template-hermes:latest"},
		{reg: "r.example", commit: "abc", tags: []string{"{registry}/{name}:edge"}, want: "r.example/hermes:edge"},
	} {
		r := &runner{reg: tc.reg, tags: tc.tags, opts: Options{Commit: tc.commit}}
		r.reg = strings.TrimSuffix(r.reg, "/")
		refs, err := r.refsFor(im)
		if err != nil || strings.Join(refs, " ") != tc.want {
			t.Errorf("registry %q commit %q tags %q: %q, %v; want %q", tc.reg, tc.commit, tc.tags, refs, err, tc.want)
		}
	}
}

func FuzzRuntimeName(f *testing.F) {
	f.Add("", "molecule-ai-workspace-template-claude-code", "")
	f.Add("x", "", "p-")
	f.Add("", "p-A/b:c@d", "p-")
	f.Fuzz(func(t *testing.T, explicit, repo, prefix string) {
		rt, err := RuntimeName(explicit, repo, prefix)
		if err != nil {
			return
		}
		// Whatever it accepts is a valid image ref component.
		if _, err := contextKey("workspace-template-" + rt); err != nil {
			t.Fatalf("runtime %q gives an invalid ref: %v", rt, err)
		}
	})
}

func FuzzBootArgs(f *testing.F) {
	f.Add([]byte(`{"config":{"Entrypoint":["/e"],"Cmd":["a"]}}`))
	f.Add([]byte(`{"config":{"Entrypoint":null,"Cmd":[]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		argv, err := bootArgs(b)
		if err == nil && len(argv) == 0 {
			t.Fatal("no error and nothing to run")
		}
	})
}

// TestCheckSmoke: the settings errors name the setting and what was expected.
func TestCheckSmoke(t *testing.T) {
	for _, tc := range []struct {
		im   Image
		want string
	}{
		{Image{SmokeBoot: &config.BootCheck{Mount: "/"}}, `.molecule-ci.yml: x: smoke-boot.mount "/" must be an absolute directory other than /`},
		{Image{SmokeBoot: &config.BootCheck{Mount: "configs"}}, `.molecule-ci.yml: x: smoke-boot.mount "configs" must be an absolute directory other than /`},
		{Image{SmokeBoot: &config.BootCheck{Timeout: -1}}, `.molecule-ci.yml: x: smoke-boot.timeout -1ns must be positive`},
		{Image{SmokeBoot: &config.BootCheck{Files: []string{"/etc/passwd"}}}, `.molecule-ci.yml: x: smoke-boot.files: "/etc/passwd" must be a plain path inside the build context`},
		{Image{SmokeBoot: &config.BootCheck{Files: []string{"*.yaml"}}}, `.molecule-ci.yml: x: smoke-boot.files: "*.yaml" must be a plain path inside the build context`},
		{Image{SmokeBoot: &config.BootCheck{Env: map[string]string{"A=B": "1"}}}, `.molecule-ci.yml: x: smoke-boot.env: "A=B" is not a variable name`},
		{Image{SmokeImports: &config.ImportCheck{Dir: "/app"}, SmokeBoot: &config.BootCheck{Files: []string{"config.yaml"}, Mount: "/configs"}}, ""},
	} {
		err := checkSmoke(&tc.im, "x")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("checkSmoke = %q, want %q", got, tc.want)
		}
	}
}
