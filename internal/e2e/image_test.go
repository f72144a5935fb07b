package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/tools/txtar"

	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// TestImage builds the repository's real Dockerfile with the test BuildKit daemon and runs
// `molecule-ci lint` from the built image on a read-only mounted repository, through BuildKit
// (there is no Docker engine here), the way `docker run --rm -v "$PWD:/work" molecule-ci lint` runs
// it: as the image's user, with its HOME, in its WORKDIR.
//
// There is no registry to pull the pinned bases from, so the two stages built FROM them are
// replaced by named contexts (what `--build-context name=...` does): `build` by a stand-in holding
// a molecule-ci binary built here the way the build stage builds it, and `tools` (debian-slim
// plus apt's shellcheck, pyflakes3, git) by a FROM-scratch root with static busybox and this
// machine's shellcheck with its shared libraries. What runs for real is the Dockerfile's final
// stage (labels, COPY --from=build, HOME and cache dir, USER, WORKDIR, ENTRYPOINT) and the
// .dockerignore'd context. Not exercised: the two base images themselves, apt-get, pyflakes
// inside the image, and the Go build stage's own RUN (the module cache mount).
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	addr := buildtest.Daemon(t)
	if runtime.GOOS != "linux" {
		t.Skip("the stand-ins are this machine's linux binaries")
	}
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.Missing(t, "shellcheck is not installed (apt-get install shellcheck): the image stand-in copies it")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	tools := filepath.Join(work, "tools")
	copyFile(t, buildtest.BusyboxPath, filepath.Join(tools, "bin", "busybox"))
	copyWithLibs(t, shellcheck, tools)
	binDir := filepath.Join(work, "bin", "out")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X github.com/Molecule-AI/molecule-ci/internal/cli.version=v9.9.9",
		"-o", filepath.Join(binDir, "molecule-ci"), "./cmd/molecule-ci")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ar, err := txtar.ParseFile(filepath.Join("testdata", "image", "fixture.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	fixture := filepath.Join(work, "fixture")
	for _, f := range ar.Files {
		writeFile(t, filepath.Join(fixture, f.Name), f.Data)
	}

	mounts := map[string]fsutil.FS{}
	for name, dir := range map[string]string{"context": root, "dockerfile": root, "tools": tools,
		"bin": filepath.Join(work, "bin"), "fixture": fixture} {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		mounts[name] = fs
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	got := map[string]string{}
	var imageConfig struct {
		Config struct {
			User       string
			Env        []string
			WorkingDir string
			Entrypoint []string
			Cmd        []string
			Labels     map[string]string
		} `json:"config"`
	}
	_, err = c.Build(ctx, client.SolveOpt{LocalMounts: mounts}, "", func(ctx context.Context, gc gwclient.Client) (*gwclient.Result, error) {
		toolsSt := llb.Scratch().File(llb.Copy(llb.Local("tools"), "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true})).
			Run(llb.Args([]string{"/bin/busybox", "--install", "-s", "/bin"})).Root()
		buildSt := llb.Scratch().File(llb.Copy(llb.Local("bin"), "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true}))
		inputs := map[string]*pb.Definition{}
		for name, st := range map[string]llb.State{"tools": toolsSt, "build": buildSt} {
			def, err := st.Marshal(ctx)
			if err != nil {
				return nil, err
			}
			inputs[name] = def.ToPB()
		}
		res, err := gc.Solve(ctx, gwclient.SolveRequest{
			Frontend: "dockerfile.v0",
			FrontendOpt: map[string]string{
				"context:tools":     "input:tools",
				"context:build":     "input:build",
				"build-arg:VERSION": "v9.9.9",
			},
			FrontendInputs: inputs,
		})
		if err != nil {
			return nil, fmt.Errorf("build the Dockerfile: %w", err)
		}
		if err := json.Unmarshal(res.Metadata["containerimage.config"], &imageConfig); err != nil {
			return nil, fmt.Errorf("image config: %w", err)
		}
		ref, err := res.SingleRef()
		if err != nil {
			return nil, err
		}
		img, err := ref.ToState()
		if err != nil {
			return nil, err
		}
		// `docker run --rm -v "$PWD:/work:ro" molecule-ci lint`, with the exit code and whether
		// /work is writable recorded next to the output.
		script := `id -u >/out/uid; echo "$HOME" >/out/home
if touch /work/probe 2>/dev/null; then echo writable >/out/work; else echo read-only >/out/work; fi
"$@" >/out/stdout 2>/out/stderr; echo $? >/out/exit
ls "$XDG_CACHE_HOME/molecule-ci" >/dev/null 2>&1 && echo yes >/out/cached || echo no >/out/cached`
		args := append([]string{"/bin/sh", "-c", script, "sh"}, imageConfig.Config.Entrypoint...)
		args = append(args, imageConfig.Config.Cmd...)
		opts := []llb.RunOption{llb.Args(args), llb.User(imageConfig.Config.User), llb.Dir(imageConfig.Config.WorkingDir),
			llb.AddMount("/work", llb.Local("fixture"), llb.Readonly), llb.IgnoreCache, llb.AddEnv("NO_COLOR", "1")}
		for _, kv := range imageConfig.Config.Env {
			k, v, _ := strings.Cut(kv, "=")
			opts = append(opts, llb.AddEnv(k, v))
		}
		run := img.Run(opts...)
		// The results directory belongs to nobody in particular: the image's user must write it.
		outDir := llb.Scratch().File(llb.Mkdir("/out", 0o1777))
		out := run.AddMount("/out", outDir, llb.SourcePath("/out"))
		def, err := out.Marshal(ctx)
		if err != nil {
			return nil, err
		}
		res2, err := gc.Solve(ctx, gwclient.SolveRequest{Definition: def.ToPB()})
		if err != nil {
			return nil, fmt.Errorf("run lint in the image: %w", err)
		}
		outRef, err := res2.SingleRef()
		if err != nil {
			return nil, err
		}
		for _, name := range []string{"uid", "home", "work", "stdout", "stderr", "exit", "cached"} {
			b, err := outRef.ReadFile(ctx, gwclient.ReadRequest{Filename: "out/" + name})
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			got[name] = string(b)
		}
		return gwclient.NewResult(), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	cfg := imageConfig.Config
	if cfg.User != "65532:65532" || cfg.WorkingDir != "/work" || strings.Join(cfg.Entrypoint, " ") != "/usr/local/bin/molecule-ci" || strings.Join(cfg.Cmd, " ") != "lint" {
		t.Errorf("image config: user %q workdir %q entrypoint %q cmd %q", cfg.User, cfg.WorkingDir, cfg.Entrypoint, cfg.Cmd)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.title":   "molecule-ci",
		"org.opencontainers.image.source":  "https://github.com/Molecule-AI/molecule-ci",
		"org.opencontainers.image.version": "v9.9.9",
	} {
		if cfg.Labels[k] != want {
			t.Errorf("label %s = %q; want %q", k, cfg.Labels[k], want)
		}
	}
	transcript := fmt.Sprintf("uid: %shome: %s/work: %sexit: %scache written: %s--- stdout ---\n%s--- stderr ---\n%s",
		got["uid"], got["home"], got["work"], got["exit"], got["cached"], got["stdout"], got["stderr"])
	golden.Check(t, filepath.Join("testdata", "image", "lint.golden"), []byte(transcript))
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// copyWithLibs copies an executable and the shared libraries ldd lists for it (and the dynamic
// loader) into root at the same paths.
func copyWithLibs(t *testing.T, exe, root string) {
	t.Helper()
	copyFile(t, exe, filepath.Join(root, exe))
	out, err := exec.Command("ldd", exe).Output()
	if err != nil {
		testenv.Missing(t, "ldd %s: %v", exe, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		var lib string
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			lib = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			lib = f[0]
		default:
			continue
		}
		real, err := filepath.EvalSymlinks(lib)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(real)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(lib)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, lib), b, 0o755); err != nil && !bytes.Contains([]byte(err.Error()), []byte("exists")) {
			t.Fatal(err)
		}
	}
}
