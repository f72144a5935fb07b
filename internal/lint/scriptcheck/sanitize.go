package scriptcheck

import "strings"

// sanitizeExpressions replaces every `${{ ... }}` with as many underscores as it is long, as
// actionlint does: the tools never see GitHub expressions, columns reported by the tool stay
// valid on the line, and underscores (unlike spaces) keep constructs such as
// `if ${{ cond }}; then` syntactically valid. An unterminated `${{` and everything after it are
// left as they are.
func sanitizeExpressions(src string) string {
	s := strings.Index(src, "${{")
	if s < 0 {
		return src
	}
	var b strings.Builder
	b.Grow(len(src))
	for s >= 0 {
		e := strings.Index(src[s:], "}}")
		if e < 0 {
			break
		}
		e += s + len("}}")
		b.WriteString(src[:s])
		for range e - s {
			b.WriteByte('_')
		}
		src = src[e:]
		s = strings.Index(src, "${{")
	}
	b.WriteString(src)
	return b.String()
}
