package migrate

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
	"gopkg.in/yaml.v3"
)

// The file is edited as text, at the positions yaml.v3 gives its nodes, never re-serialised: a
// migration changes the bytes of the values it changes and nothing else, so comments, quoting,
// blank lines, key order and a missing final newline all stay as they were.

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// text is a file's source with its line starts, for turning node positions into offsets.
type text struct {
	src   string
	lines []int  // byte offset of each line's start
	step  string // the file's indentation step
}

func newText(src []byte) *text {
	t := &text{src: string(src), lines: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	return t
}

// offset is the byte offset of a 1-based line and column (yaml.v3 counts columns in
// characters), or -1 when the position is outside the file.
func (t *text) offset(line, col int) int {
	if line < 1 || line > len(t.lines) || col < 1 {
		return -1
	}
	off := t.lines[line-1]
	for c := 1; c < col; c++ {
		if off >= len(t.src) || t.src[off] == '\n' {
			return -1
		}
		_, size := utf8.DecodeRuneInString(t.src[off:])
		off += size
	}
	return off
}

// lineEnd is the offset of the newline ending the line that holds off (or the end of the file).
func (t *text) lineEnd(off int) int {
	if i := strings.IndexByte(t.src[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(t.src)
}

// scalarSpan is the byte range of a one-line scalar node's text as written (quotes included),
// and the offset where a comment on its line starts (-1 for none). ok is false for what this
// editor does not rewrite: a block scalar, a scalar over several lines, an alias.
func (t *text) scalarSpan(n *yaml.Node) (start, end, comment int, ok bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return 0, 0, 0, false
	}
	start = t.offset(n.Line, n.Column)
	if start < 0 {
		return 0, 0, 0, false
	}
	eol := t.lineEnd(start)
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		end = -1
		for i := start + 1; i < eol; i++ {
			if t.src[i] == '\\' {
				i++
				continue
			}
			if t.src[i] == '"' {
				end = i + 1
				break
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		end = -1
		for i := start + 1; i < eol; i++ {
			if t.src[i] == '\'' {
				if i+1 < eol && t.src[i+1] == '\'' {
					i++
					continue
				}
				end = i + 1
				break
			}
		}
	default:
		// A plain scalar runs to a " #" comment or the end of the line; in a flow collection
		// also to the next ',', ']' or '}'.
		end = eol
		if i := strings.Index(t.src[start:eol], " #"); i >= 0 {
			end = start + i
		}
		if i := strings.IndexAny(t.src[start:end], ",]}"); i >= 0 && strings.TrimSpace(t.src[start:start+i]) == n.Value {
			end = start + i
		}
		// A plain mapping key ends at ": " (or a ':' ending the line): a plain scalar holds neither.
		if i := strings.Index(t.src[start:end]+" ", ": "); i >= 0 {
			end = start + i
		}
		end = start + len(strings.TrimRight(t.src[start:end], " \t"))
		if t.src[start:end] != n.Value {
			return 0, 0, 0, false
		}
	}
	if end < 0 {
		return 0, 0, 0, false
	}
	comment = -1
	rest := t.src[end:eol]
	if i := strings.Index(rest, "#"); i >= 0 && strings.TrimSpace(rest[:i]) == "" {
		comment = end + i
	}
	return start, end, comment, true
}

// indentOf is the indentation (spaces) of the line holding off.
func (t *text) indentOf(off int) string {
	ls := strings.LastIndexByte(t.src[:off], '\n') + 1
	i := ls
	for i < len(t.src) && t.src[i] == ' ' {
		i++
	}
	return t.src[ls:i]
}

// lineStart is the offset of the start of the line holding off.
func (t *text) lineStart(off int) int {
	return strings.LastIndexByte(t.src[:off], '\n') + 1
}

// apply applies non-overlapping edits and returns the new text.
func apply(src string, edits []edit) (string, error) {
	edits = slices.Clone(edits)
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	var b strings.Builder
	at := 0
	for _, e := range edits {
		if e.start < at || e.end < e.start || e.end > len(src) {
			return "", fmt.Errorf("overlapping or invalid edit at byte %d", e.start)
		}
		b.WriteString(src[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.WriteString(src[at:])
	return b.String(), nil
}

// Diff is a unified diff of one file, git-apply-able from the repository's root (a/ and b/
// prefixes, git's header line), or "" when old and new are equal.
func Diff(path, old, new string) string {
	if old == new {
		return ""
	}
	edits := udiff.Lines(old, new)
	u, err := udiff.ToUnified("a/"+path, "b/"+path, old, edits, udiff.DefaultContextLines)
	if err != nil {
		// Strings' edits always apply to old; a failure here is a bug, shown rather than hidden.
		return fmt.Sprintf("diff --git a/%s b/%s\n# cannot make the diff: %v\n", path, path, err)
	}
	return "diff --git a/" + path + " b/" + path + "\n" + u
}

// NewFileDiff is the diff that creates a file, as git writes it.
func NewFileDiff(path, content string) string {
	u, err := udiff.ToUnified("/dev/null", "b/"+path, "", udiff.Strings("", content), udiff.DefaultContextLines)
	if err != nil {
		return fmt.Sprintf("diff --git a/%s b/%s\n# cannot make the diff: %v\n", path, path, err)
	}
	return "diff --git a/" + path + " b/" + path + "\nnew file mode 100644\n" + u
}
