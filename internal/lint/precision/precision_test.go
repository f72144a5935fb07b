package precision

import (
	"archive/zip"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

var (
	strict        = flag.Bool("strict", false, "fail on every disagreement, ignoring testdata/precision/pending.txt")
	updatePending = flag.Bool("update-pending", false, "rewrite testdata/precision/pending.txt from today's disagreements (review the diff: labels are not changed)")
)

const (
	labelsFile  = "../../../testdata/precision/labels.jsonl"
	pendingFile = "../../../testdata/precision/pending.txt"
)

// TestLabelledSet is the precision gate: the real linter over every labelled file.
func TestLabelledSet(t *testing.T) {
	if testing.Short() {
		t.Skip("lints ~120 real files; skipped with -short")
	}
	labels := mustLabels(t)
	pending := mustPending(t)
	w := locate(t)
	findings, skipped, err := Lint(context.Background(), labels, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range skipped {
		if s.Stale {
			t.Errorf("labelled source %s (fix or drop its labels)", s)
		} else {
			t.Logf("skipped %s", s)
		}
	}
	res := Compare(labels, findings, pending, skipped)
	if len(res.Outcomes) == 0 {
		t.Skipf("no labelled source could be read: %v", skipped)
	}
	t.Logf("precision per rule over %d labels (%d skipped sources):\n%s", len(res.Outcomes), len(skipped),
		Table(res.Stats(findings, severityOf)))

	if *updatePending {
		if err := fsutil.WriteFile(pendingFile, []byte(Pending(res.Disagreements())), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s with %d disagreements", pendingFile, len(res.Disagreements()))
		return
	}
	for _, k := range res.UnknownPending {
		t.Errorf("pending.txt names %s, which no label in labels.jsonl has", k)
	}
	for _, k := range res.StalePending {
		t.Errorf("pending.txt lists %s, but the linter now agrees with its label: remove the line", k)
	}
	if f := res.Failures(*strict); len(f) > 0 {
		t.Errorf("%d labelled findings disagree with the linter:\n%s", len(f), Diff(f))
	}
	var pend []Outcome
	for _, o := range res.Disagreements() {
		if o.Pending {
			pend = append(pend, o)
		}
	}
	if len(pend) > 0 && !*strict {
		t.Logf("%d disagreements are pending until the rule fixes land (testdata/precision/pending.txt must end up empty):\n%s", len(pend), Diff(pend))
	}
}

func severityOf(rule string) report.Severity {
	for _, r := range lint.Rules() {
		if r.ID == rule {
			return r.Severity
		}
	}
	return report.Error
}

// TestOutOfSampleDraw keeps the draw bench/precision reports apart honest: it exists, and every
// label of it is on a file of the module cache, which the rules' tuning (on actionlint's dataset
// and the organisation's corpus) never looked at.
func TestOutOfSampleDraw(t *testing.T) {
	n := 0
	for _, l := range mustLabels(t) {
		if !l.OutOfSample() {
			continue
		}
		n++
		if !strings.HasPrefix(l.Source, "module:") {
			t.Errorf("%s:%d [%s]: an out-of-sample label must be on a file of the module cache", l.Source, l.Line, l.Rule)
		}
	}
	if n < 10 {
		t.Errorf("%d labels in the out-of-sample draw, want at least 10", n)
	}
}

// TestEveryOrgRuleLabelled keeps the set covering every org rule: a new rule needs labels.
func TestEveryOrgRuleLabelled(t *testing.T) {
	labels := mustLabels(t)
	count := map[string][2]int{}
	for _, l := range labels {
		c := count[l.Rule]
		if l.Label {
			c[0]++
		} else {
			c[1]++
		}
		count[l.Rule] = c
	}
	// Rules that cannot have real findings of their own to label: actionlint's and BuildKit's
	// families are upstream checks, config and suppression judge molecule-ci's own files, and
	// docker-pip-cache found nothing in the dataset, the corpus or the modules of go.mod, and
	// gitea-compat has no real input at all (the dataset and the corpus hold no .gitea/workflows);
	// their goldens cover them.
	exempt := map[string]bool{"actionlint/*": true, "buildkit/*": true, "config": true, "suppression": true,
		"docker-pip-cache": true, "gitea-compat": true,
		// Limits of the tool itself (an unreadable file, a script over shellcheck's time or memory
		// limit), not judgements about CI files: the dataset has none; internal/lint's hostile
		// tests and scriptcheck's limit tests cover them.
		"file-not-linted": true, "script-check-limit": true, "script-not-analyzed": true,
		// Audits with no finding on the dataset, the corpus or the modules of go.mod: the recall
		// set (testdata/precision/recall) holds their defects in every common variant.
		"env-file-injection": true, "credentials-in-artifact": true,
		// The dataset has no reusable-workflow call, and the organisation's calls fit their callees:
		// its goldens hold every case, and the fleet run over the corpus (docs/fleet.md) shows no
		// finding on the organisation's real callers.
		"reusable-call": true}
	for _, r := range lint.Rules() {
		// The contract/* rules judge a whole repository against the org's contract; their
		// precision is held by a stronger property than labels: internal/lint/contract's
		// TestCrossCheck runs the org's own Python validators next to them on every corpus
		// repository and on mutated copies, and every verdict difference must be listed in
		// MIGRATING.md with its reason.
		if exempt[r.ID] || strings.HasPrefix(r.ID, "contract/") {
			continue
		}
		if count[r.ID][0] == 0 {
			t.Errorf("rule %s has no labelled-true finding in %s", r.ID, labelsFile)
		}
	}
	known := map[string]bool{}
	for _, r := range lint.Rules() {
		known[r.ID] = true
	}
	for rule := range count {
		if !known[rule] {
			t.Errorf("%s labels rule %q, which lint does not know", labelsFile, rule)
		}
	}
	if len(labels) < 200 {
		t.Errorf("the labelled set has %d entries; keep at least 200", len(labels))
	}
}

// TestCompare pins the matching, the diff and the table on a small hand-made set.
func TestCompare(t *testing.T) {
	labels := []Label{
		{Source: "dataset:a.yml", Line: 3, Col: 9, Rule: "gate-cannot-fail", Label: true, Reason: "pytest || true"},
		{Source: "dataset:a.yml", Line: 5, Rule: "gate-cannot-fail", Label: false, Reason: "cache warmer"},
		{Source: "dataset:a.yml", Line: 7, Rule: "gate-cannot-fail", Label: true, Reason: "known miss"},
		{Source: "corpus:r/ci.yml", Line: 4, Col: 10, Rule: "secret-exposure", Label: false, Reason: "a variable name"},
		{Source: "corpus:r/ci.yml", Line: 4, Col: 40, Rule: "secret-exposure", Label: true, Reason: "a token"},
		{Source: "corpus:r/ci.yml", Line: 9, Rule: "secret-exposure", Label: false, Reason: "pending fix"},
		{Source: "module:m@v1/Dockerfile", Line: 1, Rule: "docker-root-user", Label: true, Reason: "skipped source"},
	}
	findings := map[string][]report.Finding{
		"dataset:a.yml": {
			{Line: 3, Col: 14, Rule: "gate-cannot-fail", Message: "moved column, still matched"},
			{Line: 5, Col: 14, Rule: "gate-cannot-fail", Message: "swallowed cache warmer"},
			{Line: 8, Col: 1, Rule: "missing-timeout", Message: "not labelled"},
		},
		"corpus:r/ci.yml": {
			{Line: 4, Col: 40, Rule: "secret-exposure", Severity: report.Error, Message: "the token"},
			{Line: 9, Col: 3, Rule: "secret-exposure", Severity: report.Warning, Message: "config value"},
			{Line: 12, Col: 3, Rule: "secret-exposure", Message: "unlabelled"},
		},
	}
	pending := []Key{
		{Source: "corpus:r/ci.yml", Line: 9, Rule: "secret-exposure"},
		{Source: "dataset:a.yml", Line: 3, Rule: "gate-cannot-fail"},
		{Source: "dataset:gone.yml", Line: 1, Rule: "gate-cannot-fail"},
	}
	res := Compare(labels, findings, pending, []Skip{{Source: "module:m@v1/Dockerfile", Reason: "not downloaded"}})
	sev := func(r string) report.Severity {
		if r == "docker-root-user" {
			return report.Warning
		}
		return report.Error
	}
	var b strings.Builder
	b.WriteString("== all\n" + Diff(res.Outcomes))
	b.WriteString("== failures\n" + Diff(res.Failures(false)))
	b.WriteString("== strict failures\n" + Diff(res.Failures(true)))
	for _, k := range res.StalePending {
		b.WriteString("stale: " + k.String() + "\n")
	}
	for _, k := range res.UnknownPending {
		b.WriteString("unknown: " + k.String() + "\n")
	}
	b.WriteString("== table\n" + Table(res.Stats(findings, sev)))
	b.WriteString("== pending.txt\n" + Pending(res.Disagreements()))
	golden.Check(t, "testdata/compare.golden", []byte(b.String()))
}

func TestParseLabelsErrors(t *testing.T) {
	ok := `{"source":"dataset:a.yml","line":1,"col":0,"rule":"r","label":true,"reason":"why"}`
	cases := map[string]string{
		"not json":       "x\n",
		"unknown field":  `{"source":"dataset:a.yml","line":1,"rule":"r","label":true,"reason":"w","sev":1}`,
		"no label":       `{"source":"dataset:a.yml","line":1,"rule":"r","reason":"w"}`,
		"no reason":      `{"source":"dataset:a.yml","line":1,"rule":"r","label":false,"reason":" "}`,
		"bad source":     `{"source":"http://x","line":1,"rule":"r","label":true,"reason":"w"}`,
		"escaping path":  `{"source":"corpus:../etc/passwd","line":1,"rule":"r","label":true,"reason":"w"}`,
		"dataset dir":    `{"source":"dataset:a/b.yml","line":1,"rule":"r","label":true,"reason":"w"}`,
		"module no file": `{"source":"module:github.com/x/y@v1","line":1,"rule":"r","label":true,"reason":"w"}`,
		"line zero":      `{"source":"dataset:a.yml","line":0,"rule":"r","label":true,"reason":"w"}`,
		"two objects":    ok + ok,
		"twice":          "\n" + ok + "\n" + ok,
		"bad rule":       `{"source":"dataset:a.yml","line":1,"rule":"a b","label":true,"reason":"w"}`,
		"long line":      strings.Repeat(" ", maxLineLen+1),
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		_, err := ParseLabels("labels.jsonl", []byte(cases[name]))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		b.WriteString(name + ": " + err.Error() + "\n")
	}
	pcases := map[string]string{
		"one field":  "gate-cannot-fail\n",
		"no line":    "gate-cannot-fail dataset:a.yml\n",
		"bad line":   "gate-cannot-fail dataset:a.yml:x\n",
		"bad source": "gate-cannot-fail file:a.yml:3\n",
		"twice":      "r dataset:a.yml:3\n# c\nr dataset:a.yml:3 # again\n",
	}
	for _, name := range slices.Sorted(maps.Keys(pcases)) {
		_, err := ParsePending("pending.txt", []byte(pcases[name]))
		if err == nil {
			t.Errorf("pending %s: no error", name)
			continue
		}
		b.WriteString("pending " + name + ": " + err.Error() + "\n")
	}
	golden.Check(t, "testdata/parse-errors.golden", []byte(b.String()))

	got, err := ParseLabels("l", []byte(ok+"\n\n"+strings.Replace(ok, `"col":0`, `"col":5`, 1)+"\n"))
	if err != nil || len(got) != 2 || got[1].Col != 5 || !got[0].Label {
		t.Errorf("ParseLabels(valid) = %+v, %v", got, err)
	}
	keys, err := ParsePending("p", []byte("# header\n\nr module:github.com/x/y@v1.2.3/a/Dockerfile:3  # why\n"))
	if err != nil || len(keys) != 1 || keys[0] != (Key{"module:github.com/x/y@v1.2.3/a/Dockerfile", 3, "r"}) {
		t.Errorf("ParsePending(valid) = %+v, %v", keys, err)
	}
}

func FuzzParseLabels(f *testing.F) {
	f.Add([]byte(`{"source":"dataset:a.yml","line":1,"col":2,"rule":"r","label":true,"reason":"w"}`))
	f.Add([]byte(`{"source":"module:a@v1/b","line":1,"rule":"r","label":false,"reason":"w"}` + "\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, err := ParseLabels("f", data)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Line < 1 || l.Reason == "" || !validSource(l.Source) {
				t.Fatalf("accepted invalid label %+v", l)
			}
		}
	})
}

func FuzzParsePending(f *testing.F) {
	f.Add([]byte("r dataset:a.yml:3 # c\n"))
	f.Add([]byte("r corpus:x/y.yml:1\nr module:m@v/f:2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := ParsePending("f", data)
		if err != nil {
			return
		}
		for _, k := range ks {
			if k.Line < 1 || k.Rule == "" || !validSource(k.Source) {
				t.Fatalf("accepted invalid entry %+v", k)
			}
		}
	})
}

func mustLabels(t *testing.T) []Label {
	t.Helper()
	data, err := os.ReadFile(labelsFile)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := ParseLabels("testdata/precision/labels.jsonl", data)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func mustPending(t *testing.T) []Key {
	t.Helper()
	data, err := os.ReadFile(pendingFile)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ParsePending("testdata/precision/pending.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// locate finds the sources; the corpus may be pointed at with MOLECULE_CI_CORPUS.
func locate(t *testing.T) Where {
	t.Helper()
	w, notes := Locate("../../..", os.Getenv("MOLECULE_CI_CORPUS"), t.TempDir())
	for _, n := range notes {
		t.Log(n)
	}
	return w
}

// TestAllSourcesAndLint: the sampler's listing, and Lint over a dataset zip and a corpus built
// here, with a member that is missing reported as skipped.
func TestAllSourcesAndLint(t *testing.T) {
	dir := t.TempDir()
	zpath := filepath.Join(dir, "dataset.zip")
	zf, err := os.Create(zpath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for name, body := range map[string]string{
		"o_r_.github_workflows_ci.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go vet ./... || true\n",
		"notes.txt":                    "not a workflow",
	} {
		w, err := zw.Create("dataset/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zf.Close()
	corpus := filepath.Join(dir, "corpus")
	writeTree(t, corpus, map[string]string{
		"repo/.github/workflows/x.yml": "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 1\n    steps:\n      - run: echo\n",
		"repo/Dockerfile":              "FROM alpine\nRUN apk add curl || true\n",
		"repo/README.md":               "x",
	})
	w := Where{DatasetZip: zpath, CorpusDir: corpus, TempDir: t.TempDir()}
	srcs, err := AllSources(w)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"corpus:repo/.github/workflows/x.yml", "corpus:repo/Dockerfile", "dataset:o_r_.github_workflows_ci.yml"}
	if !slices.Equal(srcs, want) {
		t.Errorf("AllSources = %q, want %q", srcs, want)
	}
	fs, skipped, err := LintSources(context.Background(), append(srcs, "dataset:gone.yml", "module:example.com/m@v1.0.0/Dockerfile"), w)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, src := range append(srcs, "dataset:gone.yml") {
		for _, f := range fs[src] {
			got = append(got, fmt.Sprintf("%s:%d %s", src, f.Line, f.Rule))
		}
	}
	slices.Sort(got)
	var b strings.Builder
	b.WriteString(strings.Join(got, "\n") + "\n== skipped\n")
	for _, s := range skipped {
		fmt.Fprintf(&b, "%s (stale: %v)\n", s, s.Stale)
	}
	text, err := SourceText("dataset:o_r_.github_workflows_ci.yml", w)
	if err != nil || !strings.Contains(string(text), "go vet") {
		t.Errorf("SourceText = %q, %v", text, err)
	}
	golden.Check(t, "testdata/lint-sources.golden", []byte(strings.ReplaceAll(b.String(), dir, "$DIR")))
}

// TestTestdataSources: a testdata: source is linted with its token markers expanded (the same
// tokens every time), a file lint does not know is read by the secret scan, and an unknown
// marker is an error naming it.
func TestTestdataSources(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"secrets/notes.md":     "deploy with @@ghp@@\n",
		"secrets/bad/typo.md":  "@@gph@@\n",
		"secrets/.env.example": "API_KEY=   # from the console\n",
	})
	w := Where{Testdata: dir, TempDir: t.TempDir()}
	fs, skipped, err := LintSources(context.Background(), []string{"testdata:secrets/notes.md", "testdata:secrets/.env.example", "testdata:secrets/gone.md"}, w)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for src, list := range fs {
		for _, f := range list {
			got = append(got, fmt.Sprintf("%s:%d:%d %s %s", src, f.Line, f.Col, f.Rule, f.Message))
		}
	}
	want := []string{"testdata:secrets/notes.md:1:13 secret-committed GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text"}
	if !slices.Equal(got, want) {
		t.Errorf("findings = %q, want %q", got, want)
	}
	if len(skipped) != 1 || skipped[0].Source != "testdata:secrets/gone.md" || !skipped[0].Stale {
		t.Errorf("skipped = %+v, want gone.md as stale", skipped)
	}
	a, err := SourceText("testdata:secrets/notes.md", w)
	b, _ := SourceText("testdata:secrets/notes.md", w)
	if err != nil || string(a) != string(b) || strings.Contains(string(a), "@@") {
		t.Errorf("SourceText = %q, %q, %v; want the same expanded text twice", a, b, err)
	}
	if _, _, err := LintSources(context.Background(), []string{"testdata:secrets/bad/typo.md"}, w); err == nil ||
		!strings.Contains(err.Error(), "unknown token markers @@gph@@") {
		t.Errorf("unknown marker: got %v", err)
	}
}

// writeTree writes files (slash paths to contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
