package impact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDeclared reads hostile pull request descriptions and labels: never a panic, a declaration
// bounded in length, on one line, taken from the text it was given.
func FuzzDeclared(f *testing.F) {
	f.Add("Fixes.\r\nBREAKING: drops x\r\n", "breaking-change")
	f.Add("> - BREAKING CHANGE:   `y`", "ci")
	f.Add(strings.Repeat("BREAKING: ", 1000), "")
	f.Fuzz(func(t *testing.T, body, label string) {
		got := Declared(body, []string{label}, []string{"breaking-change"})
		if got == "" {
			return
		}
		if strings.ContainsAny(got, "\n") || utf8.RuneCountInString(got) > maxDeclaration+len("BREAKING: …")+len(label) {
			t.Fatalf("declaration %q", got)
		}
		if rest, ok := strings.CutPrefix(got, "BREAKING: "); ok && !strings.Contains(body, strings.TrimSuffix(rest, "…")) {
			t.Fatalf("declaration %q is not in the body", got)
		} else if !ok && got != "label "+label {
			t.Fatalf("declaration %q", got)
		}
	})
}
