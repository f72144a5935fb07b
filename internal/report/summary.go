package report

// Summary is a command's own result beside its findings: coverage's table of files and gates,
// probe's services, build's images, triage's queue, and next the fleet table. The command
// owns the data and says what its parts are (a table, lines, a heading, which strings are data);
// this package owns the bytes: it writes the JSON members, lays the text out, and renders the
// Markdown with every data string escaped, for every format and sink at once.
//
// A new command implements Summary beside its data and sets Report.Summary; a new format is a
// new renderer here. Neither touches the other.
type Summary interface {
	// JSON lists the command's members of its JSON document, in order; "findings" and
	// "files_checked" follow them in every command's document (see docs: the JSON schema).
	JSON() []Member
	// Text is the summary for a terminal or a CI log, written before the findings by the human
	// and github formats.
	Text() Doc
	// Markdown is the summary for the job summary and the pull-request comment.
	Markdown() Doc
}

// Member is one top-level member of a JSON document.
type Member struct {
	Name string
	// Value is encoded with encoding/json (HTML characters are not escaped).
	Value any
	// Layout is how the value is laid out under its name.
	Layout Layout
}

// Layout says how a JSON member's value is laid out: the document is read by scripts and by
// people, and a report of thousands of files must stay small and greppable.
type Layout int

const (
	// OneLine writes the whole value on the member's line.
	OneLine Layout = iota
	// Rows writes a list one element per line, each element on one line: thousands of files stay
	// diffable without indenting every nested value.
	Rows
	// Indented writes the value as encoding/json indents it, two spaces a level: the findings of
	// every command, and small documents a person reads.
	Indented
)

// Doc is a summary laid out as blocks. In Markdown the blocks are separated by a blank line; in
// text they follow each other, and a blank line is an empty line of Lines.
//
// Markdown has a size bound (a job summary, a comment, an issue body): what does not fit is left
// out at a table row or a whole block, never inside a span or a tag, and a note says so. A
// heading is never left without the block under it.
type Doc struct {
	Blocks []Block
	// End are blocks written after Blocks whatever the size bound: room is kept for them, so a
	// cut document still ends with them (triage's search line and notes).
	End []Block
	// Cut is the note written where Markdown was cut for size, given how many table rows were
	// left out from there on (a table with More notes its own rows). Nil, or no row left out:
	// a note saying the rest is left out.
	Cut func(hiddenRows int) Inline
	// Complete says the text shows everything the findings say (probe's table holds every
	// service's state and reason), so the human format does not list the findings after it.
	Complete bool
}

// Block is one part of a Doc: Heading, Lines, Quote, Table, Details or CodeBlock.
type Block interface{ block() }

// Heading is a Markdown heading of Level (1 to 6); in text, one line.
type Heading struct {
	Level int
	Text  Inline
}

// Lines are lines of text; in Markdown, one paragraph.
type Lines []Inline

// Quote is lines set apart, such as a note: a block quote in Markdown; in text, the lines.
type Quote []Inline

// Table is rows of cells under named columns: aligned columns in text, a GFM table in Markdown.
type Table struct {
	Columns []Column
	Rows    [][]Inline
	// Footer is a last row set apart, such as a total. In text its last non-empty cell does not
	// widen its column: nothing follows it on the line.
	Footer []Inline
	// MaxRows is how many rows Markdown shows (0: all that fit); More is the note under the
	// table when rows were left out, by MaxRows or by the size of the document.
	MaxRows int
	More    func(hidden int) Inline
	// KeepTrailingSpace keeps the padding of empty last cells in text (probe's table was laid
	// out by text/tabwriter, which keeps it); otherwise lines are trimmed.
	KeepTrailingSpace bool
}

// Column is a table column: its header, its alignment, and the width it takes at least in text.
type Column struct {
	Name     string
	Right    bool
	MinWidth int
}

// Details is a collapsed section in Markdown (<details>); in text, its summary line then its
// blocks.
type Details struct {
	Summary Inline
	Blocks  []Block
}

// CodeBlock is data shown as it is, several lines of it (a build step's output, an error): a
// fenced code block in Markdown, whose fence no run of backticks inside can close; in text, the
// lines.
type CodeBlock struct {
	Text string
}

func (CodeBlock) block() {}
func (Heading) block()   {}
func (Lines) block()     {}
func (Quote) block()     {}
func (Table) block()     {}
func (Details) block()   {}

// Inline is a run of spans on one line.
type Inline []Span

// Span is a piece of inline text, and what it is: the command's own words, or data from a file,
// a config, a pull request or a server, which every renderer treats as hostile.
type Span struct {
	kind spanKind
	text string
	url  string
	tone Tone
}

// Tone is how a verdict reads at a glance: on a terminal asked for colour, green, red or yellow;
// in every other format and sink, its text alone.
type Tone uint8

// The tones of Verdict.
const (
	Good Tone = iota + 1
	Bad
	Doubtful
)

type spanKind uint8

const (
	spanMarkup spanKind = iota
	spanText
	spanCode
	spanLink
)

// Markup is the command's own words and symbols (headings, icons, numbers it formatted, fixed
// text), written as they are in every format. Never pass data here: a path, a name or a message
// belongs in Text or Code.
func Markup(s string) Span { return Span{kind: spanMarkup, text: s} }

// Verdict is the command's own word or symbol for a verdict (✓, ✗, "down"), coloured by tone in
// text when colour is asked for. Like Markup it is never data.
func Verdict(s string, t Tone) Span { return Span{kind: spanMarkup, text: s, tone: t} }

// Text is data shown as prose: in Markdown every character that could start a link, an image,
// HTML, emphasis, a mention or a reference is escaped.
func Text(s string) Span { return Span{kind: spanText, text: s} }

// Code is data shown as code (a path, a package, a glob, a ref): a code span in Markdown, whose
// fence is longer than any run of backticks inside.
func Code(s string) Span { return Span{kind: spanCode, text: s} }

// Link is data shown as text that links to url. The link is written only for an http or https
// URL; otherwise, and in text, only the text is shown.
func Link(text, url string) Span { return Span{kind: spanLink, text: text, url: url} }

// Line is an Inline of spans.
func Line(spans ...Span) Inline { return Inline(spans) }

// Cells are one table row of Text cells, the usual case of a row of data.
func Cells(texts ...string) []Inline {
	row := make([]Inline, len(texts))
	for i, s := range texts {
		row[i] = Inline{Text(s)}
	}
	return row
}
