package report

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Limits of the Markdown a command writes. GitHub refuses a step summary over 1 MiB, and the
// summary file is shared by every command of the step, so a summary stops well short of it; a
// pull-request comment must stay under 65,536 characters.
const (
	// MaxSummaryBytes bounds the Markdown of one command's job summary.
	MaxSummaryBytes = 512 << 10
	// MaxCommentBytes bounds the Markdown of a pull-request comment, leaving room for the
	// comment's marker line under GitHub's 65,536 characters.
	MaxCommentBytes = 60000

	markdownMaxRows  = 1000
	markdownMaxCell  = 500   // characters of one finding message
	markdownMaxSpan  = 1000  // characters of any one data span, whatever the command passed
	markdownMaxBlock = 20000 // characters of one code block
	// markdownReserve is kept back from the budget for the closing tags and notes.
	markdownReserve = 512
)

var severityIcons = map[Severity]string{Error: "❌ error", Warning: "⚠️ warning", Info: "ℹ️ info"}

// Markdown renders rep for $GITHUB_STEP_SUMMARY and pull-request comments: the command's own
// summary when it has one, else the findings (FindingsMarkdown). It is at most MaxSummaryBytes.
func Markdown(rep *Report) string {
	return MarkdownWithin(rep, MaxSummaryBytes)
}

// MarkdownWithin is Markdown in at most max bytes: table rows and blocks that do not fit are left
// out, with a note saying so, and every code span, tag and table is still closed.
func MarkdownWithin(rep *Report, max int) string {
	if rep != nil && rep.Summary != nil {
		return RenderMarkdown(rep.Summary.Markdown(), max)
	}
	return RenderMarkdown(findingsDoc(rep), max)
}

// FindingsMarkdown renders the findings alone, for a check run's summary: a heading naming the
// command, a verdict (✅ when nothing fails the gate, ❌ when there are errors) and a table of the
// findings, which is where the findings that did not fit in annotations are read.
func FindingsMarkdown(rep *Report) string {
	return RenderMarkdown(findingsDoc(rep), MaxSummaryBytes)
}

func findingsDoc(rep *Report) Doc {
	rep = sortedView(rep)
	title := cmp.Or(rep.Tool, sarifToolName)
	if rep.Command != "" {
		title += " " + rep.Command
	}
	icon := "✅"
	if e, _, _ := rep.Counts(); e > 0 {
		icon = "❌"
	}
	d := Doc{Blocks: []Block{
		Heading{Level: 2, Text: Line(Text(title))},
		Lines{Line(Markup(icon + " " + rep.Verdict()))},
	}}
	if len(rep.Findings) > 0 {
		d.Blocks = append(d.Blocks, findingsTable(rep.Findings))
	}
	d.Blocks = append(d.Blocks, baselineDoc(rep.Baseline)...)
	return d
}

// findingsTable is a table of findings: severity, location, rule, message. Rows past MaxRows
// are counted, not rendered.
func findingsTable(fs []Finding) Table {
	t := Table{
		Columns: []Column{{Name: "severity"}, {Name: "location"}, {Name: "rule"}, {Name: "message"}},
		Rows:    make([][]Inline, 0, min(len(fs), markdownMaxRows)),
		MaxRows: markdownMaxRows,
		More: func(n int) Inline {
			return Line(Markup("_" + plural(n, "more finding", "more findings") +
				" not shown: the job summary is limited in size. Every finding is in the step log and the SARIF and JSON reports._"))
		},
	}
	for _, f := range fs {
		loc := f.Path
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		sev := cmp.Or(severityIcons[f.Severity], f.Severity.String())
		t.Rows = append(t.Rows, []Inline{Line(Markup(sev)), Line(Text(loc)), Line(Text(f.Rule)), Line(Text(truncate(f.Message, markdownMaxCell)))})
	}
	return t
}

// RenderMarkdown renders d as GitHub-flavoured Markdown in at most max bytes. Blocks are
// separated by a blank line. Every data span is redacted, then escaped (Text), put in a code
// span (Code) or linked (Link), so nothing a pull request or a server controls can become a
// mention, a reference, a link, an image, HTML or an HTML comment.
//
// What does not fit is left out at a table row or a whole block: a table with More notes its own
// rows and the document goes on; otherwise the rest of Blocks is left out and d.Cut (or a generic
// note) says so. d.End is written last in every case: its room is kept from the start.
func RenderMarkdown(d Doc, max int) string {
	var end string
	if len(d.End) > 0 {
		end = RenderMarkdown(Doc{Blocks: d.End}, max)
	}
	r := mdRenderer{limit: max - markdownReserve - len(end) - 1}
	r.blocks(d.Blocks)
	if r.dropped {
		note := Line(Markup("_The rest of this summary is left out: it would exceed the size GitHub accepts._"))
		if d.Cut != nil && r.hidden > 0 {
			note = d.Cut(r.hidden)
		}
		// The note is short and markdownReserve keeps room for it.
		r.b.WriteString("\n" + mdInline(note, false) + "\n")
	}
	if end != "" {
		if r.b.Len() > 0 {
			r.b.WriteByte('\n')
		}
		r.b.WriteString(end)
	}
	return r.b.String()
}

type mdRenderer struct {
	b       bytes.Buffer
	limit   int
	dropped bool // a block or a table row did not fit: the rest of the document is left out
	hidden  int  // table rows left out since then
}

func (r *mdRenderer) blocks(bs []Block) {
	for i, bl := range bs {
		if r.dropped {
			r.hidden += tableRows(bs[i:])
			return
		}
		before := r.b.Len()
		if i > 0 {
			r.b.WriteByte('\n')
		}
		begin := r.b.Len()
		r.block(bl)
		if r.dropped && r.b.Len() == begin {
			// Nothing of this block fitted: take back its separator, and the heading over it.
			r.b.Truncate(before)
			if i > 0 {
				if h, ok := bs[i-1].(Heading); ok {
					r.b.Truncate(before - len(r.heading(h)) - min(i-1, 1))
				}
			}
		}
	}
}

// tableRows counts the rows of the tables in bs, those in collapsed sections included.
func tableRows(bs []Block) int {
	n := 0
	for _, bl := range bs {
		switch bl := bl.(type) {
		case Table:
			n += len(bl.Rows)
			if bl.Footer != nil {
				n++
			}
		case Details:
			n += tableRows(bl.Blocks)
		}
	}
	return n
}

func (r *mdRenderer) fits(s string) bool { return r.b.Len()+len(s) <= r.limit }

// whole writes a block that is written whole or not at all.
func (r *mdRenderer) whole(s string) {
	if !r.fits(s) {
		r.dropped = true
		return
	}
	r.b.WriteString(s)
}

func (r *mdRenderer) heading(h Heading) string {
	level := min(max(h.Level, 1), 6)
	return strings.Repeat("#", level) + " " + mdInline(h.Text, false) + "\n"
}

func (r *mdRenderer) block(bl Block) {
	switch bl := bl.(type) {
	case Heading:
		r.whole(r.heading(bl))
	case Lines:
		r.whole(mdLines(bl, ""))
	case Quote:
		r.whole(mdLines(bl, "> "))
	case Table:
		r.table(bl)
	case CodeBlock:
		r.whole(markdownCodeBlock(bl.Text))
	case Details:
		open := "<details><summary>" + mdInline(bl.Summary, false) + "</summary>\n\n"
		if !r.fits(open) {
			r.dropped = true
			r.hidden += tableRows(bl.Blocks)
			return
		}
		r.b.WriteString(open)
		r.blocks(bl.Blocks)
		// Closed even when its content was cut: markdownReserve keeps room for it.
		r.b.WriteString("\n</details>\n")
	}
}

// mdLines renders lines of a paragraph, each after prefix ("> " in a quote).
func mdLines(lines []Inline, prefix string) string {
	var s strings.Builder
	for _, l := range lines {
		s.WriteString(prefix + lineStart(mdInline(l, false)) + "\n")
	}
	return s.String()
}

func (r *mdRenderer) table(t Table) {
	var head strings.Builder
	head.WriteString("|")
	for _, c := range t.Columns {
		if c.Name == "" {
			head.WriteString(" |")
			continue
		}
		head.WriteString(" " + c.Name + " |")
	}
	head.WriteString("\n|")
	for _, c := range t.Columns {
		if c.Right {
			head.WriteString(" ---: |")
		} else {
			head.WriteString(" --- |")
		}
	}
	head.WriteString("\n")
	rows := t.Rows
	if t.Footer != nil {
		rows = append(rows[:len(rows):len(rows)], t.Footer)
	}
	start := r.b.Len()
	r.whole(head.String())
	if r.dropped {
		r.hidden += len(rows)
		return
	}
	shown := 0
	for _, row := range rows {
		if t.MaxRows > 0 && shown == t.MaxRows {
			break
		}
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = mdInline(c, true)
		}
		line := "| " + strings.Join(cells, " | ") + " |\n"
		if !r.fits(line) {
			if t.More == nil {
				r.dropped = true
				r.hidden += len(rows) - shown
				if shown == 0 {
					r.b.Truncate(start) // no header without a row
				}
			}
			break
		}
		r.b.WriteString(line)
		shown++
	}
	if n := len(rows) - shown; n > 0 && t.More != nil {
		// The note is short and markdownReserve keeps room for it.
		r.b.WriteString("\n" + mdInline(t.More(n), false) + "\n")
	}
}

// mdInline renders a line of spans; in a table cell, pipes are escaped and line breaks are <br>.
func mdInline(in Inline, cell bool) string {
	var b strings.Builder
	for _, s := range in {
		switch s.kind {
		case spanMarkup:
			b.WriteString(s.text)
		case spanText:
			b.WriteString(markdownText(s.text))
		case spanCode:
			b.WriteString(markdownCode(s.text, cell))
		case spanLink:
			b.WriteString(markdownLink(s.text, s.url))
		}
	}
	return b.String()
}

// markdownData is a data string made ready for Markdown: credentials masked (before escaping, which
// would hide a token's shape from any later redaction while GitHub still shows it), cut to
// markdownMaxSpan characters, line breaks normalised and control characters shown as escapes.
func markdownData(s string) string {
	return terminalSafe(lineBreaks.Replace(truncate(secrets.Redact(s), markdownMaxSpan)), true)
}

var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// zwj is the zero-width joiner that follows every @ and # of data: GitHub finds mentions
// (@user, @org/team) and references (#12, owner/repo#12) in the rendered text, after escapes and
// entities are decoded, so only a character between them and the name stops it.
const zwj = "\u200d"

// markdownText escapes data written as prose. Every ASCII character with a meaning in GitHub's
// Markdown is backslash-escaped or written as an entity: links and images ([ ] ( ) !), emphasis
// and strikethrough (* _ ~), code (`), HTML and comments (< > &), tables (|), math ($), headings
// and references (#), and the colon of "://" and the dot of "www." that start autolinks. @, #
// and the dash of "GH-" are followed by a zero-width joiner (see zwj). Line breaks become <br>,
// which tables allow.
func markdownText(s string) string {
	s = markdownData(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '_', '[', ']', '(', ')', '!', '~', '|', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case ':':
			if strings.HasPrefix(s[i+1:], "//") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '#':
			b.WriteString(`\#` + zwj)
		case '@':
			b.WriteString("@" + zwj)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n':
			b.WriteString("<br>")
		case '-':
			b.WriteByte(c)
			if i >= 2 && strings.EqualFold(s[i-2:i], "gh") {
				b.WriteString(zwj) // GH-12 is a reference too
			}
		case '.':
			if i >= 3 && strings.EqualFold(s[i-3:i], "www") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// lineStart keeps a line of a paragraph a paragraph line, whatever data it starts with: leading
// blanks (an indented code block) become entities, and a list, quote or setext marker
// (+ - = > 1.) is escaped. Lines are never meant as lists.
func lineStart(text string) string {
	var b strings.Builder
	i := 0
	for ; i < len(text) && (text[i] == ' ' || text[i] == '\t'); i++ {
		fmt.Fprintf(&b, "&#%d;", text[i])
	}
	text = text[i:]
	switch {
	case text == "":
	case strings.ContainsRune("+-=>", rune(text[0])):
		b.WriteByte('\\')
	default:
		if j := strings.IndexFunc(text, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && text[j] == '.' {
			b.WriteString(text[:j] + "\\")
			text = text[j:]
		}
	}
	b.WriteString(text)
	return b.String()
}

// markdownCode writes data as a code span, in which GitHub interprets nothing: the fence is one
// backtick longer than the longest run inside, and a space pads content that starts or ends with
// a backtick or starts and ends with a space (CommonMark strips one of each). Line breaks become
// spaces, as in any code span; in a table cell pipes are escaped, which GFM undoes before the
// span is read.
func markdownCode(s string, cell bool) string {
	s = strings.ReplaceAll(markdownData(s), "\n", " ")
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestBacktickRun(s)+1)
	pad := ""
	if s[0] == '`' || s[len(s)-1] == '`' || (s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "") {
		pad = " "
	}
	if cell {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return fence + pad + s + pad + fence
}

// longestBacktickRun is the length of the longest run of backticks in s: a code fence one longer
// cannot be closed from inside.
func longestBacktickRun(s string) int {
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// markdownCodeBlock fences data as a code block: the fence is longer than any run of backticks
// inside (and at least three), so nothing in it is read as Markdown; it is cut to
// markdownMaxBlock characters, and control characters other than newlines and tabs are escapes.
func markdownCodeBlock(s string) string {
	s = terminalSafe(lineBreaks.Replace(truncate(secrets.Redact(s), markdownMaxBlock)), true)
	s = strings.TrimSuffix(s, "\n")
	fence := strings.Repeat("`", max(3, longestBacktickRun(s)+1))
	return fence + "text\n" + s + "\n" + fence + "\n"
}

// markdownLink links escaped text to an http or https URL, with the characters that could end
// the destination percent-encoded; any other URL leaves the text alone.
func markdownLink(text, target string) string {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return markdownText(text)
	}
	dest := urlReplacer.Replace(u.String())
	return "[" + markdownText(text) + "](" + dest + ")"
}

var urlReplacer = strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", "|", "%7C", "\\", "%5C", "`", "%60", "\n", "", "\r", "")

// truncate cuts s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// plural is "1 file" or "n files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
