package workflow

import "testing"

// The literal pre-filters in front of the gate rule's case-insensitive expressions must never
// change a verdict: on every input, filter-then-expression answers as the expression alone.
func FuzzFoldPrefilters(f *testing.F) {
	for _, s := range []string{
		"Tests (allowed failure)", "allow-fail", "may_fail", "NON-BLOCKING lint", "Nightly build",
		"unit tests", "flaKy", "Quarantined", "Run tests", "\u212aanary", "ſtable",
		"if [ -s out.txt ]; then exit 1; fi", "test || EXIT 2", "echo ::error::x", "make lint",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := namedAllowedToFail(s), allowedToFail.MatchString(s); got != want {
			t.Fatalf("namedAllowedToFail(%q) = %v, the expression says %v", s, got, want)
		}
		if want := failsOnFinding.MatchString(s); want && !mayMatchFold(s, failsOnFindingWords) {
			t.Fatalf("the pre-filter drops %q, which failsOnFinding matches", s)
		}
	})
}
