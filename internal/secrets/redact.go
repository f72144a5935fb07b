package secrets

import (
	"bytes"
	"regexp"
	"slices"
)

// Mask replaces a credential in redacted text: its safe prefix stays, so a reader still sees
// what kind of value was there ("ghp_***").
const Mask = "***"

// looseMin is how many token characters after a known prefix make a value redacted even when Find
// would not report it (a placeholder, too little entropy): output errs on the side of hiding.
const looseMin = 12

// Redact returns s with every credential replaced by its safe prefix and Mask. It is broader than
// Find: anything shaped like a token after a known prefix is masked, because printing a
// placeholder as "ghp_***" costs nothing while printing a real token cannot be undone.
func Redact(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	b := []byte(s)
	spans := Find(b)
	spans = append(spans, loose(b)...)
	spans = append(spans, assignments(b)...)
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b Hit) int { return a.Off - b.Off })
	var out bytes.Buffer
	out.Grow(len(b))
	at := 0
	for _, h := range spans {
		if h.Off < at { // overlapping: already masked by an earlier span
			if h.End > at {
				at = h.End
			}
			continue
		}
		out.Write(b[at:h.Off])
		out.WriteString(h.Shown)
		out.WriteString(Mask)
		at = h.End
	}
	out.Write(b[at:])
	return out.String()
}

// mayHoldSecret is a cheap filter: every shape Find, loose and assignments know has one of
// these bytes (B for "Bearer ").
func mayHoldSecret(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '_', '-', ':', 'A', 'B', '=':
			return true
		}
	}
	return false
}

// loose finds token-shaped values after the known literal prefixes regardless of entropy.
func loose(src []byte) []Hit {
	var hits []Hit
	if !anyPrefix(src) {
		return nil
	}
	for _, p := range prefixes {
		if !p.boundary {
			continue // PEM blocks: Find's structure check is the only sound boundary
		}
		lit := string(p.lit)
		from := 0
		for from < len(src) {
			i := bytes.Index(src[from:], p.lit)
			if i < 0 {
				break
			}
			i += from
			from = i + len(p.lit)
			if i > 0 && isWordByte(src[i-1]) {
				continue
			}
			ok := isTokenByte
			if lit == "AKIA" || lit == "ASIA" {
				ok = isUpperDigit
			}
			n := run(src, i+len(p.lit), ok)
			if n < looseMin {
				continue
			}
			shown := lit
			if lit == "xox" && n > 2 {
				shown = string(src[i : i+5])
			}
			hits = append(hits, Hit{Off: i, End: i + len(p.lit) + n, Kind: "token", Shown: shown})
		}
	}
	return hits
}

// CredentialName matches names of variables that hold credentials (GH_TOKEN, DB_PASSWORD,
// client_secret, OPENAI_API_KEY...).
var CredentialName = regexp.MustCompile(`(?i)(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?)`)

// assignment is `NAME=value` or `NAME: value`, the value optionally quoted.
var assignment = regexp.MustCompile(`(?i)\b([A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?)[A-Za-z0-9_]*)[ \t]*[=:][ \t]*["']?([^\s"'#,;]{12,})`)

// assignments masks the value of a credential-named variable when the value looks generated:
// a password or a bot token without its prefix has no shape of its own, so an env file's line
// shown in a report (`DB_PASSWORD=...`) would otherwise print it.
func assignments(src []byte) []Hit {
	var hits []Hit
	// A match lies within one line and names a credential word: the regular expression (whose
	// leading [A-Za-z0-9_]* backtracks at every position) only runs on the lines that hold one.
	for start := 0; start < len(src); {
		end := bytes.IndexByte(src[start:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += start
		}
		line := src[start:end]
		if mayHoldAssignment(line) {
			hits = assignmentsIn(line, start, hits)
		}
		start = end + 1
	}
	return hits
}

var credentialWords = [][]byte{[]byte("token"), []byte("secret"), []byte("passw"), []byte("passphrase"), []byte("api"), []byte("private_key"), []byte("access_key"), []byte("credential")}

// mayHoldAssignment is a necessary condition of an assignment match, cheap enough to run on every
// output line: a credential word followed, after more name characters and blanks, by '=' or ':'.
// The regular expression stays the judge; it only runs on lines that pass.
func mayHoldAssignment(line []byte) bool {
	var buf [256]byte
	low := buf[:0]
	if len(line) > len(buf) {
		low = make([]byte, 0, len(line))
	}
	for _, c := range line {
		if c >= 0x80 {
			return true // (?i) folds some non-ASCII letters onto the words (K: U+212A): let the expression judge
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low = append(low, c)
	}
	for _, w := range credentialWords {
		for from := 0; from < len(low); {
			i := bytes.Index(low[from:], w)
			if i < 0 {
				break
			}
			j := from + i + len(w)
			for j < len(low) && isWordByte(low[j]) {
				j++
			}
			for j < len(low) && (low[j] == ' ' || low[j] == '\t') {
				j++
			}
			if j < len(low) && (low[j] == '=' || low[j] == ':') {
				return true
			}
			from += i + 1
		}
	}
	return false
}

func assignmentsIn(src []byte, base int, hits []Hit) []Hit {
	for _, m := range assignment.FindAllSubmatchIndex(src, -1) {
		v := src[m[4]:m[5]]
		if bytes.HasPrefix(v, []byte("${")) || bytes.HasPrefix(v, []byte("$(")) || placeholder(v) || !random(v) {
			continue
		}
		hits = append(hits, Hit{Off: base + m[4], End: base + m[5], Kind: "credential", Shown: ""})
	}
	return hits
}
