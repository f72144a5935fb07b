// Package logsafe owns the process boundary: every byte molecule-ci writes to stdout and stderr
// passes through a Writer, which makes it safe to land in a terminal or a GitHub Actions log
// whatever text it quotes from the files a pull request controls.
//
// The contract for commands is simple: print to the Streams you were given, as plain text. The
// Writer then, line by line,
//
//   - redacts credentials (secrets.Redact), so a token quoted in a finding, a path, a table or an
//     error message reaches no log;
//   - shows control characters as escapes: \r as \x0d, ESC as \x1b, other C0 and C1 controls,
//     DEL, invalid UTF-8 bytes, U+2028/U+2029 and the bidirectional overrides, so a value cannot
//     split a line, move the cursor or reorder what a reader sees. \n ends a line and \t is kept.
//     When the output is coloured, colour sequences (SGR: ESC [ digits m) are let through, and on
//     an interactive terminal also the cursor sequences of a progress display; never other
//     escapes (OSC titles, clipboard...);
//   - neutralises workflow commands it was not asked to write: a line whose first non-blank
//     characters are "::" starts with \x3a instead, and "##[" (the runner's legacy command
//     prefix, recognised anywhere in a line) becomes ##\x5b.
//
// The privileged path is for the workflow commands the tool means to write, which are all made by
// ghaction.FormatCommand: it issues each line here (Issue), and a Writer lets an issued line
// through once, whether it arrives through WriteCommand (ghaction's methods, the github report
// format writing straight to the stream) or as plain text that a command buffered first (a
// report rendered into a bytes.Buffer). Text that was not issued, however it is spelled, is
// neutralised. The privileged path skips only the "::" neutralisation: lines are still
// redacted (except ::add-mask::, whose value is the secret) and escaped. Lines are buffered up to MaxLine bytes; a longer line (minified
// JSON, binary garbage) is written in chunks cut at a separator where possible, with the
// neutralisation carried across chunks, so memory stays bounded whatever is written.
package logsafe

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// maxIssued bounds the issued-command ledger. A run emits a few dozen commands; past the bound,
// new lines are not recorded and so are neutralised (fail closed) unless written by WriteCommand.
const maxIssued = 1 << 16

var ledger = struct {
	sync.Mutex
	lines map[string]int
	n     int
}{lines: map[string]int{}}

// Issue records line (one workflow command, "\n" optional) as meant by the tool, so that a Writer
// lets it through once even when it arrives as plain text.
func Issue(line string) {
	line = strings.TrimSuffix(line, "\n")
	if !strings.HasPrefix(line, "::") || strings.ContainsAny(line, "\r\n") {
		return
	}
	ledger.Lock()
	defer ledger.Unlock()
	if ledger.n >= maxIssued {
		return
	}
	ledger.lines[line]++
	ledger.n++
}

// consume takes line out of the ledger, reporting whether it was issued.
func consume(line string) bool {
	ledger.Lock()
	defer ledger.Unlock()
	c := ledger.lines[line]
	if c == 0 {
		return false
	}
	if c == 1 {
		delete(ledger.lines, line)
	} else {
		ledger.lines[line] = c - 1
	}
	ledger.n--
	return true
}

// MaxLine is how many bytes of one line are held before a chunk of it is written.
const MaxLine = 64 << 10

// cutWindow is how far back from MaxLine a chunk boundary looks for a separator, so a token is
// not cut in two (which would hide it from Redact).
const cutWindow = 4 << 10

// Options tunes a Writer.
type Options struct {
	// Colour lets colour sequences (SGR) through, for output the user asked to colour
	// (--color=always). Otherwise every ESC is shown as \x1b.
	Colour bool
	// Terminal lets cursor-movement and erase sequences through as well as colours, for an
	// interactive display (BuildKit's tty progress). Never set it for a log or in GitHub Actions.
	Terminal bool
}

// Writer is the safe writer over one stream. Its methods are safe for concurrent use; each
// Write is applied as a whole, so concurrent writers interleave by line only if each writes
// whole lines.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	opts    Options
	buf     []byte // the current line's bytes not yet written
	midLine bool   // part of the current line has been written (a long line in chunks)
	hashes  int    // '#' at the end of what was written of the current line (0-2)
	discard bool
	err     error
}

// NewWriter returns a Writer over w. A *Writer is returned as it is, so wrapping twice is harmless.
func NewWriter(w io.Writer, opts Options) *Writer {
	if sw, ok := w.(*Writer); ok {
		return sw
	}
	return &Writer{w: w, opts: opts}
}

// Write buffers p and writes every complete line, encoded. It always accepts all of p unless the
// underlying writer failed, whose error it then returns (and keeps returning).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.discard {
		return len(p), nil
	}
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	if w.buf == nil {
		w.buf = make([]byte, 0, MaxLine)
	}
	for len(p) > 0 {
		if len(w.buf) == 0 && !w.midLine {
			// Whole lines straight from p, up to MaxLine bytes at a time: one redaction and
			// one encoding pass per block rather than per line.
			if j := bytes.LastIndexByte(p[:min(len(p), MaxLine)], '\n'); j >= 0 {
				w.emitBlock(p[:j+1])
				p = p[j+1:]
				continue
			}
		}
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		for len(seg) > 0 {
			room := MaxLine - len(w.buf)
			if len(seg) <= room {
				w.buf = append(w.buf, seg...)
				break
			}
			w.buf = append(w.buf, seg[:room]...)
			seg = seg[room:]
			w.flushChunk()
		}
		if i < 0 {
			break
		}
		w.emit(w.buf, true)
		w.buf = w.buf[:0]
		w.midLine, w.hashes = false, 0
		p = p[i+1:]
	}
	if w.opts.Terminal && len(w.buf) > 0 {
		// An interactive display redraws lines in place without ending them; holding them back
		// would freeze it. (Never in a log: Terminal is off in GitHub Actions.)
		w.emit(w.buf, false)
		w.buf = w.buf[:0]
		w.midLine = true
	}
	if w.err != nil {
		return 0, w.err
	}
	return n, nil
}

// Fd, Name, Read and Close make a Writer over a terminal usable as BuildKit's console (which
// needs the file for the window size) in Terminal mode, with every write still encoded. Outside
// Terminal mode Fd is invalid, so a console display is refused and BuildKit prints plain lines.
func (w *Writer) Fd() uintptr {
	if f, ok := w.w.(interface{ Fd() uintptr }); ok && w.opts.Terminal {
		return f.Fd()
	}
	return ^uintptr(0)
}

// Name is the underlying file's name, for error messages.
func (w *Writer) Name() string {
	if f, ok := w.w.(interface{ Name() string }); ok {
		return f.Name()
	}
	return "logsafe"
}

// Read reads from the underlying terminal in Terminal mode; otherwise there is nothing to read.
func (w *Writer) Read(p []byte) (int, error) {
	if r, ok := w.w.(io.Reader); ok && w.opts.Terminal {
		return r.Read(p)
	}
	return 0, io.EOF
}

// Close does nothing: the process's streams are not a command's to close.
func (w *Writer) Close() error { return nil }

// WriteString is Write for a string.
func (w *Writer) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// Flush writes a pending partial line (without adding a newline).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.discard {
		return nil
	}
	if len(w.buf) > 0 {
		w.emit(w.buf, false)
		w.buf = w.buf[:0]
		w.midLine = true
	}
	return w.err
}

// Discard drops the pending partial line and everything written from now on: after an
// interrupt, nothing a still-running command produces may reach the log.
func (w *Writer) Discard() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.discard = true
	w.buf = nil
}

// WriteCommand writes one workflow command the tool means to emit, such as the output of
// ghaction.FormatCommand: a single line starting with "::" and ending with "\n", whose values are
// already escaped by the workflow-command rules. It is still redacted and its control characters
// escaped, except ::add-mask::, whose value is the secret the runner is being told to hide (the
// runner consumes that line and never shows it). A pending partial line is ended first, so the
// command starts a line.
func (w *Writer) WriteCommand(line string) error {
	body, ok := strings.CutSuffix(line, "\n")
	if !ok || !strings.HasPrefix(body, "::") || strings.ContainsAny(body, "\r\n") {
		return fmt.Errorf("logsafe: not one workflow command line: %q", truncateForError(line))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.discard {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 || w.midLine {
		w.emit(w.buf, true)
		w.buf = w.buf[:0]
		w.midLine, w.hashes = false, 0
	}
	consume(body)
	w.write(append(encodeCommand(body, w.opts), '\n'))
	return w.err
}

// encodeCommand is the privileged encoding of one command line: redacted (but for add-mask) and
// escaped, never given the "::" neutralisation.
func encodeCommand(body string, opts Options) []byte {
	if !strings.HasPrefix(body, "::add-mask::") {
		body = secrets.Redact(body)
	}
	return neutraliseLegacy(encode(nil, body, opts), 0)
}

// flushChunk writes the front of a full buffer, cut where no token or UTF-8 sequence is split.
func (w *Writer) flushChunk() {
	cut := chunkCut(w.buf)
	w.emit(w.buf[:cut], false)
	rest := copy(w.buf, w.buf[cut:])
	w.buf = w.buf[:rest]
	w.midLine = true
}

// chunkCut finds where to cut a full buffer: just after the last separator in its final
// cutWindow bytes, else at the end; never inside a UTF-8 sequence.
func chunkCut(b []byte) int {
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-cutWindow; i-- {
		if isSeparator(b[i]) {
			cut = i + 1
			break
		}
	}
	for back := 0; back < utf8.UTFMax && cut > 0 && cut < len(b) && !utf8.RuneStart(b[cut]); back++ {
		cut--
	}
	if cut == 0 {
		cut = len(b)
	}
	return cut
}

func isSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '"', '\'', ',', ';', '<', '>', '(', ')', '{', '}', '|', '`':
		return true
	}
	return false
}

// emitBlock writes block, whole lines each ending in '\n', starting at a line start. Issued
// command lines in it are written as commands; the runs of other lines between them are
// encoded as one text.
func (w *Writer) emitBlock(block []byte) {
	start := 0
	for i := 0; i < len(block); {
		e := i + bytes.IndexByte(block[i:], '\n')
		if e-i >= 2 && block[i] == ':' && block[i+1] == ':' && consume(string(block[i:e])) {
			w.writeLines(block[start:i])
			w.write(append(encodeCommand(string(block[i:e]), w.opts), '\n'))
			start = e + 1
		}
		i = e + 1
	}
	w.writeLines(block[start:])
}

// writeLines encodes whole lines of text (no issued commands among them) and writes them.
func (w *Writer) writeLines(lines []byte) {
	if len(lines) == 0 {
		return
	}
	out := encodeText(nil, secrets.Redact(string(lines)), w.opts)
	if bytes.Contains(out, []byte("::")) {
		var nl []byte
		for rest := out; len(rest) > 0; {
			e := bytes.IndexByte(rest, '\n') + 1
			if e == 0 {
				e = len(rest)
			}
			nl = append(nl, neutraliseCommand(rest[:e])...)
			rest = rest[e:]
		}
		out = nl
	}
	w.write(neutraliseLegacy(out, 0))
}

// emit encodes one line or chunk and writes it; eol adds the newline.
func (w *Writer) emit(seg []byte, eol bool) {
	if eol && !w.midLine && len(seg) >= 2 && seg[0] == ':' && seg[1] == ':' && consume(string(seg)) {
		w.write(append(encodeCommand(string(seg), w.opts), '\n'))
		return
	}
	out := encode(nil, secrets.Redact(string(seg)), w.opts)
	if !w.midLine {
		out = neutraliseCommand(out)
	}
	out = neutraliseLegacy(out, w.hashes)
	w.hashes = trailingHashes(out, w.hashes)
	if eol {
		out = append(out, '\n')
	}
	w.write(out)
}

func (w *Writer) write(b []byte) {
	if w.err != nil || len(b) == 0 {
		return
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = err
	}
}

// Line returns s as the Writer would write it as one line, without the newline: for callers that
// must encode a value placed elsewhere than a stream (a test's expectation, a single field).
func Line(s string) string {
	var b []byte
	for i, part := range strings.Split(s, "\n") {
		if i > 0 {
			b = append(b, `\x0a`...)
		}
		b = append(b, encode(nil, secrets.Redact(part), Options{})...)
	}
	return string(neutraliseLegacy(neutraliseCommand(b), 0))
}

// neutraliseCommand makes a line that the runner would read as a workflow command (after
// optional white space and colour sequences, "::") start with an escape instead.
func neutraliseCommand(line []byte) []byte {
	i := 0
	for i < len(line) {
		if n := sequenceLen(line[i:], Options{Colour: true}); n > 0 {
			i += n
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	if !bytes.HasPrefix(line[i:], []byte("::")) {
		return line
	}
	out := make([]byte, 0, len(line)+3)
	out = append(out, line[:i]...)
	out = append(out, `\x3a`...)
	return append(out, line[i+1:]...)
}

// neutraliseLegacy rewrites every "##[" (counting prev '#' already written on this line) as
// "##\x5b", which the runner's legacy parser does not match.
func neutraliseLegacy(b []byte, prev int) []byte {
	if !bytes.Contains(b, []byte("[")) {
		return b
	}
	var out []byte
	run := prev
	last := 0
	for i, c := range b {
		switch {
		case c == '#':
			run++
		case c == '[' && run >= 2:
			if out == nil {
				out = make([]byte, 0, len(b)+8)
			}
			out = append(out, b[last:i]...)
			out = append(out, `\x5b`...)
			last = i + 1
			run = 0
		default:
			run = 0
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

func trailingHashes(b []byte, prev int) int {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '#'; i-- {
		n++
	}
	if n == len(b) {
		n += prev
	}
	return min(n, 2)
}

// encode appends s, one line or part of one, to dst with control characters escaped (a '\n'
// too); see the package doc.
func encode(dst []byte, s string, opts Options) []byte { return encodeKeep(dst, s, opts, false) }

// encodeText is encode for whole lines: '\n' is kept.
func encodeText(dst []byte, s string, opts Options) []byte { return encodeKeep(dst, s, opts, true) }

func encodeKeep(dst []byte, s string, opts Options, keepNL bool) []byte {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) {
			if c := s[j]; c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' && keepNL {
				j++
				continue
			}
			break
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c == 0x1b {
			if n := sequenceLen([]byte(s[i:min(len(s), i+maxSequence)]), opts); n > 0 {
				dst = append(dst, s[i:i+n]...)
				i += n
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			dst = fmt.Appendf(dst, `\x%02x`, c)
		case r < 0x20 || r == 0x7f:
			dst = fmt.Appendf(dst, `\x%02x`, r)
		case escapedRune(r):
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// escapedRune reports the non-ASCII characters shown as \uXXXX: C1 controls, line and paragraph
// separators, and the invisible bidirectional controls.
func escapedRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f,
		r == 0x2028 || r == 0x2029,
		r >= 0x202a && r <= 0x202e,
		r >= 0x2066 && r <= 0x2069,
		r == 0x200e || r == 0x200f || r == 0x061c:
		return true
	}
	return false
}

// maxSequence bounds how far an allowed escape sequence may run.
const maxSequence = 32

// sequenceLen returns the length of the allowed escape sequence at the start of b, or 0. With
// Colour or Terminal: SGR (ESC [ digits and ; m), which only colours text. With Terminal also the
// cursor movement and erase sequences of a progress display (ESC [ n A-H, J, K, ESC [ ? 25 l/h).
func sequenceLen(b []byte, opts Options) int {
	if !opts.Colour && !opts.Terminal || len(b) < 3 || b[0] != 0x1b || b[1] != '[' {
		return 0
	}
	private := false
	for i := 2; i < len(b) && i < maxSequence; i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9' || c == ';':
			continue
		case c == '?' && i == 2:
			private = true
			continue
		case c == 'm' && !private:
			return i + 1
		case !opts.Terminal:
			return 0
		case private && (c == 'h' || c == 'l') && string(b[2:i]) == "?25":
			return i + 1
		case !private && strings.IndexByte("ABCDEFGHJK", c) >= 0:
			return i + 1
		}
		return 0
	}
	return 0
}

func truncateForError(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
