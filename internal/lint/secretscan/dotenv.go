package secretscan

import (
	"bytes"
	"unicode/utf8"
)

// EnvVar is one assignment of a dotenv file: its name, its value as the dotenv loaders (motdotla/
// dotenv, python-dotenv, godotenv) would read it, and where the value starts (1-based line and
// rune column; for an empty value, just after the `=`).
type EnvVar struct {
	Name      string
	Value     []byte
	Line, Col int
	Quoted    bool // the value was in quotes (an inline comment cannot follow inside them)
}

// maxQuotedLines bounds a quoted value that spans lines: a quote that does not close within
// them is taken literally, as part of a one-line value, and parsing goes on at the next line —
// an unterminated quote must not swallow the rest of the file.
const maxQuotedLines = 64

// ParseDotenv reads a dotenv file: `[export ]NAME=VALUE` lines; `#` comment lines; blank lines.
// A VALUE is
//   - empty (`NAME=`, `NAME=   # comment`): the comment is not the value;
//   - unquoted: up to an inline comment (a `#` after whitespace) with outer whitespace trimmed;
//     a `#` inside a word (`a#b`) is part of it;
//   - single-quoted or backquoted: literal, possibly over several lines (bounded);
//   - double-quoted: with the escapes \n \r \t \" \\ , possibly over several lines (bounded).
//
// Lines that are none of these (YAML, prose, `NAME value`) are skipped, as the loaders skip
// them: the file is judged, not validated.
func ParseDotenv(src []byte) []EnvVar {
	var out []EnvVar
	lines := bytes.SplitAfter(src, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := trimEOL(lines[i])
		p := skipBlanks(line, 0)
		if p == len(line) || line[p] == '#' {
			continue
		}
		if bytes.HasPrefix(line[p:], []byte("export")) && p+6 < len(line) && (line[p+6] == ' ' || line[p+6] == '\t') {
			p = skipBlanks(line, p+6)
		}
		n := nameLen(line[p:])
		if n == 0 {
			continue
		}
		name := string(line[p : p+n])
		q := skipBlanks(line, p+n)
		if q == len(line) || line[q] != '=' {
			continue
		}
		v := skipBlanks(line, q+1)
		ev := EnvVar{Name: name, Line: i + 1, Col: utf8.RuneCount(line[:v]) + 1}
		if v < len(line) && (line[v] == '"' || line[v] == '\'' || line[v] == '`') {
			if val, last, ok := quoted(lines, i, v); ok {
				ev.Value, ev.Quoted, ev.Col = val, true, ev.Col+1
				out = append(out, ev)
				i = last
				continue
			}
		}
		ev.Value = unquotedValue(line[v:])
		if len(ev.Value) == 0 {
			ev.Col = utf8.RuneCount(line[:q+1]) + 1
		}
		out = append(out, ev)
	}
	return out
}

// quoted reads the quoted value opening at lines[i][v]; it returns the value, the index of the
// line the closing quote is on, and false when the quote does not close within maxQuotedLines.
func quoted(lines [][]byte, i, v int) ([]byte, int, bool) {
	q := lines[i][v]
	var val []byte
	from := v + 1
	for k := i; k < len(lines) && k < i+maxQuotedLines; k++ {
		raw := lines[k]
		if k > i {
			from = 0
		}
		seg := raw[from:]
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			switch {
			case c == '\\' && q == '"' && j+1 < len(seg):
				j++
				switch seg[j] {
				case 'n':
					val = append(val, '\n')
				case 'r':
					val = append(val, '\r')
				case 't':
					val = append(val, '\t')
				case '"', '\\':
					val = append(val, seg[j])
				default:
					val = append(val, '\\', seg[j])
				}
			case c == q:
				return val, k, true
			default:
				val = append(val, c)
			}
		}
	}
	return nil, i, false
}

// unquotedValue is s up to an inline comment (a # at the start or after a blank), trimmed.
func unquotedValue(s []byte) []byte {
	for j, c := range s {
		if c == '#' && (j == 0 || s[j-1] == ' ' || s[j-1] == '\t') {
			s = s[:j]
			break
		}
	}
	return bytes.TrimRight(s, " \t")
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// nameLen is the length of the variable name at the start of b: a letter or _, then letters,
// digits, _ and the . some loaders accept.
func nameLen(b []byte) int {
	n := 0
	for n < len(b) {
		c := b[n]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || n > 0 && (c >= '0' && c <= '9' || c == '.') {
			n++
			continue
		}
		break
	}
	return n
}
