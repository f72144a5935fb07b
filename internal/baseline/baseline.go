// Package baseline owns lint's baselines: the findings a repository already has, recorded so that
// lint fails only on new ones while a team fixes the old ones at its own pace. It computes each
// finding's fingerprint, reads and writes the baseline file (versioned, sorted, one entry a line,
// written atomically), and partitions a run's findings into new and known, and the baseline's
// entries that no longer match anything into stale, so that a baseline only ever shrinks.
//
// A fingerprint is the rule, the file, and the normalised text of the finding's line and of its
// neighbours — never a line number, so inserting lines above a finding, re-indenting it or
// reordering the jobs of a workflow keeps it known. Like semgrep's and zizmor's baselines (and
// unlike golangci-lint's new-from-rev, which needs the old revision), the file alone decides.
// A baseline is a multiset: two identical findings are two entries, and a third identical one is
// new.
//
// The package reads files only through the Source it is given; it never prints.
package baseline

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Version is the only baseline format this package writes and reads.
const Version = 1

// Entry is one known finding: what matching compares (see Match), and the message, redacted, for
// the person reviewing the baseline's diff.
type Entry struct {
	Rule string `json:"rule"`
	// Path is slash-separated and relative to the baseline file's directory, so the baseline
	// means the same whichever directory lint runs in.
	Path string `json:"path"`
	// Line is the hash of the normalised text of the finding's line; Context the hash of that
	// line with its nearest non-blank neighbours above and below (hashLen hex digits each: the
	// file holds no source text, which may hold a secret).
	Line    string `json:"line"`
	Context string `json:"context"`
	Message string `json:"message"`
}

// Baseline is a parsed or computed baseline: its entries, sorted.
type Baseline struct {
	Entries []Entry
}

// Source returns the text of the file a finding's path names (relative to the working
// directory), or nil when there is none: the finding is then fingerprinted by its message.
type Source func(path string) []byte

// Options say where findings' paths and entries' paths are relative to, and where the files'
// text comes from.
type Options struct {
	// WorkDir is the directory the findings' paths are relative to; Dir the one the entries'
	// paths are (the baseline file's directory). Both empty, or equal: paths are taken as they are.
	WorkDir, Dir string
	Source       Source
}

// hashLen is the number of hex digits of a line or context hash: 64 bits, far beyond the number
// of findings of a repository.
const hashLen = 16

// New returns the baseline of a run's findings: one entry per finding, sorted.
func New(fs []report.Finding, opts Options) *Baseline {
	fp := newPrinter(opts)
	b := &Baseline{Entries: make([]Entry, len(fs))}
	for i, f := range fs {
		b.Entries[i] = fp.entry(f)
	}
	b.sort()
	return b
}

// Match is a run's findings compared with a baseline.
type Match struct {
	// Known[i] says the run's finding i is in the baseline: shown and counted, never failing.
	Known []bool
	// Stale are the baseline's entries that no finding matched any more: fixed, or the file
	// renamed. Writing the baseline of the known findings drops them.
	Stale []Entry
}

// NewCount is the number of findings that are not in the baseline.
func (m Match) NewCount() int {
	n := 0
	for _, k := range m.Known {
		if !k {
			n++
		}
	}
	return n
}

// Match compares a run's findings with the baseline, in three passes over the findings left
// unmatched, each claiming an unclaimed entry with the same rule and path and:
//  1. the same context (its line and neighbours): when several findings share a line's text,
//     the right one is known (of a new job copied from an old one, the copy is new);
//  2. the same line text: a finding whose neighbours changed (jobs reordered, a line inserted
//     right above it) stays known;
//  3. the same message: a finding about the whole file that a rule places on line 1 (no
//     top-level permissions) stays known when lines are inserted at the top.
//
// Each entry is claimed at most once, so counts are kept: a baseline of two identical findings
// knows two, and a third is new.
func (b *Baseline) Match(fs []report.Finding, opts Options) Match {
	fp := newPrinter(opts)
	entries := make([]Entry, len(fs))
	for i, f := range fs {
		entries[i] = fp.entry(f)
	}
	claimed := make([]bool, len(b.Entries))
	m := Match{Known: make([]bool, len(fs))}
	for _, text := range []func(Entry) string{
		func(e Entry) string { return e.Context },
		func(e Entry) string { return e.Line },
		func(e Entry) string { return "\x00" + e.Message }, // cannot equal a hash
	} {
		type key struct{ rule, path, text string }
		idx := map[key][]int{}
		for j, e := range b.Entries {
			if !claimed[j] {
				k := key{e.Rule, e.Path, text(e)}
				idx[k] = append(idx[k], j)
			}
		}
		for i, e := range entries {
			if m.Known[i] {
				continue
			}
			k := key{e.Rule, e.Path, text(e)}
			if list := idx[k]; len(list) > 0 {
				claimed[list[0]], m.Known[i] = true, true
				idx[k] = list[1:]
			}
		}
	}
	for j, e := range b.Entries {
		if !claimed[j] {
			m.Stale = append(m.Stale, e)
		}
	}
	return m
}

// Apply splits rep's findings as m says: rep.Findings keeps the new ones, the only ones a gate
// judges, and rep.Baseline holds the known ones and the stale entries (with paths relative to
// the working directory, like findings; severity Info). file names the baseline, shrink the
// command that drops its stale entries.
func (m Match) Apply(rep *report.Report, opts Options, file, shrink string) {
	b := &report.Baseline{File: file, Shrink: shrink}
	var fresh []report.Finding
	for i, f := range rep.Findings {
		if m.Known[i] {
			b.Known = append(b.Known, f)
		} else {
			fresh = append(fresh, f)
		}
	}
	for _, e := range m.Stale {
		msg := e.Message
		if strings.TrimSpace(msg) == "" {
			msg = "(the baseline records no message)"
		}
		b.Stale = append(b.Stale, report.Finding{Path: opts.findingPath(e.Path), Rule: e.Rule, Severity: report.Info, Message: msg})
	}
	rep.Findings, rep.Baseline = fresh, b
}

func (b *Baseline) sort() {
	slices.SortFunc(b.Entries, compareEntries)
}

func compareEntries(a, b Entry) int {
	return cmp.Or(
		strings.Compare(a.Path, b.Path),
		strings.Compare(a.Rule, b.Rule),
		strings.Compare(a.Line, b.Line),
		strings.Compare(a.Context, b.Context),
		strings.Compare(a.Message, b.Message),
	)
}

// printer fingerprints findings, splitting each file into lines once however many findings
// point into it.
type printer struct {
	opts  Options
	lines map[string][][]byte // normalised lines by finding path; nil entry: no source
	paths map[string]string   // finding path -> entry path
}

func newPrinter(opts Options) *printer {
	return &printer{opts: opts, lines: map[string][][]byte{}, paths: map[string]string{}}
}

func (p *printer) entry(f report.Finding) Entry {
	// JSON strings are UTF-8: an entry holds what its file will, or a file name that is not
	// UTF-8 would never match its own entry once written.
	e := Entry{Rule: validUTF8(f.Rule), Path: validUTF8(p.path(f.Path)), Message: validUTF8(secrets.Redact(f.Message))}
	lines := p.fileLines(f.Path)
	if f.Line < 1 || f.Line > len(lines) || len(lines[f.Line-1]) == 0 {
		// No line to stand on (a whole-file finding, a file that cannot be read, a line that is
		// not there): the message is the finding's text.
		h := hash([]byte("\x00message\x00" + f.Message))
		e.Line, e.Context = h, h
		return e
	}
	at := f.Line - 1
	prev, next := neighbour(lines, at, -1), neighbour(lines, at, +1)
	e.Line = hash(lines[at])
	e.Context = hash(bytes.Join([][]byte{prev, lines[at], next}, []byte{'\n'}))
	return e
}

// neighbour is the nearest non-blank line from at in direction dir, or nil at the file's edge:
// blank lines inserted or removed around a finding do not change its context.
func neighbour(lines [][]byte, at, dir int) []byte {
	for i := at + dir; i >= 0 && i < len(lines); i += dir {
		if len(lines[i]) > 0 {
			return lines[i]
		}
	}
	return nil
}

// fileLines returns the normalised lines of the file, from the Source, once per path.
func (p *printer) fileLines(path string) [][]byte {
	if lines, ok := p.lines[path]; ok {
		return lines
	}
	var lines [][]byte
	if p.opts.Source != nil {
		if src := p.opts.Source(path); src != nil {
			lines = normaliseLines(src)
		}
	}
	p.lines[path] = lines
	return lines
}

// findingPath maps an entry's path (relative to Dir) back to a finding's (relative to WorkDir).
func (o Options) findingPath(path string) string {
	if o.Dir == "" || o.WorkDir == "" || filepath.Clean(o.Dir) == filepath.Clean(o.WorkDir) || path == "" {
		return path
	}
	if r, err := filepath.Rel(o.WorkDir, filepath.Join(o.Dir, filepath.FromSlash(path))); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// path maps a finding's path (relative to WorkDir) to the entry's (relative to Dir).
func (p *printer) path(path string) string {
	if rel, ok := p.paths[path]; ok {
		return rel
	}
	rel := path
	if p.opts.Dir != "" && p.opts.WorkDir != "" && filepath.Clean(p.opts.Dir) != filepath.Clean(p.opts.WorkDir) && path != "" {
		abs := filepath.Join(p.opts.WorkDir, filepath.FromSlash(path))
		if r, err := filepath.Rel(p.opts.Dir, abs); err == nil {
			rel = filepath.ToSlash(r)
		}
	}
	p.paths[path] = rel
	return rel
}

// normaliseLines splits src into lines with every run of white space (indentation, alignment,
// a trailing \r) folded to one space and trimmed: re-indenting a block keeps its fingerprints.
func normaliseLines(src []byte) [][]byte {
	n := bytes.Count(src, []byte{'\n'}) + 1
	lines := make([][]byte, 0, n)
	for line := range bytes.Lines(src) {
		lines = append(lines, normalise(line))
	}
	return lines
}

func normalise(line []byte) []byte {
	fields := bytes.Fields(line)
	switch len(fields) {
	case 0:
		return nil
	case 1:
		return fields[0]
	}
	return bytes.Join(fields, []byte{' '})
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:hashLen/2])
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
