// Package precision keeps the precision of the org lint rules a tested property.
//
// testdata/precision/labels.jsonl is a labelled set of real findings: each line names a source
// file, a line, a rule, whether a senior CI engineer judged the finding true or false, and why.
// Sources are read where they already live, never copied into the repository:
//
//	dataset:<member>            a workflow of actionlint's real-world dataset
//	                            (testdata/realworld/dataset.zip in the actionlint module)
//	corpus:<path>               a file of the organisation's corpus (../shared/corpus)
//	module:<path>@<version>/<f> a file inside a module of the Go module cache
//	testdata:<path>             a fixture of this repository's testdata/ written for it, for cases
//	                            no real file available here shows (the organisation's repositories
//	                            that the corpus lacks); @@kind@@ markers in it become generated
//	                            tokens (internal/secrets/secretstest) before it is linted, so the
//	                            repository stores none
//
// The set also holds known misses (labelled true where a rule says nothing today) and known
// false classes (labelled false where a rule must stay quiet), so that a fix cannot trade recall
// for precision unnoticed.
//
// TestLabelledSet runs the real linter (lint.Run, shellcheck and pyflakes off, the org's
// defaults plus merge-queue-branches [main]) over every referenced file and fails when a finding
// labelled false comes back or one labelled true disappears, printing rule, file:line, label and
// reason. testdata/precision/pending.txt lists the entries known to fail until a rule fix lands
// (one `<rule> <source>:<line>` a line); they are reported but do not fail the test, and an entry
// there that passes again fails it, so the list only shrinks. The list must be empty once the
// rule fixes are merged: `go test ./internal/lint/precision -strict` ignores it, and
// `-update` rewrites it from the current disagreements (for a maintainer, after review — never to
// make a label agree with a rule). bench/precision prints precision and recall per rule.
//
// This package holds the parsing, running and comparing; it never prints and reads no
// environment: the test and bench/precision resolve where the sources live.
package precision

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Label is one judged finding (or expectation) of the labelled set.
type Label struct {
	Source string `json:"source"` // dataset:<member>, corpus:<path>, module:<path>@<version>/<file> or testdata:<path>
	Line   int    `json:"line"`
	Col    int    `json:"col"` // tells apart several findings of one rule on one line; 0 = any
	Rule   string `json:"rule"`
	Label  bool   `json:"label"` // true: the rule must report it; false: it must not
	Reason string `json:"reason"`
}

// OutOfSamplePrefix starts the reason of a label of the out-of-sample draw: findings picked and
// judged after the rules were tuned, from files none of their tuning looked at (the workflows of
// the module cache), so their precision says how the rules do on code they were not fitted to.
const OutOfSamplePrefix = "out-of-sample draw"

// OutOfSample reports whether the label belongs to the out-of-sample draw.
func (l Label) OutOfSample() bool { return strings.HasPrefix(l.Reason, OutOfSamplePrefix) }

// Key identifies the place a label talks about.
type Key struct {
	Source string
	Line   int
	Rule   string
}

// Key returns where the label is.
func (l Label) Key() Key { return Key{l.Source, l.Line, l.Rule} }

// String is the label's place as the diff and pending.txt write it.
func (k Key) String() string { return fmt.Sprintf("%s %s:%d", k.Rule, k.Source, k.Line) }

// maxLineLen bounds one line of the label or pending file.
const maxLineLen = 64 << 10

// ParseLabels reads a JSONL labelled set. Every problem is an error naming name:line and what
// was expected; two labels for the same place and column are an error, because one of them is
// then never checked.
func ParseLabels(name string, data []byte) ([]Label, error) {
	var out []Label
	seen := map[Key]map[int]bool{}
	err := eachLine(name, data, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var raw struct {
			Label
			Label2 *bool `json:"label"`
		}
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("%s:%d: want one JSON object with source, line, col, rule, label, reason: %v", name, n, err)
		}
		if dec.More() {
			return fmt.Errorf("%s:%d: want one JSON object per line, found more", name, n)
		}
		l := raw.Label
		switch {
		case raw.Label2 == nil:
			return fmt.Errorf("%s:%d: label must be true or false", name, n)
		case !validSource(l.Source):
			return fmt.Errorf("%s:%d: source %q: want dataset:<member>, corpus:<relative path>, module:<path>@<version>/<file> or testdata:<relative path>", name, n, l.Source)
		case l.Line < 1:
			return fmt.Errorf("%s:%d: line must be 1 or more, got %d", name, n, l.Line)
		case l.Col < 0:
			return fmt.Errorf("%s:%d: col must be 0 or more, got %d", name, n, l.Col)
		case l.Rule == "" || strings.ContainsAny(l.Rule, " \t"):
			return fmt.Errorf("%s:%d: rule must be a rule id, got %q", name, n, l.Rule)
		case strings.TrimSpace(l.Reason) == "":
			return fmt.Errorf("%s:%d: reason is required (one line saying why the finding is %v)", name, n, *raw.Label2)
		}
		l.Label = *raw.Label2
		cols := seen[l.Key()]
		if cols == nil {
			cols = map[int]bool{}
			seen[l.Key()] = cols
		}
		if cols[l.Col] {
			return fmt.Errorf("%s:%d: %s:%d col %d is labelled twice", name, n, l.Source, l.Line, l.Col)
		}
		cols[l.Col] = true
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func validSource(s string) bool {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" || strings.ContainsAny(rest, "\x00\n") {
		return false
	}
	switch kind {
	case "dataset":
		return !strings.ContainsAny(rest, "/\\")
	case "corpus", "testdata":
		return cleanRel(rest)
	case "module":
		mod, file, ok := splitModule(rest)
		return ok && mod != "" && cleanRel(file)
	}
	return false
}

// cleanRel reports whether p is a relative slash path that stays inside its root.
func cleanRel(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return false
	}
	for _, e := range strings.Split(p, "/") {
		if e == "" || e == "." || e == ".." {
			return false
		}
	}
	return true
}

// splitModule splits "github.com/x/y@v1.2.3/dir/file" into "github.com/x/y@v1.2.3" and
// "dir/file".
func splitModule(s string) (mod, file string, ok bool) {
	at := strings.IndexByte(s, '@')
	if at <= 0 {
		return "", "", false
	}
	slash := strings.IndexByte(s[at:], '/')
	if slash < 0 {
		return "", "", false
	}
	return s[:at+slash], s[at+slash+1:], true
}

// ParsePending reads pending.txt: `<rule> <source>:<line>` a line, `#` starts a comment.
func ParsePending(name string, data []byte) ([]Key, error) {
	var out []Key
	seen := map[Key]bool{}
	err := eachLine(name, data, func(n int, line string) error {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			return nil
		}
		if len(f) != 2 {
			return fmt.Errorf("%s:%d: want `<rule> <source>:<line>`, got %d fields", name, n, len(f))
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			return fmt.Errorf("%s:%d: want `<source>:<line>`, got %q", name, n, f[1])
		}
		ln, err := strconv.Atoi(f[1][i+1:])
		if err != nil || ln < 1 {
			return fmt.Errorf("%s:%d: line in %q must be a positive number", name, n, f[1])
		}
		k := Key{Source: f[1][:i], Line: ln, Rule: f[0]}
		if !validSource(k.Source) {
			return fmt.Errorf("%s:%d: source %q: want dataset:<member>, corpus:<relative path>, module:<path>@<version>/<file> or testdata:<relative path>", name, n, k.Source)
		}
		if seen[k] {
			return fmt.Errorf("%s:%d: %s is listed twice", name, n, k)
		}
		seen[k] = true
		out = append(out, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func eachLine(name string, data []byte, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLineLen)
	n := 1
	for ; sc.Scan(); n++ {
		if err := fn(n, sc.Text()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w (a line may be at most %d bytes)", name, n, err, maxLineLen)
	}
	return nil
}
