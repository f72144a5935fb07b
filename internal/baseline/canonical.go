package baseline

import (
	"strings"
	"unicode/utf8"
)

// parseCanonical reads a baseline laid out exactly as Marshal writes it — the header, one entry a
// line with its keys in order, the closing lines — without a general JSON decoder: 10,000
// entries in a few milliseconds, so that a baseline costs lint little. Anything else (another
// layout, an escape it does not know, a bad entry) returns false, and Parse reads the file with
// the JSON decoder, which accepts any layout and says what is wrong. FuzzParseCanonical checks
// that whatever this accepts, the decoder reads the same way.
func parseCanonical(data []byte) (*Baseline, bool) {
	// One string for the whole file: the entries' fields are substrings of it.
	s := string(data)
	const head = "{\n  \"version\": 1,\n  \"findings\": ["
	rest, ok := strings.CutPrefix(s, head)
	if !ok {
		return nil, false
	}
	if rest == "]\n}\n" {
		return &Baseline{}, true
	}
	b := &Baseline{Entries: make([]Entry, 0, strings.Count(rest, "\n    {"))}
	// The values with escapes, unescaped one after the other into one buffer: a string taken
	// from a strings.Builder stays as it was while the builder grows.
	var arena strings.Builder
	arena.Grow(len(s) / 4)
	fields := [...]string{`{"rule":`, `,"path":`, `,"line":`, `,"context":`, `,"message":`}
	for {
		rest, ok = strings.CutPrefix(rest, "\n    ")
		if !ok || len(b.Entries) >= MaxEntries {
			return nil, false
		}
		var v [len(fields)]string
		for i, f := range fields {
			if rest, ok = strings.CutPrefix(rest, f); !ok {
				return nil, false
			}
			if v[i], rest, ok = cutString(rest, &arena); !ok {
				return nil, false
			}
		}
		if rest, ok = strings.CutPrefix(rest, "}"); !ok {
			return nil, false
		}
		e := Entry{Rule: v[0], Path: v[1], Line: v[2], Context: v[3], Message: v[4]}
		if checkEntry(e) != nil {
			return nil, false
		}
		b.Entries = append(b.Entries, e)
		if r, more := strings.CutPrefix(rest, ","); more {
			rest = r
			continue
		}
		return b, rest == "\n  ]\n}\n"
	}
}

// cutString reads the JSON string at the start of s: its value (written to arena when it has
// escapes) and what follows it. It knows the escapes encoding/json writes for text (\" \\ \n
// \r \t \b \f, \u00XX for other control characters, \u2028 \u2029); anything else is not
// canonical.
func cutString(s string, arena *strings.Builder) (value, rest string, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", "", false
	}
	end := special(s[1:])
	if end < 0 {
		return "", "", false
	}
	end++
	if s[end] == '"' {
		v := s[1:end]
		if !plain(v) {
			return "", "", false
		}
		return v, s[end+1:], true
	}
	// Escapes: build the value in the arena.
	b, start := arena, arena.Len()
	i := 1
	for {
		j := special(s[i:])
		if j < 0 {
			return "", "", false
		}
		if !plain(s[i : i+j]) {
			return "", "", false
		}
		b.WriteString(s[i : i+j])
		i += j
		if s[i] == '"' {
			return b.String()[start:], s[i+1:], true
		}
		if i+1 >= len(s) {
			return "", "", false
		}
		switch c := s[i+1]; c {
		case '"', '\\':
			b.WriteByte(c)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+6 > len(s) {
				return "", "", false
			}
			r, ok := hex4(s[i+2 : i+6])
			// Control characters and the two line separators encoding/json escapes; a
			// surrogate (half of a pair) is for the decoder.
			if !ok || (r >= 0x20 && r != 0x2028 && r != 0x2029) {
				return "", "", false
			}
			b.WriteRune(r)
			i += 4
		default:
			return "", "", false
		}
		i += 2
	}
}

// special is the index of the first quote or backslash in s, -1 if there is no quote: two
// vectorised scans cost less than one strings.IndexAny.
func special(s string) int {
	q := strings.IndexByte(s, '"')
	if q < 0 {
		return -1
	}
	if b := strings.IndexByte(s[:q], '\\'); b >= 0 {
		return b
	}
	return q
}

// plain reports whether s can stand in a JSON string as it is: valid UTF-8, no control
// character.
func plain(s string) bool {
	// Eight bytes at a time while they are printable ASCII (no byte under 0x20, none from 0x80),
	// which most of a baseline is.
	const lows, highs = 0x2020202020202020, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if x&highs != 0 || (x-lows)&^x&highs != 0 {
			break
		}
	}
	for j := i; j < len(s); j++ {
		if s[j] < 0x20 {
			return false
		}
	}
	return utf8.ValidString(s[i:])
}

func hex4(s string) (rune, bool) {
	var r rune
	for i := range 4 {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
