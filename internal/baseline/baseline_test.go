package baseline_test

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/tools/txtar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/baseline"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ciBefore is a workflow as a repository has it on the day it adopts molecule-ci: findings in
// every job, two of them on identical lines.
const ciBefore = `name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: Molecule-AI/molecule-ci@main
      - run: make build
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: Molecule-AI/molecule-ci@main
      - run: make test
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - run: make deploy
`

// ciEdited is ciBefore after unrelated edits: lines inserted at the top and inside jobs, the
// jobs reordered, the whole file re-indented and blank lines added. Nothing is renamed and no
// finding is fixed or added.
const ciEdited = `# The pipeline of this repository.
# (Comments and an env block inserted above every finding.)
name: ci
on: push
env:
    GOFLAGS: -mod=readonly

jobs:
    deploy:
        runs-on: ubuntu-latest
        timeout-minutes: 10
        steps:
            - run: make deploy
    test:
        runs-on: ubuntu-latest

        steps:
            - uses: actions/checkout@v4
            - uses: Molecule-AI/molecule-ci@main
            - run: make test
    build:
        runs-on: ubuntu-latest
        steps:
            - uses: actions/checkout@v4
            - uses: Molecule-AI/molecule-ci@main
            - run: make build
            - run: make vet
`

func writeRepo(t *testing.T, dir, workflow string) {
	t.Helper()
	p := filepath.Join(dir, ".github", "workflows", "ci.yml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(workflow), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lintRepo lints dir with lint's defaults (no script checkers) and returns the report.
func lintRepo(t *testing.T, dir string) *report.Report {
	t.Helper()
	rep, err := lint.Run(context.Background(), lint.Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func sources(rep *report.Report) baseline.Options {
	return baseline.Options{Source: func(p string) []byte { return rep.Sources[p] }}
}

// roundTrip writes b as a file and reads it back, so every test matches against what a
// repository would have committed.
func roundTrip(t *testing.T, b *baseline.Baseline) *baseline.Baseline {
	t.Helper()
	back, err := baseline.Parse("baseline.json", b.Marshal())
	if err != nil {
		t.Fatalf("the baseline Marshal wrote does not parse: %v\n%s", err, b.Marshal())
	}
	return back
}

func locations(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%d:%s", f.Line, f.Rule))
	}
	return out
}

// The issue's acceptance test: fingerprints survive inserted lines, reordered jobs and a
// re-indented file; nothing is new and nothing is stale.
func TestFingerprintsSurviveUnrelatedEdits(t *testing.T) {
	dir := t.TempDir()
	writeRepo(t, dir, ciBefore)
	before := lintRepo(t, dir)
	b := roundTrip(t, baseline.New(before.Findings, sources(before)))
	golden.Check(t, filepath.Join("testdata", "ci.baseline.json"), b.Marshal())

	writeRepo(t, dir, ciEdited)
	after := lintRepo(t, dir)
	if len(after.Findings) != len(before.Findings) {
		t.Fatalf("the edit changed the findings: before %v, after %v", locations(before.Findings), locations(after.Findings))
	}
	// The test means something only if the findings moved.
	if slices.Equal(locations(before.Findings), locations(after.Findings)) {
		t.Fatalf("no finding moved: %v", locations(after.Findings))
	}
	m := b.Match(after.Findings, sources(after))
	for i, known := range m.Known {
		if !known {
			t.Errorf("new after an unrelated edit: %s", after.Findings[i])
		}
	}
	if len(m.Stale) > 0 {
		t.Errorf("stale after an unrelated edit: %+v", m.Stale)
	}
	// Written again, the baseline is the same but for the fingerprints' contexts.
	if got := len(baseline.New(after.Findings, sources(after)).Entries); got != len(b.Entries) {
		t.Errorf("written again: %d entries, want %d", got, len(b.Entries))
	}
}

// A baseline is a multiset: two identical findings are two entries, and a third identical one
// is new — and it is the third one (the copied job) that is new, not one of the old two.
func TestIdenticalFindingsAreCounted(t *testing.T) {
	dir := t.TempDir()
	writeRepo(t, dir, ciBefore)
	before := lintRepo(t, dir)
	b := roundTrip(t, baseline.New(before.Findings, sources(before)))
	var floating int
	for _, f := range before.Findings {
		if f.Rule == "floating-ref" {
			floating++
		}
	}
	if floating != 2 {
		t.Fatalf("want 2 floating-ref findings on identical lines, got %v", locations(before.Findings))
	}

	// A new job, a copy of test, appended after deploy.
	copied := ciBefore + `  test-again:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
      - uses: Molecule-AI/molecule-ci@main
      - run: make test
`
	writeRepo(t, dir, copied)
	after := lintRepo(t, dir)
	m := b.Match(after.Findings, sources(after))
	var news []string
	for i, known := range m.Known {
		if !known {
			news = append(news, after.Findings[i].String())
		}
	}
	want := []string{`.github/workflows/ci.yml:26:15: action Molecule-AI/molecule-ci is called at "main", a branch that moves under every caller; use a release tag (e.g. v1) or a commit SHA [floating-ref]`}
	if !slices.Equal(news, want) {
		t.Errorf("new findings:\n%s\nwant:\n%s", strings.Join(news, "\n"), strings.Join(want, "\n"))
	}
	if len(m.Stale) != 0 || m.NewCount() != 1 {
		t.Errorf("stale %+v, new %d; want none stale, 1 new", m.Stale, m.NewCount())
	}
}

// A fixed finding's entry is stale; the others stay known, and the baseline kept is the known
// ones only (writing it back shrinks the baseline).
func TestFixedFindingsAreStale(t *testing.T) {
	dir := t.TempDir()
	writeRepo(t, dir, ciBefore)
	before := lintRepo(t, dir)
	b := roundTrip(t, baseline.New(before.Findings, sources(before)))

	fixed := strings.Replace(ciBefore, "  build:\n    runs-on: ubuntu-latest\n", "  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n", 1)
	writeRepo(t, dir, fixed)
	after := lintRepo(t, dir)
	m := b.Match(after.Findings, sources(after))
	if m.NewCount() != 0 {
		t.Errorf("%d new findings after a fix, want 0", m.NewCount())
	}
	if len(m.Stale) != 1 || m.Stale[0].Rule != "missing-timeout" || m.Stale[0].Path != ".github/workflows/ci.yml" ||
		m.Stale[0].Message != `job "build" has no timeout-minutes, so a hung step holds the runner for the default 360 minutes` {
		t.Errorf("stale: %+v; want the build job's missing-timeout", m.Stale)
	}
	rep := *after
	m.Apply(&rep, sources(after), "b.json", "")
	if len(rep.Findings) != 0 || len(rep.Baseline.Known) != len(b.Entries)-1 || len(rep.Baseline.Stale) != 1 {
		t.Fatalf("applied: %d new, %d known, %d stale; want 0, %d, 1", len(rep.Findings), len(rep.Baseline.Known), len(rep.Baseline.Stale), len(b.Entries)-1)
	}
	// The baseline of the known findings matches the run as it is: nothing new, nothing stale.
	again := roundTrip(t, baseline.New(rep.Baseline.Known, sources(after))).Match(after.Findings, sources(after))
	if again.NewCount() != 0 || len(again.Stale) != 0 {
		t.Errorf("the kept baseline: %d new, %d stale; want 0 and 0", again.NewCount(), len(again.Stale))
	}
}

// A finding on a line whose text changed is new, and its old entry stale: the baseline knows
// findings, not places.
func TestChangedLineIsNew(t *testing.T) {
	dir := t.TempDir()
	writeRepo(t, dir, ciBefore)
	before := lintRepo(t, dir)
	b := baseline.New(before.Findings, sources(before))
	writeRepo(t, dir, strings.Replace(ciBefore, "  deploy:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n    steps:\n      - run: make deploy\n",
		"  deploy:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n    steps:\n      - uses: Molecule-AI/molecule-ci@staging\n", 1))
	after := lintRepo(t, dir)
	m := b.Match(after.Findings, sources(after))
	if m.NewCount() != 1 || len(m.Stale) != 0 {
		t.Errorf("new %d, stale %+v; want 1 new (the @staging call), none stale", m.NewCount(), m.Stale)
	}
}

// Entry paths are relative to the baseline's directory: the same findings seen from another
// working directory give the same baseline.
func TestPathsRelativeToTheBaseline(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	writeRepo(t, repo, ciBefore)
	fromRepo := lintRepo(t, repo)
	want := baseline.New(fromRepo.Findings, sources(fromRepo))

	rep, err := lint.Run(context.Background(), lint.Options{WorkDir: root, Paths: []string{"repo"}, Root: repo})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Findings[0].Path != "repo/.github/workflows/ci.yml" {
		t.Fatalf("findings are not relative to the parent: %s", rep.Findings[0])
	}
	got := baseline.New(rep.Findings, baseline.Options{WorkDir: root, Dir: repo, Source: sources(rep).Source})
	if string(got.Marshal()) != string(want.Marshal()) {
		t.Errorf("seen from the parent:\n%s\nwant:\n%s", got.Marshal(), want.Marshal())
	}
	if m := want.Match(rep.Findings, baseline.Options{WorkDir: root, Dir: repo, Source: sources(rep).Source}); m.NewCount() != 0 || len(m.Stale) != 0 {
		t.Errorf("matched from the parent: %d new, %d stale", m.NewCount(), len(m.Stale))
	}
}

// A finding without a line (the whole file), or whose file cannot be read, is known by its
// rule, path and message; its entry's message is redacted.
func TestFindingsWithoutALine(t *testing.T) {
	token := "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8" // split so no scanner flags this file
	fs := []report.Finding{
		{Path: "README.md", Rule: "contract/readme", Severity: report.Error, Message: "no README.md"},
		{Path: "README.md", Rule: "contract/readme", Severity: report.Error, Message: "no README.md"},
		{Path: "gone.yml", Line: 3, Rule: "file-not-linted", Severity: report.Error, Message: "leaked " + token},
	}
	b := roundTrip(t, baseline.New(fs, baseline.Options{}))
	golden.Check(t, filepath.Join("testdata", "no-line.baseline.json"), b.Marshal())
	m := b.Match(append(fs, report.Finding{Path: "README.md", Rule: "contract/readme", Severity: report.Error, Message: "README.md is empty"}), baseline.Options{})
	if !slices.Equal(m.Known, []bool{true, true, true, false}) || len(m.Stale) != 0 {
		t.Errorf("known %v, stale %+v; want the last new and nothing stale", m.Known, m.Stale)
	}
	if strings.Contains(string(b.Marshal()), token) {
		t.Errorf("the baseline holds the token:\n%s", b.Marshal())
	}
}

// Write replaces the file atomically and leaves no temporary file behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".molecule-ci-baseline.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := baseline.New([]report.Finding{{Path: "a", Rule: "r", Severity: report.Error, Message: "m"}}, baseline.Options{})
	if err := baseline.Write(path, b); err != nil {
		t.Fatal(err)
	}
	got, err := baseline.Read("x", path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Marshal()) != string(b.Marshal()) {
		t.Errorf("read back:\n%s\nwant:\n%s", got.Marshal(), b.Marshal())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in the directory: %v", entries)
	}
	if _, err := baseline.Read("missing.json", filepath.Join(dir, "missing.json")); !os.IsNotExist(err) {
		t.Errorf("a missing baseline: %v, want a not-exist error", err)
	}
}

// An empty baseline is a valid file (a repository with no findings that wants to keep it so).
func TestEmptyBaseline(t *testing.T) {
	b := baseline.New(nil, baseline.Options{})
	if got, want := string(b.Marshal()), "{\n  \"version\": 1,\n  \"findings\": []\n}\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	back := roundTrip(t, b)
	if len(back.Entries) != 0 {
		t.Errorf("entries: %+v", back.Entries)
	}
}

// Every malformed baseline is refused with the file, the line and what was expected.
func TestParseErrors(t *testing.T) {
	file := filepath.Join("testdata", "parse-errors.txtar")
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range ar.Files {
		name, ok := strings.CutSuffix(f.Name, ".json")
		if !ok {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			b, err := baseline.Parse(".molecule-ci-baseline.json", f.Data)
			if err == nil {
				t.Fatalf("parsed: %+v", b)
			}
			var pe *baseline.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("%T is not a *ParseError", err)
			}
			golden.CheckSection(t, file, ar, name+".err", []byte(err.Error()+"\n"))
		})
	}
	if n == 0 {
		t.Fatal("no cases")
	}
}

// ExampleNew writes the baseline of a repository in-process, as fleet migrate does for each
// repository it migrates: lint the checkout, fingerprint its findings, and the file's content is
// Marshal's (here printed; a pull request commits it as .molecule-ci-baseline.json).
func ExampleNew() {
	dir, err := os.MkdirTemp("", "baseline-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	wf := "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "ci.yml"), []byte(wf), 0o644); err != nil {
		panic(err)
	}
	rep, err := lint.Run(context.Background(), lint.Options{WorkDir: dir})
	if err != nil {
		panic(err)
	}
	b := baseline.New(rep.Findings, baseline.Options{WorkDir: dir, Dir: dir, Source: baseline.ReportSource(rep, dir, 0)})
	fmt.Print(string(b.Marshal()))
	// Output:
	// {
	//   "version": 1,
	//   "findings": [
	//     {"rule":"missing-timeout","path":".github/workflows/ci.yml","line":"8612cf099a3811db","context":"f3d18cb50a42299c","message":"job \"build\" has no timeout-minutes, so a hung step holds the runner for the default 360 minutes"}
	//   ]
	// }
}

// A run that checked part of the repository (its scope) lists as stale only the entries it could
// have found; the others are Outside, and a baseline written again from the run keeps them,
// re-pathed when it is written to another directory.
func TestEntriesOutsideTheScope(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	writeRepo(t, repo, ciBefore)
	if err := os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte("FROM alpine:3.20\nRUN true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	full := lintRepo(t, repo)
	b := roundTrip(t, baseline.New(full.Findings, sources(full)))
	if len(b.Entries) < 4 {
		t.Fatalf("want findings in both files, got %d entries", len(b.Entries))
	}

	// Only the Dockerfile, from the parent: every workflow entry is outside, none stale.
	rep, err := lint.Run(context.Background(), lint.Options{WorkDir: root, Paths: []string{"repo/Dockerfile"}, Root: repo})
	if err != nil {
		t.Fatal(err)
	}
	opts := baseline.Options{WorkDir: root, Dir: repo, Source: sources(rep).Source, Scope: rep.Scope}
	m := b.Match(rep.Findings, opts)
	var outside int
	for _, e := range b.Entries {
		if e.Path == ".github/workflows/ci.yml" {
			outside++
		}
	}
	if m.NewCount() != 0 || len(m.Stale) != 0 || len(m.Outside) != outside {
		t.Fatalf("new %d, stale %+v, outside %d; want 0, none, %d", m.NewCount(), m.Stale, len(m.Outside), outside)
	}
	// Without the scope, the same run would call them stale.
	if all := b.Match(rep.Findings, baseline.Options{WorkDir: root, Dir: repo, Source: sources(rep).Source}); len(all.Stale) != outside {
		t.Errorf("unscoped: %d stale, want %d", len(all.Stale), outside)
	}

	applied := *rep
	m.Apply(&applied, opts, "repo/b.json", "")
	// Written again beside the repository: the same entries, paths now under repo/.
	moved := m.Shrunk(applied.Baseline.Known, opts, baseline.Options{WorkDir: root, Dir: root, Source: sources(rep).Source})
	if len(moved.Entries) != len(b.Entries) {
		t.Fatalf("shrunk to %d entries, want all %d", len(moved.Entries), len(b.Entries))
	}
	for i, e := range moved.Entries {
		if !strings.HasPrefix(e.Path, "repo/") {
			t.Errorf("entry %d: path %q, want it under repo/", i, e.Path)
		}
	}
	// And in place: the file as it was.
	if same := m.Shrunk(applied.Baseline.Known, opts, opts); string(same.Marshal()) != string(b.Marshal()) {
		t.Errorf("shrunk in place:\n%s\nwant:\n%s", same.Marshal(), b.Marshal())
	}
}
