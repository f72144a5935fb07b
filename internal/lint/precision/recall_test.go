package precision

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

const recallDir = "../../../testdata/precision/recall"

// TestRecallSet lints every case of the recall set: a case is caught in full (every expected
// finding, none on its clean parts) unless it says it is a known miss — and then it must still
// be missed, so the list of misses stays true. The set keeps at least 40 cases and 3 per class.
func TestRecallSet(t *testing.T) {
	cases, err := LoadCases(recallDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Errorf("the recall set has %d cases; keep at least 40", len(cases))
	}
	outcomes, err := RunCases(cases)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recall per class:\n%s", RecallTable(Recall(outcomes)))
	for _, r := range Recall(outcomes) {
		if r.Cases < 3 {
			t.Errorf("class %s has %d cases; keep at least 3 (its common variants)", r.Class, r.Cases)
		}
	}
	for _, o := range outcomes {
		switch {
		case o.Case.KnownMiss == "" && !o.Caught():
			t.Errorf("%s: missed %v; found:\n%s", o.Case.Path, o.Missing, findings(o))
		case o.Case.KnownMiss != "" && o.Caught():
			t.Errorf("%s: marked known-miss (%s) but caught: drop the mark", o.Case.Path, o.Case.KnownMiss)
		}
		if len(o.Extra) > 0 {
			t.Errorf("%s: findings on the clean parts of the case:\n%s", o.Case.Path, findingsOf(o.Extra))
		}
	}
}

func findings(o CaseOutcome) string { return findingsOf(o.Findings) }

func findingsOf(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %d:%d %s %s: %.160s\n", f.Line, f.Col, f.Severity, f.Rule, f.Message)
	}
	return b.String()
}

// TestProbe is issue 18's twelve-workflow probe, in this repository's own words: twelve small
// workflows, each holding one well-known defect and clean otherwise — seven the rules caught
// before the audits of issue 18, five they missed. All twelve are caught, with no finding on
// their clean parts.
func TestProbe(t *testing.T) {
	cases, err := LoadCases("../../../testdata/precision/probe")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 12 {
		t.Fatalf("the probe has %d workflows, want 12", len(cases))
	}
	outcomes, err := RunCases(cases)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outcomes {
		if !o.Caught() || o.Case.KnownMiss != "" {
			t.Errorf("%s: missed %v; found:\n%s", o.Case.Path, o.Missing, findings(o))
		}
		if len(o.Extra) > 0 {
			t.Errorf("%s: findings on the clean parts:\n%s", o.Case.Path, findingsOf(o.Extra))
		}
	}
}

func FuzzCaseHeader(f *testing.F) {
	f.Add([]byte("# expect: env-file-injection 12\n# options: labels=a,b private=true\n# known-miss: why\non: push\n"))
	f.Add([]byte("# expect: x\n"))
	f.Add([]byte("# options: nope=1\n# expect: r 0\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		c := Case{Src: src}
		if err := c.parseHeader(); err != nil {
			return
		}
		if len(c.Expect) == 0 {
			t.Fatal("a header without expect: lines was accepted")
		}
		for _, e := range c.Expect {
			if e.Rule == "" || e.Line < 1 {
				t.Fatalf("malformed expectation %+v accepted", e)
			}
		}
	})
}
