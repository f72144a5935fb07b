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
// unknown or repeated key, a malformed entry, data after the object — is a *ParseError naming
// the line, never a baseline silently half-read (which would turn known findings into new ones,
// or worse, the other way round).
func Parse(name string, data []byte) (*Baseline, error) {
	p := &parser{name: name, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	b, err := p.parse()
	if err != nil {
		return nil, err
	}
	return b, nil
}

type parser struct {
	name string
	data []byte
	dec  *json.Decoder
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
	off := p.dec.InputOffset()
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errAt(int64(len(p.data)), "unexpected end of the baseline (want a JSON object {\"version\": %d, \"findings\": [...]})", Version)
	}
	return p.errAt(off, "malformed baseline: %v", err)
}

func (p *parser) parse() (*Baseline, error) {
	if err := p.delim('{', "a JSON object {\"version\": %d, \"findings\": [...]}", Version); err != nil {
		return nil, err
	}
	b := &Baseline{}
	seen := map[string]bool{}
	for p.dec.More() {
		off := p.next()
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.jsonErr(err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, p.errAt(off, "%q given twice", key)
		}
		seen[key] = true
		switch key {
		case "version":
			var v json.RawMessage
			if err := p.dec.Decode(&v); err != nil {
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
			return nil, p.errAt(off, "unknown key %q (valid: version, findings)", key)
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing brace
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
func (p *parser) delim(d json.Delim, want string, args ...any) error {
	off := p.next()
	tok, err := p.dec.Token()
	if err != nil {
		return p.jsonErr(err)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return p.errAt(off, "want "+want, args...)
	}
	return nil
}

func (p *parser) entries(b *Baseline) error {
	if err := p.delim('[', `"findings": [...], a list`); err != nil {
		return err
	}
	for p.dec.More() {
		if len(b.Entries) >= MaxEntries {
			return p.errAt(p.dec.InputOffset(), "more than %d findings in a baseline", MaxEntries)
		}
		off := p.next()
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return p.jsonErr(err)
		}
		e, err := decodeEntry(raw)
		if err != nil {
			return p.errAt(off, "finding %d: %s", len(b.Entries)+1, err)
		}
		b.Entries = append(b.Entries, e)
	}
	_, err := p.dec.Token() // the closing bracket
	if err != nil {
		return p.jsonErr(err)
	}
	return nil
}

// decodeEntry decodes and checks one entry: every key known and present, the hashes of the
// right shape. A baseline is edited by hand (an entry deleted in review), so an entry someone
// mangled is an error, not a finding that silently never matches.
func decodeEntry(raw json.RawMessage) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return e, fmt.Errorf("%q must be a string", te.Field)
		}
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			return e, errors.New(unknownField(err))
		}
		return e, errors.New("want an object {\"rule\", \"path\", \"line\", \"context\", \"message\"}")
	}
	var missing map[string]json.RawMessage
	_ = json.Unmarshal(raw, &missing)
	for _, k := range []string{"rule", "path", "line", "context", "message"} {
		if _, ok := missing[k]; !ok {
			return e, fmt.Errorf("no %q", k)
		}
	}
	if e.Rule == "" {
		return e, errors.New(`"rule" is empty`)
	}
	// As report.Finding.Validate: a rule is shown as "[rule]" and matched by the problem matcher.
	if strings.ContainsFunc(e.Rule, func(r rune) bool {
		return r == '[' || r == ']' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		return e, fmt.Errorf(`"rule" is %q, which has a bracket, space or control character`, truncate(e.Rule, 40))
	}
	for _, h := range []struct{ name, v string }{{"line", e.Line}, {"context", e.Context}} {
		if !isHash(h.v) {
			return e, fmt.Errorf("%q is %q, want %d lowercase hex digits", h.name, truncate(h.v, 40), hashLen)
		}
	}
	return e, nil
}

// unknownField words encoding/json's "json: unknown field "x"" for the reader of a baseline.
func unknownField(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown key " + rest + " (valid: rule, path, line, context, message)"
	}
	return msg
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
