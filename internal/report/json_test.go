package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestJSONExactShape(t *testing.T) {
	rep := &Report{FilesChecked: 2, Findings: []Finding{
		{Path: "b.yml", Line: 4, Col: 1, EndLine: 6, Rule: "r2", Severity: Info, Message: "<x> && y", Help: "see <https://example.com/r2>"},
		{Path: "a.yml", Rule: "r1", Severity: Warning, Message: "whole file"},
	}}
	want := `{
  "findings": [
    {
      "path": "a.yml",
      "line": 0,
      "column": 0,
      "end_line": 0,
      "rule": "r1",
      "severity": "warning",
      "message": "whole file",
      "help": ""
    },
    {
      "path": "b.yml",
      "line": 4,
      "column": 1,
      "end_line": 6,
      "rule": "r2",
      "severity": "info",
      "message": "<x> && y",
      "help": "see <https://example.com/r2>"
    }
  ],
  "files_checked": 2
}
`
	if got := writeString(t, "json", rep, Options{}); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestJSONKeysAreExactlyTheDocumentedOnes(t *testing.T) {
	var doc struct {
		Findings     []map[string]any `json:"findings"`
		FilesChecked *int             `json:"files_checked"`
	}
	out := writeString(t, "json", trickyReport(), Options{})
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FilesChecked == nil || *doc.FilesChecked != 12 {
		t.Errorf("files_checked = %v, want 12", doc.FilesChecked)
	}
	want := []string{"column", "end_line", "help", "line", "message", "path", "rule", "severity"}
	for i, f := range doc.Findings {
		var keys []string
		for k := range f {
			keys = append(keys, k)
		}
		if diff := cmp.Diff(want, keys, cmpSorted); diff != "" {
			t.Errorf("finding %d keys (-want +got):\n%s", i, diff)
		}
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
})

// FuzzJSON checks that any strings in a finding produce valid JSON that reads back as the same
// strings (invalid UTF-8 becomes U+FFFD, as encoding/json documents) and the same numbers.
func FuzzJSON(f *testing.F) {
	f.Add("a.yml", "r", "m", 1, 2, 0)
	f.Add("conf:dir/a,b.yml", "org/x", "line1\nline2 \"quoted\" \\ <&> \u2028", 0, 0, 0)
	f.Add("\xff\xfe", "\x00", "\x1b[31m", -1, -5, 3)
	f.Fuzz(func(t *testing.T, path, rule, message string, line, col, end int) {
		fd := Finding{Path: path, Line: line, Col: col, EndLine: end, Rule: rule, Severity: Error, Message: message, Help: message}
		var ob output
		// The encoder itself, for strings Write would refuse...
		if err := writeJSON(&ob, &Report{Findings: []Finding{fd}}, Options{}); err != nil {
			t.Fatal(err)
		}
		checkJSON(t, ob.Bytes(), fd)
		var buf bytes.Buffer
		// ...and through Write for the findings it accepts.
		if fd.Validate() == nil {
			buf.Reset()
			if err := Write(&buf, "json", &Report{Findings: []Finding{fd}}, Options{}); err != nil {
				t.Fatal(err)
			}
			checkJSON(t, buf.Bytes(), Redacted(&Report{Findings: []Finding{fd}}).Findings[0])
		}
	})
}

func checkJSON(t *testing.T, out []byte, f Finding) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %q", out)
	}
	var doc struct {
		Findings []JSONFinding `json:"findings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	want := []JSONFinding{{Path: replaceInvalid(f.Path), Line: f.Line, Column: f.Col, EndLine: endLine(f),
		Rule: replaceInvalid(f.Rule), Severity: "error", Message: replaceInvalid(f.Message), Help: replaceInvalid(f.Help)}}
	if diff := cmp.Diff(want, doc.Findings); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

// replaceInvalid is what encoding/json does to a string: each byte that is not part of valid
// UTF-8 becomes U+FFFD.
func replaceInvalid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}
