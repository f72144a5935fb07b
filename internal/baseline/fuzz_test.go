package baseline_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/baseline"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// FuzzParse: any input is a baseline or a *ParseError, never a panic; what parses writes back to
// a file that parses to the same baseline.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"ci.baseline.json", "no-line.baseline.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"version":1,"findings":[]}`))
	f.Add([]byte(`{"version":1,"findings":[{"rule":"r","path":"p","line":"0123456789abcdef","context":"0123456789abcdef","message":"\u2028<>&"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := baseline.Parse("b.json", data)
		if err != nil {
			var pe *baseline.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%T is not a *ParseError: %v", err, err)
			}
			return
		}
		out := b.Marshal()
		back, err := baseline.Parse("b.json", out)
		if err != nil {
			t.Fatalf("Marshal wrote what Parse refuses: %v\n%s", err, out)
		}
		if string(back.Marshal()) != string(out) {
			t.Fatalf("not stable:\n%s\n%s", out, back.Marshal())
		}
	})
}

// FuzzFingerprint: any file text and line fingerprints without a panic, the baseline written
// parses, and the same findings match it in full.
func FuzzFingerprint(f *testing.F) {
	f.Add([]byte("on: push\njobs:\n  a:\n    runs-on: x\n"), 3, "r", "m")
	f.Add([]byte("\r\n\t \n"), 2, "r", "")
	f.Add([]byte(""), 0, "", "m")
	f.Fuzz(func(t *testing.T, src []byte, line int, rule, msg string) {
		if rule == "" {
			rule = "r"
		}
		fs := []report.Finding{
			{Path: "a.yml", Line: line, Rule: rule, Severity: report.Error, Message: msg},
			{Path: "a.yml", Line: line + 1, Rule: rule, Severity: report.Error, Message: msg},
		}
		if fs[0].Validate() != nil || fs[1].Validate() != nil {
			return // not a finding any command can report
		}
		opts := baseline.Options{Source: func(string) []byte { return src }}
		b, err := baseline.Parse("b.json", baseline.New(fs, opts).Marshal())
		if err != nil {
			t.Fatal(err)
		}
		m := b.Match(fs, opts)
		if m.NewCount() != 0 || len(m.Stale) != 0 {
			t.Fatalf("the findings a baseline was written from: %d new, %d stale", m.NewCount(), len(m.Stale))
		}
	})
}
