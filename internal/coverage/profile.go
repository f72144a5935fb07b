package coverage

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// Format is a coverage report format, detected from a report's content.
type Format string

// The formats Parse recognises.
const (
	FormatGo              Format = "go"               // go test -coverprofile
	FormatCobertura       Format = "cobertura"        // coverage.py / pytest-cov XML
	FormatLCOV            Format = "lcov"             // lcov 1.x and 2.x tracefiles
	FormatIstanbul        Format = "istanbul"         // coverage-final.json
	FormatIstanbulSummary Format = "istanbul-summary" // coverage-summary.json
)

const validFormats = "Go coverprofile, Cobertura XML, LCOV, Istanbul coverage-final.json or coverage-summary.json"

// Unit says what a file's covered and total numbers count.
type Unit string

// Statements for Go and Istanbul (weighted by statement), lines for Cobertura and LCOV.
const (
	UnitStatements Unit = "statements"
	UnitLines      Unit = "lines"
)

// maxLineBytes bounds one line of a line-oriented report (Go, LCOV). Real lines are a few hundred
// bytes; a longer one is a corrupt file, rejected before it is buffered whole.
const maxLineBytes = 1 << 20

// maxJSONBytes bounds an Istanbul JSON report, which has to be held in memory to be decoded.
const maxJSONBytes = 1 << 30

// Block is one measured span of a source file: a Go basic block, an Istanbul statement, or one
// line of a line-based format (StartLine == EndLine, columns 0, NumStmt 1).
type Block struct {
	StartLine, StartCol int32
	EndLine, EndCol     int32
	NumStmt             int32
	Count               int64
}

func (b *Block) samePos(o *Block) bool {
	return b.StartLine == o.StartLine && b.StartCol == o.StartCol && b.EndLine == o.EndLine && b.EndCol == o.EndCol
}

func comparePos(a, b Block) int {
	switch {
	case a.StartLine != b.StartLine:
		return int(a.StartLine) - int(b.StartLine)
	case a.StartCol != b.StartCol:
		return int(a.StartCol) - int(b.StartCol)
	case a.EndLine != b.EndLine:
		return int(a.EndLine) - int(b.EndLine)
	}
	return int(a.EndCol) - int(b.EndCol)
}

// BranchKey names one branch outcome of a file: its line and a format-specific identity, so the
// same branch reported by two runs is merged rather than counted twice.
type BranchKey struct {
	Line int32
	ID   string
}

// Summary is what an Istanbul coverage-summary.json knows about a file: counts without lines.
type Summary struct {
	Covered, Total                       int
	BranchesCovered, BranchesTotal       int
	FunctionsCovered, FunctionsTotal     int
	HasBranches, HasFunctions, HasCounts bool
}

// FileData is one source file as one report describes it, with the file name as the report
// wrote it (an import path, an absolute path, or a path relative to a <source>).
type FileData struct {
	Name   string
	Unit   Unit
	Blocks []Block
	// Branches maps each branch outcome to how often it was taken; nil when the format has none.
	Branches map[BranchKey]int64
	// Functions maps each function to how often it was entered; nil when the format has none.
	Functions map[string]int64
	// Summary is set only for coverage-summary.json, which has no Blocks.
	Summary *Summary
}

// Profile is one parsed report.
type Profile struct {
	Path   string
	Format Format
	// Mode is the Go coverage mode (set, count or atomic); "" for other formats.
	Mode string
	// ModeLine is the line of the first mode line, for errors about mode conflicts between files.
	ModeLine int
	// Sources are Cobertura's <source> directories, against which relative file names resolve.
	Sources []string
	Files   []*FileData
}

// Totals adds up the statements (or lines) of a profile: how many there are and how many ran.
// For Go this is the number `go tool cover -func` prints on its total line.
func (p *Profile) Totals() (covered, total int64) {
	for _, f := range p.Files {
		if f.Summary != nil {
			covered += int64(f.Summary.Covered)
			total += int64(f.Summary.Total)
			continue
		}
		for i := range f.Blocks {
			b := &f.Blocks[i]
			total += int64(b.NumStmt)
			if b.Count > 0 {
				covered += int64(b.NumStmt)
			}
		}
	}
	return covered, total
}

// Parse reads one report of any supported format, detected from its first bytes. path is used
// in errors only. Bad input is a *ParseError; Parse never panics.
func Parse(path string, r io.Reader) (*Profile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &ParseError{Path: path, Msg: "cannot read report: " + err.Error(), Err: err}
	}
	line := 1
	rest := bytes.TrimPrefix(head, utf8BOM)
	for len(rest) > 0 && isSpace(rest[0]) {
		if rest[0] == '\n' {
			line++
		}
		rest = rest[1:]
	}
	switch {
	case len(rest) == 0 && len(head) < 4096:
		return nil, parseErrorf(path, 0, "empty file: not a coverage report (valid: %s)", validFormats)
	case len(rest) == 0:
		return nil, parseErrorf(path, line, "no report content in the first 4 KiB, only blank space (valid: %s)", validFormats)
	case bytes.HasPrefix(rest, []byte("mode:")):
		return ParseGo(path, br)
	case rest[0] == '<':
		return ParseCobertura(path, br)
	case rest[0] == '{':
		return ParseIstanbul(path, br)
	case looksLCOV(rest):
		return ParseLCOV(path, br)
	}
	first := rest
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	return nil, parseErrorf(path, line, "unrecognised coverage format, starting %q (valid: %s)", clip(string(first), 60), validFormats)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func looksLCOV(b []byte) bool {
	for _, p := range []string{"TN:", "SF:", "VER:"} {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// lineReader yields the lines of a line-oriented report without copying them, rejecting lines
// longer than maxLineBytes before they are buffered whole.
type lineReader struct {
	path string
	br   *bufio.Reader
	n    int // number of the line last returned
}

func newLineReader(path string, r io.Reader) *lineReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < maxLineBytes {
		br = bufio.NewReaderSize(r, maxLineBytes)
	}
	return &lineReader{path: path, br: br}
}

// next returns the next line without its line ending, valid until the following call; ok is
// false at the end of input.
func (l *lineReader) next() (line []byte, ok bool, err error) {
	b, err := l.br.ReadSlice('\n')
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		if len(b) == 0 {
			return nil, false, nil
		}
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, false, longLineError(l.path, l.n+1)
	default:
		return nil, false, readError(l.path, l.n+1, err)
	}
	l.n++
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if l.n == 1 {
		b = bytes.TrimPrefix(b, utf8BOM)
	}
	return b, true, nil
}

func longLineError(path string, n int) error {
	return parseErrorf(path, n, "line is longer than %d MiB: not a coverage report, or a corrupt one", maxLineBytes>>20)
}

func readError(path string, n int, err error) error {
	return &ParseError{Path: path, Line: n, Msg: "cannot read report: " + err.Error(), Err: err}
}
