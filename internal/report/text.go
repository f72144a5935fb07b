package report

import (
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// writeDocText lays a summary out for a terminal or a CI log: blocks one after the other, table
// columns padded to their widest cell and separated by two spaces. Data is redacted and shown
// with control characters as escapes, as finding messages are.
func writeDocText(w *output, d Doc) {
	for _, bl := range d.Blocks {
		writeBlockText(w, bl)
	}
}

func writeBlockText(w *output, bl Block) {
	switch bl := bl.(type) {
	case Heading:
		w.WriteString(inlineText(bl.Text) + "\n")
	case Lines:
		for _, l := range bl {
			w.WriteString(inlineText(l) + "\n")
		}
	case Table:
		writeTableText(w, bl)
	case CodeBlock:
		for _, l := range strings.Split(strings.TrimSuffix(lineBreaks.Replace(bl.Text), "\n"), "\n") {
			w.WriteString(terminalSafe(secrets.Redact(l), false) + "\n")
		}
	case Details:
		w.WriteString(inlineText(bl.Summary) + "\n")
		for _, inner := range bl.Blocks {
			writeBlockText(w, inner)
		}
	}
}

// inlineText is a line as text: markup as written, data redacted and terminal-safe.
func inlineText(in Inline) string {
	var b strings.Builder
	for _, s := range in {
		if s.kind == spanMarkup {
			b.WriteString(s.text)
			continue
		}
		b.WriteString(terminalSafe(secrets.Redact(s.text), false))
	}
	return b.String()
}

// writeTableText pads every column but the last to its widest cell (counted in characters) and
// separates columns with two spaces, as text/tabwriter does with a padding of 2.
func writeTableText(w *output, t Table) {
	header := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		header[i] = c.Name
	}
	rows := make([][]string, 0, len(t.Rows)+2)
	rows = append(rows, header)
	for _, r := range t.Rows {
		rows = append(rows, textCells(r))
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
		footer := textCells(t.Footer)
		last := len(footer) - 1
		for last > 0 && footer[last] == "" {
			last--
		}
		measure(footer[:last])
		rows = append(rows, footer)
	}
	var line strings.Builder
	for _, r := range rows {
		line.Reset()
		for i, c := range r {
			if i == len(r)-1 {
				line.WriteString(c)
				break
			}
			pad := strings.Repeat(" ", max(0, widths[i]-utf8.RuneCountInString(c)))
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

func textCells(r []Inline) []string {
	cells := make([]string, len(r))
	for i, c := range r {
		cells[i] = inlineText(c)
	}
	return cells
}
