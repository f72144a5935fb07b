// Command build benchmarks `molecule-ci build` (the internal/build library, called directly)
// against the old way: a sequential loop of one `buildctl build` per image, base first, on the
// same daemon, for a base plus 8 adapters whose RUN steps each take about 2 s. It prints the two
// cold wall times and their ratio, the fully cached re-run time, and what a re-run after touching
// one adapter's requirements executed. run.sh starts the daemon it needs.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/build"
)

const adapters = 8

func main() {
	addr := flag.String("addr", os.Getenv("BUILDKIT_HOST"), "BuildKit daemon address")
	buildctl := flag.String("buildctl", "buildctl", "buildctl binary for the sequential loop")
	busybox := flag.String("busybox", "/bin/busybox", "static busybox copied into the images")
	sleep := flag.String("sleep", "2", "seconds each RUN step takes")
	parallel := flag.Int("parallel", 9, "images built at once by molecule-ci")
	keep := flag.Bool("keep", false, "keep the work directory (fixture, outputs, progress.log)")
	flag.Parse()
	if err := run(*addr, *buildctl, *busybox, *sleep, *parallel, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(addr, buildctl, busybox, sleep string, parallel int, keep bool) error {
	if addr == "" {
		return fmt.Errorf("no daemon: pass -addr or set BUILDKIT_HOST (run.sh starts one)")
	}
	root, err := os.MkdirTemp("", "molecule-ci-bench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(root)
	}
	dir := filepath.Join(root, "bench")
	if err := writeFixture(dir, busybox, sleep); err != nil {
		return err
	}
	ctx := context.Background()
	logf, err := os.Create(filepath.Join(root, "progress.log"))
	if err != nil {
		return err
	}
	defer logf.Close()

	fmt.Printf("bench: base + %d adapters, each RUN step ~%ss, daemon %s\n", adapters, sleep, addr)

	// 1. The old way, cold: one buildctl build per image, base first, the base handed to each
	// adapter as an OCI layout (the local equivalent of `docker build -t base` then FROM base).
	if err := prune(buildctl, addr); err != nil {
		return err
	}
	t0 := time.Now()
	if err := loop(buildctl, addr, dir, root, "loop"); err != nil {
		return err
	}
	loopTime := time.Since(t0)
	fmt.Printf("sequential buildctl loop (cold):   %6.2fs\n", loopTime.Seconds())

	// 2. molecule-ci, cold: same Dockerfiles, same daemon, cache pruned, a new nonce so nothing
	// can be reused from the loop.
	if err := prune(buildctl, addr); err != nil {
		return err
	}
	opts := build.Options{
		Dir: dir, Addr: addr, Parallel: parallel, Args: map[string]string{"NONCE": "ours"},
		Created: time.Unix(0, 0), Progress: logf, ProgressMode: "plain",
		// The loop writes each image as an OCI layout; so do we, so both do the same work.
		Outputs: []build.Output{{Type: "oci", Dest: filepath.Join(root, "ours-oci")}},
	}
	t0 = time.Now()
	res, err := build.Run(ctx, opts)
	if err != nil {
		return err
	}
	oursTime := time.Since(t0)
	if err := allBuilt(res); err != nil {
		return err
	}
	fmt.Printf("molecule-ci build (cold):          %6.2fs\n", oursTime.Seconds())
	ratio := oursTime.Seconds() / loopTime.Seconds()
	fmt.Printf("ratio molecule-ci / loop:          %6.2f  (target <= 0.40: %s)\n", ratio, verdict(ratio <= 0.40))

	// 3. Fully cached re-run.
	t0 = time.Now()
	res, err = build.Run(ctx, opts)
	if err != nil {
		return err
	}
	cachedTime := time.Since(t0)
	if err := allBuilt(res); err != nil {
		return err
	}
	ran := 0
	for _, im := range res.Images {
		ran += len(im.Executed)
	}
	fmt.Printf("molecule-ci build (fully cached):  %6.2fs, %d steps executed  (target < 2s and 0 steps: %s)\n",
		cachedTime.Seconds(), ran, verdict(cachedTime < 2*time.Second && ran == 0))

	// 4. Touch one adapter's requirements: only that adapter's steps run.
	touched := "adapter_3"
	req := filepath.Join(dir, "adapters", touched, "requirements.txt")
	if err := os.WriteFile(req, []byte("dep==1.1 # touched "+time.Now().String()+"\n"), 0o644); err != nil {
		return err
	}
	t0 = time.Now()
	res, err = build.Run(ctx, opts)
	if err != nil {
		return err
	}
	touchTime := time.Since(t0)
	if err := allBuilt(res); err != nil {
		return err
	}
	fmt.Printf("re-run after touching adapters/%s/requirements.txt: %.2fs; executed:\n", touched, touchTime.Seconds())
	only := true
	for _, im := range res.Images {
		steps := "nothing"
		if len(im.Executed) > 0 {
			steps = strings.Join(im.Executed, "; ")
		}
		fmt.Printf("  %-10s %s\n", im.Name, steps)
		if (im.Name == strings.ReplaceAll(touched, "_", "-")) != (len(im.Executed) > 0) {
			only = false
		}
	}
	fmt.Printf("only the touched adapter's steps executed: %s\n", verdict(only))
	if keep {
		fmt.Printf("work directory and progress log: %s\n", root)
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func allBuilt(res *build.Result) error {
	for _, im := range res.Images {
		if im.Status != build.Built {
			return fmt.Errorf("image %s %s: %s", im.Name, im.Status, im.Reason)
		}
	}
	return nil
}

func writeFixture(dir, busybox, sleep string) error {
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("static busybox: %w (apt-get install busybox-static)", err)
	}
	files := map[string]string{
		"Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n" +
			"ENV PATH=/bin\nCOPY base.txt /app/base.txt\nARG NONCE\nRUN sleep " + sleep + " && echo \"$NONCE\" > /app/base-built\nWORKDIR /app\n",
		"base.txt": "base\n",
	}
	for i := 1; i <= adapters; i++ {
		x := fmt.Sprintf("adapter_%d", i)
		files["adapters/"+x+"/Dockerfile"] = "FROM bench:base\nCOPY adapters/" + x + "/requirements.txt /app/" + x + "-requirements.txt\n" +
			"ARG NONCE\nRUN sleep " + sleep + " && cp /app/" + x + "-requirements.txt /app/" + x + ".installed\n"
		files["adapters/"+x+"/requirements.txt"] = "dep==1.0\n"
	}
	for p, c := range files {
		if err := write(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			return err
		}
	}
	return write(filepath.Join(dir, "busybox"), bb, 0o755)
}

func write(p string, dt []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, dt, mode)
}

func prune(buildctl, addr string) error {
	out, err := exec.Command(buildctl, "--addr", addr, "prune", "--all").CombinedOutput()
	if err != nil {
		return fmt.Errorf("buildctl prune: %w\n%s", err, out)
	}
	return nil
}

// loop is the old bash loop, in Go: base, then each adapter in turn.
func loop(buildctl, addr, dir, root, nonce string) error {
	layout := filepath.Join(root, "base-oci")
	common := []string{"--addr", addr, "build", "--progress", "quiet", "--frontend", "dockerfile.v0",
		"--local", "context=" + dir, "--opt", "build-arg:NONCE=" + nonce}
	args := append(append([]string{}, common...), "--local", "dockerfile="+dir,
		"--output", "type=oci,dest="+layout+",tar=false,name=bench:base")
	if out, err := exec.Command(buildctl, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("loop: base: %w\n%s", err, out)
	}
	idx, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		return err
	}
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	if err := json.Unmarshal(idx, &index); err != nil || len(index.Manifests) == 0 {
		return fmt.Errorf("loop: base OCI layout index: %v", err)
	}
	for i := 1; i <= adapters; i++ {
		x := fmt.Sprintf("adapter_%d", i)
		args := append(append([]string{}, common...), "--local", "dockerfile="+filepath.Join(dir, "adapters", x),
			"--oci-layout", "base="+layout,
			"--opt", "context:bench:base=oci-layout://base@"+index.Manifests[0].Digest,
			"--output", "type=oci,dest="+filepath.Join(root, x+"-oci")+",tar=false,name=bench:"+x)
		if out, err := exec.Command(buildctl, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("loop: %s: %w\n%s", x, err, out)
		}
	}
	return nil
}
