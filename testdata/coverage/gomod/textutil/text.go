// Package textutil is exercised both by its own test and, through calc, by calc's tests, so a
// -coverpkg profile lists its blocks once per test binary.
package textutil

import "strings"

// Words splits s on spaces and drops empty words.
func Words(s string) []string {
	var out []string
	for _, w := range strings.Split(s, " ") {
		if w == "" {
			continue
		}
		out = append(out, w)
	}
	return out
}

// Title upper-cases the first letter of each word.
func Title(s string) string {
	ws := Words(s)
	for i, w := range ws {
		ws[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(ws, " ")
}

// Reverse is never called by any test.
func Reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
