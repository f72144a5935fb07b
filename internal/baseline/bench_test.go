package baseline_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/baseline"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// benchFindings are n findings in workflows of 50 steps each, as lint reports them for actions
// called at a branch, with the files' text.
func benchFindings(n int) ([]report.Finding, baseline.Options) {
	files := map[string][]byte{}
	var fs []report.Finding
	for i := range n {
		path := fmt.Sprintf(".github/workflows/w%03d.yml", i/50)
		if files[path] == nil {
			var w strings.Builder
			w.WriteString("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n")
			for j := range 50 {
				fmt.Fprintf(&w, "      - name: step %d\n        uses: some-org/action-%03d@main\n", j, j)
			}
			files[path] = []byte(w.String())
		}
		fs = append(fs, report.Finding{Path: path, Line: 7 + 2*(i%50), Col: 15, Rule: "floating-ref", Severity: report.Error,
			Message: fmt.Sprintf("action some-org/action-%03d is called at \"main\", a branch that moves under every caller; use a release tag (e.g. v1) or a commit SHA", i%50)})
	}
	return fs, baseline.Options{Source: func(p string) []byte { return files[p] }}
}

// BenchmarkParse reads a baseline of 10,000 findings.
func BenchmarkParse(b *testing.B) {
	fs, opts := benchFindings(10000)
	data := baseline.New(fs, opts).Marshal()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := baseline.Parse("b.json", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch matches 10,000 findings against their baseline.
func BenchmarkMatch(b *testing.B) {
	fs, opts := benchFindings(10000)
	bl := baseline.New(fs, opts)
	for b.Loop() {
		if m := bl.Match(fs, opts); m.NewCount() != 0 {
			b.Fatal("new findings")
		}
	}
}
