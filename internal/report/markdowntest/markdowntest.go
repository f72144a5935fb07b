// Package markdowntest reads Markdown the way GitHub does, for the tests of every command that
// writes a job summary or a pull-request comment: it parses it as GitHub-flavoured Markdown
// (github.com/yuin/goldmark with its GFM extension, autolinks included), renders it, and reports
// everything in it that a reader or GitHub would act on — a link, an image, an autolink, raw HTML
// beyond the few tags the renderer writes itself, an HTML comment, an @mention or an issue
// reference. Only tests import it.
package markdowntest

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	nethtml "golang.org/x/net/html"
)

// ownTags are the HTML tags internal/report writes itself: line breaks in table cells and the
// collapsed section of a long table.
var ownTags = []string{"<br>", "<details>", "</details>", "<summary>", "</summary>"}

// elements are the HTML elements Markdown of the renderer may turn into; anything else (img,
// script, iframe, input...) came from an input.
var elements = []string{"html", "head", "body", "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
	"tr", "th", "td", "code", "pre", "br", "details", "summary", "blockquote", "em", "strong", "a"}

var (
	tag = regexp.MustCompile(`<[^>]*>?`)
	// GitHub links "@name" and "@org/team" when @ follows nothing or a non-word character, and
	// "#12", "GH-12" and "owner/repo#12" as references.
	mention   = regexp.MustCompile(`(?:^|[^\w` + "`" + `])@[A-Za-z0-9]`)
	reference = regexp.MustCompile(`(?:^|[^\w&])#[0-9]|(?i:\bGH-[0-9])|[\w.-]+/[\w.-]+#[0-9]`)
)

// Problems lists what in md would be acted on without having been written by the renderer.
// links are the link destinations the caller wrote on purpose (an incident's issue URL).
func Problems(md string, links ...string) []string {
	src := []byte(md)
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	doc := gm.Parser().Parse(text.NewReader(src))
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !slices.Contains(links, string(n.Destination)) {
				report("link to %q", n.Destination)
			}
		case *ast.Image:
			report("image %q", n.Destination)
		case *ast.AutoLink:
			report("autolink %q", n.URL(src))
		case *ast.RawHTML:
			var raw strings.Builder
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				raw.Write(seg.Value(src))
			}
			checkHTML(raw.String(), report)
		case *ast.HTMLBlock:
			var raw strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				raw.Write(seg.Value(src))
			}
			if n.HasClosure() {
				raw.Write(n.ClosureLine.Value(src))
			}
			checkHTML(raw.String(), report)
		}
		return ast.WalkContinue, nil
	})
	var out bytes.Buffer
	if err := gm.Renderer().Render(&out, src, doc); err != nil {
		report("render: %v", err)
		return problems
	}
	root, err := nethtml.Parse(&out)
	if err != nil {
		report("parse the rendered HTML: %v", err)
		return problems
	}
	var walk func(n *nethtml.Node, inert bool)
	walk = func(n *nethtml.Node, inert bool) {
		switch n.Type {
		case nethtml.CommentNode:
			report("HTML comment %q", n.Data)
		case nethtml.ElementNode:
			if !slices.Contains(elements, n.Data) {
				report("HTML element <%s>", n.Data)
			}
			// GitHub finds no mention or reference inside code or a link.
			inert = inert || n.Data == "code" || n.Data == "pre" || n.Data == "a"
		case nethtml.TextNode:
			if !inert {
				if m := mention.FindString(n.Data); m != "" {
					report("mention %q in %q", m, n.Data)
				}
				if m := reference.FindString(n.Data); m != "" {
					report("reference %q in %q", m, n.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inert)
		}
	}
	walk(root, false)
	return problems
}

// checkHTML reports raw HTML that is not one of the renderer's own tags.
func checkHTML(raw string, report func(string, ...any)) {
	if strings.Contains(raw, "<!--") {
		report("HTML comment in %q", raw)
	}
	for _, t := range tag.FindAllString(raw, -1) {
		if !slices.Contains(ownTags, t) {
			report("raw HTML %q", t)
		}
	}
}

// Check fails t with every problem Problems finds in md.
func Check(t testing.TB, md string, links ...string) {
	t.Helper()
	for _, p := range Problems(md, links...) {
		t.Errorf("markdown: %s\n%s", p, md)
	}
}

// Visible is the text a reader sees in md, as goldmark renders it: tags dropped, entities and
// escapes decoded, zero-width joiners removed.
func Visible(md string) string {
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM))
	if err := gm.Convert([]byte(md), &out); err != nil {
		return ""
	}
	root, err := nethtml.Parse(&out)
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(n *nethtml.Node)
	walk = func(n *nethtml.Node) {
		if n.Type == nethtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return strings.ReplaceAll(b.String(), "\u200d", "")
}

// Elements is the text shown inside each element named name (code, td...) of md as goldmark
// renders it, entities and escapes decoded, zero-width joiners removed.
func Elements(md, name string) []string {
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM))
	if err := gm.Convert([]byte(md), &out); err != nil {
		return nil
	}
	root, err := nethtml.Parse(&out)
	if err != nil {
		return nil
	}
	var texts []string
	var walk func(n *nethtml.Node)
	walk = func(n *nethtml.Node) {
		if n.Type == nethtml.ElementNode && n.Data == name {
			texts = append(texts, strings.ReplaceAll(textOf(n), "\u200d", ""))
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return texts
}

func textOf(n *nethtml.Node) string {
	if n.Type == nethtml.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}
