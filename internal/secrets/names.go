package secrets

import (
	"strings"
	"unicode"
)

// NameParts splits a variable name at _, -, . and lower-to-upper case changes, upper-cased:
// "TokenName2" -> TOKEN NAME2, "NEXT_PUBLIC_API_KEY" -> NEXT PUBLIC API KEY. The workflow and
// Dockerfile rules judge names of secrets and build variables by these parts.
func NameParts(key string) []string {
	var parts []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			parts = append(parts, strings.ToUpper(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range key {
		switch {
		case r == '_' || r == '-' || r == '.':
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return parts
}
