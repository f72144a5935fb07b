package report

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// trickySources are the files the tricky findings point into.
var trickySources = map[string]string{
	"Dockerfile": "FROM busybox AS Builder\nCOPY . /src\nRUN\tnpm i -g x || true\n",
	// CRLF line endings, and wide characters before the column.
	"docs/ünïcode.yml":         "name: docs\r\ntitle: 名前 value\r\n",
	".github/workflows/ci.yml": "on:\n  push:\n    branch: main\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          make\n          make test\n",
}

func trickySource(path string) ([]byte, error) {
	if s, ok := trickySources[path]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

// trickyReport has the cases formats get wrong: %, commas and colons, a newline, a zero line,
// a whole-file finding in a path with colons, unicode, a multi-line region, a rule that only
// findings name, an unreadable file, and findings given out of order.
func trickyReport() *Report {
	return &Report{
		Tool:         "molecule-ci",
		Version:      "1.2.3",
		Command:      "lint",
		FilesChecked: 12,
		Rules: []Rule{
			{ID: "org/no-or-true", Severity: Error, Doc: "`|| true` turns a failing gate into a passing one", HelpURL: "https://github.com/Molecule-AI/molecule-ci/blob/main/docs/rules.md#org-no-or-true"},
			{ID: "actionlint/*", Severity: Error, Doc: "every check of actionlint, reported as actionlint/<kind>", HelpURL: "https://github.com/rhysd/actionlint/blob/v1.7.12/docs/checks.md"},
			{ID: "config", Severity: Error, Doc: "a config file that cannot be loaded fails every command"},
			{ID: "org/unicode", Severity: Info},
		},
		Findings: []Finding{
			{Path: "Dockerfile", Line: 3, Col: 16, Rule: "org/no-or-true", Severity: Error,
				Message: "`npm i -g x || true` hides failures: 100% of them, including exit 1, are ignored"},
			{Path: ".github/workflows/ci.yml", Line: 3, Col: 5, Rule: "actionlint/syntax-check", Severity: Error,
				Message: `unexpected key "branch" for "push" section. expected one of "branches", "paths", "tags"`},
			{Path: "Dockerfile", Line: 1, Col: 17, Rule: "buildkit/StageNameCasing", Severity: Warning,
				Message: "Stage name 'Builder' should be lowercase", Help: "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/"},
			{Path: "conf:dir/a,b.yml", Rule: "config", Severity: Error,
				Message: "cannot parse: line 1\nsecond line of the error"},
			{Path: "docs/ünïcode.yml", Line: 2, Col: 11, Rule: "org/unicode", Severity: Info,
				Message: "名前 is not ASCII ✓ <none> & a|b"},
			{Path: ".github/workflows/ci.yml", Line: 8, Col: 9, EndLine: 10, Rule: "actionlint/shellcheck", Severity: Warning,
				Message: "SC2086:info:1:6: Double quote to prevent globbing, 50% \x1b[31mred\x1b[0m"},
			{Path: "missing/file.yml", Line: 4, Col: 2, Rule: "org/unicode", Severity: Info,
				Message: "the source of this file cannot be read"},
			{Path: "Dockerfile", Line: 99, Col: 1, Rule: "org/no-or-true", Severity: Error,
				Message: "a line past the end of the file has no source shown"},
		},
	}
}

func TestWriteGolden(t *testing.T) {
	tests := []struct {
		name   string
		format string
		rep    *Report
		opts   Options
	}{
		{"human.golden", "human", trickyReport(), Options{Source: trickySource}},
		{"human-color.golden", "human", trickyReport(), Options{Source: trickySource, Color: true}},
		{"human-nosource.golden", "human", trickyReport(), Options{}},
		{"human-empty.golden", "human", &Report{FilesChecked: 1}, Options{}},
		{"json.golden", "json", trickyReport(), Options{}},
		{"json-empty.golden", "json", &Report{FilesChecked: 3}, Options{}},
		{"sarif.golden", "sarif", trickyReport(), Options{}},
		{"sarif-empty.golden", "sarif", &Report{}, Options{}},
		{"github.golden", "github", trickyReport(), Options{}},
		{"github-overflow.golden", "github", trickyReport(), Options{MaxAnnotations: 1}},
		{"github-empty.golden", "github", &Report{FilesChecked: 2}, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.format, tt.rep, tt.opts); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.name), buf.Bytes())
		})
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		rep     *Report
		wantErr string
	}{
		{"unknown format", "xml", trickyReport(),
			`unknown format "xml" (valid: human, json, sarif, github)`},
		{"empty format", "", trickyReport(),
			`unknown format "" (valid: human, json, sarif, github)`},
		{"format names are exact", "JSON", trickyReport(),
			`unknown format "JSON" (valid: human, json, sarif, github)`},
		{"zero severity", "json", &Report{Findings: []Finding{{Path: "a.yml", Line: 1, Col: 2, Rule: "r", Message: "m"}}},
			`invalid finding a.yml:1:2 [r]: invalid severity 0 (valid: error, warning, info)`},
		{"everything wrong", "sarif", &Report{Findings: []Finding{{Path: "a.yml", Line: -1, Severity: 9, Rule: "a b"}}},
			`invalid finding a.yml:-1:0 [a b]: invalid severity 9 (valid: error, warning, info); negative position -1:0 (end line 0); rule "a b" has a bracket, space or control character; empty message`},
		{"two bad findings", "human", &Report{Findings: []Finding{
			{Path: "a", Line: 1, Severity: Error, Message: "m"},
			{Path: "b", Line: 1, Severity: Error, Rule: "x]", Message: "m"},
		}}, "invalid finding a:1:0 []: empty rule\ninvalid finding b:1:0 [x]]: rule \"x]\" has a bracket, space or control character"},
		{"negative files", "github", &Report{FilesChecked: -1}, `invalid report: negative files checked -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tt.format, tt.rep, Options{})
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Write() error = %v, want %q", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("Write() wrote %q before failing, want nothing", buf.String())
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteKeepsWriterError(t *testing.T) {
	err := Write(failingWriter{}, "json", trickyReport(), Options{})
	if !errors.Is(err, errDiskFull) || err.Error() != "write json report: disk full" {
		t.Fatalf("Write() error = %v, want wrapped %v", err, errDiskFull)
	}
}

func TestWriteLeavesFindingsAlone(t *testing.T) {
	rep := trickyReport()
	before := slices.Clone(rep.Findings)
	for _, format := range Formats() {
		if err := Write(&bytes.Buffer{}, format, rep, Options{Source: trickySource}); err != nil {
			t.Fatal(err)
		}
		Markdown(rep)
	}
	if diff := cmp.Diff(before, rep.Findings); diff != "" {
		t.Errorf("findings changed (-before +after):\n%s", diff)
	}
}

func TestWriteNilReport(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "human", nil, Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "no findings in 0 files\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFormats(t *testing.T) {
	got := Formats()
	if diff := cmp.Diff([]string{"human", "json", "sarif", "github"}, got); diff != "" {
		t.Errorf("Formats() (-want +got):\n%s", diff)
	}
	got[0] = "changed"
	if Formats()[0] != "human" {
		t.Error("Formats() shares its slice with the caller")
	}
}

func TestSummary(t *testing.T) {
	f := func(s Severity) Finding { return Finding{Severity: s} }
	tests := []struct {
		rep  Report
		want string
	}{
		{Report{FilesChecked: 12}, "no findings in 12 files"},
		{Report{FilesChecked: 1}, "no findings in 1 file"},
		{Report{}, "no findings in 0 files"},
		{Report{FilesChecked: 1, Findings: []Finding{f(Error)}}, "1 finding (1 error) in 1 file"},
		{Report{FilesChecked: 12, Findings: []Finding{f(Error), f(Warning), f(Error)}}, "3 findings (2 errors, 1 warning) in 12 files"},
		{Report{FilesChecked: 2, Findings: []Finding{f(Info), f(Warning), f(Warning), f(Info)}}, "4 findings (2 warnings, 2 info) in 2 files"},
		{Report{FilesChecked: 2, Findings: []Finding{f(Info)}}, "1 finding (1 info) in 2 files"},
	}
	for _, tt := range tests {
		if got := tt.rep.Verdict(); got != tt.want {
			t.Errorf("Verdict() = %q, want %q", got, tt.want)
		}
	}
}

func TestDuplicatesAreCountedOnce(t *testing.T) {
	f := Finding{Path: "a.yml", Line: 1, Col: 1, Rule: "r", Severity: Error, Message: "m"}
	rep := &Report{FilesChecked: 1, Findings: []Finding{f, f}}
	if got, want := writeString(t, "human", rep, Options{}), "a.yml:1:1: m [r]\n1 finding (1 error) in 1 file\n"; got != want {
		t.Errorf("human: got %q, want %q", got, want)
	}
	if got := Markdown(rep); !strings.Contains(got, "❌ 1 finding (1 error) in 1 file\n") || strings.Count(got, "| ❌ error |") != 1 {
		t.Errorf("markdown counts a duplicate twice:\n%s", got)
	}
	if got, want := Markdown(nil), "## molecule-ci\n\n✅ no findings in 0 files\n"; got != want {
		t.Errorf("Markdown(nil) = %q, want %q", got, want)
	}
}
