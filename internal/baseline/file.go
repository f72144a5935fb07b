package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
)

// MaxBytes bounds a baseline read: 10,000 entries take about 2 MB, so a file of this size is a
// mistake or an attack, not a repository's findings.
const MaxBytes = 64 << 20

// MaxEntries bounds the entries of a baseline read, for the same reason.
const MaxEntries = 1 << 20

// ParseError is a baseline that cannot be read: its file, the line of the problem (0: the file
// as a whole) and what was expected.
type ParseError struct {
	Path string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	s := e.Path
	if s == "" {
		s = "<baseline>"
	}
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	return s + ": " + e.Msg
}

// Marshal is the baseline file: a JSON object with its version and its findings, one entry a
// line in sorted order, so that a change to the baseline reads as a diff of whole entries.
func (b *Baseline) Marshal() []byte {
	var buf bytes.Buffer
	buf.WriteString("{\n  \"version\": " + strconv.Itoa(Version) + ",\n  \"findings\": [")
	entries := b.Entries
	if !slices.IsSortedFunc(entries, compareEntries) {
		c := &Baseline{Entries: append([]Entry(nil), entries...)}
		c.sort()
		entries = c.Entries
	}
	for i, e := range entries {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(e)           // strings only: cannot fail
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	if len(entries) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("]\n}\n")
	return buf.Bytes()
}

// Read reads and parses the baseline file at path (bounded by MaxBytes); name is how errors
// call it (the path as the user gave it).
func Read(name, path string) (*Baseline, error) {
	data, err := fsutil.ReadRegular(path, MaxBytes)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

// Write writes the baseline to path atomically (a temporary file in the same directory, then a
// rename): an interrupted write leaves the old baseline, never half a new one.
func Write(path string, b *Baseline) error {
	return fsutil.WriteFile(path, b.Marshal(), 0o644)
}

// Parse reads a baseline file. Anything but the format Marshal writes — another version, an
// unknown, missing or repeated key, a malformed entry, data after the object — is a *ParseError
// naming the line, never a baseline silently half-read (which would turn known findings into new
// ones, or worse, the other way round). It reads with encoding/json's v2 (go-json-experiment),
// whose streaming decoder gives the offset of each entry and refuses repeated keys, fast enough
// that a baseline of 10,000 findings costs lint a few percent.
func Parse(name string, data []byte) (*Baseline, error) {
	if b, ok := parseCanonical(data); ok {
		b.sort()
		return b, nil
	}
	return parseJSON(name, data)
}

// parseJSON is Parse with the JSON decoder, for any layout, and for the errors.
func parseJSON(name string, data []byte) (*Baseline, error) {
	p := &parser{name: name, data: data, dec: jsontext.NewDecoder(bytes.NewReader(data))}
	return p.parse()
}

type parser struct {
	name string
	data []byte
	dec  *jsontext.Decoder
}

// next is the offset of the next token: the decoder's offset is past the previous one, before
// the separators and white space between them, which may end its line.
func (p *parser) next() int64 {
	off := p.dec.InputOffset()
	rest := p.data[off:]
	return off + int64(len(rest)-len(bytes.TrimLeft(rest, ",: \t\r\n")))
}

func (p *parser) errAt(off int64, format string, args ...any) *ParseError {
	return &ParseError{Path: p.name, Line: lineAt(p.data, off), Msg: fmt.Sprintf(format, args...)}
}

// jsonErr turns a decoder error into a ParseError at its line.
func (p *parser) jsonErr(err error) *ParseError {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errAt(int64(len(p.data)), "unexpected end of the baseline (want a JSON object {\"version\": %d, \"findings\": [...]})", Version)
	}
	off, msg := p.dec.InputOffset(), err.Error()
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		off = se.ByteOffset
		if errors.Is(err, jsontext.ErrDuplicateName) {
			return p.errAt(off, "%q given twice", truncate(se.JSONPointer.LastToken(), 40))
		}
		if se.Err != nil {
			msg = se.Err.Error()
		}
	}
	return p.errAt(off, "malformed baseline: %s", msg)
}

func (p *parser) parse() (*Baseline, error) {
	if err := p.delim('{', "a JSON object {\"version\": %d, \"findings\": [...]}", Version); err != nil {
		return nil, err
	}
	b := &Baseline{}
	seen := map[string]bool{}
	for p.dec.PeekKind() != '}' {
		off := p.next()
		tok, err := p.dec.ReadToken()
		if err != nil {
			return nil, p.jsonErr(err) // a repeated key is refused here
		}
		key := tok.String()
		seen[key] = true
		switch key {
		case "version":
			v, err := p.dec.ReadValue()
			if err != nil {
				return nil, p.jsonErr(err)
			}
			if string(v) != strconv.Itoa(Version) {
				return nil, p.errAt(off, "unsupported baseline version %s (this molecule-ci reads version %d; write the baseline again with --write-baseline)", truncate(string(v), 40), Version)
			}
		case "findings":
			if err := p.entries(b); err != nil {
				return nil, err
			}
		default:
			return nil, p.errAt(off, "unknown key %q (valid: version, findings)", truncate(key, 40))
		}
	}
	if _, err := p.dec.ReadToken(); err != nil { // the closing brace
		return nil, p.jsonErr(err)
	}
	if !seen["version"] {
		return nil, p.errAt(0, "no \"version\" (want %d)", Version)
	}
	if !seen["findings"] {
		return nil, p.errAt(0, "no \"findings\" list")
	}
	// One JSON object and nothing after it: a baseline with a second object or a conflict marker
	// appended (a botched merge) is not silently half-read.
	off := p.dec.InputOffset()
	if rest := p.data[off:]; len(bytes.TrimSpace(rest)) > 0 {
		skip := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
		return nil, p.errAt(off+int64(skip), "unexpected data after the baseline object (want exactly one JSON object)")
	}
	b.sort()
	return b, nil
}

// delim reads the next token, which must be the delimiter d.
func (p *parser) delim(d jsontext.Kind, want string, args ...any) error {
	off := p.next()
	if k := p.dec.PeekKind(); k != d {
		if k == 0 {
			_, err := p.dec.ReadToken()
			return p.jsonErr(err)
		}
		return p.errAt(off, "want "+want, args...)
	}
	_, err := p.dec.ReadToken()
	if err != nil {
		return p.jsonErr(err)
	}
	return nil
}

// entries reads the findings list. The whole list is decoded in one call, the fast path of a
// baseline that is as Marshal wrote it; when anything in it is wrong, the list is read again
// entry by entry (entriesAt) to say which entry, on which line.
func (p *parser) entries(b *Baseline) error {
	off := p.next()
	if p.dec.PeekKind() != '[' {
		return p.delim('[', `"findings": [...], a list`)
	}
	var raws []rawEntry
	if err := jsonv2.UnmarshalDecode(p.dec, &raws, jsonv2.RejectUnknownMembers(true)); err == nil && len(raws) <= MaxEntries {
		b.Entries = make([]Entry, 0, len(raws))
		for _, r := range raws {
			e, err := r.entry()
			if err != nil {
				break
			}
			b.Entries = append(b.Entries, e)
		}
		if len(b.Entries) == len(raws) {
			return nil
		}
	}
	// The list alone, as a JSON value of its own, with offsets in the file.
	again := &parser{name: p.name, data: p.data[off:], dec: jsontext.NewDecoder(bytes.NewReader(p.data[off:]))}
	b.Entries = nil
	err := again.entriesAt(b)
	if err == nil {
		// Unreachable unless the two readings disagree; refuse rather than guess.
		return p.errAt(off, "malformed findings list")
	}
	var pe *ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		pe.Line += lineAt(p.data, off) - 1
	}
	return err
}

// entriesAt reads the findings list entry by entry, for the line of the first bad one.
func (p *parser) entriesAt(b *Baseline) error {
	if err := p.delim('[', `"findings": [...], a list`); err != nil {
		return err
	}
	for p.dec.PeekKind() != ']' {
		if len(b.Entries) >= MaxEntries {
			return p.errAt(p.next(), "more than %d findings in a baseline", MaxEntries)
		}
		off := p.next()
		raw, err := p.dec.ReadValue()
		if err != nil {
			return p.jsonErr(err)
		}
		e, err := decodeEntry(raw)
		if err != nil {
			return p.errAt(off, "finding %d: %s", len(b.Entries)+1, err)
		}
		b.Entries = append(b.Entries, e)
	}
	if _, err := p.dec.ReadToken(); err != nil { // the closing bracket
		return p.jsonErr(err)
	}
	return nil
}

// rawEntry is an entry as read: a missing key is nil.
type rawEntry struct {
	Rule    *string `json:"rule"`
	Path    *string `json:"path"`
	Line    *string `json:"line"`
	Context *string `json:"context"`
	Message *string `json:"message"`
}

// decodeEntry decodes and checks one entry: every key known and present, the hashes of the
// right shape. A baseline is edited by hand (an entry deleted in review), so an entry someone
// mangled is an error, not a finding that silently never matches.
func decodeEntry(raw jsontext.Value) (Entry, error) {
	if raw.Kind() != '{' {
		return Entry{}, errors.New("want an object {\"rule\", \"path\", \"line\", \"context\", \"message\"}")
	}
	var r rawEntry
	if err := jsonv2.Unmarshal(raw, &r, jsonv2.RejectUnknownMembers(true)); err != nil {
		var dup *jsontext.SyntacticError
		if errors.As(err, &dup) && errors.Is(err, jsontext.ErrDuplicateName) {
			return Entry{}, fmt.Errorf("%q given twice", truncate(dup.JSONPointer.LastToken(), 40))
		}
		var se *jsonv2.SemanticError
		if errors.As(err, &se) {
			name := truncate(se.JSONPointer.LastToken(), 40)
			if errors.Is(se.Err, jsonv2.ErrUnknownName) {
				return Entry{}, fmt.Errorf("unknown key %q (valid: rule, path, line, context, message)", name)
			}
			return Entry{}, fmt.Errorf("%q must be a string", name)
		}
		return Entry{}, err
	}
	return r.entry()
}

// entry checks a decoded entry: every key present, then checkEntry.
func (r rawEntry) entry() (Entry, error) {
	for _, k := range []struct {
		name string
		v    *string
	}{{"rule", r.Rule}, {"path", r.Path}, {"line", r.Line}, {"context", r.Context}, {"message", r.Message}} {
		if k.v == nil {
			return Entry{}, fmt.Errorf("no %q", k.name)
		}
	}
	e := Entry{Rule: *r.Rule, Path: *r.Path, Line: *r.Line, Context: *r.Context, Message: *r.Message}
	return e, checkEntry(e)
}

// checkEntry checks an entry's rule and hashes.
func checkEntry(e Entry) error {
	if e.Rule == "" {
		return errors.New(`"rule" is empty`)
	}
	// As report.Finding.Validate: a rule is shown as "[rule]" and matched by the problem matcher.
	if !plainRule(e.Rule) && strings.ContainsFunc(e.Rule, func(r rune) bool {
		return r == '[' || r == ']' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		return fmt.Errorf(`"rule" is %q, which has a bracket, space or control character`, truncate(e.Rule, 40))
	}
	for _, h := range []struct{ name, v string }{{"line", e.Line}, {"context", e.Context}} {
		if !isHash(h.v) {
			return fmt.Errorf("%q is %q, want %d lowercase hex digits", h.name, truncate(h.v, 40), hashLen)
		}
	}
	return nil
}

// plainRule is the common case of checkEntry's rule check: printable ASCII without brackets.
func plainRule(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '[' || c == ']' {
			return false
		}
	}
	return true
}

func isHash(s string) bool {
	if len(s) != hashLen {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// lineAt is the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}
