package build

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// templateFixture copies testdata/build/template (a single-image repository) into a directory
// named like the organisation's template repositories, with the static busybox and extra files.
func templateFixture(t *testing.T, extra map[string]string) string {
	return copyFixture(t, "template", "molecule-ai-workspace-template-smoketest", extra)
}

// templateConfig is the build: section the publish-template-image workflow writes: the
// repository's Dockerfile as its one image, the import check of /app and the boot check.
func templateConfig(behaviour string, limit time.Duration) *config.BuildConfig {
	return &config.BuildConfig{Single: &config.SingleImage{
		SmokeImports: &config.ImportCheck{},
		SmokeBoot: &config.BootCheck{
			Env:            map[string]string{"MOLECULE_SMOKE_MODE": "1", "SMOKE_BEHAVIOUR": behaviour},
			Timeout:        limit,
			Files:          []string{"config.yaml"},
			RequiresImport: "molecule_runtime.smoke_mode",
		},
	}}
}

func templateRun(t *testing.T, dir string, cfg *config.BuildConfig) (*Result, string) {
	t.Helper()
	addr := buildtest.Daemon(t)
	reg := testRegistry(t)
	opts := baseOpts(addr, dir)
	opts.Source = "https://github.com/Molecule-AI/molecule-ai-workspace-template-smoketest"
	opts.Push, opts.Insecure = true, true
	opts.Registry = reg
	opts.Args = map[string]string{"RUNTIME_VERSION": "0.1.61"}
	opts.Config = cfg
	return run(t, opts), reg
}

func assertNotPushed(t *testing.T, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(r); err == nil {
		t.Errorf("%s was pushed although a smoke check failed", ref)
	}
}

// smokeErr returns the one image's *SmokeError, failing the test when it did not fail so.
func smokeErr(t *testing.T, res *Result) (ImageResult, *SmokeError) {
	t.Helper()
	if len(res.Images) != 1 {
		t.Fatalf("%d images, want the one of the repository: %s", len(res.Images), statuses(res))
	}
	im := res.Images[0]
	var se *SmokeError
	if im.Status != Failed || !errors.As(im.Err, &se) {
		t.Fatalf("image %s is %s with error %T %v, want failed with *SmokeError", im.Name, im.Status, im.Err, im.Err)
	}
	return im, se
}

// TestIntegrationTemplatePasses: the repository's root Dockerfile is built as
// workspace-template-<runtime> (runtime from the repository name), RUNTIME_VERSION reaches it,
// every module of /app but __init__ imports, the entrypoint boots in smoke mode with
// config.yaml at /configs, and :latest and :sha-<7> are pushed with the same digest.
func TestIntegrationTemplatePasses(t *testing.T) {
	// A module unique to this run, so its import and boot steps run rather than come from the
	// daemon's cache.
	dir := templateFixture(t, map[string]string{"nonce.py": fmt.Sprintf(": %d\n", time.Now().UnixNano())})
	res, reg := templateRun(t, dir, templateConfig("pass", 60*time.Second))
	if got, want := statuses(res), "smoketest=built"; got != want {
		t.Fatalf("statuses %q, want %q (%v)", got, want, res.Images[0].Err)
	}
	im := res.Images[0]
	wantRefs := []string{reg + "/workspace-template-smoketest:latest", reg + "/workspace-template-smoketest:sha-0123456"}
	if strings.Join(im.Refs, " ") != strings.Join(wantRefs, " ") || im.Ref != "workspace-template-smoketest" || im.Dockerfile != "Dockerfile" {
		t.Errorf("ref %q dockerfile %q refs %q, want workspace-template-smoketest, Dockerfile, %q", im.Ref, im.Dockerfile, im.Refs, wantRefs)
	}
	for _, ref := range wantRefs {
		img := pull(t, ref)
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != im.Digest {
			t.Errorf("%s has digest %s, the build reported %s", ref, d, im.Digest)
		}
		if got := fileInImage(t, img, "app/runtime-version"); got != "runtime 0.1.61\n" {
			t.Errorf("%s: /app/runtime-version %q, want RUNTIME_VERSION forwarded", ref, got)
		}
	}
	var smokes []string
	for _, s := range im.Executed {
		if strings.HasPrefix(s, "[smoke]") {
			smokes = append(smokes, s)
		}
	}
	want := []string{
		"[smoke] import adapter (in /app)",
		"[smoke] import executor (in /app)",
		"[smoke] import nonce (in /app)",
		"[smoke] boot /entrypoint.sh serve with MOLECULE_SMOKE_MODE, SMOKE_BEHAVIOUR (timeout 1m0s)",
	}
	for _, w := range want {
		found := false
		for _, s := range smokes {
			found = found || s == w
		}
		if !found {
			t.Errorf("smoke step %q was not run; ran %q", w, smokes)
		}
	}
}

// TestIntegrationTemplateImportFails: a module whose import fails stops the push, and the
// error names the module and shows what the interpreter printed.
func TestIntegrationTemplateImportFails(t *testing.T) {
	dir := templateFixture(t, map[string]string{
		"broken.py": "echo 'Traceback (most recent call last):' >&2\necho \"ModuleNotFoundError: No module named 'crewai'\" >&2\nexit 1\n",
	})
	res, reg := templateRun(t, dir, templateConfig("pass", 60*time.Second))
	_, se := smokeErr(t, res)
	if se.Command != "import broken" {
		t.Errorf("failed check %q, want \"import broken\"", se.Command)
	}
	if !strings.Contains(se.Output, "ModuleNotFoundError: No module named 'crewai'") {
		t.Errorf("output %q lacks the interpreter's error", se.Output)
	}
	if !strings.Contains(se.Err.Error(), "exit code: 1") {
		t.Errorf("error %q lacks BuildKit's exit code", se.Err)
	}
	assertNotPushed(t, reg+"/workspace-template-smoketest:latest")
	fs := res.Findings()
	if len(fs) != 1 || fs[0].Rule != "smoke-failed" || fs[0].Path != "Dockerfile" || !strings.Contains(fs[0].Message, "\noutput (last lines):\n") || !strings.Contains(fs[0].Message, "No module named 'crewai'") {
		t.Errorf("findings %+v", fs)
	}
}

// TestIntegrationTemplateBootFails: the entrypoint exits non-zero in smoke mode; the push is
// stopped and its output is shown verbatim.
func TestIntegrationTemplateBootFails(t *testing.T) {
	dir := templateFixture(t, nil)
	res, reg := templateRun(t, dir, templateConfig("fail", 60*time.Second))
	_, se := smokeErr(t, res)
	if want := "boot /entrypoint.sh serve with MOLECULE_SMOKE_MODE, SMOKE_BEHAVIOUR (timeout 1m0s)"; se.Command != want {
		t.Errorf("failed check %q, want %q", se.Command, want)
	}
	for _, w := range []string{
		"entrypoint serve (smoke mode '1', adapter adapter)",
		"config: name: smoketest",
		"ImportError: cannot import name 'FilePart' from 'a2a.types'",
	} {
		if !strings.Contains(se.Output, w) {
			t.Errorf("output %q lacks %q", se.Output, w)
		}
	}
	var te *BootTimeoutError
	if errors.As(se.Err, &te) || !strings.Contains(se.Err.Error(), "exit code: 3") {
		t.Errorf("error %q: want the entrypoint's exit code 3, not a timeout", se.Err)
	}
	assertNotPushed(t, reg+"/workspace-template-smoketest:latest")
}

// TestIntegrationTemplateBootHangs: the entrypoint never returns; `timeout` stops it at the limit
// and the check fails saying so, with what it printed before.
func TestIntegrationTemplateBootHangs(t *testing.T) {
	dir := templateFixture(t, nil)
	start := time.Now()
	res, reg := templateRun(t, dir, templateConfig("hang", 2*time.Second))
	_, se := smokeErr(t, res)
	var te *BootTimeoutError
	if !errors.As(se.Err, &te) || te.Limit != 2*time.Second {
		t.Fatalf("error %T %q, want *BootTimeoutError with limit 2s", se.Err, se.Err)
	}
	if !strings.HasPrefix(se.Err.Error(), "did not finish within 2s (timeout exited 143): ") {
		t.Errorf("error %q", se.Err)
	}
	if !strings.Contains(se.Output, "smoke: initialize() handshake never returns") {
		t.Errorf("output %q lacks what the boot printed before it was stopped", se.Output)
	}
	if d := time.Since(start); d > 3*time.Minute {
		t.Errorf("the hung boot was not stopped: the run took %s", d)
	}
	assertNotPushed(t, reg+"/workspace-template-smoketest:latest")
}

// TestIntegrationTemplateEnvMatters: without MOLECULE_SMOKE_MODE the entrypoint serves forever,
// so the boot check is only green because the env reaches the process.
func TestIntegrationTemplateEnvMatters(t *testing.T) {
	dir := templateFixture(t, nil)
	cfg := templateConfig("pass", 2*time.Second)
	delete(cfg.Single.SmokeBoot.Env, "MOLECULE_SMOKE_MODE")
	res, _ := templateRun(t, dir, cfg)
	_, se := smokeErr(t, res)
	var te *BootTimeoutError
	if !errors.As(se.Err, &te) || !strings.Contains(se.Output, "serving on :8000") {
		t.Errorf("error %q output %q, want a timeout while serving", se.Err, se.Output)
	}
}

// TestIntegrationTemplateOldRuntime: a runtime without smoke mode (the required module does not
// import) skips the boot check with a warning, as the publish workflow did, and the image ships.
func TestIntegrationTemplateOldRuntime(t *testing.T) {
	dir := templateFixture(t, nil)
	cfg := templateConfig("fail", 60*time.Second)
	cfg.Single.SmokeBoot.RequiresImport = "molecule_runtime.smoke_mode_v2"
	res, reg := templateRun(t, dir, cfg)
	if got, want := statuses(res), "smoketest=built"; got != want {
		t.Fatalf("statuses %q, want %q (%v)", got, want, res.Images[0].Err)
	}
	pull(t, reg+"/workspace-template-smoketest:latest")
	want := "boot check skipped: molecule_runtime.smoke_mode_v2 does not import in the image (a runtime that predates smoke mode would serve forever)"
	if n := res.Images[0].Notes; len(n) != 1 || n[0] != want {
		t.Errorf("notes %q, want [%q]", n, want)
	}
	fs := res.Findings()
	if len(fs) != 1 || fs[0].Rule != "smoke-skipped" || fs[0].Severity.String() != "warning" || fs[0].Message != "image smoketest: "+want {
		t.Errorf("findings %+v", fs)
	}
}
