package report

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// hostileName is the file name of issue 15 that closed the coverage comment's code span: it
// pinged a user and a team, embedded a tracking image and hid the rest of the comment.
const hostileName = "src/a`@octocat @Molecule-AI/platform-team <img src=https://evil.example/t.png> [click](https://evil.example) <!--`.js"

// hostileInputs are strings a pull request or a server controls, each aimed at one thing GitHub
// would act on.
var hostileInputs = []string{
	hostileName,
	"```` fence ```` and ` one",
	"<!-- hides the rest",
	"![img](https://evil.example/i.png) [link](javascript:alert(1)) <https://evil.example>",
	"https://evil.example/x www.evil.example ftp://evil.example mailto:a@evil.example a@evil.example",
	"@octocat, @Molecule-AI/platform-team, (@x) and fix #12, GH-3, Molecule-AI/molecule-ci#7",
	"<details><summary>x</summary> <script>alert(1)</script> &lt;b&gt; &#64;octocat &commat;x",
	"| a | b |\n| --- | --- |\n# heading\n> quote",
	"**bold** _em_ ~~gone~~ $x^2$ :shipit: \\` \\| \\@x",
	"line\r\nbreak\rand\x1b[31m colour \u202e bidi",
	"[^1]: footnote [x]: https://evil.example",
}

// hostileDoc puts s in every position a summary can hold data.
func hostileDoc(s string) Doc {
	return Doc{Blocks: []Block{
		Heading{Level: 2, Text: Line(Markup("✅ Coverage "), Text(s))},
		Lines{Line(Markup("in "), Code(s), Markup(": "), Text(s))},
		Table{
			Columns: []Column{{Name: ""}, {Name: "path"}, {Name: "message", Right: true}},
			Rows:    [][]Inline{{Line(Markup("❌")), Line(Code(s)), Line(Text(s))}, Cells("", s, s)},
			MaxRows: 1,
			More:    func(n int) Inline { return Line(Markup("_1 more._")) },
		},
		Details{Summary: Line(Markup("Files")), Blocks: []Block{
			Table{Columns: []Column{{Name: "file"}}, Rows: [][]Inline{{Line(Code(s))}, {Line(Link(s, "https://github.com/o/r/issues/1"))}}},
		}},
		Lines{Line(Link(s, "javascript:alert(1)"))},
		CodeBlock{Text: "step output:\n" + s + "\n" + s},
	}}
}

// TestMarkdownHostileInputs: whatever the data, the Markdown links nothing but the renderer's
// own link, embeds nothing, opens no HTML and mentions no one.
func TestMarkdownHostileInputs(t *testing.T) {
	for _, s := range hostileInputs {
		md := RenderMarkdown(hostileDoc(s), MaxSummaryBytes)
		markdowntest.Check(t, md, "https://github.com/o/r/issues/1")
	}
	golden.Check(t, filepath.Join("testdata", "markdown-hostile.golden"), []byte(RenderMarkdown(hostileDoc(hostileName), MaxSummaryBytes)))
}

// TestMarkdownShowsDataFaithfully: escaping hides nothing from the reader: the text shown is the
// data (code spans exactly; prose with line breaks as breaks).
func TestMarkdownShowsDataFaithfully(t *testing.T) {
	for _, s := range append(hostileInputs, "plain", "a  b", "`", "``", " ` ", "x\\", "\\", "_a_") {
		checkFaithful(t, s)
	}
}

func checkFaithful(t *testing.T, s string) {
	t.Helper()
	want := strings.ReplaceAll(markdownData(s), "\u200d", "")
	if !utf8.ValidString(want) {
		return // shown with U+FFFD by the browser; not a question of escaping
	}
	code := strings.ReplaceAll(want, "\n", " ")
	if code != "" {
		if got := markdowntest.Elements("x "+markdownCode(s, false)+"\n", "code"); len(got) != 1 || got[0] != code {
			t.Errorf("code span of %q shows %q, want %q", s, got, code)
		}
		if got := markdowntest.Elements("| c |\n| --- |\n| "+markdownCode(s, true)+" |\n", "code"); len(got) != 1 || got[0] != code {
			t.Errorf("code span of %q in a table cell shows %q, want %q", s, got, code)
		}
	}
	if got := markdowntest.Elements(markdownCodeBlock(s), "code"); len(got) != 1 || strings.TrimSuffix(got[0], "\n") != strings.TrimSuffix(want, "\n") {
		t.Errorf("code block of %q shows %q, want %q", s, got, want)
	}
	prose := strings.ReplaceAll(want, "\n", "")
	if got := markdowntest.Elements("x "+markdownText(s)+"\n", "p"); len(got) != 1 || strings.TrimSpace(got[0]) != strings.TrimSpace("x "+prose) {
		t.Errorf("text %q shows %q, want %q", s, got, "x "+prose)
	}
	if got := markdowntest.Elements("| c |\n| --- |\n| x "+markdownText(s)+" |\n", "td"); len(got) != 1 || strings.TrimSpace(got[0]) != strings.TrimSpace("x "+prose) {
		t.Errorf("text %q in a table cell shows %q, want %q", s, got, "x "+prose)
	}
}

// FuzzMarkdown: no input makes the rendered Markdown act (link, image, HTML, comment, mention,
// reference), and prose and code show the input as it is.
func FuzzMarkdown(f *testing.F) {
	for _, s := range hostileInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "?")
		}
		md := RenderMarkdown(hostileDoc(s), MaxSummaryBytes)
		if problems := markdowntest.Problems(md, "https://github.com/o/r/issues/1"); len(problems) > 0 {
			t.Fatalf("%q: %v\n%s", s, problems, md)
		}
		checkFaithful(t, s)
	})
}
