package coverage

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// checkGolden compares got with testdata/golden/name, rewriting it under -update. Absolute
// paths of this checkout are replaced by $ROOT so the files do not depend on where it is.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	got = bytes.ReplaceAll(got, []byte(filepath.ToSlash(root)), []byte("$ROOT"))
	golden.Check(t, filepath.Join("testdata", "golden", name), got)
}

// render writes rep in format as the CLI does.
func render(t testing.TB, format string, rep *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Write(&b, format, rep, report.Options{}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// renderTable is the human format's table of res alone, without the findings after it.
func renderTable(t testing.TB, res *Result) []byte {
	return render(t, "human", &report.Report{Summary: res})
}

func fx(parts ...string) string { return filepath.Join(append([]string{fixtures}, parts...)...) }

func mustPolicy(t *testing.T, path string) Policy {
	t.Helper()
	cfg, err := config.Load(".", path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PolicyFromConfig(cfg.Coverage)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestGolden runs every committed report, real and hand-made, and checks the JSON and human
// output exactly.
func TestGolden(t *testing.T) {
	defaults := Policy{ExcludeGenerated: true}
	mc := mustPolicy(t, fx("molecule-core.yml"))
	tests := []struct {
		name     string
		reports  []string
		root     string
		policy   Policy
		now      string
		markdown bool
	}{
		{name: "go-root", reports: []string{fx("gomod", "coverage.out")}, root: fx("gomod"), policy: defaults},
		{name: "go-both-modules", reports: []string{fx("gomod", "coverage.out"), fx("gomod", "workspace-server", "coverage.out")}, root: fx("gomod"), policy: defaults},
		{name: "go-generated-included", reports: []string{fx("gomod", "coverage.out")}, root: fx("gomod")},
		{name: "pytest-cov", reports: []string{fx("python", "coverage.xml")}, root: fx("python"), policy: defaults},
		// The Python report's <source> is an absolute path on the machine that made it; from the
		// repository root it still maps, by the longest tail that exists.
		{name: "pytest-cov-from-repo-root", reports: []string{fx("python", "coverage.xml")}, root: filepath.Join("..", ".."), policy: defaults},
		{name: "vitest-lcov", reports: []string{fx("vitest", "reports", "lcov.info")}, root: fx("vitest"), policy: defaults},
		{name: "vitest-istanbul", reports: []string{fx("vitest", "reports", "coverage-final.json")}, root: fx("vitest"), policy: defaults},
		{name: "vitest-summary", reports: []string{fx("vitest", "reports", "coverage-summary.json")}, root: fx("vitest"), policy: defaults},
		// Two formats of the same files: the statement positions win, with a note.
		{name: "vitest-lcov-and-istanbul", reports: []string{fx("vitest", "reports", "lcov.info"), fx("vitest", "reports", "coverage-final.json")}, root: fx("vitest"), policy: defaults},

		{name: "edge-go-overlap", reports: []string{fx("edge", "go-overlap.out")}, root: fx("edge")},
		{name: "edge-go-set-multi", reports: []string{fx("edge", "go-set-multi.out")}, root: fx("edge")},
		{name: "edge-go-crlf", reports: []string{fx("edge", "go-crlf.out")}, root: fx("edge")},
		{name: "edge-go-empty", reports: []string{fx("edge", "go-empty.out")}, root: fx("edge")},
		{name: "edge-lcov-2x", reports: []string{fx("edge", "lcov-2x.info")}, root: fx("edge")},
		{name: "edge-lcov-nostatements", reports: []string{fx("edge", "lcov-nostatements.info")}, root: fx("edge")},
		{name: "edge-cobertura-relative", reports: []string{fx("edge", "cobertura-relative.xml")}, root: fx("edge")},
		{name: "edge-cobertura-crlf", reports: []string{fx("edge", "cobertura-crlf.xml")}, root: fx("edge")},
		{name: "edge-istanbul-nullcol", reports: []string{fx("edge", "istanbul-nullcol.json")}, root: fx("edge")},
		{name: "edge-istanbul-summary", reports: []string{fx("edge", "istanbul-summary.json")}, root: fx("edge")},
		{name: "edge-all-formats", reports: []string{fx("edge", "go-overlap.out"), fx("edge", "lcov-2x.info"), fx("edge", "cobertura-relative.xml"), fx("edge", "istanbul-nullcol.json")}, root: fx("edge"), markdown: true},

		// molecule-core's real policy on real profiles of a workspace-server look-alike: while
		// the allowlist is valid, then after it expired (2026-05-23).
		{name: "molecule-core-go-2026-05-01", reports: []string{fx("gomod", "workspace-server", "coverage.out")}, root: fx("gomod"), policy: mc, now: "2026-05-01", markdown: true},
		{name: "molecule-core-go-2026-05-24", reports: []string{fx("gomod", "workspace-server", "coverage.out")}, root: fx("gomod"), policy: mc, now: "2026-05-24", markdown: true},
		{name: "molecule-core-python-2026-05-01", reports: []string{fx("python", "coverage.xml")}, root: fx("python"), policy: mc, now: "2026-05-01", markdown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := day("2026-01-01")
			if tt.now != "" {
				now = day(tt.now)
			}
			res, err := Run(context.Background(), Options{Reports: tt.reports, RepoRoot: tt.root, Policy: tt.policy, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name+".json", render(t, "json", res.Report()))
			checkGolden(t, tt.name+".txt", renderTable(t, res))
			if tt.markdown {
				md := report.Markdown(res.Report())
				markdowntest.Check(t, md)
				checkGolden(t, tt.name+".md", []byte(md))
			}
		})
	}
}

// TestMoleculeCoreVerdict states the verdicts the golden files hold, so a careless -update
// cannot turn them around unnoticed.
func TestMoleculeCoreVerdict(t *testing.T) {
	mc := mustPolicy(t, fx("molecule-core.yml"))
	goReport := []string{fx("gomod", "workspace-server", "coverage.out")}
	type want struct {
		passed       bool
		failedGates  []string
		expiredRules int
	}
	tests := []struct {
		name    string
		reports []string
		root    string
		now     string
		want    want
	}{
		// tokens_rotate.go is a critical path (tokens*) at 0% that nobody allowlisted: it fails
		// even while the allowlist is valid, as the awk gate would have failed it.
		{"go before expiry", goReport, fx("gomod"), "2026-05-01", want{false, []string{"file:workspace-server/internal/handlers/tokens_rotate.go"}, 0}},
		{"go after expiry", goReport, fx("gomod"), "2026-05-24", want{false, []string{
			"file:workspace-server/internal/handlers/secrets.go",
			"file:workspace-server/internal/handlers/tokens_rotate.go",
			"file:workspace-server/internal/middleware/wsauth_middleware.go",
		}, 14}},
		{"python", []string{fx("python", "coverage.xml")}, fx("python"), "2026-05-01", want{true, nil, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), Options{Reports: tt.reports, RepoRoot: tt.root, Policy: mc, Now: day(tt.now)})
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, g := range res.Gates {
				if !g.Passed {
					failed = append(failed, g.Name)
				}
			}
			expired := 0
			for _, f := range res.Findings {
				if f.Rule == RuleAllowlistExpired {
					expired++
				}
			}
			got := want{res.Passed, failed, expired}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoldenBadge(t *testing.T) {
	for _, tt := range []struct {
		covered, total int
		want           string
	}{
		{0, 0, `{"schemaVersion":1,"label":"coverage","message":"100.0%","color":"brightgreen"}`},
		{899, 1000, `{"schemaVersion":1,"label":"coverage","message":"89.9%","color":"green"}`},
		{2, 3, `{"schemaVersion":1,"label":"coverage","message":"66.6%","color":"yellow"}`},
		{1, 4, `{"schemaVersion":1,"label":"coverage","message":"25.0%","color":"red"}`},
		{5, 10, `{"schemaVersion":1,"label":"coverage","message":"50.0%","color":"orange"}`},
	} {
		r := &Result{Total: newCounts(tt.covered, tt.total)}
		got, err := r.Badge().JSON()
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(string(got)) != tt.want {
			t.Errorf("Badge(%d/%d) = %s, want %s", tt.covered, tt.total, got, tt.want)
		}
	}
}
