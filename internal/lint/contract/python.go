package contract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A small Python tokenizer: enough to find import statements and class definitions the way the
// interpreter sees them — across backslash and bracket continuations, with `as` aliases and
// parenthesised name lists — and never inside comments or string literals (docstrings included).
// It does not track indentation: an import inside a function is still an import.

type pyTokKind int

const (
	pyName pyTokKind = iota + 1
	pyOp
	pyString
	pyNumber
	pyNewline // end of a logical line (also `;`)
)

type pyTok struct {
	kind      pyTokKind
	text      string
	line, col int // 1-based; col counts runes
}

// maxPyTokens bounds the work on a hostile adapter.py: far above any real adapter.
const maxPyTokens = 1 << 20

// pyTokenize splits src into tokens. Unterminated strings run to the end of the file, as the
// interpreter would refuse the file anyway; the tokenizer never fails.
func pyTokenize(src string) []pyTok {
	var toks []pyTok
	line, lineStart := 1, 0
	depth := 0 // bracket nesting: newlines inside brackets do not end the statement
	col := func(i int) int { return utf8.RuneCountInString(src[lineStart:i]) + 1 }
	emitNewline := func(i int) {
		if len(toks) > 0 && toks[len(toks)-1].kind != pyNewline {
			toks = append(toks, pyTok{kind: pyNewline, line: line, col: col(i)})
		}
	}
	i := 0
	for i < len(src) && len(toks) < maxPyTokens {
		c := src[i]
		switch {
		case c == '\n':
			if depth == 0 {
				emitNewline(i)
			}
			i++
			line, lineStart = line+1, i
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\\' && i+1 < len(src) && (src[i+1] == '\n' || src[i+1] == '\r'):
			i++
			if src[i] == '\r' {
				i++
			}
			if i < len(src) && src[i] == '\n' {
				i++
			}
			line, lineStart = line+1, i
		case c == '"' || c == '\'':
			start, sl, sc := i, line, col(i)
			i, line, lineStart = skipPyString(src, i, line, lineStart)
			toks = append(toks, pyTok{kind: pyString, text: src[start:min(i, len(src))], line: sl, col: sc})
		case isPyIdentStart(src, i):
			start, sl, sc := i, line, col(i)
			for i < len(src) && isPyIdentCont(src, i) {
				_, n := utf8.DecodeRuneInString(src[i:])
				i += n
			}
			word := src[start:i]
			// String prefixes: r"", b'', f"""...""", rb'' and so on.
			if i < len(src) && (src[i] == '"' || src[i] == '\'') && len(word) <= 2 && isStringPrefix(word) {
				i, line, lineStart = skipPyString(src, i, line, lineStart)
				toks = append(toks, pyTok{kind: pyString, text: src[start:min(i, len(src))], line: sl, col: sc})
				continue
			}
			toks = append(toks, pyTok{kind: pyName, text: word, line: sl, col: sc})
		case c >= '0' && c <= '9':
			start := i
			for i < len(src) && (isPyIdentCont(src, i) || src[i] == '.') {
				i++
			}
			toks = append(toks, pyTok{kind: pyNumber, text: src[start:i], line: line, col: col(start)})
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
			if c == ';' && depth == 0 {
				emitNewline(i)
				i++
				continue
			}
			_, n := utf8.DecodeRuneInString(src[i:])
			toks = append(toks, pyTok{kind: pyOp, text: src[i : i+n], line: line, col: col(i)})
			i += n
		}
	}
	emitNewline(len(src))
	return toks
}

func isStringPrefix(w string) bool {
	for _, r := range strings.ToLower(w) {
		if !strings.ContainsRune("rbfu", r) {
			return false
		}
	}
	return true
}

func isPyIdentStart(src string, i int) bool {
	r, _ := utf8.DecodeRuneInString(src[i:])
	return r == '_' || unicode.IsLetter(r)
}

func isPyIdentCont(src string, i int) bool {
	r, _ := utf8.DecodeRuneInString(src[i:])
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// skipPyString returns the offset after the string literal starting with the quote at i,
// following its newlines so positions stay right.
func skipPyString(src string, i, line, lineStart int) (int, int, int) {
	q := src[i]
	triple := strings.HasPrefix(src[i:], strings.Repeat(string(q), 3))
	if triple {
		i += 3
	} else {
		i++
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\\':
			if i+1 < len(src) && src[i+1] == '\n' {
				line, lineStart = line+1, i+2
			}
			i += 2
			continue
		case c == '\n':
			if !triple { // unterminated single-quoted string: stop at the line end
				return i, line, lineStart
			}
			line, lineStart = line+1, i+1
		case c == q:
			if !triple {
				return i + 1, line, lineStart
			}
			if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
				return i + 3, line, lineStart
			}
		}
		i++
	}
	return len(src), line, lineStart
}

// pyImport is one imported name: `import a.b as c` is {Module: "a.b", Alias: "c"};
// `from a.b import c as d` is {Module: "a.b", Name: "c", Alias: "d"}. Relative modules keep
// their leading dots.
type pyImport struct {
	Module    string
	Name      string
	Alias     string
	From      bool
	Line, Col int // of the statement's keyword
}

// pyClass is a class definition and the dotted names of its bases (keyword arguments such as
// metaclass= are left out; bases that are not dotted names are kept as "").
type pyClass struct {
	Name      string
	Bases     []string
	Line, Col int
}

// pyParse finds every import and class statement in src. A statement starts at the beginning of
// a logical line or after the colon of a compound header (`if x: import y`, `class A(B): ...`);
// `import`, `from` and `class` are keywords, so nowhere else can they start one (`raise X from e`
// follows a name, not a statement boundary).
func pyParse(src string) (imports []pyImport, classes []pyClass) {
	toks := pyTokenize(src)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != pyName || (t.text != "import" && t.text != "from" && t.text != "class") {
			continue
		}
		if i > 0 && toks[i-1].kind != pyNewline && !isOp(toks, i-1, ":") {
			continue
		}
		var j int
		switch t.text {
		case "import":
			var ims []pyImport
			ims, j = parseImport(toks, i+1, t)
			imports = append(imports, ims...)
		case "from":
			var ims []pyImport
			ims, j = parseFrom(toks, i+1, t)
			imports = append(imports, ims...)
		case "class":
			var c pyClass
			var ok bool
			if c, j, ok = parseClass(toks, i+1, t); ok {
				classes = append(classes, c)
			}
		}
		i = max(j-1, i)
	}
	return imports, classes
}

// dotted reads `a.b.c` from i; it returns the name and the index after it.
func dotted(toks []pyTok, i int) (string, int) {
	var b strings.Builder
	for i < len(toks) {
		if toks[i].kind != pyName || toks[i].text == "import" || toks[i].text == "as" {
			break
		}
		b.WriteString(toks[i].text)
		i++
		if i < len(toks) && toks[i].kind == pyOp && toks[i].text == "." && i+1 < len(toks) && toks[i+1].kind == pyName {
			b.WriteByte('.')
			i++
			continue
		}
		break
	}
	return b.String(), i
}

func isOp(toks []pyTok, i int, op string) bool {
	return i < len(toks) && toks[i].kind == pyOp && toks[i].text == op
}

func isName(toks []pyTok, i int, name string) bool {
	return i < len(toks) && toks[i].kind == pyName && toks[i].text == name
}

func parseImport(toks []pyTok, i int, kw pyTok) ([]pyImport, int) {
	var out []pyImport
	for i < len(toks) && toks[i].kind != pyNewline {
		mod, j := dotted(toks, i)
		if mod == "" {
			return out, skipStatement(toks, i)
		}
		im := pyImport{Module: mod, Line: kw.line, Col: kw.col}
		i = j
		if isName(toks, i, "as") && i+1 < len(toks) && toks[i+1].kind == pyName {
			im.Alias = toks[i+1].text
			i += 2
		}
		out = append(out, im)
		if !isOp(toks, i, ",") {
			break
		}
		i++
	}
	return out, skipStatement(toks, i)
}

func parseFrom(toks []pyTok, i int, kw pyTok) ([]pyImport, int) {
	var mod strings.Builder
	for isOp(toks, i, ".") || isOp(toks, i, "...") {
		mod.WriteString(toks[i].text)
		i++
	}
	name, j := dotted(toks, i)
	mod.WriteString(name)
	i = j
	if mod.Len() == 0 || !isName(toks, i, "import") {
		return nil, skipStatement(toks, i)
	}
	i++
	paren := isOp(toks, i, "(")
	if paren {
		i++
	}
	var out []pyImport
	for i < len(toks) && toks[i].kind != pyNewline {
		switch {
		case isOp(toks, i, "*"):
			out = append(out, pyImport{Module: mod.String(), Name: "*", From: true, Line: kw.line, Col: kw.col})
			i++
		case toks[i].kind == pyName:
			im := pyImport{Module: mod.String(), Name: toks[i].text, From: true, Line: kw.line, Col: kw.col}
			i++
			if isName(toks, i, "as") && i+1 < len(toks) && toks[i+1].kind == pyName {
				im.Alias = toks[i+1].text
				i += 2
			}
			out = append(out, im)
		default:
			return out, skipStatement(toks, i)
		}
		if isOp(toks, i, ",") {
			i++
			continue
		}
		if paren && isOp(toks, i, ")") {
			i++
		}
		break
	}
	return out, skipStatement(toks, i)
}

func parseClass(toks []pyTok, i int, kw pyTok) (pyClass, int, bool) {
	if i >= len(toks) || toks[i].kind != pyName {
		return pyClass{}, skipStatement(toks, i), false
	}
	c := pyClass{Name: toks[i].text, Line: kw.line, Col: kw.col}
	i++
	if isOp(toks, i, "(") {
		i++
		depth := 0
		for i < len(toks) && toks[i].kind != pyNewline {
			if depth == 0 && isOp(toks, i, ")") {
				i++
				break
			}
			if depth == 0 && toks[i].kind == pyName {
				if isOp(toks, i+1, "=") { // metaclass=..., total=False
					i += 2
					for i < len(toks) && toks[i].kind != pyNewline && !(isOp(toks, i, ",") || isOp(toks, i, ")")) {
						i++
					}
					continue
				}
				name, j := dotted(toks, i)
				if isOp(toks, j, ",") || isOp(toks, j, ")") {
					c.Bases = append(c.Bases, name)
				} else {
					c.Bases = append(c.Bases, "") // Generic[T], a call: not a plain name
				}
				i = j
				continue
			}
			switch {
			case isOp(toks, i, "(") || isOp(toks, i, "[") || isOp(toks, i, "{"):
				depth++
			case isOp(toks, i, ")") || isOp(toks, i, "]") || isOp(toks, i, "}"):
				depth--
			}
			i++
		}
	}
	// Stop after the class header's colon so a one-line body (`class A(B): import x`) is seen.
	for i < len(toks) && toks[i].kind != pyNewline {
		if isOp(toks, i, ":") {
			return c, i + 1, true
		}
		i++
	}
	return c, i, true
}

// skipStatement returns the index of the NEWLINE ending the statement at i (or len(toks)).
func skipStatement(toks []pyTok, i int) int {
	for i < len(toks) && toks[i].kind != pyNewline {
		i++
	}
	return i
}
