package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
	"golang.org/x/text/width"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGray   = "\x1b[90m"
)

var severityColors = map[Severity]string{Error: ansiRed, Warning: ansiYellow, Info: ansiCyan}

// writeHuman prints each finding in the canonical form, the offending source line with a caret
// under the column (the way actionlint does), and a one-line summary.
//
// A command with a Summary prints it first, then (unless it says everything the findings do) a
// blank line and the findings.
func writeHuman(w *output, rep *Report, opts Options) error {
	if rep.Summary != nil {
		doc := rep.Summary.Text()
		writeDocText(w, doc, opts.Color)
		if len(rep.Findings) == 0 || doc.Complete {
			return nil
		}
		w.WriteString("\n")
	}
	paint := func(color, s string) string {
		if !opts.Color || s == "" {
			return s
		}
		return color + s + ansiReset
	}
	src := sourceCache{read: opts.Source, known: rep.Sources, files: map[string]*srcFile{}}
	var num []byte
	for _, f := range rep.Findings {
		// Without colour this is exactly f.String() (control characters aside), so the problem
		// matcher and grep see the canonical form.
		num = strconv.AppendInt(num[:0], int64(f.Line), 10)
		if f.Path != "" {
			loc := terminalSafe(f.Path, false) + ":" + string(num) + ":" + strconv.Itoa(f.Col) + ":"
			w.WriteString(paint(ansiBold, loc))
			w.WriteByte(' ')
		}
		w.WriteString(paint(severityColors[f.Severity], terminalSafe(f.Message, false)))
		w.WriteByte(' ')
		w.WriteString(paint(ansiGray, "["+terminalSafe(f.Rule, true)+"]"))
		w.WriteByte('\n')
		line, ok := src.line(f.Path, f.Line)
		if !ok {
			continue
		}
		shown, col := excerpt(line, f.Col)
		text, caretPad := sourceDisplay(shown, col)
		w.WriteString(paint(ansiGray, string(num)))
		w.WriteByte(' ')
		w.WriteString(paint(ansiGray, "|"))
		w.WriteByte(' ')
		w.WriteString(text)
		w.WriteByte('\n')
		if f.Col > 0 {
			for range num {
				w.WriteByte(' ')
			}
			w.WriteByte(' ')
			w.WriteString(paint(ansiGray, "|"))
			w.WriteByte(' ')
			w.WriteString(caretPad)
			w.WriteString(paint(ansiBold+severityColors[f.Severity], "^"))
			w.WriteByte('\n')
		}
	}
	writeBaselineText(&w.Buffer, rep.Baseline)
	summaryColor := ansiGreen
	if e, warn, _ := rep.Counts(); e > 0 {
		summaryColor = ansiRed
	} else if warn > 0 {
		summaryColor = ansiYellow
	}
	fmt.Fprintln(w, paint(summaryColor, rep.Verdict()))
	return nil
}

// excerptWidth is how many characters of a source line are shown under a finding: a minified
// or generated file can have one line of megabytes, and thousands of findings on it.
const excerptWidth = 160

// srcLine is one source line, redacted, with what excerpt needs to cut it cheaply.
type srcLine struct {
	text  string
	ascii bool
	runes int
}

// sourceCache reads each file at most once, however many findings it has, and redacts each line
// shown at most once.
type sourceCache struct {
	read  func(string) ([]byte, error)
	known map[string][]byte // Report.Sources
	files map[string]*srcFile
}

// srcFile is one file's lines and the lines already prepared for display (nil: not yet).
type srcFile struct {
	lines []string // nil: the file could not be read
	shown []*srcLine
}

func (c *sourceCache) line(path string, n int) (srcLine, bool) {
	if n <= 0 {
		return srcLine{}, false
	}
	f := c.files[path]
	if f == nil {
		f = &srcFile{}
		// A file that cannot be read only costs its source lines: the finding is what matters.
		if b, ok := c.known[path]; ok {
			f.lines = strings.Split(string(b), "\n")
		} else if c.read != nil {
			if b, err := c.read(path); err == nil {
				f.lines = strings.Split(string(b), "\n")
			}
		}
		f.shown = make([]*srcLine, len(f.lines))
		c.files[path] = f
	}
	if n > len(f.lines) {
		return srcLine{}, false
	}
	if l := f.shown[n-1]; l != nil {
		return *l, true
	}
	// The source line is the file as written, credentials included: they are masked before it is
	// cut, so a cut cannot leave half a token that no longer looks like one.
	text := secrets.Redact(strings.TrimSuffix(f.lines[n-1], "\r"))
	l := &srcLine{text: text, runes: utf8.RuneCountInString(text)}
	l.ascii = l.runes == len(text)
	f.shown[n-1] = l
	return *l, true
}

// excerpt returns what is shown of l: all of it when it is short, else excerptWidth characters
// around column col with "…" marking each cut, and col counted within what is shown.
func excerpt(l srcLine, col int) (string, int) {
	if l.runes <= excerptWidth {
		return l.text, col
	}
	c := min(max(col, 1)-1, l.runes)
	start := max(0, c-excerptWidth/2)
	end := min(l.runes, start+excerptWidth)
	start = max(0, end-excerptWidth)
	var from, to int
	if l.ascii {
		from, to = start, end
	} else {
		i := 0
		for off := range l.text {
			if i == start {
				from = off
			}
			if i == end {
				to = off
				break
			}
			i++
		}
		if end == l.runes {
			to = len(l.text)
		}
	}
	text := l.text[from:to]
	if col > 0 {
		col -= start
	}
	if start > 0 {
		text = "…" + text
		if col > 0 {
			col++
		}
	}
	if end < l.runes {
		text += "…"
	}
	return text, col
}

// sourceDisplay returns the line as it is safe to print and the padding that puts a caret under
// column col (1-based, counted in characters). Tabs are kept in both so they expand alike; wide
// characters take two cells; a column past the end points just after the last character.
func sourceDisplay(line string, col int) (text, caretPad string) {
	if printableASCII(line) {
		// The common case: every byte is one cell and shown as it is.
		n := min(max(col-1, 0), len(line))
		pad := []byte(strings.Repeat(" ", n))
		for i := range n {
			if line[i] == '\t' {
				pad[i] = '\t'
			}
		}
		return line, string(pad)
	}
	var t, p strings.Builder
	i := 0
	for _, r := range line {
		i++
		var shown string
		if s, ok := escapeRune(r); ok {
			shown = s
		} else {
			shown = string(r)
		}
		t.WriteString(shown)
		if i >= col {
			continue
		}
		switch {
		case r == '\t':
			p.WriteByte('\t')
		case shown != string(r):
			p.WriteString(strings.Repeat(" ", len(shown)))
		default:
			p.WriteString(strings.Repeat(" ", runeCells(r)))
		}
	}
	return t.String(), p.String()
}

// printableASCII reports whether s holds only printable ASCII and tabs: text that terminalSafe
// and sourceDisplay show unchanged.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

func runeCells(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// terminalSafe shows control characters and bidirectional overrides as escapes, so text quoted
// from a checked file cannot move the cursor, recolour the terminal or reorder what is shown.
func terminalSafe(s string, keepNewlines bool) string {
	if printableASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\n' && keepNewlines {
			b.WriteRune(r)
			continue
		}
		if esc, ok := escapeRune(r); ok {
			b.WriteString(esc)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeRune returns the printable escape for a rune a terminal would act on rather than show,
// or that a reader would not see: C0 and C1 controls, DEL, the line and paragraph separators
// (some viewers break the line there) and the bidirectional overrides and isolates. Tabs are
// shown as they are; invalid UTF-8 is left for the terminal to render as U+FFFD.
func escapeRune(r rune) (string, bool) {
	switch {
	case r == '\t' || r == utf8.RuneError:
		return "", false
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf(`\x%02x`, r), true
	case r >= 0x80 && r <= 0x9f,
		r == 0x2028 || r == 0x2029,
		r >= 0x202a && r <= 0x202e,
		r >= 0x2066 && r <= 0x2069:
		return fmt.Sprintf(`\u%04x`, r), true
	}
	return "", false
}
