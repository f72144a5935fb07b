// Command precision prints the precision of every org lint rule over the labelled set in
// testdata/precision/labels.jsonl (see internal/lint/precision), with the goals: every
// error-severity rule at least 90% precise, every warning at least 80%, and the error findings of
// the secret rules (secret-committed, secret-exposure) at least 95% — and recall per class over
// the recall set (testdata/precision/recall) and issue 18's twelve-workflow probe
// (testdata/precision/probe).
//
//	go run ./bench/precision [-labels FILE] [-pending FILE] [-recall DIR] [-probe DIR] [-diff]
//	go run ./bench/precision -sample RULE [-n 10] [-seed 1] [-per-source 0] [-match RE] [-skip RE]
//
// -sample grows the set: it lints every dataset workflow and corpus file, picks n findings of
// RULE that no label names, at random with the seed (from the findings sorted by place, so a
// seed always picks the same ones), and prints each with its source lines and a JSONL line to
// complete with the label and the reason after reading it. -per-source caps the findings taken
// from one file (one workflow with 60 copies of a job must not fill the sample); -match and
// -skip keep only the findings whose message matches, or does not match, a regular expression
// (to sample one kind of a rule's findings).
//
// Run it from the repository root (bench/precision/run.sh does). The corpus is found at
// ../shared/corpus or $MOLECULE_CI_CORPUS. Exit status: 0 every rule meets its goal and every
// recall case is caught or a known miss, with no finding on its clean parts; 1 otherwise; 2 setup
// failure.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/precision"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx)
	stop()
	os.Exit(code)
}

func run(ctx context.Context) int {
	labelsPath := flag.String("labels", "testdata/precision/labels.jsonl", "labelled set")
	pendingPath := flag.String("pending", "testdata/precision/pending.txt", "entries known to fail until a rule fix lands")
	diff := flag.Bool("diff", false, "also list every label the linter disagrees with")
	sample := flag.String("sample", "", "print unlabelled findings of this rule to judge, instead of the table")
	n := flag.Int("n", 10, "with -sample: how many findings")
	seed := flag.Int64("seed", 1, "with -sample: random seed")
	perSource := flag.Int("per-source", 0, "with -sample: at most this many findings from one file (0: no cap)")
	match := flag.String("match", "", "with -sample: only findings whose message matches this regular expression")
	skip := flag.String("skip", "", "with -sample: no findings whose message matches this regular expression")
	recallDir := flag.String("recall", "testdata/precision/recall", "recall set: small defect workflows, a directory per class")
	probeDir := flag.String("probe", "testdata/precision/probe", "issue 18's twelve-workflow probe")
	flag.Parse()

	data, err := os.ReadFile(*labelsPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "precision:", err)
		return 2
	}
	labels, err := precision.ParseLabels(*labelsPath, data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "precision:", err)
		return 2
	}
	var pending []precision.Key
	if data, err := os.ReadFile(*pendingPath); err == nil {
		if pending, err = precision.ParsePending(*pendingPath, data); err != nil {
			fmt.Fprintln(os.Stderr, "precision:", err)
			return 2
		}
	}
	tmp, err := os.MkdirTemp("", "molecule-ci-precision-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "precision:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	w, notes := precision.Locate(".", os.Getenv("MOLECULE_CI_CORPUS"), tmp)
	for _, n := range notes {
		fmt.Fprintln(os.Stderr, "precision: note:", n)
	}
	if *sample != "" {
		var f filter
		for _, p := range []struct {
			re  **regexp.Regexp
			src string
		}{{&f.match, *match}, {&f.skip, *skip}} {
			if p.src == "" {
				continue
			}
			re, err := regexp.Compile(p.src)
			if err != nil {
				fmt.Fprintln(os.Stderr, "precision: -match/-skip:", err)
				return 2
			}
			*p.re = re
		}
		f.perSource = *perSource
		return sampleRule(ctx, *sample, *n, *seed, f, labels, w)
	}
	findings, skipped, err := precision.Lint(ctx, labels, w)
	if err != nil {
		fmt.Fprintln(os.Stderr, "precision:", err)
		return 2
	}
	stale := 0
	for _, s := range skipped {
		if s.Stale {
			stale++
			fmt.Fprintln(os.Stderr, "precision: error: labelled source", s)
		} else {
			fmt.Fprintln(os.Stderr, "precision: skipped", s)
		}
	}
	if stale > 0 {
		return 2
	}
	res := precision.Compare(labels, findings, pending, skipped)
	stats := res.Stats(findings, severityOf)
	fmt.Printf("precision and recall per rule: %d labels (%d labelled false), %d sources skipped, %d disagreements, %d pending.txt entries\n\n",
		len(res.Outcomes), countFalse(res), len(skipped), len(res.Disagreements()), len(pending))
	fmt.Print(precision.Table(stats))
	fmt.Println("\nprecision = labelled-true findings reported / all labelled findings reported; recall = labelled-true findings reported / labelled true;")
	fmt.Println("unlabelled = findings of the rule in the labelled files that no label names (not judged); err-prec = precision of the findings reported at error severity.")
	fmt.Println("Goals: error >= 90%, warning >= 80%; the secret rules' error findings >= 95%.")
	if *diff {
		fmt.Println()
		fmt.Print(precision.Diff(res.Disagreements()))
	}
	code := 0
	for _, s := range stats {
		if !s.Met() {
			code = 1
		}
	}
	// The out-of-sample draw apart: labels judged after the rules were tuned, on files their
	// tuning never looked at.
	oos := precision.Result{}
	for _, o := range res.Outcomes {
		if o.Label.OutOfSample() {
			oos.Outcomes = append(oos.Outcomes, o)
		}
	}
	fmt.Printf("\nprecision per rule, out-of-sample draw only (%d labels whose reason starts %q):\n\n", len(oos.Outcomes), precision.OutOfSamplePrefix)
	oosStats := oos.Stats(findings, severityOf)
	fmt.Print(precision.Table(oosStats))
	for _, s := range oosStats {
		if !s.Met() {
			code = 1
		}
	}
	// Recall per class: the recall set (each class in its common variants) and issue 18's
	// twelve-workflow probe, each case linted on its own.
	for _, set := range []struct{ name, dir string }{
		{"recall set", *recallDir},
		{"twelve-workflow probe (7 classes caught before issue 18, 5 missed)", *probeDir},
	} {
		cases, err := precision.LoadCases(set.dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "precision:", err)
			return 2
		}
		outcomes, err := precision.RunCases(cases)
		if err != nil {
			fmt.Fprintln(os.Stderr, "precision:", err)
			return 2
		}
		fmt.Printf("\nrecall per class, %s (%s):\n\n", set.name, set.dir)
		fmt.Print(precision.RecallTable(precision.Recall(outcomes)))
		for _, o := range outcomes {
			if !o.Caught() {
				why := o.Case.KnownMiss
				if why == "" {
					why = "not a known miss: a regression"
					code = 1
				}
				fmt.Printf("  missed %s: %s\n", o.Case.Path, why)
			}
			for _, f := range o.Extra {
				fmt.Printf("  extra finding on a clean part of %s: %d:%d %s [%s]\n", o.Case.Path, f.Line, f.Col, f.Severity, f.Rule)
				code = 1
			}
		}
	}
	fmt.Println("\nrecall = cases whose every expected finding is reported / cases; an extra finding is one on a case's clean parts.")
	return code
}

func countFalse(r precision.Result) int {
	n := 0
	for _, o := range r.Outcomes {
		if !o.Label.Label {
			n++
		}
	}
	return n
}

func severityOf(rule string) report.Severity {
	for _, r := range lint.Rules() {
		if r.ID == rule {
			return r.Severity
		}
	}
	return report.Error
}

// filter narrows the findings -sample picks from.
type filter struct {
	match, skip *regexp.Regexp
	perSource   int
}

func (f filter) keep(msg string) bool {
	return (f.match == nil || f.match.MatchString(msg)) && (f.skip == nil || !f.skip.MatchString(msg))
}

// sampleRule prints n unlabelled findings of rule, chosen at random with seed, for judging.
func sampleRule(ctx context.Context, rule string, n int, seed int64, flt filter, labels []precision.Label, w precision.Where) int {
	srcs, err := precision.AllSources(w)
	if err != nil {
		fmt.Fprintln(os.Stderr, "precision:", err)
		return 2
	}
	findings, skipped, err := precision.LintSources(ctx, srcs, w)
	if err != nil {
		fmt.Fprintln(os.Stderr, "precision:", err)
		return 2
	}
	for _, s := range skipped {
		fmt.Fprintln(os.Stderr, "precision: skipped", s)
	}
	named := map[precision.Key]bool{}
	for _, l := range labels {
		named[l.Key()] = true
	}
	type cand struct {
		src string
		f   report.Finding
	}
	var cands []cand
	for src, fs := range findings {
		for _, f := range fs {
			if f.Rule == rule && flt.keep(f.Message) && !named[precision.Key{Source: src, Line: f.Line, Rule: rule}] {
				cands = append(cands, cand{src, f})
			}
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := strings.Compare(a.src, b.src); c != 0 {
			return c
		}
		if a.f.Line != b.f.Line {
			return a.f.Line - b.f.Line
		}
		return a.f.Col - b.f.Col
	})
	rand.New(rand.NewSource(seed)).Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	total := len(cands)
	if flt.perSource > 0 {
		perSrc := map[string]int{}
		kept := cands[:0]
		for _, c := range cands {
			if perSrc[c.src] < flt.perSource {
				perSrc[c.src]++
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	fmt.Printf("%d unlabelled findings of %s (%d within the cap of %d a file); %d picked with seed %d\n", total, rule, len(cands), flt.perSource, min(n, len(cands)), seed)
	for _, c := range cands[:min(n, len(cands))] {
		fmt.Printf("\n%s:%d:%d: %s\n", c.src, c.f.Line, c.f.Col, c.f.Message)
		if text, err := precision.SourceText(c.src, w); err == nil {
			lines := strings.Split(string(text), "\n")
			for i := max(1, c.f.Line-4); i <= min(len(lines), c.f.Line+3); i++ {
				mark := " "
				if i == c.f.Line {
					mark = ">"
				}
				fmt.Printf("  %s%5d %s\n", mark, i, lines[i-1])
			}
		}
		line, _ := json.Marshal(precision.Label{Source: c.src, Line: c.f.Line, Col: c.f.Col, Rule: rule, Reason: "TODO"})
		fmt.Printf("  %s\n", strings.Replace(string(line), `"label":false`, `"label":TODO`, 1))
	}
	return 0
}
