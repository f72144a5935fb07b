package scriptcheck

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rhysd/actionlint"
)

// fakeTool writes an executable shell script standing in for shellcheck or pyflakes: it prints
// version for --version and otherwise appends a line to dir/runs per script it is given (each
// *.sh argument, or stdin when there is none) and runs body. The fake makes cache behaviour
// observable without depending on the real tools.
func fakeTool(t *testing.T, dir, name, version, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	runs := filepath.Join(dir, "runs")
	script := "#!/bin/sh\n" +
		"if [ \"$1\" = --version ]; then echo '" + version + "'; exit 0; fi\n" +
		"n=0; for a in \"$@\"; do case \"$a\" in *.sh) echo run >> '" + runs + "'; n=1;; esac; done\n" +
		"[ $n = 1 ] || echo run >> '" + runs + "'\n" +
		body + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeShellcheckBody reports one warning on the second line (the first user line) of every
// script file, in shellcheck's json1 format.
const fakeShellcheckBody = `out=
for a in "$@"; do case "$a" in *.sh) out="$out${out:+,}{\"file\":\"$a\",\"line\":2,\"column\":3,\"level\":\"warning\",\"code\":9999,\"message\":\"fake finding.\"}";; esac; done
echo "{\"comments\":[$out]}"
exit 1`

// noProcs drops the process count, which depends on how scripts happened to be batched.
func noProcs(s Stats) Stats {
	s.Processes = 0
	return s
}

// toolRuns is how many times the fake tools in dir ran.
func toolRuns(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "runs"))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// lintSource lints one in-memory workflow with the checker's rules only.
func lintSource(c *Checker, src string) ([]string, error) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		Color: actionlint.ColorOptionKindNever,
		OnRulesCreated: func([]actionlint.Rule) []actionlint.Rule {
			return c.Rules()
		},
	})
	if err != nil {
		return nil, err
	}
	errs, err := l.Lint("test.yaml", []byte(src), nil)
	if err != nil {
		return nil, err
	}
	return scriptFindings(errs), nil
}

const oneScript = `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo $FOO
`

const wantFake = "test.yaml:6:9: shellcheck reported issue in this script: SC9999:warning:1:3: fake finding [shellcheck]"

// cacheFiles lists the entries under the cache directory, relative to it.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			r, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCacheSecondRunRunsNothing(t *testing.T) {
	bin, cache := t.TempDir(), t.TempDir()
	sc := fakeTool(t, bin, "shellcheck", "version: 1", fakeShellcheckBody)
	src := oneScript + "      - run: echo second\n      - run: echo $FOO\n" // the third script repeats the first

	var stats []Stats
	for range 2 {
		c, err := New(Options{Shellcheck: sc, CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		got, err := lintSource(c, src)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{wantFake, strings.Replace(wantFake, ":6:9:", ":7:9:", 1), strings.Replace(wantFake, ":6:9:", ":8:9:", 1)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("findings (-want +got):\n%s", diff)
		}
		stats = append(stats, noProcs(c.Stats()))
	}
	want := []Stats{{Runs: 2, CacheHits: 1}, {Runs: 0, CacheHits: 3}}
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("stats of first and second run (-want +got):\n%s", diff)
	}
	if n := toolRuns(t, bin); n != 2 {
		t.Errorf("tool ran %d times, want 2", n)
	}
	files := cacheFiles(t, cache)
	if len(files) != 2 {
		t.Fatalf("cache entries = %q, want 2", files)
	}
	for _, f := range files {
		parts := strings.Split(f, "/")
		if len(parts) != 3 || parts[0] != "shellcheck" || !strings.HasPrefix(parts[2], parts[1]) || len(parts[2]) != 64+len(".json") {
			t.Errorf("cache entry %q, want shellcheck/<2 hex>/<sha256>.json", f)
		}
	}
}

func TestCacheInvalidation(t *testing.T) {
	tests := []struct {
		name    string
		version string // of the tool on the second run
		src     string // on the second run
	}{
		{"script changed", "version: 1", strings.Replace(oneScript, "$FOO", "$BAR", 1)},
		{"expression changed length", "version: 1", strings.Replace(oneScript, "$FOO", "${{ a }}", 1)},
		{"shell changed", "version: 1", oneScript + "        shell: sh\n"},
		{"tool version changed", "version: 2", oneScript},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			bin1, bin2 := t.TempDir(), t.TempDir()
			// The same path for both versions is the realistic case (a tool upgraded in place), so
			// the second fake replaces the first.
			sc := fakeTool(t, bin1, "shellcheck", "version: 1", fakeShellcheckBody)
			c, err := New(Options{Shellcheck: sc, CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lintSource(c, oneScript); err != nil {
				t.Fatal(err)
			}
			fakeTool(t, bin2, "shellcheck", tc.version, fakeShellcheckBody)
			if err := os.Rename(filepath.Join(bin2, "shellcheck"), sc); err != nil {
				t.Fatal(err)
			}
			c, err = New(Options{Shellcheck: sc, CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lintSource(c, tc.src); err != nil {
				t.Fatal(err)
			}
			if s := noProcs(c.Stats()); s != (Stats{Runs: 1}) {
				t.Errorf("second run Stats = %+v, want one run and no hit", s)
			}
			if n := len(cacheFiles(t, cache)); n != 2 {
				t.Errorf("%d cache entries, want 2", n)
			}
		})
	}
}

func TestCorruptCacheEntry(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"empty", ""},
		{"garbage", "\x00\xff not json"},
		{"truncated", `{"key":"`},
		{"other key", `{"key":"0000","diagnostics":[]}`},
		{"no diagnostics", `{"key":"%s"}`},
		{"wrong type", `{"key":"%s","diagnostics":{"line":1}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, cache := t.TempDir(), t.TempDir()
			sc := fakeTool(t, bin, "shellcheck", "version: 1", fakeShellcheckBody)
			c, err := New(Options{Shellcheck: sc, CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lintSource(c, oneScript); err != nil {
				t.Fatal(err)
			}
			files := cacheFiles(t, cache)
			if len(files) != 1 {
				t.Fatalf("cache entries = %q, want 1", files)
			}
			entry := filepath.Join(cache, files[0])
			key := strings.TrimSuffix(filepath.Base(entry), ".json")
			if err := os.WriteFile(entry, []byte(strings.ReplaceAll(tc.content, "%s", key)), 0o644); err != nil {
				t.Fatal(err)
			}

			c, err = New(Options{Shellcheck: sc, CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			got, err := lintSource(c, oneScript)
			if err != nil {
				t.Fatalf("a corrupt cache entry must not fail the lint: %v", err)
			}
			if diff := cmp.Diff([]string{wantFake}, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if s := noProcs(c.Stats()); s != (Stats{Runs: 1}) {
				t.Errorf("Stats = %+v, want the tool to run again", s)
			}
			// The entry was rewritten and now hits.
			if d, ok := c.readCache(c.shellcheck, key); !ok || len(d) != 1 {
				t.Errorf("entry not rewritten: %v %v", d, ok)
			}
		})
	}
}

// TestToolFailure: a tool that cannot run is a *ToolError with actionlint's message, is never
// cached, and fails the lint like actionlint's own rule does.
func TestToolFailure(t *testing.T) {
	tests := []struct {
		name string
		body string
		// want is the error message; %EXE% is the fake's path.
		want string
	}{
		{
			name: "crash without output",
			body: "echo boom >&2; exit 2",
			want: "`%EXE% --norc -f json1 -x --shell bash -e SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043` did not run successfully while checking script at line:6,col:9: %EXE% exited with status 2 but stdout was empty. stderr: \"boom\\n\"",
		},
		{
			name: "killed",
			body: "kill -9 $$",
			want: "`%EXE% --norc -f json1 -x --shell bash -e SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043` did not run successfully while checking script at line:6,col:9: %EXE% was terminated. stderr: \"\"",
		},
		{
			name: "output not JSON",
			body: "echo 'In - line 1: oops'",
			want: "could not parse JSON output from shellcheck: invalid character 'I' looking for beginning of value: stdout=\"In - line 1: oops\\n\"",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, cache := t.TempDir(), t.TempDir()
			sc := fakeTool(t, bin, "shellcheck", "version: 1", tc.body)
			want := strings.ReplaceAll(tc.want, "%EXE%", sc)

			c, err := New(Options{Shellcheck: sc, CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			_, err = lintSource(c, oneScript)
			var te *ToolError
			if !errors.As(err, &te) || te.Tool != "shellcheck" {
				t.Fatalf("error = %v (%T), want a *ToolError for shellcheck", err, err)
			}
			if err.Error() != want {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
			if files := cacheFiles(t, cache); len(files) != 0 {
				t.Errorf("a failed run was cached: %q", files)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	bin := t.TempDir()
	broken := filepath.Join(bin, "broken")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho nope >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	silent := filepath.Join(bin, "silent")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ok := fakeTool(t, bin, "ok", "1.0", "")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"shellcheck missing", Options{Shellcheck: "no-such-shellcheck"},
			`shellcheck: executable "no-such-shellcheck" not found (install it or disable the check): exec: "no-such-shellcheck": executable file not found in $PATH`},
		{"pyflakes missing", Options{Shellcheck: ok, Pyflakes: "/no/such/pyflakes"},
			`pyflakes: executable "/no/such/pyflakes" not found (install it or disable the check): exec: "/no/such/pyflakes": stat /no/such/pyflakes: no such file or directory`},
		{"version fails", Options{Shellcheck: broken},
			"shellcheck: `" + broken + " --version` failed: exit status 3 (stderr: \"nope\\n\")"},
		{"version empty", Options{Pyflakes: silent},
			"pyflakes: `" + silent + " --version` printed nothing"},
		{"negative concurrency", Options{Concurrency: -1},
			"scriptcheck: concurrency must not be negative, got -1"},
		{"cache dir is a file", Options{Shellcheck: ok, CacheDir: broken},
			"scriptcheck: create cache directory: mkdir " + broken + ": not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("New(%+v) = %v, %v\nwant error %s", tc.opts, c, err, tc.want)
			}
		})
	}
}

const limitDesc = RuleLimit + ": Reports run: scripts that shellcheck or pyflakes could not check within their time or memory limit"

func TestRules(t *testing.T) {
	bin := t.TempDir()
	sc := fakeTool(t, bin, "sc", "1", "")
	pf := fakeTool(t, bin, "pf", "1", "")
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"none", Options{}, nil},
		{"shellcheck", Options{Shellcheck: sc}, []string{"shellcheck: " + shellcheckDesc, limitDesc}},
		{"pyflakes", Options{Pyflakes: pf}, []string{"pyflakes: " + pyflakesDesc, limitDesc}},
		{"both", Options{Shellcheck: sc, Pyflakes: pf}, []string{"shellcheck: " + shellcheckDesc, "pyflakes: " + pyflakesDesc, limitDesc}},
		{"command line", Options{Shellcheck: "sh " + sc}, []string{"shellcheck: " + shellcheckDesc, limitDesc}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			a, b := c.Rules(), c.Rules()
			var got []string
			for i, r := range a {
				got = append(got, r.Name()+": "+r.Description())
				if r == b[i] {
					t.Errorf("Rules returned the same %s instance twice; rules are per file", r.Name())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConcurrencyBound: with Concurrency 1, no two tool processes overlap, across files.
func TestConcurrencyBound(t *testing.T) {
	bin := t.TempDir()
	lock, overlaps := filepath.Join(bin, "lock"), filepath.Join(bin, "overlaps")
	sc := fakeTool(t, bin, "shellcheck", "1", `mkdir '`+lock+`' 2>/dev/null || echo overlap >> '`+overlaps+`'
sleep 0.02
rmdir '`+lock+`' 2>/dev/null
echo '{"comments":[]}'`)
	c, err := New(Options{Shellcheck: sc, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, dir := newRepo(t)
	var paths []string
	for i := range 4 {
		var b strings.Builder
		b.WriteString("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n")
		for j := range 4 {
			b.WriteString("      - run: echo " + string(rune('a'+i)) + string(rune('a'+j)) + "\n")
		}
		p := filepath.Join(dir, string(rune('a'+i))+".yaml")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if got := lint(t, withChecker(c), paths); len(got) != 0 {
		t.Errorf("findings %q, want none", got)
	}
	if s := c.Stats(); s.Runs != 16 {
		t.Errorf("Stats = %+v, want 16 runs", s)
	}
	if _, err := os.Stat(overlaps); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("tool processes overlapped with Concurrency 1")
	}
}
