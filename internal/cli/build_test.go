package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/tonistiigi/go-csvvalue"

	"github.com/Molecule-AI/molecule-ci/internal/build"
	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// runIn runs one command line in dir with the given environment and returns exit code, stdout
// (which also carries workflow commands, as in a real step) and stderr.
func runIn(t *testing.T, dir string, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{Actions: ghaction.New(func(k string) string { return vars[k] }, &stdout), WorkDir: dir}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code := Run(ctx, args, Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}, env)
	return code, stdout.String(), stderr.String()
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildOptions checks how flags, the config and the environment become build.Options.
func TestBuildOptions(t *testing.T) {
	fixed := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	type want struct {
		Dir             string // relative to the work dir
		Addr            string
		Commit, Source  string
		Registry        string
		Args            map[string]string
		Platforms, Only []string
		Secrets         []build.Secret
		Outputs         []build.Output // Dest relative to the work dir
		DockerConfigDir string
		RegistryAuth    []build.RegistryAuth
		GHA             build.GHACache
		ProgressMode    string
		Stdout          string // workflow commands written while resolving options
	}
	tests := []struct {
		name     string
		args     []string
		vars     map[string]string
		terminal bool
		files    map[string]string
		want     want
	}{
		{
			name: "defaults outside Actions",
			want: want{Dir: ".", Addr: build.DefaultAddr, ProgressMode: "plain", Args: map[string]string{}},
		},
		{
			name:     "auto progress on a terminal stays auto",
			terminal: true,
			vars:     map[string]string{"HOME": "/home/u"},
			want:     want{Dir: ".", Addr: build.DefaultAddr, ProgressMode: "auto", Args: map[string]string{}, DockerConfigDir: "/home/u/.docker"},
		},
		{
			name: "BUILDKIT_HOST when no --addr, DOCKER_CONFIG over HOME",
			vars: map[string]string{"BUILDKIT_HOST": "tcp://pool:1234", "DOCKER_CONFIG": "/etc/docker-cfg", "HOME": "/home/u"},
			want: want{Dir: ".", Addr: "tcp://pool:1234", ProgressMode: "plain", Args: map[string]string{}, DockerConfigDir: "/etc/docker-cfg"},
		},
		{
			name: "--addr wins over BUILDKIT_HOST",
			args: []string{"--addr", "unix:///x.sock", "--progress", "rawjson"},
			vars: map[string]string{"BUILDKIT_HOST": "tcp://pool:1234"},
			want: want{Dir: ".", Addr: "unix:///x.sock", ProgressMode: "rawjson", Args: map[string]string{}},
		},
		{
			name: "GitHub Actions: commit, source, ghcr token masked, gha cache",
			vars: map[string]string{
				"GITHUB_ACTIONS": "true", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
				"GITHUB_REPOSITORY": "Molecule-AI/molecule-core", "GITHUB_SERVER_URL": "https://github.com",
				"GITHUB_TOKEN": "ghs_secret", "GITHUB_ACTOR": "octocat",
				"ACTIONS_RUNTIME_TOKEN": "rt", "ACTIONS_RESULTS_URL": "https://results/", "ACTIONS_CACHE_URL": "https://cache/",
			},
			want: want{
				Dir: ".", Addr: build.DefaultAddr, ProgressMode: "plain", Args: map[string]string{},
				Commit: "0123456789abcdef0123456789abcdef01234567", Source: "https://github.com/Molecule-AI/molecule-core",
				RegistryAuth: []build.RegistryAuth{{Host: "ghcr.io", Username: "octocat", Password: "ghs_secret"}},
				GHA:          build.GHACache{RuntimeToken: "rt", ResultsURL: "https://results/", CacheURL: "https://cache/"},
				Stdout:       "::add-mask::ghs_secret\n",
			},
		},
		{
			name: "GITHUB_TOKEN is only for ghcr.io",
			args: []string{"--registry", "registry.example.com/team"},
			vars: map[string]string{"GITHUB_TOKEN": "ghs_secret"},
			want: want{Dir: ".", Addr: build.DefaultAddr, ProgressMode: "plain", Args: map[string]string{}, Registry: "registry.example.com/team"},
		},
		{
			name: "explicit token for the --registry host",
			args: []string{"--registry", "registry.example.com/team", "--registry-token", "tok", "--registry-user", "bot", "--commit", "abc", "--source", "https://x/y"},
			want: want{
				Dir: ".", Addr: build.DefaultAddr, ProgressMode: "plain", Args: map[string]string{}, Registry: "registry.example.com/team",
				Commit: "abc", Source: "https://x/y",
				RegistryAuth: []build.RegistryAuth{{Host: "registry.example.com", Username: "bot", Password: "tok"}},
			},
		},
		{
			name:  "lists, args, secrets from env and file, outputs",
			args:  []string{"--only", "a,b", "--only", "c", "--platform", "linux/amd64,linux/arm64", "--build-arg", "RUNTIME_VERSION=3.12", "--build-arg", "EMPTY=", "--secret", "id=npm,env=NPM_TOKEN", "--secret", "id=key,src=secrets/key.txt", "--output", "oci=out", "--output", "type=tar,dest=/abs/tars"},
			vars:  map[string]string{"NPM_TOKEN": "n-p-m"},
			files: map[string]string{"secrets/key.txt": "file-secret"},
			want: want{
				Dir: ".", Addr: build.DefaultAddr, ProgressMode: "plain",
				Only: []string{"a", "b", "c"}, Platforms: []string{"linux/amd64", "linux/arm64"},
				Args:    map[string]string{"RUNTIME_VERSION": "3.12", "EMPTY": ""},
				Secrets: []build.Secret{{ID: "npm", Value: []byte("n-p-m")}, {ID: "key", Value: []byte("file-secret")}},
				Outputs: []build.Output{{Type: "oci", Dest: "out"}, {Type: "tar", Dest: "/abs/tars"}},
			},
		},
		{
			name: "config secrets resolve against the config's directory, a flag with the same id wins",
			args: []string{"--secret", "id=npm,env=OTHER", "--config", "ci/build.yml"},
			vars: map[string]string{"NPM_TOKEN": "from-config", "OTHER": "from-flag"},
			files: map[string]string{
				"ci/build.yml": "build:\n  context: tmpl\n  secrets:\n    - id=npm,env=NPM_TOKEN\n    - id=key,src=key.txt\n",
				"ci/key.txt":   "k",
			},
			want: want{
				Dir: "ci", Addr: build.DefaultAddr, ProgressMode: "plain", Args: map[string]string{},
				Secrets: []build.Secret{{ID: "key", Value: []byte("k")}, {ID: "npm", Value: []byte("from-flag")}},
			},
		},
		{
			name:  "DIR positional: config there without images keeps DIR",
			args:  []string{"sub"},
			files: map[string]string{"sub/.molecule-ci.yml": "lint:\n  jobs: 2\n"},
			want:  want{Dir: "sub", Addr: build.DefaultAddr, ProgressMode: "plain", Args: map[string]string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			var stdout bytes.Buffer
			vars := tt.vars
			env := Env{Actions: ghaction.New(func(k string) string { return vars[k] }, &stdout), WorkDir: dir, IsTerminal: tt.terminal}
			var f buildFlags
			fs := newFlagSet("build", "[DIR]", "", &bytes.Buffer{})
			f.register(fs)
			args := append([]string{"--created", fixed.Format(time.RFC3339)}, tt.args...)
			pos, err := parseFlags(fs, args)
			if err != nil {
				t.Fatal(err)
			}
			opts, _, err := buildOptions(context.Background(), &f, pos, Streams{Stderr: &bytes.Buffer{}}, env)
			if err != nil {
				t.Fatalf("buildOptions: %v", err)
			}
			if !opts.Created.Equal(fixed) {
				t.Errorf("Created = %v, want %v", opts.Created, fixed)
			}
			for i := range opts.Outputs {
				opts.Outputs[i].Dest = relPath(dir, opts.Outputs[i].Dest)
				if strings.HasPrefix(opts.Outputs[i].Dest, "../") {
					opts.Outputs[i].Dest = filepath.Join(dir, opts.Outputs[i].Dest)
				}
			}
			got := want{
				Dir: relPath(dir, opts.Dir), Addr: opts.Addr, Commit: opts.Commit, Source: opts.Source, Registry: opts.Registry,
				Args: opts.Args, Platforms: opts.Platforms, Only: opts.Only, Secrets: opts.Secrets, Outputs: opts.Outputs,
				DockerConfigDir: opts.DockerConfigDir, RegistryAuth: opts.RegistryAuth, GHA: opts.GHA,
				ProgressMode: opts.ProgressMode, Stdout: stdout.String(),
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

// TestBuildNothingChanged runs a whole build in which --changed-since leaves nothing to do, so
// no daemon is contacted: the table, the metadata, and in Actions the summary and step outputs.
func TestBuildNothingChanged(t *testing.T) {
	gittest.Need(t)
	dir := filepath.Join(t.TempDir(), "tmpl")
	writeFiles(t, dir, map[string]string{
		"Dockerfile":                 "FROM scratch\nCOPY base.txt /\n",
		"base.txt":                   "base\n",
		"adapters/alpha/Dockerfile":  "FROM tmpl:base\nCOPY adapters/alpha/req.txt /\n",
		"adapters/alpha/req.txt":     "x\n",
		"adapters/beta_x/Dockerfile": "FROM tmpl:base\n",
		"gh-output":                  "",
		"gh-summary":                 "",
		".gitignore":                 "gh-*\nmeta.json\n",
	})
	gittest.Init(t, dir)
	gittest.Commit(t, dir, "init")
	unreachable := "unix://" + filepath.Join(dir, "no-daemon.sock")

	code, stdout, stderr := runIn(t, dir, nil, "build", "--changed-since", "HEAD", "--addr", unreachable, "--metadata-file", "meta.json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	wantTable := `IMAGE   STATUS   DIGEST  REFS         REASON
base    skipped  -       tmpl:base    unchanged since HEAD
alpha   skipped  -       tmpl:alpha   unchanged since HEAD
beta-x  skipped  -       tmpl:beta-x  unchanged since HEAD

0 built, 3 skipped
`
	if d := cmp.Diff(wantTable, stdout); d != "" {
		t.Errorf("stdout (-want +got):\n%s", d)
	}
	meta, md := readMetadata(t, filepath.Join(dir, "meta.json"))
	if got := meta.Images["alpha"]; got.Status != build.Skipped || got.Reason != "unchanged since HEAD" || !slices.Equal(got.Refs, []string{"tmpl:alpha"}) {
		t.Errorf("metadata alpha = %+v", got)
	}

	// --format json is every command's document: the same images as the metadata file, then the
	// findings (none) and the files checked (the images).
	code, stdout, _ = runIn(t, dir, nil, "build", "--changed-since", "HEAD", "--addr", unreachable, "--format", "json")
	if want := strings.TrimSuffix(string(md), "\n}\n") + ",\n  \"findings\": [],\n  \"files_checked\": 3\n}\n"; code != 0 || stdout != want {
		t.Errorf("--format json: exit %d\n%s", code, cmp.Diff(want, stdout))
	}

	// In GitHub Actions: github format (no findings), summary and step outputs.
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "gh-output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "gh-summary"),
	}
	code, stdout, stderr = runIn(t, dir, vars, "build", "--changed-since", "HEAD", "--addr", unreachable)
	if code != 0 || stderr != "" {
		t.Fatalf("Actions: exit %d, stderr:\n%s", code, stderr)
	}
	if want := "no findings in 3 files\n" + wantTable; stdout != want {
		t.Errorf("Actions stdout (-want +got):\n%s", cmp.Diff(want, stdout))
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "gh-summary"))
	wantSummary := "## molecule-ci build\n\n| Image | Status | Refs | Digest | Steps run | Cached | Note |\n| --- | --- | --- | --- | --- | --- | --- |\n" +
		"| base | skipped | tmpl:base |  | 0 | 0 | unchanged since HEAD |\n" +
		"| alpha | skipped | tmpl:alpha |  | 0 | 0 | unchanged since HEAD |\n" +
		"| beta-x | skipped | tmpl:beta-x |  | 0 | 0 | unchanged since HEAD |\n"
	if d := cmp.Diff(wantSummary, string(summary)); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	outputs, _ := os.ReadFile(filepath.Join(dir, "gh-output"))
	for _, want := range []string{"built<<", "failed<<", "skipped<<ghadelimiter_", "\nbase,alpha,beta-x\n", "metadata<<"} {
		if !strings.Contains(string(outputs), want) {
			t.Errorf("step outputs lack %q:\n%s", want, outputs)
		}
	}
}

// TestBuildOutputGolden renders one result with every status the ways a user reads it: the
// human table with the failure details, the github format (annotations carrying the error and
// the end of the failing step's output, then the table without details, so the log says each
// error once), and the job summary. Hostile text (a name with Markdown, output with backticks and
// a terminal escape) must come out inert.
func TestBuildOutputGolden(t *testing.T) {
	res := &build.Result{Images: []build.ImageResult{
		{Name: "base", Dockerfile: "Dockerfile", Status: build.Built, Refs: []string{"t:base", "ghcr.io/o/t:sha-0123456"}, Digest: "sha256:aaaa", Executed: []string{"[1/2] RUN a", "[2/2] RUN b"}, Cached: 1},
		{Name: "alpha", Dockerfile: "adapters/alpha/Dockerfile", Status: build.Failed, Refs: []string{"t:alpha"},
			Reason: "build image \"alpha\" (adapters/alpha/Dockerfile:3): process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3\nsecond line",
			Err:    &build.ImageError{Image: "alpha", Dockerfile: "adapters/alpha/Dockerfile", Line: 3, Output: "l1\nbad \x1b[31mred\x1b[0m\n```\n@octocat <img src=x>\n", Err: errors.New("exit code: 3")}},
		{Name: "beta", Dockerfile: "adapters/beta/Dockerfile", Status: build.Failed, Refs: []string{"t:beta"}, Reason: "smoke check of image \"beta\" failed: python3 -c 'import x': exit code: 1",
			Err: &build.SmokeError{Image: "beta", Command: "python3 -c 'import x'", Output: "Traceback (most recent call last):\nModuleNotFoundError: x\n", Err: errors.New("exit code: 1")}},
		{Name: "gamma", Dockerfile: "adapters/gamma/Dockerfile", Status: build.Skipped, Refs: []string{"t:gamma"}, Reason: `its base "alpha" failed`},
		{Name: "delta|<b>", Dockerfile: "adapters/delta/Dockerfile", Status: build.Cancelled, Refs: []string{"t:delta"}, Reason: "cancelled: --fail-fast: image alpha failed"},
	}}
	rep := &report.Report{Tool: "molecule-ci", Command: "build", FilesChecked: len(res.Images), Findings: res.Findings(), Summary: res}
	var out bytes.Buffer
	out.WriteString("== human ==\n")
	if err := report.Write(&out, "human", rep, report.Options{}); err != nil {
		t.Fatal(err)
	}
	// As publishBuild writes the github format: the annotations, then the table without details.
	out.WriteString("== github ==\n")
	annotations := *rep
	annotations.Summary = nil
	if err := report.Write(&out, "github", &annotations, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := report.Write(&out, "human", &report.Report{Summary: res.Table()}, report.Options{}); err != nil {
		t.Fatal(err)
	}
	out.WriteString("== summary ==\n")
	md := report.Markdown(rep)
	markdowntest.Check(t, md)
	out.WriteString(md)
	golden.Check(t, "../../testdata/cli/build-output.golden", out.Bytes())

	out.Reset()
	if err := report.Write(&out, "human", &report.Report{Summary: &build.Result{Images: res.Images[:1]}}, report.Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if want := "base   \x1b[32mbuilt\x1b[0m   sha256:aaaa"; !strings.Contains(out.String(), want) {
		t.Errorf("coloured table lacks %q:\n%q", want, out.String())
	}
}

func TestAbsSecretSrc(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"id=x,env=Y", "id=x,env=Y"},
		{"id=x,src=k.txt", "id=x,src=/base/k.txt"},
		{"id=x,source=/abs/k", "id=x,source=/abs/k"},
		{`id=x,"src=a,b.txt"`, `id=x,"src=/base/a,b.txt"`},
		{`"unterminated`, `"unterminated`},
	}
	for _, tt := range tests {
		got, err := absSecretSrc(tt.spec, "/base")
		if err != nil || got != tt.want {
			t.Errorf("absSecretSrc(%q) = %q, %v; want %q", tt.spec, got, err, tt.want)
		}
	}
}

// FuzzAbsSecretSrc: rewriting src= never panics and keeps every other field as it was.
func FuzzAbsSecretSrc(f *testing.F) {
	for _, s := range []string{"id=x,env=Y", "id=x,src=k", `id=x,"src=a,b"`, `"`, "src=", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := absSecretSrc(spec, "/base")
		if err != nil || got == spec {
			return
		}
		before, err1 := csvvalue.Fields(spec, nil)
		after, err2 := csvvalue.Fields(got, nil)
		if err1 != nil || err2 != nil || len(before) != len(after) {
			t.Fatalf("%q -> %q: fields %q -> %q (%v, %v)", spec, got, before, after, err1, err2)
		}
		for i := range before {
			if k, _, _ := strings.Cut(before[i], "="); !strings.EqualFold(k, "src") && !strings.EqualFold(k, "source") && before[i] != after[i] {
				t.Fatalf("%q -> %q: field %d changed", spec, got, i)
			}
		}
	})
}

// busyboxBase lays out a FROM scratch base with the static busybox (so RUN works offline) and
// the given adapters.
func busyboxBase(t *testing.T, adapters map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpl")
	files := map[string]string{
		"Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\nARG RUNTIME_VERSION=1\nRUN echo \"runtime $RUNTIME_VERSION\" > /runtime\n",
	}
	for name, df := range adapters {
		files["adapters/"+name+"/Dockerfile"] = df
	}
	withBusybox(t, dir, files)
	return dir
}

// withBusybox writes files under dir, and the static busybox (Debian busybox-static) as an
// executable dir/busybox for FROM scratch images to COPY, so RUN works with no registry.
func withBusybox(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	bb, err := os.ReadFile(buildtest.BusyboxPath)
	if err != nil {
		testenv.Missing(t, "%s missing: apt-get install busybox-static", buildtest.BusyboxPath)
	}
	writeFiles(t, dir, files)
	writeFiles(t, dir, map[string]string{"busybox": string(bb)})
	if err := os.Chmod(filepath.Join(dir, "busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestBuildEndToEnd builds a base and one adapter through Run against the real daemon, writing
// OCI layouts and the metadata file, and checks the digests and labels in the layouts.
func TestBuildEndToEnd(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := busyboxBase(t, map[string]string{
		"alpha": "FROM tmpl:base\nRUN echo alpha > /alpha && cat /runtime\n",
	})
	const sha = "0123456789abcdef0123456789abcdef01234567"
	vars := map[string]string{"BUILDKIT_HOST": addr}
	code, stdout, stderr := runIn(t, dir, vars, "build", "--output", "oci=out", "--metadata-file", "meta.json",
		"--commit", sha, "--source", "https://github.com/Molecule-AI/example", "--created", "2025-01-02T03:04:05Z",
		"--build-arg", "RUNTIME_VERSION=7", "--tag", "{ref}", "--tag", "example.com/{repo}:sha-{sha7}-{tag}")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "[alpha]") || !strings.Contains(stderr, "[base]") {
		t.Errorf("progress lines are not attributed to images:\n%s", stderr)
	}
	meta, _ := readMetadata(t, filepath.Join(dir, "meta.json"))
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range meta.Images {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, []string{"alpha", "base"}) {
		t.Fatalf("metadata images = %v", got)
	}
	for name, im := range meta.Images {
		wantRefs := []string{"tmpl:" + name, "example.com/tmpl:sha-0123456-" + name}
		if im.Status != build.Built || !slices.Equal(im.Refs, wantRefs) || !strings.HasPrefix(im.Digest, "sha256:") || im.Pushed {
			t.Errorf("metadata %s = %+v; want built, refs %v, a digest, not pushed", name, im, wantRefs)
		}
		if row := tableRow(stdout, name); len(row) < 4 || row[1] != "built" || row[2] != im.Digest || row[3] != strings.Join(wantRefs, ",") {
			t.Errorf("table row of %s = %q, want built, %s, %v:\n%s", name, row, im.Digest, wantRefs, stdout)
		}
		idx, err := layout.ImageIndexFromPath(filepath.Join(dir, "out", name))
		if err != nil {
			t.Fatalf("OCI layout of %s: %v", name, err)
		}
		man, err := idx.IndexManifest()
		if err != nil || len(man.Manifests) == 0 {
			t.Fatalf("OCI layout of %s: %v, %d manifests", name, err, len(man.Manifests))
		}
		// One manifest entry per tag, all the same image.
		var layoutRefs []string
		for _, m := range man.Manifests {
			if m.Digest.String() != im.Digest {
				t.Errorf("%s: layout digest %s, metadata digest %s", name, m.Digest, im.Digest)
			}
			layoutRefs = append(layoutRefs, m.Annotations["io.containerd.image.name"])
		}
		if want := []string{"docker.io/library/tmpl:" + name, "example.com/tmpl:sha-0123456-" + name}; !slices.Equal(layoutRefs, want) {
			t.Errorf("%s: layout refs %v, want %v", name, layoutRefs, want)
		}
		img, err := idx.Image(man.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		wantLabels := map[string]string{
			"org.opencontainers.image.revision": sha,
			"org.opencontainers.image.source":   "https://github.com/Molecule-AI/example",
			"org.opencontainers.image.created":  "2025-01-02T03:04:05Z",
		}
		for k, v := range wantLabels {
			if cf.Config.Labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", name, k, cf.Config.Labels[k], v)
			}
		}
	}
	if !strings.HasSuffix(stdout, "\n2 built\n") {
		t.Errorf("table does not end with the count:\n%s", stdout)
	}
}

// tableRow returns the fields of the table row of the named image.
func tableRow(table, name string) []string {
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

// TestBuildEndToEndFailure: one adapter fails, the other still builds; exit 1, and the github
// format annotates the failing Dockerfile line with BuildKit's error.
func TestBuildEndToEndFailure(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := busyboxBase(t, map[string]string{
		"good": "FROM tmpl:base\nRUN echo good > /good\n",
		"bad":  "FROM tmpl:base\nRUN echo about to fail && exit 3\n",
	})
	code, stdout, stderr := runIn(t, dir, map[string]string{"BUILDKIT_HOST": addr}, "build", "--format", "github", "--progress", "quiet")
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for name, status := range map[string]string{"base": "built", "good": "built", "bad": "failed"} {
		if row := tableRow(stdout, name); len(row) < 2 || row[1] != status {
			t.Errorf("table row of %s = %q, want %s", name, row, status)
		}
	}
	// The annotation carries the error and what the step printed; the table points at the line
	// and does not say the error again.
	for _, want := range []string{
		"::error endLine=2,file=adapters/bad/Dockerfile,line=2,title=build-failed::image bad: process \"/bin/sh -c echo about to fail && exit 3\" did not complete successfully: exit code: 3%0Aoutput (last lines):%0Aabout to fail\n",
		"failed  -       tmpl:bad   at adapters/bad/Dockerfile:2\n",
		"2 built, 1 failed\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "did not complete successfully"); n != 1 {
		t.Errorf("the error is said %d times, want once:\n%s", n, stdout)
	}
}

// readMetadata reads the --metadata-file a build wrote, decoded and as written.
func readMetadata(t *testing.T, path string) (meta struct {
	Images map[string]build.MetadataImage `json:"images"`
}, raw []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatalf("metadata: %v\n%s", err, raw)
	}
	return meta, raw
}
