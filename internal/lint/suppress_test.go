package lint

import (
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

func TestSuppressions(t *testing.T) {
	src := strings.Join([]string{
		"steps:",
		"  # molecule-ci: ignore[missing-timeout] the job is a one-second echo", // 2: covers 3
		"  - run: x",
		"  - run: y # molecule-ci: ignore[gate-cannot-fail,secret-exposure] reviewed in #12", // 4: covers 4
		"  # molecule-ci: ignore[unpinned-action]",                                           // 5: no reason
		"  # molecule-ci: ignore[no-such-rule] because",                                      // 6: unknown rule
		"  # molecule-ci: ignore[floating-ref] stale",                                        // 7: matches nothing
		"  # molecule-ci: ignore[] empty",                                                    // 8: no rule
	}, "\n")
	fs := []report.Finding{
		{Path: "w.yml", Line: 3, Col: 1, Rule: "missing-timeout", Severity: report.Warning, Message: "a"},
		{Path: "w.yml", Line: 3, Col: 1, Rule: "gate-cannot-fail", Severity: report.Error, Message: "b"},
		{Path: "w.yml", Line: 4, Col: 3, Rule: "gate-cannot-fail", Severity: report.Error, Message: "c"},
		{Path: "w.yml", Line: 6, Col: 3, Rule: "unpinned-action", Severity: report.Warning, Message: "d"},
	}
	got := applySuppressions("w.yml", fs, parseSuppressions([]byte(src)), KnownRule)
	var lines []string
	for _, f := range report.Sort(got) {
		lines = append(lines, f.String()+" "+f.Severity.String())
	}
	want := []string{
		"w.yml:3:1: b [gate-cannot-fail] error",
		"w.yml:5:3: suppression of unpinned-action has no reason [suppression] error",
		"w.yml:6:3: suppression names unknown rule \"no-such-rule\" [suppression] error",
		"w.yml:6:3: d [unpinned-action] warning",
		"w.yml:7:3: suppression of floating-ref matches no finding on this line or the next; remove it [suppression] warning",
		"w.yml:8:3: suppression names no rule [suppression] error",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestApplyRuleConfig(t *testing.T) {
	fs := []report.Finding{
		{Path: "legacy/a.yml", Rule: "missing-timeout", Severity: report.Warning},
		{Path: "b.yml", Rule: "missing-timeout", Severity: report.Warning},
		{Path: "b.yml", Rule: "unpinned-action", Severity: report.Warning},
		{Path: "b.yml", Rule: "buildkit/StageNameCasing", Severity: report.Warning},
	}
	got := applyRuleConfig(fs[1:], "/repo", "/repo", map[string]RuleConfig{
		"missing-timeout": {Severity: report.Error},
		"unpinned-action": {Disabled: true},
		"buildkit/*":      {Severity: report.Info},
	})
	if len(got) != 2 || got[0].Severity != report.Error || got[1].Severity != report.Info {
		t.Errorf("severity/disable: got %+v", got)
	}
	got = applyRuleConfig(fs[:1], "/repo", "/repo", map[string]RuleConfig{"missing-timeout": {Ignore: []string{"legacy/**"}}})
	if len(got) != 0 {
		t.Errorf("ignore glob: got %+v", got)
	}
	// Globs are relative to the repository root, not to the working directory findings are
	// shown relative to.
	sub := []report.Finding{{Path: "svc/legacy/a.yml", Rule: "missing-timeout", Severity: report.Warning}}
	got = applyRuleConfig(sub, "/work/svc", "/work", map[string]RuleConfig{"missing-timeout": {Ignore: []string{"legacy/**"}}})
	if len(got) != 0 {
		t.Errorf("ignore glob relative to the root: got %+v", got)
	}
}

func FuzzParseSuppressions(f *testing.F) {
	f.Add([]byte("# molecule-ci: ignore[a,b] why\n"))
	f.Add([]byte("x # molecule-ci: ignore[\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, s := range parseSuppressions(src) {
			if s.line < 1 || s.col < 1 {
				t.Fatalf("bad position %+v", s)
			}
		}
	})
}
