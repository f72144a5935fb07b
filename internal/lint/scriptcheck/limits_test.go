package scriptcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// nestedScript is the shape that makes shellcheck's time grow exponentially with depth: a 3 KB
// script of nested command substitutions runs for minutes.
func nestedScript(depth int) string {
	return "echo " + strings.Repeat(`$(echo `, depth) + "x" + strings.Repeat(")", depth)
}

func realShellcheck(t *testing.T) string {
	t.Helper()
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.Missing(t, "shellcheck not installed: apt-get install shellcheck")
	}
	return sc
}

// workflowOf is a workflow with one step per script, in order (the first run: is on line 6).
func workflowOf(scripts ...string) string {
	var b strings.Builder
	b.WriteString("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n")
	for _, s := range scripts {
		b.WriteString("      - run: " + s + "\n")
	}
	return b.String()
}

// TestTimeLimit: a script shellcheck cannot finish within the limit gets a script-check-limit
// finding at its run:, and the scripts batched with it are still checked.
func TestTimeLimit(t *testing.T) {
	sc := realShellcheck(t)
	nested := nestedScript(400)
	if len(nested) < 3000 {
		t.Fatalf("nested script is %d bytes, want the 3 KB case", len(nested))
	}
	c, err := New(Options{Shellcheck: sc, Timeout: 2 * time.Second, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := lintSource(c, workflowOf("echo $2", nested, "echo $1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3 KB nested script with a 2s limit: lint took %s", time.Since(start))
	want := []string{
		"test.yaml:6:9: shellcheck reported issue in this script: SC2086:info:1:6: Double quote to prevent globbing and word splitting [shellcheck]",
		"test.yaml:7:9: this script was not checked: shellcheck did not finish within its 2s time limit; simplify or split it, or raise lint.tool-timeout [script-check-limit]",
		"test.yaml:8:9: shellcheck reported issue in this script: SC2086:info:1:6: Double quote to prevent globbing and word splitting [shellcheck]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestMemoryLimit: under an address-space limit shellcheck's runtime cannot start with, the
// script gets the memory finding (Linux with prlimit only).
func TestMemoryLimit(t *testing.T) {
	sc := realShellcheck(t)
	c, err := New(Options{Shellcheck: sc, MemoryLimit: 40 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !c.MemoryCapped() {
		testenv.Missing(t, "no memory limit on this system: needs Linux and prlimit (util-linux)")
	}
	got, err := lintSource(c, workflowOf("echo $1"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"test.yaml:6:9: this script was not checked: shellcheck ran out of its 40 MiB memory limit; simplify or split it, or raise lint.tool-memory [script-check-limit]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// The default limit leaves real scripts alone.
	c, err = New(Options{Shellcheck: sc})
	if err != nil {
		t.Fatal(err)
	}
	got, err = lintSource(c, workflowOf("echo $1"))
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"test.yaml:6:9: shellcheck reported issue in this script: SC2086:info:1:6: Double quote to prevent globbing and word splitting [shellcheck]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default limit: findings (-want +got):\n%s", diff)
	}
}

// TestEnvInCacheKey: SHELLCHECK_OPTS changes what shellcheck reports, so a run with exclusions
// must not serve its results to a run without them, in either order, through the disk cache.
func TestEnvInCacheKey(t *testing.T) {
	sc := realShellcheck(t)
	cache := t.TempDir()
	src := workflowOf("echo $1")
	sc2086 := "test.yaml:6:9: shellcheck reported issue in this script: SC2086:info:1:6: Double quote to prevent globbing and word splitting [shellcheck]"
	for i, tc := range []struct {
		opts string
		want []string
		runs int64
	}{
		{"-e SC2086", []string{}, 1},
		{"", []string{sc2086}, 1},
		{"-e SC2086", []string{}, 0}, // both now cached under their own keys
		{"", []string{sc2086}, 0},
	} {
		c, err := New(Options{Shellcheck: sc, CacheDir: cache, Env: map[string]string{"SHELLCHECK_OPTS": tc.opts}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := lintSource(c, src)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("run %d with SHELLCHECK_OPTS=%q: findings (-want +got):\n%s", i, tc.opts, diff)
		}
		if s := c.Stats(); s.Runs != tc.runs {
			t.Errorf("run %d: %d scripts checked by a tool, want %d", i, s.Runs, tc.runs)
		}
	}
}

// TestCancel: cancelling the context kills a running tool process and fails the check with the
// context's error, well before the time limit.
func TestCancel(t *testing.T) {
	sc := realShellcheck(t)
	ctx, cancel := context.WithCancel(context.Background())
	c, err := NewContext(ctx, Options{Shellcheck: sc, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = lintSource(c, workflowOf(nestedScript(400)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	t.Logf("cancelled after 200ms; lint returned after %s", time.Since(start))
	// A checker whose context is done runs nothing.
	if _, err := lintSource(c, workflowOf("echo $1")); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: err = %v, want context.Canceled", err)
	}
}

// TestBatching: scripts waiting together share shellcheck processes, and identical scripts are
// checked once.
func TestBatching(t *testing.T) {
	sc := realShellcheck(t)
	var scripts []string
	for i := range 40 {
		scripts = append(scripts, "echo $"+string(rune('A'+i%20))+strings.Repeat(" x", i))
	}
	scripts = append(scripts, scripts[0], scripts[1])
	c, err := New(Options{Shellcheck: sc, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lintSource(c, workflowOf(scripts...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 42 {
		t.Errorf("%d findings, want 42 (SC2086 on every script)", len(got))
	}
	s := c.Stats()
	if s.Runs != 40 || s.Processes >= s.Runs || s.CacheHits != 2 {
		t.Errorf("Stats = %+v, want 40 scripts checked in fewer processes, and 2 repeats from the cache", s)
	}
}

// TestHeldBatches: scripts queued under Hold wait for release and then leave in as few processes
// as the concurrency allows (one here), however many files they came from.
func TestHeldBatches(t *testing.T) {
	sc := realShellcheck(t)
	dir := t.TempDir()
	var paths []string
	for i := range 30 {
		p := filepath.Join(dir, fmt.Sprintf("w%02d.yaml", i))
		if err := os.WriteFile(p, []byte(workflowOf(fmt.Sprintf("echo $A%d", i), "echo $B")), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	c, err := New(Options{Shellcheck: sc, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := lintHeld(t, c, paths)
	if len(got) != 60 {
		t.Errorf("%d findings, want 60 (SC2086 on every script):\n%s", len(got), strings.Join(got, "\n"))
	}
	if s := c.Stats(); s != (Stats{Runs: 31, Processes: 1, CacheHits: 29}) {
		t.Errorf("Stats = %+v, want the 31 distinct scripts in 1 process and 29 repeats from the cache", s)
	}
}

// TestLongScriptsSpread: once nothing is held, long scripts are shared out among the workers by
// their length, not their number: four 12 KiB scripts go to two processes with two workers,
// where counting (at least 32 a batch) would give one process all four while the other idles.
func TestLongScriptsSpread(t *testing.T) {
	sc := realShellcheck(t)
	dir := t.TempDir()
	var paths []string
	for i := range 4 {
		p := filepath.Join(dir, fmt.Sprintf("w%d.yaml", i))
		script := "echo $" + string(rune('A'+i)) + strings.Repeat("; echo 'a long and uninteresting line of a script'", 250)
		if err := os.WriteFile(p, []byte(workflowOf(script)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	c, err := New(Options{Shellcheck: sc, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := lintHeld(t, c, paths); len(got) != 4 {
		t.Errorf("%d findings, want 4 (SC2086 on every script):\n%s", len(got), strings.Join(got, "\n"))
	}
	if s := c.Stats(); s.Runs != 4 || s.Processes != 2 {
		t.Errorf("Stats = %+v, want 4 scripts in 2 processes", s)
	}
}

// TestLimitSplitsBatch: a script over the time limit in a large batch costs the others nothing
// but time: the batch is checked again in smaller batches, the one holding the slow script
// script by script, and only that script gets the limit finding. The stand-in shellcheck hangs
// on any batch holding the script that says SLOW (real scripts that slow are nested deeply and
// run alone from the start: TestDeepScriptAlone).
func TestLimitSplitsBatch(t *testing.T) {
	bin := t.TempDir()
	sc := fakeTool(t, bin, "shellcheck", "version: 1", `for a in "$@"; do case "$a" in *.sh) grep -q SLOW "$a" && exec sleep 30;; esac; done
`+fakeShellcheckBody)
	var scripts []string
	for i := range 2*splitBatch + 3 {
		scripts = append(scripts, fmt.Sprintf("echo $V%d", i))
	}
	scripts[splitBatch+1] = "echo SLOW"
	c, err := New(Options{Shellcheck: sc, Timeout: time.Second, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := lintHeld(t, c, []string{writeWorkflow(t, scripts...)})
	want := oneOverLimit(len(scripts), splitBatch+1, "1s", "SC9999:warning:1:3: fake finding")
	if diff := cmp.Diff(want, relative(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// 1 batch of 35 over the limit, 3 of 16, 16, 3, one of them over the limit again, then its 16
	// scripts one by one.
	if s := c.Stats(); s.Processes != 1+3+16 {
		t.Errorf("Stats = %+v, want 20 processes", s)
	}
}

// TestDeepScriptAlone: a script nested deeply enough to take shellcheck past its limit is checked
// alone from the start, so the scripts queued with it are checked once, in one batch.
func TestDeepScriptAlone(t *testing.T) {
	sc := realShellcheck(t)
	var scripts []string
	for i := range 40 {
		scripts = append(scripts, fmt.Sprintf("echo $V%d", i))
	}
	scripts[20] = nestedScript(400)
	c, err := New(Options{Shellcheck: sc, Timeout: 2 * time.Second, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := lintHeld(t, c, []string{writeWorkflow(t, scripts...)})
	want := oneOverLimit(len(scripts), 20, "2s", "SC2086:info:1:6: Double quote to prevent globbing and word splitting")
	if diff := cmp.Diff(want, relative(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if s := c.Stats(); s.Processes != 2 || s.Runs != 40 {
		t.Errorf("Stats = %+v, want 40 scripts in 2 processes: the batch, and the deep script alone", s)
	}
}

// oneOverLimit is the findings of writeWorkflow's n scripts when script slow is over the time
// limit and every other one gets the shellcheck finding issue.
func oneOverLimit(n, slow int, limit, issue string) []string {
	var want []string
	for i := range n {
		line := 6 + i
		if i == slow {
			want = append(want, fmt.Sprintf("w.yaml:%d:9: this script was not checked: shellcheck did not finish within its %s time limit; simplify or split it, or raise lint.tool-timeout [script-check-limit]", line, limit))
			continue
		}
		want = append(want, fmt.Sprintf("w.yaml:%d:9: shellcheck reported issue in this script: %s [shellcheck]", line, issue))
	}
	return want
}

// writeWorkflow writes workflowOf(scripts) to w.yaml in a new directory and returns its path.
func writeWorkflow(t *testing.T, scripts ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(p, []byte(workflowOf(scripts...)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// relative cuts the directory from findings on w.yaml (their paths are relative to the working
// directory).
func relative(findings []string) []string {
	out := slices.Clone(findings)
	for i := range out {
		if j := strings.Index(out[i], "w.yaml:"); j >= 0 {
			out[i] = out[i][j:]
		}
	}
	return out
}

// TestBatchPlaces: a batch's scripts go to memory when the system has a memory-backed directory,
// and to the next place when that one cannot take them.
func TestBatchPlaces(t *testing.T) {
	batch := []*job{{req: request{stdin: "echo one\n"}}, {req: request{stdin: "echo two\n"}}}
	names := []string{"script-0.sh", "script-1.sh"}
	check := func(t *testing.T, c *Checker, wantBase string) {
		t.Helper()
		dir, err := c.writeBatch(batch, names)
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if got := filepath.Dir(dir); got != filepath.Clean(wantBase) {
			t.Errorf("batch written under %s, want %s", got, wantBase)
		}
		for i, n := range names {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil || string(b) != batch[i].req.stdin {
				t.Errorf("%s = %q, %v; want %q", n, b, err, batch[i].req.stdin)
			}
		}
	}
	t.Run("memory", func(t *testing.T) {
		if st, err := os.Stat(memoryDir); err != nil || !st.IsDir() {
			t.Skipf("no %s on this system", memoryDir)
		}
		check(t, &Checker{}, memoryDir)
	})
	t.Run("memory unusable", func(t *testing.T) {
		defer func(d string) { memoryDir = d }(memoryDir)
		memoryDir = "/proc" // a directory no one can create anything in, root included
		check(t, &Checker{}, os.TempDir())
	})
	t.Run("temporary directory unusable", func(t *testing.T) {
		defer func(d string) { memoryDir = d }(memoryDir)
		memoryDir = "/proc"
		cache := t.TempDir()
		t.Setenv("TMPDIR", "/proc")
		check(t, &Checker{cacheDir: cache}, cache)
	})
}

// TestCommandLineTool: a tool given as a command line (a container, say) cannot see files
// written on the host, so it gets each script on stdin, like actionlint does.
func TestCommandLineTool(t *testing.T) {
	bin := t.TempDir()
	sc := fakeTool(t, bin, "shellcheck", "version: 1", `last=
for a in "$@"; do last=$a; done
[ "$last" = - ] || { echo "not stdin: $*" >&2; exit 3; }
grep -q 'echo' || exit 3
echo '{"comments":[{"file":"-","line":2,"column":3,"level":"warning","code":9999,"message":"fake finding."}]}'
exit 1`)
	c, err := New(Options{Shellcheck: "sh " + sc})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lintSource(c, oneScript)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{wantFake}, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
