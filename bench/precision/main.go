// Command precision prints the precision and recall of every org lint rule over the labelled set
// in testdata/precision/labels.jsonl (see internal/lint/precision), with the goals: every
// error-severity rule at least 90% precise, every warning at least 80%.
//
//	go run ./bench/precision [-labels FILE] [-pending FILE] [-diff]
//
// Run it from the repository root (bench/precision/run.sh does). The corpus is found at
// ../shared/corpus or $MOLECULE_CI_CORPUS. Exit status: 0 every rule meets its goal, 1 a rule
// misses it, 2 setup failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

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
	findings, skipped, err := precision.Lint(ctx, labels, w)
	if err != nil {
		fmt.Fprintln(os.Stderr, "precision:", err)
		return 2
	}
	for _, s := range skipped {
		fmt.Fprintln(os.Stderr, "precision: skipped", s)
	}
	res := precision.Compare(labels, findings, pending, skipped)
	stats := res.Stats(findings, severityOf)
	fmt.Printf("precision and recall per rule: %d labels (%d labelled false), %d sources skipped, %d disagreements, %d pending.txt entries\n\n",
		len(res.Outcomes), countFalse(res), len(skipped), len(res.Disagreements()), len(pending))
	fmt.Print(precision.Table(stats))
	fmt.Println("\nprecision = labelled-true findings reported / all labelled findings reported; recall = labelled-true findings reported / labelled true;")
	fmt.Println("unlabelled = findings of the rule in the labelled files that no label names (not judged). Goals: error >= 90%, warning >= 80%.")
	if *diff {
		fmt.Println()
		fmt.Print(precision.Diff(res.Disagreements()))
	}
	for _, s := range stats {
		if p := s.Precision(); p >= 0 && p < s.Goal() {
			return 1
		}
	}
	return 0
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
