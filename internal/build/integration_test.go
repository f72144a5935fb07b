package build

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The integration tests run against the real buildkitd that .ci/setup-buildkit.sh starts
// (BUILDKIT_HOST), with a real OCI registry in-process on loopback.

const testSecret = "s3cr3t-molecule-token-7f3a9c"

var fixedTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture copies testdata/build/itest into a fresh directory named itest (so the convention tags
// itest:<name>), adds the static busybox, and lays extra files over it.
func fixture(t *testing.T, extra map[string]string) string {
	return copyFixture(t, "itest", "itest", extra)
}

// copyFixture copies testdata/build/<name> into a fresh directory called dirName, adds the static
// busybox the images are built from, and lays extra files over it.
func copyFixture(t *testing.T, name, dirName string, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), dirName)
	src := filepath.Join(testdataDir, name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(dir, rel), dt)
	})
	if err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(buildtest.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(dir, "busybox"), bb); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range extra {
		if err := writeFile(filepath.Join(dir, p), []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeFile(p string, dt []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, dt, 0o644)
}

// testRegistry starts an in-process OCI registry on loopback and returns its host:port.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func baseOpts(addr, dir string) Options {
	return Options{
		Dir:          dir,
		Addr:         addr,
		Created:      fixedTime,
		Commit:       "0123456789abcdef0123456789abcdef01234567",
		Source:       "https://github.com/Molecule-AI/molecule-ci",
		Secrets:      []Secret{{ID: "token", Value: []byte(testSecret)}},
		ProgressMode: "plain",
	}
}

// testWriter collects the progress display so a failing test can show it.
type testWriter struct {
	buf bytes.Buffer
}

func (w *testWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func run(t *testing.T, opts Options) *Result {
	t.Helper()
	pw := &testWriter{}
	opts.Progress = pw
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, opts)
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s", err, pw.buf.String())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("progress:\n%s", pw.buf.String())
		}
	})
	return res
}

func statuses(res *Result) string {
	var b strings.Builder
	for _, i := range res.Images {
		fmt.Fprintf(&b, "%s=%s ", i.Name, i.Status)
	}
	return strings.TrimSpace(b.String())
}

func pull(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	return img
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestIntegrationPushPull builds the base and three adapters, pushes them to the registry and
// pulls them back: tags, labels, layer sharing, the secret nowhere, the metadata.
func TestIntegrationPushPull(t *testing.T) {
	addr := buildtest.Daemon(t)
	reg := testRegistry(t)
	dir := fixture(t, nil)
	opts := baseOpts(addr, dir)
	opts.Push, opts.Insecure = true, true
	opts.Registry = reg + "/molecule"
	opts.Tags = []string{"{registry}/{repo}-{name}:latest", "{registry}/{repo}-{name}:sha-{sha7}"}
	res := run(t, opts)

	if got, want := statuses(res), "base=built alpha=built beta=built gamma-x=built"; got != want {
		t.Fatalf("statuses %q, want %q; %+v", got, want, res.Images)
	}
	base, _ := res.Image("base")
	baseImg := pull(t, reg+"/molecule/itest-base:latest")
	baseLayers := layerDigests(t, baseImg)
	if len(baseLayers) != 5 {
		t.Errorf("base has %d layers, want 5 (busybox, install, base.txt, runtime-version, workdir)", len(baseLayers))
	}
	for _, im := range res.Images {
		wantRefs := []string{reg + "/molecule/itest-" + im.Name + ":latest", reg + "/molecule/itest-" + im.Name + ":sha-0123456"}
		if !slices.Equal(im.Refs, wantRefs) || !im.Pushed {
			t.Errorf("%s: refs %v pushed %v, want %v pushed", im.Name, im.Refs, im.Pushed, wantRefs)
		}
		for _, ref := range wantRefs {
			img := pull(t, ref)
			d, err := img.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != im.Digest {
				t.Errorf("%s: registry digest %s, result digest %s", ref, d, im.Digest)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range map[string]string{
				"org.opencontainers.image.source":   "https://github.com/Molecule-AI/molecule-ci",
				"org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
				"org.opencontainers.image.created":  "2025-01-02T03:04:05Z",
			} {
				if cf.Config.Labels[k] != v {
					t.Errorf("%s: label %s=%q, want %q", ref, k, cf.Config.Labels[k], v)
				}
			}
			if im.Name != "base" {
				layers := layerDigests(t, img)
				if len(layers) <= len(baseLayers) || !slices.Equal(layers[:len(baseLayers)], baseLayers) {
					t.Errorf("%s: layers %v do not start with the base's %v", ref, layers, baseLayers)
				}
				if cf.Config.WorkingDir != "/app" {
					t.Errorf("%s: workdir %q, want the base's /app (image config handed over)", ref, cf.Config.WorkingDir)
				}
			}
			assertNoSecret(t, ref, img)
		}
	}
	// The secret was really mounted: beta recorded its length.
	beta := pull(t, reg+"/molecule/itest-beta:latest")
	if got := fileInImage(t, beta, "app/token-length"); strings.TrimSpace(got) != fmt.Sprint(len(testSecret)) {
		t.Errorf("beta /app/token-length = %q, want %d", got, len(testSecret))
	}
	if base.Digest == "" {
		t.Error("base digest empty")
	}
	md, err := res.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range res.Images {
		if !bytes.Contains(md, []byte(im.Digest)) {
			t.Errorf("metadata lacks %s digest %s:\n%s", im.Name, im.Digest, md)
		}
	}
}

// assertNoSecret checks the secret is in no layer and not in the config (history included).
func assertNoSecret(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(testSecret)) {
		t.Errorf("%s: secret in the image config/history", ref)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(dt, []byte(testSecret)) {
			t.Errorf("%s: secret in layer %d", ref, i)
		}
	}
}

// fileInImage returns a file's contents from the topmost layer that has it.
func fileInImage(t *testing.T, img v1.Image, p string) string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	found := ""
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.TrimPrefix(h.Name, "./") == p {
				dt, _ := io.ReadAll(tr)
				found = string(dt)
			}
		}
		rc.Close()
	}
	return found
}

// TestIntegrationBuildArg changes RUNTIME_VERSION: the layers before the ARG's RUN stay, the
// ones after change.
func TestIntegrationBuildArg(t *testing.T) {
	addr := buildtest.Daemon(t)
	reg := testRegistry(t)
	dir := fixture(t, nil)
	var layers [2][]v1.Hash
	for i, v := range []string{"1", "2"} {
		opts := baseOpts(addr, dir)
		opts.Push, opts.Insecure = true, true
		opts.Only = []string{"base"}
		opts.Tags = []string{reg + "/{repo}-{name}:v" + v}
		opts.Args = map[string]string{"RUNTIME_VERSION": v}
		res := run(t, opts)
		if got := statuses(res); !strings.HasPrefix(got, "base=built") {
			t.Fatalf("run %d: %s", i, got)
		}
		img := pull(t, reg+"/itest-base:v"+v)
		layers[i] = layerDigests(t, img)
		if got := fileInImage(t, img, "app/runtime-version"); got != "runtime "+v+"\n" {
			t.Errorf("RUNTIME_VERSION=%s: /app/runtime-version = %q", v, got)
		}
	}
	if len(layers[0]) != 5 || len(layers[1]) != 5 {
		t.Fatalf("layers %v / %v, want 5 each", layers[0], layers[1])
	}
	if !slices.Equal(layers[0][:3], layers[1][:3]) {
		t.Errorf("layers before the ARG changed: %v vs %v", layers[0][:3], layers[1][:3])
	}
	if layers[0][3] == layers[1][3] {
		t.Errorf("the RUN after ARG RUNTIME_VERSION kept its layer %v", layers[0][3])
	}
}

// TestIntegrationSmoke: a passing smoke check lets the image out, a failing one keeps it from
// the registry and shows the command's output.
func TestIntegrationSmoke(t *testing.T) {
	addr := buildtest.Daemon(t)
	reg := testRegistry(t)
	dir := fixture(t, nil)
	opts := baseOpts(addr, dir)
	opts.Push, opts.Insecure = true, true
	opts.Registry = reg
	opts.Tags = []string{"{registry}/{repo}-{name}:latest"}
	opts.Config = &config.BuildConfig{Images: []config.BuildImage{
		{Name: "base", Ref: "itest:base", Smoke: []string{"test -x /bin/sh", "cat /app/base.txt"}},
		{Name: "alpha", Ref: "itest:alpha", Dockerfile: "adapters/alpha/Dockerfile", Smoke: []string{"grep -q alpha-dep /app/alpha.installed"}},
		{Name: "beta", Ref: "itest:beta", Dockerfile: "adapters/beta/Dockerfile", Smoke: []string{"echo smoke-output-marker; echo \"in $(pwd)\"; exit 3"}},
	}}
	res := run(t, opts)
	if got, want := statuses(res), "base=built alpha=built beta=failed"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	pull(t, reg+"/itest-alpha:latest")
	r, _ := name.ParseReference(reg+"/itest-beta:latest", name.Insecure)
	if _, err := remote.Head(r); err == nil {
		t.Error("beta was pushed although its smoke check failed")
	}
	beta, _ := res.Image("beta")
	var se *SmokeError
	if !errors.As(beta.Err, &se) {
		t.Fatalf("beta error %T %v, want *SmokeError", beta.Err, beta.Err)
	}
	if se.Command != `echo smoke-output-marker; echo "in $(pwd)"; exit 3` || !strings.Contains(se.Output, "smoke-output-marker") || !strings.Contains(se.Output, "in /app") {
		t.Errorf("smoke error command %q output %q", se.Command, se.Output)
	}
	if !strings.Contains(se.Err.Error(), "exit code: 3") {
		t.Errorf("smoke error %q lacks BuildKit's exit code text", se.Err)
	}
	fs := res.Findings()
	if len(fs) != 1 || fs[0].Rule != "smoke-failed" || fs[0].Path != "adapters/beta/Dockerfile" || !strings.HasSuffix(fs[0].Message, "failed: process \"/bin/sh -c echo smoke-output-marker; echo \\\"in $(pwd)\\\"; exit 3\" did not complete successfully: exit code: 3\noutput (last lines):\nsmoke-output-marker\nin /app") {
		t.Errorf("findings %+v", fs)
	}
}

// TestIntegrationFailures: a Dockerfile syntax error and a failing RUN in two adapters; the other
// adapters still build, and each failure names the Dockerfile line with BuildKit's text.
func TestIntegrationFailures(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := fixture(t, map[string]string{
		"adapters/broken/Dockerfile":  "FROM itest:base\nFORM itest:base\n",
		"adapters/failing/Dockerfile": "FROM itest:base\nRUN true\nRUN echo failing-output-marker; exit 7\n",
	})
	res := run(t, baseOpts(addr, dir))
	if got, want := statuses(res), "base=built alpha=built beta=built broken=failed failing=failed gamma-x=built"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	for _, tc := range []struct {
		name, dockerfile string
		line             int
		text, output     string
	}{
		{"broken", "adapters/broken/Dockerfile", 2, "unknown instruction: FORM", ""},
		{"failing", "adapters/failing/Dockerfile", 3, `process "/bin/sh -c echo failing-output-marker; exit 7" did not complete successfully: exit code: 7`, "failing-output-marker"},
	} {
		im, _ := res.Image(tc.name)
		var ie *ImageError
		if !errors.As(im.Err, &ie) {
			t.Fatalf("%s: error %T %v, want *ImageError", tc.name, im.Err, im.Err)
		}
		if ie.Dockerfile != tc.dockerfile || ie.Line != tc.line || !strings.Contains(ie.Err.Error(), tc.text) || !strings.Contains(ie.Output, tc.output) {
			t.Errorf("%s: got %s line %d err %q output %q; want %s:%d %q %q", tc.name, ie.Dockerfile, ie.Line, ie.Err, ie.Output, tc.dockerfile, tc.line, tc.text, tc.output)
		}
		if !strings.HasPrefix(im.Reason, fmt.Sprintf("build image %q (%s:%d): ", tc.name, tc.dockerfile, tc.line)) {
			t.Errorf("%s: reason %q", tc.name, im.Reason)
		}
	}
	if !res.Failed() {
		t.Error("Failed() false")
	}
}

// TestIntegrationBaseSmokeFails: the adapters start building on the base's LLB while the base
// still builds, but an adapter is exported only on a base that passed its smoke checks: when
// they fail, every adapter is skipped, saying why, and nothing of theirs is written.
func TestIntegrationBaseSmokeFails(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := fixture(t, nil)
	opts := baseOpts(addr, dir)
	out := filepath.Join(t.TempDir(), "oci")
	opts.Outputs = []Output{{Type: "oci", Dest: out}}
	opts.Config = &config.BuildConfig{Images: []config.BuildImage{
		{Name: "base", Ref: "itest:base", Smoke: []string{"echo base-smoke-marker; exit 4"}},
		{Name: "alpha", Ref: "itest:alpha", Dockerfile: "adapters/alpha/Dockerfile"},
		{Name: "beta", Ref: "itest:beta", Dockerfile: "adapters/beta/Dockerfile"},
	}}
	res := run(t, opts)
	if got, want := statuses(res), "base=failed alpha=skipped beta=skipped"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	for _, name := range []string{"alpha", "beta"} {
		if im, _ := res.Image(name); im.Reason != `its base "base" failed` {
			t.Errorf("%s: reason %q", name, im.Reason)
		}
		if _, err := os.Stat(filepath.Join(out, name, "index.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was exported on a base that failed its smoke check (%v)", name, err)
		}
	}
}

// TestIntegrationFailFast: with FailFast a failing adapter cancels a slow one; a failing base
// skips every adapter, saying why.
func TestIntegrationFailFast(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := fixture(t, map[string]string{
		"adapters/failing/Dockerfile": "FROM itest:base\nRUN exit 1\n",
		"adapters/slow/Dockerfile":    "FROM itest:base\nRUN sleep 60\n",
	})
	opts := baseOpts(addr, dir)
	opts.FailFast = true
	opts.Only = []string{"failing", "slow"}
	res := run(t, opts)
	slow, _ := res.Image("slow")
	failing, _ := res.Image("failing")
	if failing.Status != Failed || slow.Status != Cancelled || !strings.Contains(slow.Reason, "--fail-fast: image failing failed") {
		t.Errorf("failing=%s slow=%s (%s)", failing.Status, slow.Status, slow.Reason)
	}

	dir = fixture(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"false\"]\n"})
	res = run(t, baseOpts(addr, dir))
	if got, want := statuses(res), "base=failed alpha=skipped beta=skipped gamma-x=skipped"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if a, _ := res.Image("alpha"); a.Reason != `its base "base" failed` {
		t.Errorf("alpha reason %q", a.Reason)
	}
}

// TestIntegrationCacheAndChangedSince: a re-run with nothing changed executes no step;
// --changed-since rebuilds exactly the touched adapter, and everything when the base changed.
func TestIntegrationCacheAndChangedSince(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := fixture(t, map[string]string{"adapters/alpha/requirements.txt": "alpha-dep==1.0\n# " + t.Name() + time.Now().String() + "\n"})
	gittest.Init(t, dir)
	gittest.Commit(t, dir, "init")

	first := run(t, baseOpts(addr, dir))
	if a, _ := first.Image("alpha"); len(a.Executed) == 0 {
		t.Fatalf("first run executed nothing for alpha (a unique requirements file must rebuild it): %+v", a)
	}
	second := run(t, baseOpts(addr, dir))
	for _, im := range second.Images {
		if im.Status != Built || len(im.Executed) != 0 || im.Cached == 0 {
			t.Errorf("cached re-run: %s status %s executed %q cached %d", im.Name, im.Status, im.Executed, im.Cached)
		}
	}

	if err := os.WriteFile(filepath.Join(dir, "adapters/beta/requirements.txt"), []byte("beta-dep==2.1\n"+time.Now().String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("ignored by .dockerignore"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := baseOpts(addr, dir)
	opts.ChangedSince = "HEAD"
	res := run(t, opts)
	if got, want := statuses(res), "base=skipped alpha=skipped beta=built gamma-x=skipped"; got != want {
		t.Fatalf("after touching beta: %q, want %q", got, want)
	}
	beta, _ := res.Image("beta")
	want := []string{"[stage-0 1/3] COPY adapters/beta/requirements.txt /app/beta-requirements.txt", "[stage-0 2/3] RUN --mount=type=secret,id=token,required=true wc -c < /run/secrets/token > /app/token-length"}
	if !slices.Equal(beta.Executed, want) {
		t.Errorf("beta executed %q, want %q", beta.Executed, want)
	}
	if b, _ := res.Image("base"); len(b.Executed) != 0 || !strings.Contains(b.Reason, "unchanged since HEAD") {
		t.Errorf("base executed %q reason %q", b.Executed, b.Reason)
	}

	if err := os.WriteFile(filepath.Join(dir, "base.txt"), []byte("base changed "+time.Now().String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res = run(t, opts)
	if got, want := statuses(res), "base=built alpha=built beta=built gamma-x=built"; got != want {
		t.Fatalf("after touching the base: %q, want %q", got, want)
	}
}

// TestIntegrationOutputsAndCache writes OCI layouts and docker tarballs per image, exports a
// local cache per image, and the metadata file.
func TestIntegrationOutputsAndCache(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := fixture(t, nil)
	out := t.TempDir()
	opts := baseOpts(addr, dir)
	opts.Only = []string{"alpha"}
	opts.Outputs = []Output{{Type: "oci", Dest: filepath.Join(out, "oci")}, {Type: "tar", Dest: filepath.Join(out, "tar")}}
	opts.CacheTo = []string{"type=local,dest=" + filepath.Join(out, "cache")}
	opts.CacheFrom = []string{"type=local,src=" + filepath.Join(out, "cache")}
	res := run(t, opts)
	if got, want := statuses(res), "base=skipped alpha=built beta=skipped gamma-x=skipped"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	for _, p := range []string{"oci/alpha/index.json", "oci/alpha/oci-layout", "tar/alpha.tar", "cache/alpha/index.json"} {
		if fi, err := os.Stat(filepath.Join(out, p)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "oci", "base")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("base was exported although only alpha was selected: %v", err)
	}
	mdPath := filepath.Join(out, "metadata.json")
	if err := res.WriteMetadata(mdPath); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(mdPath)
	if err != nil {
		t.Fatal(err)
	}
	alpha, _ := res.Image("alpha")
	if alpha.Digest == "" || !bytes.Contains(md, []byte(`"digest": "`+alpha.Digest+`"`)) || !bytes.Contains(md, []byte(`"itest:alpha"`)) {
		t.Errorf("metadata:\n%s", md)
	}
}
