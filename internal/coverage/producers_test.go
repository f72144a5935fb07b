package coverage

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// fixtures is the repository-level testdata of this package.
var fixtures = filepath.Join("..", "..", "testdata", "coverage")

// The producer tests run the real tools on the fixture projects and check our numbers against
// the tools' own. With -update they also refresh the committed reports the golden tests read.

func goEnv() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, e := range env {
		if strings.HasPrefix(e, "GOFLAGS=") || strings.HasPrefix(e, "GOWORK=") {
			continue
		}
		out = append(out, e)
	}
	return append(out, "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
}

func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s in %s: %v\n%s\n%s", name, strings.Join(args, " "), dir, err, out, stderr.Bytes())
	}
	return out
}

// goCoverProfile runs `go test -race -coverpkg=./... -coverprofile` in a fixture module.
func goCoverProfile(t *testing.T, dir, out string) {
	t.Helper()
	args := []string{"test", "-race", "-covermode=atomic", "-coverpkg=./...", "-coverprofile=" + out, "./..."}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		if !strings.Contains(string(b), "-race requires cgo") {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		t.Logf("no cgo: running the Go fixture without -race")
		args = append(args[:1], args[2:]...)
		run(t, dir, goEnv(), "go", args...)
	}
}

var funcTotal = regexp.MustCompile(`(?m)^total:\s+\(statements\)\s+([0-9.]+)%$`)

// goToolCoverTotal is the total line of `go tool cover -func`.
func goToolCoverTotal(t *testing.T, dir, profile string) float64 {
	t.Helper()
	out := run(t, dir, goEnv(), "go", "tool", "cover", "-func="+profile)
	m := funcTotal.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no total line in go tool cover -func output:\n%s", out)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestProducerGo(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		testenv.Missing(t, "go is not on PATH")
	}
	gomod, err := filepath.Abs(filepath.Join(fixtures, "gomod"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	modules := []struct{ dir, profile, committed string }{
		{gomod, filepath.Join(tmp, "root.out"), filepath.Join(gomod, "coverage.out")},
		{filepath.Join(gomod, "workspace-server"), filepath.Join(tmp, "ws.out"), filepath.Join(gomod, "workspace-server", "coverage.out")},
	}
	var profiles []string
	for _, m := range modules {
		goCoverProfile(t, m.dir, m.profile)
		data, err := os.ReadFile(m.profile)
		if err != nil {
			t.Fatal(err)
		}
		// -coverpkg with several test binaries repeats blocks: the case the merge exists for.
		if lines, uniq := countRepeats(data); lines == uniq {
			t.Errorf("%s: expected repeated blocks from -coverpkg, got %d lines all distinct", m.dir, lines)
		}
		want := goToolCoverTotal(t, m.dir, m.profile)
		res, err := Run(context.Background(), Options{Reports: []string{m.profile}, RepoRoot: gomod})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Total.Percent-want) > 0.1 {
			t.Errorf("%s: total %.3f%%, go tool cover -func says %.1f%%", m.dir, res.Total.Percent, want)
		}
		for _, f := range res.Files {
			if !strings.HasSuffix(f.Path, ".go") || strings.Contains(f.Path, "github.com") || strings.Contains(f.Path, "example.com") {
				t.Errorf("import path not mapped through go.mod: %s", f.Path)
			}
		}
		profiles = append(profiles, m.profile)
		if golden.Update() {
			copyFile(t, m.profile, m.committed)
		}
	}

	// Both profiles at once (two mode lines when concatenated): the total is the statement-weighted
	// sum of the two, which go tool cover cannot read in one file.
	var cat []byte
	var num, den int64
	for _, p := range profiles {
		data, _ := os.ReadFile(p)
		cat = append(cat, data...)
		prof, err := ParseGo(p, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		c, tot := prof.Totals()
		num, den = num+c, den+tot
	}
	catPath := filepath.Join(tmp, "cat.out")
	if err := os.WriteFile(catPath, cat, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Reports: []string{catPath}, RepoRoot: gomod})
	if err != nil {
		t.Fatal(err)
	}
	if int64(res.Total.Covered) != num || int64(res.Total.Total) != den {
		t.Errorf("concatenated profiles: %d/%d, want %d/%d", res.Total.Covered, res.Total.Total, num, den)
	}
}

func countRepeats(profile []byte) (lines, distinct int) {
	seen := map[string]bool{}
	for _, l := range strings.Split(string(profile), "\n") {
		if l == "" || strings.HasPrefix(l, "mode:") {
			continue
		}
		lines++
		key := l[:strings.LastIndexByte(l[:strings.LastIndexByte(l, ' ')], ' ')]
		if !seen[key] {
			seen[key] = true
			distinct++
		}
	}
	return lines, distinct
}

const python = "/usr/bin/python3"

func TestProducerPytestCov(t *testing.T) {
	if err := exec.Command(python, "-c", "import pytest_cov").Run(); err != nil {
		testenv.Missing(t, "%s cannot import pytest_cov (install Debian python3-pytest-cov, see .ci/setup-coverage.sh): %v", python, err)
	}
	ws, err := filepath.Abs(filepath.Join(fixtures, "python", "workspace"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	xmlPath := filepath.Join(tmp, "coverage.xml")
	env := append(os.Environ(), "COVERAGE_FILE="+filepath.Join(tmp, ".coverage"), "PYTHONDONTWRITEBYTECODE=1")
	run(t, ws, env, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=.", "--cov-branch", "--cov-report=xml:"+xmlPath)

	// coverage.py's own numbers for the same data.
	jsonOut := run(t, ws, env, python, "-m", "coverage", "json", "-o", "-")
	var cj struct {
		Totals struct {
			CoveredLines  int `json:"covered_lines"`
			NumStatements int `json:"num_statements"`
		} `json:"totals"`
	}
	if err := json.Unmarshal(jsonOut, &cj); err != nil {
		t.Fatalf("coverage json: %v\n%s", err, jsonOut)
	}
	data, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		LinesValid   int `xml:"lines-valid,attr"`
		LinesCovered int `xml:"lines-covered,attr"`
	}
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}

	res, err := Run(context.Background(), Options{Reports: []string{xmlPath}, RepoRoot: filepath.Dir(ws)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Covered != cj.Totals.CoveredLines || res.Total.Total != cj.Totals.NumStatements {
		t.Errorf("total %d/%d, coverage.py says %d/%d", res.Total.Covered, res.Total.Total, cj.Totals.CoveredLines, cj.Totals.NumStatements)
	}
	if res.Total.Covered != root.LinesCovered || res.Total.Total != root.LinesValid {
		t.Errorf("total %d/%d, the XML's own lines-covered/lines-valid say %d/%d", res.Total.Covered, res.Total.Total, root.LinesCovered, root.LinesValid)
	}
	for _, f := range res.Files {
		if !strings.HasPrefix(f.Path, "workspace/") {
			t.Errorf("path %q not joined with the <source> and made relative", f.Path)
		}
	}
	if golden.Update() {
		copyFile(t, xmlPath, filepath.Join(fixtures, "python", "coverage.xml"))
	}
}

func TestProducerVitest(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join(fixtures, "vitest"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "node_modules", ".bin", "vitest")
	if _, err := os.Stat(bin); err != nil {
		testenv.Missing(t, "%s is missing (run .ci/setup-coverage.sh, which runs npm ci there)", bin)
	}
	if _, err := exec.LookPath("node"); err != nil {
		testenv.Missing(t, "node is not on PATH")
	}
	tmp := t.TempDir()
	env := append(os.Environ(), "COVERAGE_DIR="+tmp, "CI=true", "NO_COLOR=1")
	run(t, dir, env, bin, "run", "--coverage")

	var summary map[string]struct {
		Lines      struct{ Total, Covered int } `json:"lines"`
		Statements struct{ Total, Covered int } `json:"statements"`
	}
	data, err := os.ReadFile(filepath.Join(tmp, "coverage-summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &summary); err != nil {
		t.Fatal(err)
	}
	want := summary["total"]
	for _, tc := range []struct {
		report       string
		covered, tot int
	}{
		{"lcov.info", want.Lines.Covered, want.Lines.Total},
		{"coverage-final.json", want.Statements.Covered, want.Statements.Total},
		{"coverage-summary.json", want.Statements.Covered, want.Statements.Total},
	} {
		res, err := Run(context.Background(), Options{Reports: []string{filepath.Join(tmp, tc.report)}, RepoRoot: dir})
		if err != nil {
			t.Fatalf("%s: %v", tc.report, err)
		}
		if res.Total.Covered != tc.covered || res.Total.Total != tc.tot {
			t.Errorf("%s: total %d/%d, vitest's summary says %d/%d", tc.report, res.Total.Covered, res.Total.Total, tc.covered, tc.tot)
		}
		for _, f := range res.Files {
			if !strings.HasPrefix(f.Path, "src/") {
				t.Errorf("%s: path %q not made relative to the project", tc.report, f.Path)
			}
		}
		if golden.Update() {
			copyFile(t, filepath.Join(tmp, tc.report), filepath.Join(dir, "reports", tc.report))
		}
	}
}
