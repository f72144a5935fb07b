package precision

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Outcome is what became of one label.
type Outcome struct {
	Label    Label
	Reported bool            // the rule reported this place
	Finding  *report.Finding // the matching finding, when reported
	Pending  bool            // listed in pending.txt
}

// Agrees reports whether the linter did what the label says.
func (o Outcome) Agrees() bool { return o.Reported == o.Label.Label }

// Result is the comparison of a labelled set with the linter's findings.
type Result struct {
	Outcomes []Outcome
	Skipped  []Skip // sources that could not be read, with why
	// StalePending are pending.txt entries whose labels now agree: remove them.
	StalePending []Key
	// UnknownPending are pending.txt entries that name no label.
	UnknownPending []Key
}

// Compare matches every label with the findings of its source. A label matches a finding of its
// rule on its line at its column; when no finding is at that column and the label is the only
// one for its line and rule, any finding of the rule on the line matches (positions inside a
// line may move as rules are refined; several labels on one line are told apart by column).
func Compare(labels []Label, findings map[string][]report.Finding, pending []Key, skipped []Skip) Result {
	skip := map[string]bool{}
	for _, s := range skipped {
		skip[s.Source] = true
	}
	perKey := map[Key]int{}
	for _, l := range labels {
		perKey[l.Key()]++
	}
	pend := map[Key]bool{}
	for _, k := range pending {
		pend[k] = true
	}
	res := Result{Skipped: skipped}
	used := map[Key]bool{}
	for _, l := range labels {
		if skip[l.Source] {
			continue
		}
		o := Outcome{Label: l, Pending: pend[l.Key()]}
		var any *report.Finding
		fs := findings[l.Source]
		for i := range fs {
			f := &fs[i]
			if f.Line != l.Line || f.Rule != l.Rule {
				continue
			}
			if l.Col == 0 || f.Col == l.Col {
				o.Reported, o.Finding = true, f
				break
			}
			if any == nil {
				any = f
			}
		}
		if !o.Reported && any != nil && perKey[l.Key()] == 1 {
			o.Reported, o.Finding = true, any
		}
		used[l.Key()] = true
		res.Outcomes = append(res.Outcomes, o)
	}
	// A pending key is stale only when every label at that key agrees again.
	disagree := map[Key]bool{}
	for _, o := range res.Outcomes {
		if !o.Agrees() {
			disagree[o.Label.Key()] = true
		}
	}
	for _, k := range pending {
		switch {
		case skip[k.Source]:
		case !used[k] && !labelled(labels, k):
			res.UnknownPending = append(res.UnknownPending, k)
		case !disagree[k]:
			res.StalePending = append(res.StalePending, k)
		}
	}
	return res
}

func labelled(labels []Label, k Key) bool {
	for _, l := range labels {
		if l.Key() == k {
			return true
		}
	}
	return false
}

// Failures are the disagreements not excused by pending.txt (all of them when strict).
func (r Result) Failures(strict bool) []Outcome {
	var out []Outcome
	for _, o := range r.Outcomes {
		if !o.Agrees() && (strict || !o.Pending) {
			out = append(out, o)
		}
	}
	return out
}

// Disagreements are all labels the linter does not agree with today.
func (r Result) Disagreements() []Outcome { return r.Failures(true) }

// Diff renders outcomes one a line: rule, file:line, label, what happened and the reason.
func Diff(outs []Outcome) string {
	outs = slices.Clone(outs)
	slices.SortFunc(outs, func(a, b Outcome) int {
		if c := strings.Compare(a.Label.Rule, b.Label.Rule); c != 0 {
			return c
		}
		if c := strings.Compare(a.Label.Source, b.Label.Source); c != 0 {
			return c
		}
		return a.Label.Line - b.Label.Line
	})
	var b strings.Builder
	for _, o := range outs {
		what := "labelled true, not reported"
		if !o.Label.Label {
			what = "labelled false, reported"
		}
		if o.Agrees() {
			what = "agrees"
		}
		fmt.Fprintf(&b, "%-26s %s:%d: %s: %s", o.Label.Rule, o.Label.Source, o.Label.Line, what, o.Label.Reason)
		if o.Finding != nil && !o.Label.Label {
			fmt.Fprintf(&b, "\n%-26s   finding: %s", "", o.Finding.Message)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Pending renders the disagreements as pending.txt, grouped by rule, each with its label and
// reason as a comment.
func Pending(outs []Outcome) string {
	outs = slices.Clone(outs)
	slices.SortFunc(outs, func(a, b Outcome) int {
		return strings.Compare(a.Label.Key().String(), b.Label.Key().String())
	})
	var b strings.Builder
	b.WriteString(pendingHeader)
	last, seen := "", map[Key]bool{}
	for _, o := range outs {
		if seen[o.Label.Key()] {
			continue
		}
		seen[o.Label.Key()] = true
		if o.Label.Rule != last {
			fmt.Fprintf(&b, "\n# %s\n", o.Label.Rule)
			last = o.Label.Rule
		}
		state := "labelled true, not reported"
		if !o.Label.Label {
			state = "labelled false, reported"
		}
		fmt.Fprintf(&b, "%s  # %s: %s\n", o.Label.Key(), state, o.Label.Reason)
	}
	return b.String()
}

const pendingHeader = `# Labels of testdata/precision/labels.jsonl that today's rules disagree with, known to fail
# until the rule fixes of issue 10 land. TestLabelledSet reports them without failing, and fails
# when one of them passes again (remove it then). This file must end up empty; never add an
# entry to make a rule look right — fix the rule, or correct the label with a reason.
# Format: <rule> <source>:<line>   (# starts a comment)
`

// RuleStats is one rule's row of the precision table.
type RuleStats struct {
	Rule       string
	Severity   report.Severity
	TruePos    int // labelled true and reported
	FalsePos   int // labelled false and reported
	Labelled   int // labels of this rule
	LabelTrue  int // labelled true
	Unlabelled int // findings of the rule in the labelled files that no label names
	// ErrTruePos and ErrFalsePos count the labelled findings reported at error severity (a rule
	// may lower some of its findings, e.g. secret-committed's in test files).
	ErrTruePos, ErrFalsePos int
}

// ErrPrecision is the precision of the findings reported at error severity, or -1 when there
// are none.
func (s RuleStats) ErrPrecision() float64 {
	if s.ErrTruePos+s.ErrFalsePos == 0 {
		return -1
	}
	return float64(s.ErrTruePos) / float64(s.ErrTruePos+s.ErrFalsePos)
}

// errorGoals are stricter goals on error findings for the rules whose errors users trust most:
// the secret rules fail a build on a credential, and a false one there gets the gate switched off
// (issue 15).
var errorGoals = map[string]float64{"secret-committed": 0.95, "secret-exposure": 0.95}

// ErrorGoal is the precision the rule's error findings must reach, or 0 when only Goal applies.
func (s RuleStats) ErrorGoal() float64 { return errorGoals[s.Rule] }

// Met reports whether the rule meets its goals (a rule that reported nothing labelled does).
func (s RuleStats) Met() bool {
	if p := s.Precision(); p >= 0 && p < s.Goal() {
		return false
	}
	p := s.ErrPrecision()
	return s.ErrorGoal() == 0 || p < 0 || p >= s.ErrorGoal()
}

// Precision is TruePos/(TruePos+FalsePos), or -1 when the rule reported nothing labelled.
func (s RuleStats) Precision() float64 {
	if s.TruePos+s.FalsePos == 0 {
		return -1
	}
	return float64(s.TruePos) / float64(s.TruePos+s.FalsePos)
}

// Recall is TruePos/LabelTrue, or -1 without true labels.
func (s RuleStats) Recall() float64 {
	if s.LabelTrue == 0 {
		return -1
	}
	return float64(s.TruePos) / float64(s.LabelTrue)
}

// Goal is the precision a rule of this severity must reach: 90% for errors, 80% for warnings.
func (s RuleStats) Goal() float64 {
	if s.Severity == report.Error {
		return 0.9
	}
	return 0.8
}

// Stats computes the per-rule table. severity gives each rule's default severity.
func (r Result) Stats(findings map[string][]report.Finding, severity func(string) report.Severity) []RuleStats {
	by := map[string]*RuleStats{}
	get := func(rule string) *RuleStats {
		s := by[rule]
		if s == nil {
			s = &RuleStats{Rule: rule, Severity: severity(rule)}
			by[rule] = s
		}
		return s
	}
	named := map[Key]bool{}
	srcs := map[string]bool{}
	for _, o := range r.Outcomes {
		s := get(o.Label.Rule)
		s.Labelled++
		named[o.Label.Key()] = true
		srcs[o.Label.Source] = true
		if o.Label.Label {
			s.LabelTrue++
		}
		if o.Reported {
			err := o.Finding != nil && o.Finding.Severity == report.Error
			switch {
			case o.Label.Label:
				s.TruePos++
				if err {
					s.ErrTruePos++
				}
			default:
				s.FalsePos++
				if err {
					s.ErrFalsePos++
				}
			}
		}
	}
	for src := range srcs {
		for _, f := range findings[src] {
			if _, ok := by[f.Rule]; ok && !named[Key{src, f.Line, f.Rule}] {
				by[f.Rule].Unlabelled++
			}
		}
	}
	out := make([]RuleStats, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b RuleStats) int { return strings.Compare(a.Rule, b.Rule) })
	return out
}

// Table renders the per-rule stats with the goals and whether they are met. err-prec is the
// precision of the findings reported at error severity.
func Table(stats []RuleStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %-8s %7s %5s %5s %10s %9s %9s %10s %-22s %s\n", "rule", "severity", "labels", "TP", "FP", "precision", "err-prec", "recall", "unlabelled", "goal", "verdict")
	for _, s := range stats {
		verdict := "ok"
		p := s.Precision()
		switch {
		case p < 0:
			verdict = "no labelled findings reported"
		case !s.Met():
			verdict = "BELOW GOAL"
		}
		if rc := s.Recall(); rc >= 0 && rc < 1 && verdict == "ok" {
			verdict = "ok (misses labelled-true findings)"
		}
		goal := fmt.Sprintf(">= %.0f%%", s.Goal()*100)
		if g := s.ErrorGoal(); g > 0 {
			goal += fmt.Sprintf(", errors >= %.0f%%", g*100)
		}
		fmt.Fprintf(&b, "%-26s %-8s %7d %5d %5d %10s %9s %9s %10d %-22s %s\n", s.Rule, s.Severity, s.Labelled, s.TruePos, s.FalsePos,
			pct(p), pct(s.ErrPrecision()), pct(s.Recall()), s.Unlabelled, goal, verdict)
	}
	return b.String()
}

func pct(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", v*100)
}
