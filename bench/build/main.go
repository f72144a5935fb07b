// Command build benchmarks `molecule-ci build` (the internal/build library, called directly)
// for a base plus 8 adapters whose RUN steps each take about 2 s, against two figures measured on
// the same daemon in the same run:
//
//   - the old way: a sequential loop of one `buildctl build` per image, base first;
//   - the critical path: the base alone plus the slowest adapter alone, as that loop built them
//     (the physical limit of any scheduler: an adapter cannot start before its base is built).
//
// It prints the medians of -runs cold runs (a fresh nonce at the top of every Dockerfile makes
// every step a cache miss without pruning the daemon, which other users may share), where
// molecule-ci's time goes (from BuildKit's own vertex timestamps: start-up before the first
// step, the steps, the exporter, what is left after the last vertex), the fully cached re-run,
// and what a re-run after touching one adapter's requirements executed. run.sh starts a private
// daemon; -addr uses a running one.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/Molecule-AI/molecule-ci/internal/build"
)

const adapters = 8

func main() {
	addr := flag.String("addr", os.Getenv("BUILDKIT_HOST"), "BuildKit daemon address")
	buildctl := flag.String("buildctl", "buildctl", "buildctl binary for the sequential loop")
	busybox := flag.String("busybox", "/bin/busybox", "static busybox copied into the images")
	sleep := flag.String("sleep", "2", "seconds each RUN step takes")
	parallel := flag.Int("parallel", 9, "images built at once by molecule-ci")
	runs := flag.Int("runs", 3, "cold runs of each side; medians are reported")
	keep := flag.Bool("keep", false, "keep the work directory (fixture, outputs, progress logs)")
	flag.Parse()
	if err := run(*addr, *buildctl, *busybox, *sleep, *parallel, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(addr, buildctl, busybox, sleep string, parallel, runs int, keep bool) error {
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
	fmt.Printf("bench: base + %d adapters, each RUN step ~%ss, daemon %s, %d cold runs each\n", adapters, sleep, addr, runs)

	var loops, crits, ours []time.Duration
	var ratios []float64
	var timelines []*timeline
	var opts build.Options
	for i := 0; i < runs; i++ {
		// 1. The old way, cold: one buildctl build per image, base first, the base handed to each
		// adapter as an OCI layout (the local equivalent of `docker build -t base` then FROM base).
		if err := setNonce(dir, fmt.Sprintf("loop-%d-%d", i, time.Now().UnixNano())); err != nil {
			return err
		}
		l, err := loop(buildctl, addr, dir, filepath.Join(root, fmt.Sprintf("loop-%d", i)))
		if err != nil {
			return err
		}
		loops = append(loops, l.total)
		crits = append(crits, l.critical())

		// 2. molecule-ci, cold: same Dockerfiles, same daemon, a fresh nonce so nothing can be
		// reused from the loop or an earlier run.
		if err := setNonce(dir, fmt.Sprintf("ours-%d-%d", i, time.Now().UnixNano())); err != nil {
			return err
		}
		var progress bytes.Buffer
		opts = build.Options{
			Dir: dir, Addr: addr, Parallel: parallel,
			Created: time.Unix(0, 0), Progress: &progress, ProgressMode: "rawjson",
			// The loop writes each image as an OCI layout; so do we, so both do the same work.
			Outputs: []build.Output{{Type: "oci", Dest: filepath.Join(root, fmt.Sprintf("ours-oci-%d", i))}},
		}
		t0 := time.Now()
		_, took, err := buildAll(ctx, opts)
		if err != nil {
			return err
		}
		ours = append(ours, took)
		if keep {
			_ = os.WriteFile(filepath.Join(root, fmt.Sprintf("ours-%d.rawjson", i)), progress.Bytes(), 0o644)
		}
		tl, err := readTimeline(&progress, t0, took)
		if err != nil {
			return err
		}
		timelines = append(timelines, tl)
		ratios = append(ratios, took.Seconds()/l.critical().Seconds())
		fmt.Printf("  run %d: loop %6.2fs  critical path %6.2fs (base %.2fs + slowest adapter %.2fs)  molecule-ci %6.2fs\n",
			i+1, l.total.Seconds(), l.critical().Seconds(), l.base.Seconds(), slices.Max(l.adapters).Seconds(), took.Seconds())
	}
	loopT, critT, oursT := median(loops), median(crits), median(ours)
	fmt.Printf("sequential buildctl loop (cold):   %6.2fs\n", loopT.Seconds())
	fmt.Printf("critical path (base + slowest adapter, each alone by buildctl): %6.2fs\n", critT.Seconds())
	fmt.Printf("molecule-ci build (cold):          %6.2fs\n", oursT.Seconds())
	r1 := oursT.Seconds() / loopT.Seconds()
	fmt.Printf("ratio molecule-ci / loop:          %6.2f  (target <= 0.40: %s)\n", r1, verdict(r1 <= 0.40))
	r2 := oursT.Seconds() / critT.Seconds()
	fmt.Printf("ratio molecule-ci / critical path: %6.2f  (target <= 1.50: %s); median of the per-run ratios %.2f\n", r2, verdict(r2 <= 1.50), medianF(ratios))
	fmt.Printf("where molecule-ci's time went (from BuildKit's vertex timestamps; medians over the runs):\n")
	printBreakdown(os.Stdout, timelines)
	fmt.Printf("the last run, per image (seconds from the start of Run):\n")
	timelines[len(timelines)-1].print(os.Stdout)

	// 3. Fully cached re-run.
	opts.Progress, opts.ProgressMode = io.Discard, "plain"
	res, cachedTime, err := buildAll(ctx, opts)
	if err != nil {
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
	res, touchTime, err := buildAll(ctx, opts)
	if err != nil {
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
		fmt.Printf("work directory and progress logs: %s\n", root)
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianF(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}

// buildAll runs molecule-ci's build once, timed; every image must have built.
func buildAll(ctx context.Context, opts build.Options) (*build.Result, time.Duration, error) {
	t0 := time.Now()
	res, err := build.Run(ctx, opts)
	took := time.Since(t0)
	if err != nil {
		return nil, took, err
	}
	for _, im := range res.Images {
		if im.Status != build.Built {
			return nil, took, fmt.Errorf("image %s %s: %s", im.Name, im.Status, im.Reason)
		}
	}
	return res, took, nil
}

// The fixture starts every Dockerfile with COPY nonce: a new nonce makes every step after it a
// cache miss, so a run is cold without pruning the daemon.
func writeFixture(dir, busybox, sleep string) error {
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("static busybox: %w (apt-get install busybox-static)", err)
	}
	files := map[string]string{
		"Dockerfile": "FROM scratch\nCOPY nonce /nonce\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n" +
			"ENV PATH=/bin\nCOPY base.txt /app/base.txt\nRUN sleep " + sleep + " && cat /nonce > /app/base-built\nWORKDIR /app\n",
		"base.txt": "base\n",
	}
	for i := 1; i <= adapters; i++ {
		x := fmt.Sprintf("adapter_%d", i)
		files["adapters/"+x+"/Dockerfile"] = "FROM bench:base\nCOPY adapters/" + x + "/requirements.txt /app/" + x + "-requirements.txt\n" +
			"RUN sleep " + sleep + " && cp /app/" + x + "-requirements.txt /app/" + x + ".installed\n"
		files["adapters/"+x+"/requirements.txt"] = "dep==1.0\n"
	}
	for p, c := range files {
		if err := write(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			return err
		}
	}
	return write(filepath.Join(dir, "busybox"), bb, 0o755)
}

func setNonce(dir, nonce string) error {
	return os.WriteFile(filepath.Join(dir, "nonce"), []byte(nonce+"\n"), 0o644)
}

func write(p string, dt []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, dt, mode)
}

// loopTimes are the wall times of the sequential loop: in total, the base, each adapter.
type loopTimes struct {
	total, base time.Duration
	adapters    []time.Duration
}

// critical is the base plus the slowest adapter: what no scheduler can beat.
func (l loopTimes) critical() time.Duration { return l.base + slices.Max(l.adapters) }

// loop is the old bash loop, in Go: base, then each adapter in turn, each timed.
func loop(buildctl, addr, dir, out string) (loopTimes, error) {
	var lt loopTimes
	start := time.Now()
	layout := filepath.Join(out, "base-oci")
	common := []string{"--addr", addr, "build", "--progress", "quiet", "--frontend", "dockerfile.v0", "--local", "context=" + dir}
	args := append(append([]string{}, common...), "--local", "dockerfile="+dir,
		"--output", "type=oci,dest="+layout+",tar=false,name=bench:base")
	t0 := time.Now()
	if out, err := exec.Command(buildctl, args...).CombinedOutput(); err != nil {
		return lt, fmt.Errorf("loop: base: %w\n%s", err, out)
	}
	lt.base = time.Since(t0)
	idx, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		return lt, err
	}
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	if err := json.Unmarshal(idx, &index); err != nil || len(index.Manifests) == 0 {
		return lt, fmt.Errorf("loop: base OCI layout index: %v", err)
	}
	for i := 1; i <= adapters; i++ {
		x := fmt.Sprintf("adapter_%d", i)
		args := append(append([]string{}, common...), "--local", "dockerfile="+filepath.Join(dir, "adapters", x),
			"--oci-layout", "base="+layout,
			"--opt", "context:bench:base=oci-layout://base@"+index.Manifests[0].Digest,
			"--output", "type=oci,dest="+filepath.Join(out, x+"-oci")+",tar=false,name=bench:"+x)
		t0 := time.Now()
		if out, err := exec.Command(buildctl, args...).CombinedOutput(); err != nil {
			return lt, fmt.Errorf("loop: %s: %w\n%s", x, err, out)
		}
		lt.adapters = append(lt.adapters, time.Since(t0))
	}
	lt.total = time.Since(start)
	return lt, nil
}

// timeline is where one molecule-ci run spent its time, per image, from the vertex timestamps
// BuildKit sent (rawjson progress); times are offsets from the start of Run.
type timeline struct {
	images []*imageTimes
	total  time.Duration
}

type imageTimes struct {
	name                   string
	first, last            time.Duration // first vertex started, last vertex completed
	runStart, runEnd       time.Duration // the step that sleeps
	exportStart, exportEnd time.Duration
}

func readTimeline(r io.Reader, t0 time.Time, total time.Duration) (*timeline, error) {
	byName := map[string]*imageTimes{}
	dec := json.NewDecoder(r)
	for {
		var st client.SolveStatus
		if err := dec.Decode(&st); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("progress: %w", err)
		}
		for _, v := range st.Vertexes {
			img, step, ok := strings.Cut(strings.TrimPrefix(v.Name, "["), "] ")
			if !ok {
				continue
			}
			it := byName[img]
			if it == nil {
				it = &imageTimes{name: img, first: -1}
				byName[img] = it
			}
			if v.Started != nil && !v.Cached {
				s := v.Started.Sub(t0)
				if it.first < 0 || s < it.first {
					it.first = s
				}
				if strings.Contains(step, "RUN sleep") {
					it.runStart = s
				}
				if strings.HasPrefix(step, "exporting") {
					it.exportStart = s
				}
			}
			if v.Completed != nil {
				c := v.Completed.Sub(t0)
				it.last = max(it.last, c)
				if strings.Contains(step, "RUN sleep") {
					it.runEnd = c
				}
				if strings.HasPrefix(step, "exporting") {
					it.exportEnd = max(it.exportEnd, c)
				}
			}
		}
	}
	tl := &timeline{total: total}
	for _, it := range byName {
		tl.images = append(tl.images, it)
	}
	sort.Slice(tl.images, func(i, j int) bool { return tl.images[i].first < tl.images[j].first })
	return tl, nil
}

func (tl *timeline) print(w io.Writer) {
	fmt.Fprintf(w, "  %-10s %8s %8s %8s %8s %8s %8s\n", "image", "first", "RUN", "RUN end", "export", "exp end", "last")
	var lastDone time.Duration
	for _, it := range tl.images {
		fmt.Fprintf(w, "  %-10s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f\n", it.name, it.first.Seconds(), it.runStart.Seconds(), it.runEnd.Seconds(),
			it.exportStart.Seconds(), it.exportEnd.Seconds(), it.last.Seconds())
		lastDone = max(lastDone, it.last)
	}
}

// parts are where one run's time went along its critical path.
type parts struct {
	startup, basePre, baseRun, handover, adapterRun, adapterExport, baseExport, tail, total time.Duration
}

func (tl *timeline) parts() (parts, bool) {
	var base, slowest *imageTimes
	var lastDone time.Duration
	for _, it := range tl.images {
		lastDone = max(lastDone, it.last)
		if it.name == "base" {
			base = it
		} else if slowest == nil || it.last > slowest.last {
			slowest = it
		}
	}
	if base == nil || slowest == nil {
		return parts{}, false
	}
	return parts{
		startup:       base.first,
		basePre:       base.runStart - base.first,
		baseRun:       base.runEnd - base.runStart,
		handover:      slowest.runStart - base.runEnd,
		adapterRun:    slowest.runEnd - slowest.runStart,
		adapterExport: slowest.exportEnd - slowest.runEnd,
		baseExport:    base.exportEnd - base.exportStart,
		tail:          tl.total - lastDone,
		total:         tl.total,
	}, true
}

// printBreakdown prints the median of each part of the critical path over the runs.
func printBreakdown(w io.Writer, tls []*timeline) {
	var ps []parts
	for _, tl := range tls {
		if p, ok := tl.parts(); ok {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return
	}
	med := func(f func(parts) time.Duration) float64 {
		var ds []time.Duration
		for _, p := range ps {
			ds = append(ds, f(p))
		}
		return median(ds).Seconds()
	}
	for _, row := range []struct {
		what string
		f    func(parts) time.Duration
	}{
		{"start-up before the base's first step (session, Dockerfile, context)", func(p parts) time.Duration { return p.startup }},
		{"the base's steps before its RUN", func(p parts) time.Duration { return p.basePre }},
		{"the base's RUN (sleep)", func(p parts) time.Duration { return p.baseRun }},
		{"base RUN end -> slowest adapter's RUN start (hand-over, COPY, container start)", func(p parts) time.Duration { return p.handover }},
		{"the slowest adapter's RUN (sleep)", func(p parts) time.Duration { return p.adapterRun }},
		{"the slowest adapter's RUN end -> its export end (exporter)", func(p parts) time.Duration { return p.adapterExport }},
		{"the base's exporter (overlapping the adapters')", func(p parts) time.Duration { return p.baseExport }},
		{"after the last vertex (sessions closing, Run returning)", func(p parts) time.Duration { return p.tail }},
		{"the whole run", func(p parts) time.Duration { return p.total }},
	} {
		fmt.Fprintf(w, "  %-82s %6.2fs\n", row.what, med(row.f))
	}
}
