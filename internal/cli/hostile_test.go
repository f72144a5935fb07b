package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// Everything a pull request controls is hostile: file names, YAML keys and values, report
// paths, the text quoted in messages. These tests feed such input through every command and
// format, with the GitHub Actions environment set, and read the output the way the runner does.

// hostileNames are file names that try to start a command: after a newline, a carriage return
// (which .NET's line reader splits on), a line separator, or at the start of the line when the
// name is printed first. Each names INJECTED where a command the tool means never has it.
var hostileNames = []string{
	"a\n::error title=INJECTED::y\n.yml",
	"b\r::warning file=INJECTED,line=1::x.yml",
	"c\x1b[2J\x1b]0;INJECTED\x07.yml",
	"d%0A::error title=INJECTED::e.yml",
	"e ##[set-env name=INJECTED;]x.yml",
	"f\u2028::add-matcher::INJECTED.yml",
	"\t::set-output name=INJECTED::v.yml",
	"::error title=INJECTED::g.yml",
}

const hostileWorkflow = `on: push
jobs:
  "j\n::error title=INJECTED::k":
    runs-on: "::error title=INJECTED::runs"
    steps:
      - uses: "x\n::error title=INJECTED::u/y@main"
      - uses: docker://##[set-env name=INJECTED;]x
      - run: |
          echo "::error title=INJECTED::run" $UNQUOTED
        shell: "::warning file=INJECTED,line=1::sh"
      - run: echo "${{ github.event.issue.title }} ::stop-commands::INJECTED"
`

const hostileDockerfile = "FROM scratch AS \"\n::error title=INJECTED::st\"\nRUN echo \"##[set-env name=INJECTED;]x\" \\\n  && apt-get install curl\nUSER \"::error title=INJECTED::u\"\n"

func writeHostile(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hostileRepo is a repository whose every workflow, Dockerfile and action has a hostile name
// and hostile content.
func hostileRepo(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{"Dockerfile": hostileDockerfile}
	for i, name := range hostileNames {
		files[".github/workflows/"+name] = hostileWorkflow
		if i < 3 {
			files["adapters/"+strings.TrimSuffix(name, ".yml")+"/Dockerfile"] = hostileDockerfile
		}
	}
	files["action.yml"] = "name: \"::error title=INJECTED::n\"\ndescription: d\nruns:\n  using: docker\n  image: docker://##[set-env name=INJECTED;]img\n"
	writeHostile(t, dir, files)
	return dir
}

// fakeGitHub answers the check-run calls as GitHub does and keeps every request body, so tests
// can read what would have been published.
type fakeGitHub struct {
	mu     sync.Mutex
	bodies []string
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	f.bodies = append(f.bodies, string(body))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	switch {
	case r.Method == http.MethodPost && path == "/repos/Molecule-AI/app/check-runs":
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":7,"head_sha":"abc1234","status":"in_progress","html_url":"https://github.com/Molecule-AI/app/runs/7"}`)
	case r.Method == http.MethodPatch && path == "/repos/Molecule-AI/app/check-runs/7":
		io.WriteString(w, `{"id":7,"head_sha":"abc1234","status":"completed","conclusion":"failure","html_url":"https://github.com/Molecule-AI/app/runs/7"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)
	}
}

func (f *fakeGitHub) payloads() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.bodies, "\n")
}

// sinks is everything one run wrote.
type sinks struct {
	stdout, stderr, output, summary, sarif, checks string
	code                                           int
}

func (s sinks) all() string {
	return strings.Join([]string{s.stdout, s.stderr, s.output, s.summary, s.sarif, s.checks}, "\n")
}

// runActions runs args in dir as a GitHub Actions step: env files set, and with api a token and
// repository, so check runs are published to it.
func runActions(t *testing.T, dir string, api *httptest.Server, args ...string) sinks {
	t.Helper()
	return runActionsWith(t, dir, api, nil, args...)
}

// runActionsEnv is runActions without an API, with extra variables set.
func runActionsEnv(t *testing.T, dir string, extra map[string]string, args ...string) sinks {
	t.Helper()
	return runActionsWith(t, dir, nil, extra, args...)
}

func runActionsWith(t *testing.T, dir string, api *httptest.Server, extra map[string]string, args ...string) sinks {
	t.Helper()
	state := t.TempDir()
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(state, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(state, "summary"),
		"GITHUB_ENV":          filepath.Join(state, "env"),
		"XDG_CACHE_HOME":      filepath.Join(state, "cache"),
		"BUILDKIT_HOST":       "unix://" + filepath.Join(state, "no-daemon.sock"),
	}
	fake := &fakeGitHub{}
	if api != nil {
		vars["GITHUB_REPOSITORY"] = "Molecule-AI/app"
		vars["GITHUB_SHA"] = "abc1234"
		vars["GITHUB_API_URL"] = api.URL
		vars["GITHUB_TOKEN"] = "ghs_" + "Qm7Zt2Xv9Lp4Rk8Wn3Bc6Df1Gh5Js0TyAe"
		api.Config.Handler = fake
	}
	for k, v := range extra {
		vars[k] = v
	}
	var stdout, stderr bytes.Buffer
	env := Env{Actions: ghaction.New(func(k string) string { return vars[k] }, &stdout), WorkDir: dir}
	code := Run(context.Background(), args, Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}, env)
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return string(b)
	}
	s := sinks{stdout: stdout.String(), stderr: stderr.String(), output: read(vars["GITHUB_OUTPUT"]),
		summary: read(vars["GITHUB_STEP_SUMMARY"]), checks: fake.payloads(), code: code}
	for i, a := range args {
		if a == "--sarif-file" && i+1 < len(args) {
			s.sarif = read(filepath.Join(dir, args[i+1]))
		}
	}
	return s
}

var (
	ruleTitle  = regexp.MustCompile(`^[a-z0-9][a-z0-9/_.-]*$`)
	stopToken  = regexp.MustCompile(`^molecule-ci-[0-9a-f]{32}$`)
	propEscape = strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",")
)

// checkLog reads out line by line as actions/runner does (a line is a command when, after
// leading white space, it starts with "::"; the legacy "##[" anywhere) and fails on any command
// the tool did not mean: an annotation must carry a rule as its title and, when it names a file,
// a file of the repository (unless repo is "": coverage reports name files of their own); the
// only others are stop-commands with the tool's own token, and add-mask (build masks the
// registry token).
func checkLog(t *testing.T, what, out, repo string) {
	t.Helper()
	// .NET's line reader also ends a line at a bare carriage return.
	lines := strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' })
	if strings.Contains(out, "\r") {
		t.Errorf("%s: a carriage return reached the log", what)
	}
	var stop string
	for _, line := range lines {
		if strings.Contains(line, "##[") {
			t.Errorf("%s: legacy workflow command in %q", what, line)
		}
		if strings.ContainsRune(line, '\x1b') {
			t.Errorf("%s: ESC reached the log: %q", what, line)
		}
		trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
		if !strings.HasPrefix(trimmed, "::") {
			continue
		}
		end := strings.Index(trimmed[2:], "::")
		if end < 0 {
			continue // the runner needs a second "::"
		}
		info := trimmed[2 : 2+end]
		name, propText, _ := strings.Cut(info, " ")
		name = strings.ToLower(name)
		props := map[string]string{}
		for _, p := range strings.Split(propText, ",") {
			if k, v, ok := strings.Cut(p, "="); ok && k != "" {
				props[k] = propEscape.Replace(v)
			}
		}
		switch {
		case stop != "" && name == stop:
			stop = ""
		case stop != "":
			// Ignored by the runner until the token ends the fence.
		case name == "error" || name == "warning" || name == "notice":
			if !ruleTitle.MatchString(props["title"]) {
				t.Errorf("%s: annotation the tool did not write (title %q): %q", what, props["title"], line)
			}
			if f, ok := props["file"]; ok && repo != "" {
				if _, err := os.Lstat(filepath.Join(repo, filepath.FromSlash(f))); err != nil {
					t.Errorf("%s: annotation on a file that does not exist (%q): %q", what, f, line)
				}
			}
		case name == "add-mask":
		case name == "stop-commands":
			if tok := trimmed[2+end+2:]; !stopToken.MatchString(tok) {
				t.Errorf("%s: stop-commands with a token the tool did not choose: %q", what, line)
			} else {
				stop = strings.ToLower(tok)
			}
		default:
			t.Errorf("%s: workflow command %q the tool never writes: %q", what, name, line)
		}
	}
	if stop != "" {
		t.Errorf("%s: stop-commands never ended", what)
	}
}

func checkAllLogs(t *testing.T, what string, s sinks, repo string) {
	t.Helper()
	checkLog(t, what+" stdout", s.stdout, repo)
	checkLog(t, what+" stderr", s.stderr, repo)
}

func TestHostileLint(t *testing.T) {
	repo := hostileRepo(t)
	api := httptest.NewServer(nil)
	defer api.Close()
	for _, format := range []string{"human", "json", "sarif", "github", ""} {
		for _, checks := range []bool{false, true} {
			name := format
			if name == "" {
				name = "default"
			}
			if checks {
				name += "+checks"
			}
			t.Run(name, func(t *testing.T) {
				args := []string{"lint", "--shellcheck", "off", "--sarif-file", "out.sarif"}
				if format != "" {
					args = append(args, "--format", format)
				}
				var srv *httptest.Server
				if checks {
					srv = api
				}
				s := runActions(t, repo, srv, args...)
				if s.code != ExitFindings {
					t.Errorf("exit %d, want %d\nstderr: %s", s.code, ExitFindings, s.stderr)
				}
				if !strings.Contains(s.stdout, "INJECTED") {
					t.Fatalf("the hostile text never reached the output, so nothing was tested:\n%s", s.stdout)
				}
				checkAllLogs(t, name, s, repo)
				if checks && !strings.Contains(s.checks, "INJECTED") {
					t.Error("no check run was published")
				}
			})
		}
	}
}

// TestHostileGolden pins the exact encoded form of the hostile names and values in the human
// and github formats.
func TestHostileGolden(t *testing.T) {
	repo := hostileRepo(t)
	// Without the expression step, so that the golden pins the encoding rather than a rule's
	// wording.
	for _, name := range hostileNames[:3] {
		p := filepath.Join(repo, ".github", "workflows", name)
		wf := strings.Split(hostileWorkflow, "      - run: echo \"${{")[0]
		if err := os.WriteFile(p, []byte(wf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var all bytes.Buffer
	for _, format := range []string{"human", "github"} {
		s := runActions(t, repo, nil, "lint", "--shellcheck", "off", "--format", format, ".github/workflows/"+hostileNames[0], ".github/workflows/"+hostileNames[1], ".github/workflows/"+hostileNames[2], "Dockerfile")
		all.WriteString("== lint --format " + format + " (stdout)\n" + s.stdout)
		all.WriteString("== stderr\n" + s.stderr)
	}
	golden.Check(t, "../../testdata/hostile/lint.golden", bytes.ReplaceAll(all.Bytes(), []byte(repo), []byte("$WORK")))
}

const hostileCobertura = `<?xml version="1.0" ?>
<coverage version="7.4.0" timestamp="1" lines-valid="2" lines-covered="1" line-rate="0.5" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">
<sources><source>.</source></sources>
<packages><package name="p" line-rate="0.5" branch-rate="0" complexity="0"><classes>
<class name="x" filename="b&#10;::warning title=INJECTED::c.py" line-rate="0.5" branch-rate="0" complexity="0"><methods/><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class>
<class name="y" filename="d&#13;##[set-env name=INJECTED;]e.py" line-rate="0.5" branch-rate="0" complexity="0"><methods/><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class>
</classes></package></packages></coverage>
`

func hostileCoverageRepo(t *testing.T) string {
	dir := t.TempDir()
	ist := map[string]any{}
	for _, p := range []string{"a\n::error title=INJECTED::b.ts", "\x1b[31m::notice title=INJECTED::c.ts"} {
		ist[p] = map[string]any{
			"path":         p,
			"statementMap": map[string]any{"0": map[string]any{"start": map[string]int{"line": 1, "column": 0}, "end": map[string]int{"line": 1, "column": 9}}, "1": map[string]any{"start": map[string]int{"line": 2, "column": 0}, "end": map[string]int{"line": 2, "column": 9}}},
			"fnMap":        map[string]any{}, "branchMap": map[string]any{},
			"s": map[string]int{"0": 1, "1": 0}, "f": map[string]int{}, "b": map[string]any{},
		}
	}
	istJSON, err := json.Marshal(ist)
	if err != nil {
		t.Fatal(err)
	}
	writeHostile(t, dir, map[string]string{
		".molecule-ci.yml":    "coverage:\n  total: 90\n  files:\n    \"**\": 80\n",
		"coverage.xml":        hostileCobertura,
		"lcov.info":           "TN:\nSF:f\r::error title=INJECTED::g.ts\nDA:1,1\nDA:2,0\nend_of_record\nSF:\t::add-matcher::INJECTED.ts\nDA:1,0\nend_of_record\n",
		"coverage-final.json": string(istJSON),
	})
	return dir
}

func TestHostileCoverage(t *testing.T) {
	repo := hostileCoverageRepo(t)
	api := httptest.NewServer(nil)
	defer api.Close()
	for _, format := range []string{"human", "json", "sarif", "github"} {
		for _, checks := range []bool{false, true} {
			name := format
			if checks {
				name += "+checks"
			}
			t.Run(name, func(t *testing.T) {
				var srv *httptest.Server
				if checks {
					srv = api
				}
				s := runActions(t, repo, srv, "coverage", "--format", format, "coverage.xml", "lcov.info", "coverage-final.json")
				if !strings.Contains(s.stdout+s.stderr, "INJECTED") {
					t.Fatalf("the hostile paths never reached the output (exit %d):\n%s\n%s", s.code, s.stdout, s.stderr)
				}
				checkAllLogs(t, name, s, "")
				if strings.HasPrefix(format, "github") && !checks && !strings.Contains(s.stdout, "\n::error file=") {
					t.Errorf("the gate's annotations did not reach the log as commands:\n%s", s.stdout)
				}
			})
		}
	}
}

// TestHostileErrors sends hostile text into the error messages every command prints on stderr:
// arguments, flag values, config keys, build addresses and image names.
func TestHostileErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		args  []string
	}{
		{"unknown command", nil, []string{"x\n::error title=INJECTED::y"}},
		{"unknown format", nil, []string{"lint", "--format", "x\n::error title=INJECTED::y"}},
		{"missing path", nil, []string{"lint", "a\r::warning file=INJECTED,line=1::b\n::add-matcher::INJECTED"}},
		{"config key", map[string]string{".molecule-ci.yml": "lint:\n  \"\\n::error title=INJECTED::k\": 1\n  \"##[set-env name=INJECTED;]x\": 2\n"}, []string{"lint"}},
		{"config value", map[string]string{".molecule-ci.yml": "lint:\n  pinning:\n    policy: \"a\\n::error title=INJECTED::p\"\n"}, []string{"lint"}},
		{"missing report", nil, []string{"coverage", "r\n::error title=INJECTED::.out"}},
		{"bad report", map[string]string{"c.out": "mode: set\n::error title=INJECTED::y.go:1.1,2 1 1\n"}, []string{"coverage", "c.out"}},
		{"bad report with a carriage return", map[string]string{"c.out": "mode: set\na.go:1.1,2.2 1 1\r::error title=INJECTED::y\n"}, []string{"coverage", "c.out"}},
		{"build address", map[string]string{"Dockerfile": "FROM scratch\n"}, []string{"build", "--addr", "unix:///x\n::error title=INJECTED::y.sock"}},
		{"build graph", map[string]string{
			"Dockerfile": "FROM scratch\n",
			"adapters/a\n::error title=INJECTED::b/Dockerfile": "FROM \"\n::error title=INJECTED::c\"\n",
		}, []string{"build", "--only", "a\n::error title=INJECTED::b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeHostile(t, dir, tc.files)
			s := runActions(t, dir, nil, tc.args...)
			if s.code == ExitOK {
				t.Errorf("exit 0 for hostile input")
			}
			if !strings.Contains(s.stderr, "INJECTED") {
				t.Fatalf("the hostile text never reached stderr, so nothing was tested:\n%s", s.stderr)
			}
			checkAllLogs(t, tc.name, s, dir)
		})
	}
}

// plantedTokens are credentials of several kinds, assembled from pieces so that no complete
// credential appears in the source. secretPart is what must never be written anywhere.
var plantedTokens = []struct{ full, secretPart string }{
	{"ghp_" + "R8kPz3Lm7Qw2Xn5Vb9Tc4Hd6Jf1Gs0YaKe", "R8kPz3Lm7Qw2Xn5Vb9Tc4Hd6Jf1Gs0YaKe"},
	{"github_pat_" + "11ABCDEFG0" + strings.Repeat("Zq7Wm3Kx9Lp2", 6), strings.Repeat("Zq7Wm3Kx9Lp2", 6)},
	{"AKIA" + "Z7Q3VK2M9PL4RTWX", "Z7Q3VK2M9PL4RTWX"},
	{"xoxb-" + "2837465012-9182736450-Qw8Er7Ty6Ui5Op4As3Df2Gh", "Qw8Er7Ty6Ui5Op4As3Df2Gh"},
}

func tokenRepo(t *testing.T) string {
	gh, pat, aws, slack := plantedTokens[0].full, plantedTokens[1].full, plantedTokens[2].full, plantedTokens[3].full
	dir := t.TempDir()
	writeHostile(t, dir, map[string]string{
		".github/workflows/" + gh + ".yml": "on: push\njobs:\n  a:\n    runs-on: " + gh + "\n    steps:\n      - uses: " + gh + "/x@main\n      - run: echo ${{ " + gh + " }}\n        shell: " + pat + "\n      - uses: docker://" + aws + "\n      - run: curl -H 'Authorization: token " + slack + "' x\n        env:\n          TOKEN: " + gh + "\n",
		".github/workflows/b.yml":          "on: push\njobs:\n  " + aws + ":\n    runs-on: [self-hosted, " + slack + "]\n    container: " + pat + "\n    steps:\n      - uses: actions/checkout@" + gh + "\n",
		"Dockerfile":                       "FROM " + gh + "\nENV TOKEN=" + pat + "\nRUN echo " + aws + " && curl " + slack + " | sh\nUSER " + gh + "\n",
		"action.yml":                       "name: " + gh + "\ndescription: " + pat + "\nruns:\n  using: docker\n  image: docker://" + aws + "\n",
		"adapters/" + gh + "/Dockerfile":   "FROM base\nENV A=" + slack + "\n",
	})
	return dir
}

func checkNoToken(t *testing.T, what string, s sinks) {
	t.Helper()
	// The registry token reaches the runner in ::add-mask::, which it consumes and never shows.
	var kept []string
	for _, l := range strings.Split(s.stdout, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			kept = append(kept, l)
		}
	}
	for name, text := range map[string]string{"stdout": strings.Join(kept, "\n"), "stderr": s.stderr, "GITHUB_OUTPUT": s.output,
		"job summary": s.summary, "SARIF file": s.sarif, "check-run payloads": s.checks} {
		for _, tok := range plantedTokens {
			// JSON writers escape nothing in these shapes, so a plain search finds them.
			if strings.Contains(text, tok.secretPart) {
				i := strings.Index(text, tok.secretPart)
				t.Errorf("%s: %s holds a planted token: …%s…", what, name, text[max(0, i-60):min(len(text), i+len(tok.secretPart)+20)])
			}
		}
		if strings.Contains(text, "Qm7Zt2Xv9Lp4Rk8Wn3Bc6Df1Gh5Js0TyAe") {
			t.Errorf("%s: %s holds the GITHUB_TOKEN", what, name)
		}
	}
}

// TestPlantedTokens plants credentials in every field a pull request controls and greps every
// sink: stdout, stderr, the SARIF file, the job summary, $GITHUB_OUTPUT and the check-run
// payloads sent to GitHub.
func TestPlantedTokens(t *testing.T) {
	repo := tokenRepo(t)
	api := httptest.NewServer(nil)
	defer api.Close()
	for _, format := range []string{"human", "json", "sarif", "github"} {
		for _, checks := range []bool{false, true} {
			name := format
			if checks {
				name += "+checks"
			}
			t.Run("lint "+name, func(t *testing.T) {
				var srv *httptest.Server
				if checks {
					srv = api
				}
				s := runActions(t, repo, srv, "lint", "--shellcheck", "off", "--format", format, "--sarif-file", "out.sarif")
				if s.code != ExitFindings || !strings.Contains(s.stdout+s.summary, "***") {
					t.Fatalf("exit %d and no masked value: the planted tokens were not reported, so nothing was tested\n%s\n%s", s.code, s.stdout, s.stderr)
				}
				if checks && s.checks == "" {
					t.Error("no check run was published")
				}
				checkNoToken(t, name, s)
			})
		}
	}
	gh := plantedTokens[0].full
	for _, tc := range []struct {
		name  string
		files map[string]string
		args  []string
	}{
		{"config key", map[string]string{".molecule-ci.yml": "lint:\n  " + gh + ": 1\n"}, []string{"lint"}},
		{"config value", map[string]string{".molecule-ci.yml": "lint:\n  pinning:\n    policy: " + gh + "\n"}, []string{"lint"}},
		{"argument", nil, []string{"lint", gh + ".yml"}},
		{"coverage path", map[string]string{"c.out": "mode: set\nexample.com/" + gh + "/a.go:1.1,2.2 1 0\n", "go.mod": "module example.com\n",
			".molecule-ci.yml": "coverage:\n  total: 90\n"}, []string{"coverage", "--format", "github", "c.out"}},
		{"build", map[string]string{"Dockerfile": "FROM scratch\n", "adapters/" + gh + "/Dockerfile": "FROM " + gh + "\n"}, []string{"build", "--addr", "tcp://" + gh + "@127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeHostile(t, dir, tc.files)
			s := runActions(t, dir, api, tc.args...)
			if !strings.Contains(s.all(), "ghp_***") {
				t.Fatalf("the planted token was not quoted masked anywhere, so nothing was tested (exit %d):\n%s\n%s", s.code, s.stdout, s.stderr)
			}
			checkNoToken(t, tc.name, s)
		})
	}
}
