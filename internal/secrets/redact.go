package secrets

import (
	"bytes"
	"regexp"
	"slices"
	"unsafe"
)

// Mask replaces a credential in redacted text: its safe prefix stays, so a reader still sees
// what kind of value was there ("ghp_***").
const Mask = "***"

// looseMin is how many token characters after a known prefix make a value redacted even when Find
// would not report it (a placeholder, too little entropy): output errs on the side of hiding.
const looseMin = 12

// Redact returns s with every credential, and every value registered with AddKnown, replaced by
// its safe prefix and Mask. It is broader than Find: anything shaped like a token after a known
// prefix is masked, because printing a placeholder as "ghp_***" costs nothing while printing a
// real token cannot be undone.
func Redact(s string) string {
	if !mayHoldSecret(s) && !anyKnown() {
		return s
	}
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // read only: nothing below writes to b
	spans := telegram(b)
	if anyPrefix(b) {
		// One walk over the prefixes serves Find's checks and the looser token shape; at a
		// shared offset Find's hit comes first and names the kind more precisely.
		for p, i := range prefixOccurrences(b) {
			if h, ok := p.check(b, i); ok {
				spans = append(spans, h)
			}
			if h, ok := looseAt(b, p, i); ok {
				spans = append(spans, h)
			}
		}
	}
	spans = append(spans, assignments(b)...)
	spans = append(spans, knownHits(b)...) // the values the process was handed (AddKnown)
	if len(spans) == 0 {
		return s
	}
	slices.SortStableFunc(spans, func(a, b Hit) int { return a.Off - b.Off })
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

// mayHoldSecret is a cheap filter: every shape Find, looseAt and assignments know has one of
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

// looseAt reports a token-shaped value after the literal prefix p at i regardless of entropy.
// PEM blocks are left to Find's structure check, the only sound boundary.
func looseAt(src []byte, p prefix, i int) (Hit, bool) {
	if !p.boundary {
		return Hit{}, false
	}
	lit := string(p.lit)
	ok := isTokenByte
	switch lit {
	case "AKIA", "ASIA":
		ok = isUpperDigit
	case "Bearer ", "bearer ", "eyJ": // a JWT's three parts are one value
		ok = func(c byte) bool { return isTokenByte(c) || c == '.' }
	}
	n := run(src, i+len(p.lit), ok)
	if n < looseMin {
		return Hit{}, false
	}
	shown := lit
	if lit == "xox" && n > 2 {
		shown = string(src[i : i+5])
	}
	return Hit{Off: i, End: i + len(p.lit) + n, Kind: "token", Shown: shown}, true
}

// CredentialName matches names of variables that hold credentials (GH_TOKEN, DB_PASSWORD,
// client_secret, OPENAI_API_KEY...).
var CredentialName = regexp.MustCompile(`(?i)(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?)`)

// NotCredentialName matches credential-like names that say where a credential is or what it is
// about, not the credential itself (GITHUB_APP_PRIVATE_KEY_PATH, TOKEN_URL, API_KEY_ID).
var NotCredentialName = regexp.MustCompile(`(?i)(_ID|_URL|_URI|_USER|_USERNAME|_NAME|_FILE|_PATH|_DIR|_HOST|_PORT|_REGION|_TYPE|_SCOPES?|_EXPIRY|_TTL|_HEADER|_ENDPOINT)$|[a-z](Id|ID|Url|URL|Uri|URI|Name|Path|File|Dir|Host|Port|Type)$`)

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

// credentialWords are lower-case prefixes of the credential words of assignment, loose enough to
// be a necessary condition: "api" stands for API_?KEY, "pass" for PASSWORD, PASSWD and PASSPHRASE.
var credentialWords = [][]byte{[]byte("token"), []byte("secret"), []byte("pass"), []byte("api"), []byte("private_key"), []byte("access_key"), []byte("credential")}

// mayHoldAssignment is a necessary condition of an assignment match, cheap enough to run on every
// output line in one forward pass without copying it: a '=' or ':' preceded (after blanks) by a
// run of name characters that holds a credential word, and followed (after blanks and an
// optional quote) by at least 12 value characters — where the expression's value must start.
// The regular expression stays the judge; it only runs on lines that pass.
func mayHoldAssignment(line []byte) bool {
	for i, c := range line {
		if c >= 0x80 {
			return true // (?i) folds some non-ASCII letters onto the words (K: U+212A): let the expression judge
		}
		if c != '=' && c != ':' || len(line)-i-1 < 12 {
			continue
		}
		v := i + 1
		for v < len(line) && (line[v] == ' ' || line[v] == '\t') {
			v++
		}
		if v < len(line) && (line[v] == '"' || line[v] == '\'') {
			v++
		}
		n := 0
		for v+n < len(line) && n < 12 && !notValue[line[v+n]] {
			n++
		}
		if n < 12 {
			continue
		}
		end := i
		for end > 0 && (line[end-1] == ' ' || line[end-1] == '\t') {
			end--
		}
		start := end
		for start > 0 && isWordByte(line[start-1]) {
			start--
		}
		if hasCredentialWord(line[start:end]) {
			return true
		}
	}
	return false
}

// notValue are the bytes assignment's value class excludes: \s (RE2's [\t\n\f\r ]) and "'#,;.
var notValue = func() (t [256]bool) {
	for _, c := range "\t\n\f\r \"'#,;" {
		t[c] = true
	}
	return t
}()

// hasCredentialWord reports whether name holds one of credentialWords, ignoring ASCII case.
func hasCredentialWord(name []byte) bool {
	for k := range name {
		switch name[k] | 0x20 {
		case 't', 's', 'p', 'a', 'c':
		default:
			continue
		}
		for _, w := range credentialWords {
			if hasPrefixFold(name[k:], w) {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold is bytes.HasPrefix ignoring the ASCII case of s; lower is lower case.
func hasPrefixFold(s, lower []byte) bool {
	if len(s) < len(lower) {
		return false
	}
	for i, c := range lower {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != c {
			return false
		}
	}
	return true
}

func assignmentsIn(src []byte, base int, hits []Hit) []Hit {
	for _, m := range assignment.FindAllSubmatchIndex(src, -1) {
		v := src[m[4]:m[5]]
		if bytes.HasPrefix(v, []byte("${")) || bytes.HasPrefix(v, []byte("$(")) || !random(v) {
			continue
		}
		hits = append(hits, Hit{Off: base + m[4], End: base + m[5], Kind: string(src[m[2]:m[3]]) + " value", Class: Generic})
	}
	return hits
}
