package report

import (
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// writeDocText lays a summary out for a terminal or a CI log: blocks one after the other, then its
// End (a Quote is its lines), table columns padded to their widest cell and separated by two
// spaces. Data is redacted and shown with control characters as escapes, as finding messages are.
// With colour, Verdict spans are coloured by their tone.
func writeDocText(w *output, d Doc, colour bool) {
	for _, bl := range d.Blocks {
		writeBlockText(w, bl, colour)
	}
	for _, bl := range d.End {
		writeBlockText(w, bl, colour)
	}
}

func writeBlockText(w *output, bl Block, colour bool) {
	switch bl := bl.(type) {
	case Heading:
		w.WriteString(inlineText(bl.Text, colour) + "\n")
	case Lines:
		writeLinesText(w, bl, colour)
	case Quote:
		writeLinesText(w, bl, colour)
	case Table:
		writeTableText(w, bl, colour)
	case CodeBlock:
		for _, l := range strings.Split(strings.TrimSuffix(lineBreaks.Replace(bl.Text), "\n"), "\n") {
			w.WriteString(terminalSafe(secrets.Redact(l), false) + "\n")
		}
	case Details:
		w.WriteString(inlineText(bl.Summary, colour) + "\n")
		for _, inner := range bl.Blocks {
			writeBlockText(w, inner, colour)
		}
	}
}

func writeLinesText(w *output, lines []Inline, colour bool) {
	for _, l := range lines {
		w.WriteString(inlineText(l, colour) + "\n")
	}
}

var toneColours = map[Tone]string{Good: ansiGreen, Bad: ansiRed, Doubtful: ansiYellow}

// inlineText is a line as text: markup as written (a Verdict coloured when colour is on), data
// redacted and terminal-safe.
func inlineText(in Inline, colour bool) string {
	var b strings.Builder
	for _, s := range in {
		if s.kind == spanMarkup {
			if c := toneColours[s.tone]; colour && c != "" {
				b.WriteString(c + s.text + ansiReset)
				continue
			}
			b.WriteString(s.text)
			continue
		}
		b.WriteString(terminalSafe(secrets.Redact(s.text), false))
	}
	return b.String()
}

// writeTableText pads every column but the last to its widest cell (counted in characters,
// colours left out) and separates columns with two spaces, as text/tabwriter does with a padding
// of 2.
func writeTableText(w *output, t Table, colour bool) {
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Name
	}
	rows := make([][]string, 0, len(t.Rows)+2)
	shown := make([][]string, 0, len(t.Rows)+2) // what is written: rows, with colours
	rows = append(rows, header)
	shown = append(shown, header)
	for _, r := range t.Rows {
		rows = append(rows, textCells(r, false))
		shown = append(shown, textCells(r, colour))
	}
	widths := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = c.MinWidth
	}
	measure := func(r []string) {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	for _, r := range rows {
		measure(r)
	}
	if t.Footer != nil {
		footer := textCells(t.Footer, false)
		last := len(footer) - 1
		for last > 0 && footer[last] == "" {
			last--
		}
		measure(footer[:last])
		rows = append(rows, footer)
		shown = append(shown, textCells(t.Footer, colour))
	}
	var line strings.Builder
	for ri, r := range rows {
		line.Reset()
		for i, c := range r {
			if i == len(r)-1 {
				line.WriteString(shown[ri][i])
				break
			}
			pad := strings.Repeat(" ", max(0, widths[i]-utf8.RuneCountInString(c)))
			c = shown[ri][i]
			if i < len(t.Columns) && t.Columns[i].Right {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
			line.WriteString("  ")
		}
		s := line.String()
		if !t.KeepTrailingSpace {
			s = strings.TrimRight(s, " ")
		}
		w.WriteString(s + "\n")
	}
}

func textCells(r []Inline, colour bool) []string {
	cells := make([]string, len(r))
	for i, c := range r {
		cells[i] = inlineText(c, colour)
	}
	return cells
}
