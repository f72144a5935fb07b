package fleet

import (
	"bytes"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/workflow"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// testConfigure is a Configure with what the CLI's does that matters here: the repository's own
// config (its org, else the repository's owner; rule settings and contract), no script checkers.
func testConfigure(_ context.Context, r Repo, dir string) (lint.Options, []report.Finding, error) {
	cfg, err := config.Load(dir, "")
	if err != nil {
		cfg = config.Default()
	}
	opts := lint.Options{WorkDir: dir, Root: dir, Rules: map[string]lint.RuleConfig{},
		Workflow:  workflow.Options{Org: cmp.Or(cfg.Lint.Org, r.Owner), WorkDir: dir},
		Contracts: lint.ContractOptions{Contract: cfg.Lint.Contract}}
	for id, rc := range cfg.Lint.Rules {
		if lint.KnownRule(id) {
			opts.Rules[id] = lint.RuleConfig{Severity: rc.Severity, Disabled: rc.Disabled, Ignore: rc.Ignore}
		}
	}
	return opts, nil, nil
}

// fixtureFleet is testdata/fleet in a temporary directory, with an empty repository beside.
func fixtureFleet(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	fsutiltest.CopyTree(t, filepath.Join("testdata", "fleet"), dir, nil)
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runDir(t testing.TB, parent string, opts Options) *Document {
	t.Helper()
	if opts.Source == nil {
		opts.Source = DirSource{Owner: "Acme", Parent: parent, Display: func(d string) string { return filepath.Base(d) }}
	}
	if opts.Configure == nil {
		opts.Configure = testConfigure
	}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res.Document()
}

func render(t testing.TB, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFixtureFleet lints the fixture fleet and checks every format against its golden file.
func TestFixtureFleet(t *testing.T) {
	d := runDir(t, fixtureFleet(t), Options{})
	golden.Check(t, "testdata/fixture.json.golden", render(t, func(b *bytes.Buffer) error { return d.WriteJSON(b) }))
	golden.Check(t, "testdata/fixture.human.golden", render(t, func(b *bytes.Buffer) error { return report.Write(b, "human", d.Report(""), report.Options{}) }))
	golden.Check(t, "testdata/fixture.colour.golden", render(t, func(b *bytes.Buffer) error {
		return report.Write(b, "human", d.Report(""), report.Options{Color: true})
	}))
	md := report.Markdown(d.Report(""))
	markdowntest.Check(t, md)
	golden.Check(t, "testdata/fixture.md.golden", []byte(md))
	golden.Check(t, "testdata/fixture.sarif.golden", render(t, func(b *bytes.Buffer) error { return d.SARIF(b, "test") }))
	g := d.CallGraph()
	golden.Check(t, "testdata/fixture.calls.golden", render(t, func(b *bytes.Buffer) error { return report.Write(b, "human", g.Report(), report.Options{}) }))
	golden.Check(t, "testdata/fixture.calls.json.golden", render(t, func(b *bytes.Buffer) error { return report.Write(b, "json", g.Report(), report.Options{}) }))
	cmd := report.Markdown(g.Report())
	markdowntest.Check(t, cmd)
	golden.Check(t, "testdata/fixture.calls.md.golden", []byte(cmd))
	site, err := RenderSite(d, SiteOptions{Title: "Acme CI fleet", Generated: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/fixture.site.golden", site)
}

// TestCallsOnly reads the call graph without linting: the same calls, no findings.
func TestCallsOnly(t *testing.T) {
	dir := fixtureFleet(t)
	full := runDir(t, dir, Options{})
	calls := runDir(t, dir, Options{CallsOnly: true})
	if calls.Summary.Errors+calls.Summary.Warnings+calls.Summary.Infos != 0 {
		t.Errorf("--calls linted: %+v", calls.Summary)
	}
	a := render(t, func(b *bytes.Buffer) error {
		return report.Write(b, "json", full.CallGraph().Report(), report.Options{})
	})
	b := render(t, func(b *bytes.Buffer) error {
		return report.Write(b, "json", calls.CallGraph().Report(), report.Options{})
	})
	if !bytes.Equal(a, b) {
		t.Errorf("the call graph of a lint run and of --calls differ:\n%s\n%s", a, b)
	}
}

// TestShardedMergeEqualsUnsharded: every plan of the fixture fleet, linted shard by shard and
// merged, is byte for byte the report of one run.
func TestShardedMergeEqualsUnsharded(t *testing.T) {
	dir := fixtureFleet(t)
	src := DirSource{Owner: "Acme", Parent: dir, Display: func(d string) string { return filepath.Base(d) }}
	whole := render(t, func(b *bytes.Buffer) error { return runDir(t, dir, Options{Source: src}).WriteJSON(b) })
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 7} {
		p, err := MakePlan(repos, n)
		if err != nil {
			t.Fatal(err)
		}
		pj, _ := p.JSON()
		if p, err = ParsePlan(pj); err != nil {
			t.Fatal(err)
		}
		var docs []*Document
		for i := range n {
			sel, err := p.Select(repos, i)
			if err != nil {
				t.Fatal(err)
			}
			shard := render(t, func(b *bytes.Buffer) error { return runDir(t, dir, Options{Source: src, Repos: sel}).WriteJSON(b) })
			d, err := ParseDocument(shard)
			if err != nil {
				t.Fatalf("shard %d of %d: %v", i, n, err)
			}
			docs = append(docs, d)
		}
		merged, err := Merge(docs...)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Check(merged); err != nil {
			t.Errorf("%d shards: %v", n, err)
		}
		got := render(t, func(b *bytes.Buffer) error { return merged.WriteJSON(b) })
		if !bytes.Equal(got, whole) {
			t.Errorf("%d shards merged differ from one run:\n%s\n---\n%s", n, got, whole)
		}
		// A missing shard is found, not merged into a smaller green report.
		if n > 1 {
			partial, _ := Merge(docs[1:]...)
			if err := p.Check(partial); err == nil || !strings.Contains(err.Error(), "in no shard's report") {
				t.Errorf("%d shards, one missing: %v", n, err)
			}
		}
	}
}

func TestMakePlanBalances(t *testing.T) {
	repos := []Repo{{Owner: "o", Name: "a", SizeKB: 900}, {Owner: "o", Name: "b", SizeKB: 500}, {Owner: "o", Name: "c", SizeKB: 400},
		{Owner: "o", Name: "d", SizeKB: 300}, {Owner: "o", Name: "e", SizeKB: 200}, {Owner: "o", Name: "f", SizeKB: 100}}
	p, err := MakePlan(repos, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.JSON()
	if want := `{"include":[{"shard":0,"repos":["o/a","o/d"]},{"shard":1,"repos":["o/b","o/c","o/e","o/f"]}]}` + "\n"; string(b) != want {
		t.Errorf("plan %s, want %s", b, want)
	}
	// The same repositories in another order give the same plan.
	rev := append([]Repo(nil), repos...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if p2, _ := MakePlan(rev, 2); !equalJSON(t, p, p2) {
		t.Error("the plan depends on the listing's order")
	}
	if _, err := MakePlan(repos, 0); err == nil {
		t.Error("0 shards accepted")
	}
	if _, err := MakePlan(repos, 257); err == nil {
		t.Error("257 shards accepted")
	}
	if _, err := MakePlan(append(repos, Repo{Owner: "O", Name: "A"}), 2); err == nil {
		t.Error("two repositories of one name accepted")
	}
	if p, _ := MakePlan(repos[:1], 3); len(p.Include) != 3 || len(p.Include[2].Repos) != 0 {
		t.Errorf("more shards than repositories: %+v", p)
	}
	for _, bad := range []string{``, `{}`, `{"include":[]}`, `{"include":[{"shard":1,"repos":[]}]}`, `{"include":[{"shard":0,"repos":["a"]},{"shard":1,"repos":["A"]}]}`, `{"include":[{"shard":0}],"x":1}`} {
		if _, err := ParsePlan([]byte(bad)); err == nil {
			t.Errorf("ParsePlan(%s) accepted", bad)
		}
	}
}

func equalJSON(t *testing.T, a, b *Plan) bool {
	ja, _ := a.JSON()
	jb, _ := b.JSON()
	return bytes.Equal(ja, jb)
}

// TestProgress: every repository is announced when it starts and when it finishes, with the
// running ones longest first; the last event counts them all.
func TestProgress(t *testing.T) {
	var mu sync.Mutex
	var events []Event
	runDir(t, fixtureFleet(t), Options{Jobs: 2, Progress: func(ev Event) { mu.Lock(); events = append(events, ev); mu.Unlock() }})
	starts, ends := 0, 0
	for _, ev := range events {
		if ev.Finished {
			ends++
			if ev.Result == nil {
				t.Error("a finish without its result")
			}
		} else {
			starts++
		}
		for i := 1; i < len(ev.Running); i++ {
			if ev.Running[i].Since.Before(ev.Running[i-1].Since) {
				t.Error("running repositories not longest first")
			}
		}
	}
	last := events[len(events)-1]
	if starts != 4 || ends != 4 || !last.Finished || last.Done != 4 || last.Total != 4 || len(last.Running) != 0 {
		t.Errorf("%d starts, %d ends, last %+v", starts, ends, last)
	}
}

// TestUnreadableRepositoryGoesOn: a repository whose checkout vanished and one whose lint fails
// are lines in the report; the others are linted.
func TestUnreadableRepositoryGoesOn(t *testing.T) {
	dir := fixtureFleet(t)
	src := DirSource{Owner: "Acme", Parent: dir, Display: func(d string) string { return filepath.Base(d) }}
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "lib"))
	d := runDir(t, dir, Options{Source: src, Repos: repos, Configure: func(ctx context.Context, r Repo, d string) (lint.Options, []report.Finding, error) {
		opts, extra, err := testConfigure(ctx, r, d)
		if r.Name == "shared" {
			opts.Rules["no-such-rule"] = lint.RuleConfig{}
		}
		return opts, extra, err
	}})
	var got []string
	for _, r := range d.Repos {
		got = append(got, r.Name+": "+r.Status()+" "+r.Error)
	}
	want := []string{
		"app: fail ",
		"empty: skipped ",
		"lib: unreadable cannot be read: lib is not a directory (stat " + filepath.Join(dir, "lib") + ": no such file or directory)",
		`shared: unreadable lint failed: unknown rule "no-such-rule" in configuration (run ` + "`molecule-ci lint --list-rules`)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d.Summary.Unreadable != 2 || d.Summary.Linted != 1 || d.Summary.Skipped != 1 {
		t.Errorf("summary %+v", d.Summary)
	}
}
