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
// fleet migrate writes a repository's baseline in-process, as `lint --write-baseline` does: lint
// the checkout, then New(rep.Findings, Options{WorkDir: dir, Dir: dir, Source:
// ReportSource(rep, dir, 0)}).Marshal() is the file's content (see ExampleNew).
//
// The package reads files only through a Source; it never prints.
package baseline

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
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

// ReportSource is the Source of a lint report's findings: the text lint checked
// (rep.Sources), else the file under workDir read again, regular files only and at most maxSize
// bytes (0: fsutil's default). A file that cannot be read has no text.
func ReportSource(rep *report.Report, workDir string, maxSize int64) Source {
	return func(path string) []byte {
		if b, ok := rep.Sources[path]; ok {
			return b
		}
		b, err := fsutil.ReadRegular(filepath.Join(workDir, filepath.FromSlash(path)), maxSize)
		if err != nil {
			return nil
		}
		return b
	}
}

// Options say where findings' paths and entries' paths are relative to, and where the files'
// text comes from.
type Options struct {
	// WorkDir is the directory the findings' paths are relative to; Dir the one the entries'
	// paths are (the baseline file's directory). Both empty, or equal: paths are taken as they are.
	WorkDir, Dir string
	Source       Source
	// Scope is what the run checked (report.Report.Scope); nil: everything. Match lists an
	// unmatched entry outside it as Outside, not Stale: the run could not have found it.
	Scope *report.Scope
}

// hashLen is the number of hex digits of a line or context hash: 64 bits, far beyond the number
// of findings of a repository.
const hashLen = 16

// New returns the baseline of a run's findings: one entry per finding, sorted.
func New(fs []report.Finding, opts Options) *Baseline {
	fp := newPrinter(opts)
	b := &Baseline{Entries: make([]Entry, len(fs))}
	for i, f := range fs {
		b.Entries[i] = fp.print(f).entry(message(f))
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
	// Outside are the unmatched entries of rules or files the run did not check (Options.Scope):
	// neither known nor stale, and kept when the baseline is written again (Shrunk).
	Outside []Entry
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
	prints := make([]print, len(fs))
	for i, f := range fs {
		prints[i] = fp.print(f)
	}
	have := make([]print, len(b.Entries))
	for j, e := range b.Entries {
		have[j] = e.print()
	}
	claimed := make([]bool, len(b.Entries))
	m := Match{Known: make([]bool, len(fs))}
	unknown := len(fs)
	// The unclaimed entries by key, each key's entries chained in file order through next
	// (1-based, 0 ends the chain): one map entry per distinct key, no slice per key. A key is
	// the rule, the path and the pass's text hashed into 64 bits, which a map hashes at once;
	// same checks what the key stands for, so two keys that collide match nothing.
	next := make([]int, len(b.Entries))
	for pass, keyOf := range []func(print) uint64{
		func(p print) uint64 { return mix(p.where, p.context) },
		func(p print) uint64 { return mix(p.where, p.line) },
		func(p print) uint64 { return mix(p.where, hash([]byte(p.message))) },
	} {
		same := func(a, b print) bool {
			if a.rule != b.rule || a.path != b.path {
				return false
			}
			switch pass {
			case 0:
				return a.context == b.context
			case 1:
				return a.line == b.line
			}
			return a.message == b.message
		}
		if unknown == 0 {
			break // the usual case: every finding found its context
		}
		if pass == 2 {
			// Redacting messages costs more than hashing lines: only for the findings left.
			for i, f := range fs {
				if !m.Known[i] {
					prints[i].message = message(f)
				}
			}
			for j, e := range b.Entries {
				have[j].message = e.Message
			}
		}
		head := make(map[uint64]int, len(b.Entries))
		for j := len(have) - 1; j >= 0; j-- {
			if !claimed[j] {
				k := keyOf(have[j])
				next[j] = head[k]
				head[k] = j + 1
			}
		}
		for i, p := range prints {
			if m.Known[i] {
				continue
			}
			k := keyOf(p)
			if j := head[k]; j > 0 && same(have[j-1], p) {
				claimed[j-1], m.Known[i] = true, true
				head[k] = next[j-1]
				unknown--
			}
		}
	}
	for j, e := range b.Entries {
		switch {
		case claimed[j]:
		case opts.Scope.Covers(e.Rule, opts.absPath(e.Path)):
			m.Stale = append(m.Stale, e)
		default:
			m.Outside = append(m.Outside, e)
		}
	}
	return m
}

// Shrunk is the baseline written again after a run matched m (from: the options it was read
// with): the known findings, fingerprinted for the file to (to.Dir), and the entries outside the
// run's scope as they were, so a run that checked part of a repository (lint --contract-only)
// drops only the stale entries it could judge, never the others.
func (m Match) Shrunk(known []report.Finding, from, to Options) *Baseline {
	b := New(known, to)
	if len(m.Outside) == 0 {
		return b
	}
	p := newPrinter(to)
	for _, e := range m.Outside {
		e.Path = p.path(from.findingPath(e.Path))
		b.Entries = append(b.Entries, e)
	}
	b.sort()
	return b
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
	// A baseline as written is sorted already: checking costs a tenth of sorting.
	if !slices.IsSortedFunc(b.Entries, compareEntries) {
		slices.SortFunc(b.Entries, compareEntries)
	}
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

// print is a fingerprint: what matching compares. where is the hash of the rule and the path;
// message is filled in only when needed.
type print struct {
	rule, path    string
	where         uint64
	line, context uint64
	message       string
}

// mix combines two hashes into one key (splitmix64's finaliser over their sum).
func mix(a, b uint64) uint64 {
	x := a ^ (b + 0x9e3779b97f4a7c15 + a<<6 + a>>2)
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func where(rule, path string) uint64 {
	return hash([]byte(rule), []byte{0}, []byte(path))
}

// entry is the fingerprint as a baseline entry.
func (p print) entry(message string) Entry {
	return Entry{Rule: p.rule, Path: p.path, Line: hexHash(p.line), Context: hexHash(p.context), Message: message}
}

// print is the entry's fingerprint (its hashes were checked when it was read or made).
func (e Entry) print() print {
	return print{rule: e.Rule, path: e.Path, where: where(e.Rule, e.Path), line: parseHash(e.Line), context: parseHash(e.Context)}
}

// parseHash reads a hash that isHash accepted (strconv.ParseUint costs several times more, and
// a baseline has two hashes an entry).
func parseHash(s string) uint64 {
	var h uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= '9' {
			c -= '0'
		} else {
			c -= 'a' - 10
		}
		h = h<<4 | uint64(c)
	}
	return h
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

// message is a finding's message as its entry holds it: redacted (the baseline is committed).
func message(f report.Finding) string {
	return validUTF8(secrets.Redact(f.Message))
}

// print is a finding's fingerprint.
func (p *printer) print(f report.Finding) print {
	// JSON strings are UTF-8: an entry holds what its file will, or a file name that is not
	// UTF-8 would never match its own entry once written.
	fp := print{rule: validUTF8(f.Rule), path: p.path(f.Path)}
	fp.where = where(fp.rule, fp.path)
	lines := p.fileLines(f.Path)
	if f.Line < 1 || f.Line > len(lines) || len(lines[f.Line-1]) == 0 {
		// No line to stand on (a whole-file finding, a file that cannot be read, a line that is
		// not there): the message is the finding's text.
		h := hash([]byte("\x00message\x00"), []byte(f.Message))
		fp.line, fp.context = h, h
		return fp
	}
	at := f.Line - 1
	nl := []byte{'\n'}
	fp.line = hash(lines[at])
	fp.context = hash(neighbour(lines, at, -1), nl, lines[at], nl, neighbour(lines, at, +1))
	return fp
}

// hash is the 64-bit FNV-1a hash of the parts: a fingerprint, not a security boundary (a line
// of the same text matches anyway, so a collision lets nothing in that the text would not), and
// several times cheaper than SHA-256 on short lines, which matters at 10,000 findings a run.
func hash(parts ...[]byte) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, b := range parts {
		for _, c := range b {
			h ^= uint64(c)
			h *= prime
		}
	}
	return h
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

// absPath is an entry's file as an absolute path ("" for an entry of no file), for Scope.
func (o Options) absPath(path string) string {
	if path == "" {
		return ""
	}
	dir := o.Dir
	if dir == "" {
		dir = o.WorkDir
	}
	abs, err := filepath.Abs(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		return path
	}
	return abs
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
	rel = validUTF8(rel)
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
	t := bytes.TrimSpace(line)
	// The common case, an indented line with single spaces inside: the trimmed line itself.
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c >= utf8.RuneSelf || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n' || (c == ' ' && t[i+1] == ' ') {
			return fold(t)
		}
	}
	if len(t) == 0 {
		return nil
	}
	return t
}

// fold is normalise for a line with runs of white space or other than ASCII in it.
func fold(t []byte) []byte {
	fields := bytes.Fields(t)
	switch len(fields) {
	case 0:
		return nil
	case 1:
		return fields[0]
	}
	return bytes.Join(fields, []byte{' '})
}

func hexHash(h uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	return hex.EncodeToString(b[:])
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
