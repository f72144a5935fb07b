// Package secrets owns the shapes of credentials: GitHub, OpenAI, Anthropic, MiniMax, Slack, AWS
// (access key IDs, and secret keys by their variable name), Google, Stripe, Telegram and bearer
// tokens and PEM private keys — the union of check-secrets.py's and secret-scan.yml's formats. Find locates them (for the secret-exposure rule);
// Redact masks them in any text before it leaves the process (the reporting layer's last step).
// It never returns a credential's value, only where it is and its safe-to-show prefix.
//
// The scan is one bytes.Index pass per literal prefix (the runtime's vectorised search), so a
// file with no candidate costs a few memchr-speed passes; only candidates are inspected further.
// Placeholders (ghp_xxxx…, AKIA…EXAMPLE, ${{ secrets.X }}) are rejected by length, character
// class and entropy checks, because a gate that cries wolf on documentation gets switched off.
package secrets

import (
	"bytes"
	"iter"
	"math"
	"slices"
	"strings"
)

// Hit is one credential found in a text: the byte range [Off, End) it occupies, its kind
// ("GitHub personal access token") and Shown, the non-secret prefix that is safe to print.
type Hit struct {
	Off, End int
	Kind     string
	Shown    string
}

type hit = Hit

// Find returns every credential in src in offset order, one per start offset.
func Find(src []byte) []Hit {
	if !anyPrefix(src) {
		return telegram(src)
	}
	var hits []hit
	for p, i := range prefixOccurrences(src) {
		if h, ok := p.check(src, i); ok {
			hits = append(hits, h)
		}
	}
	hits = append(hits, telegram(src)...)
	slices.SortFunc(hits, func(a, b hit) int { return a.Off - b.Off })
	return slices.CompactFunc(hits, func(a, b hit) bool { return a.Off == b.Off })
}

// prefixOccurrences yields every occurrence of a literal prefix in src, prefix by prefix, except
// those glued to a preceding word byte where the prefix needs a boundary.
func prefixOccurrences(src []byte) iter.Seq2[prefix, int] {
	return func(yield func(prefix, int) bool) {
		for _, p := range prefixes {
			for from := 0; from < len(src); {
				i := bytes.Index(src[from:], p.lit)
				if i < 0 {
					break
				}
				i += from
				from = i + len(p.lit)
				if i > 0 && p.boundary && isWordByte(src[i-1]) {
					continue
				}
				if !yield(p, i) {
					return
				}
			}
		}
	}
}

// prefixPairs marks the first two bytes of every literal prefix, and byFirst lists the prefixes
// by their first byte: anyPrefix looks up each pair of bytes once instead of searching per prefix.
var prefixPairs, byFirst = func() (pairs [1 << 16]bool, first [256][]prefix) {
	for _, p := range prefixes {
		pairs[uint16(p.lit[0])<<8|uint16(p.lit[1])] = true
		first[p.lit[0]] = append(first[p.lit[0]], p)
	}
	return pairs, first
}()

// anyPrefix reports whether any literal prefix occurs in src, in one pass: most text a report
// prints holds none, and one pass is far cheaper than a search per prefix.
func anyPrefix(src []byte) bool {
	for i := 0; i+1 < len(src); i++ {
		if !prefixPairs[uint16(src[i])<<8|uint16(src[i+1])] {
			continue
		}
		for _, p := range byFirst[src[i]] {
			if bytes.HasPrefix(src[i:], p.lit) {
				return true
			}
		}
	}
	return false
}

type prefix struct {
	lit      []byte
	boundary bool // the byte before must not be a word byte
	check    func(src []byte, i int) (hit, bool)
}

var prefixes = []prefix{
	{[]byte("ghp_"), true, github("GitHub personal access token", "ghp_")},
	{[]byte("gho_"), true, github("GitHub OAuth token", "gho_")},
	{[]byte("ghu_"), true, github("GitHub user-to-server token", "ghu_")},
	{[]byte("ghs_"), true, github("GitHub server-to-server token", "ghs_")},
	{[]byte("ghr_"), true, github("GitHub refresh token", "ghr_")},
	{[]byte("github_pat_"), true, simple("GitHub fine-grained personal access token", "github_pat_", 70, isWordByte)},
	{[]byte("sk-"), true, openAIOrAnthropic},
	{[]byte("xox"), true, slack},
	{[]byte("AKIA"), true, aws("AWS access key ID", "AKIA")},
	{[]byte("ASIA"), true, aws("AWS temporary access key ID", "ASIA")},
	{[]byte("AIza"), true, google},
	{[]byte("-----BEGIN "), false, privateKey},
	{[]byte("sk_live_"), true, simple("Stripe secret key", "sk_live_", 24, isAlnum)},
	{[]byte("sk_test_"), true, simple("Stripe test secret key", "sk_test_", 24, isAlnum)},
	{[]byte("rk_live_"), true, simple("Stripe restricted key", "rk_live_", 24, isAlnum)},
	{[]byte("rk_test_"), true, simple("Stripe restricted test key", "rk_test_", 24, isAlnum)},
	{[]byte("Bearer "), true, bearer},
	{[]byte("aws_secret_access_key"), false, awsSecret("aws_secret_access_key")},
	{[]byte("AWS_SECRET_ACCESS_KEY"), false, awsSecret("AWS_SECRET_ACCESS_KEY")},
	{[]byte("SecretAccessKey"), false, awsSecret("SecretAccessKey")},
}

// bearer finds `Bearer <token>` with a literal, machine-generated token (check-secrets.py's
// quoted Bearer pattern); `Bearer $TOKEN` and `Bearer ${{ secrets.X }}` are references.
func bearer(src []byte, i int) (hit, bool) {
	j := i + len("Bearer ")
	for j < len(src) && src[j] == ' ' {
		j++
	}
	n := run(src, j, func(c byte) bool { return isTokenByte(c) || c == '.' })
	if n < 20 || !random(src[j:j+n]) {
		return hit{}, false
	}
	return hit{Off: j, End: j + n, Kind: "bearer token", Shown: ""}, true
}

// awsSecret finds an AWS secret access key by its variable name: the key itself is 40 base64
// characters with no prefix, too common a shape to look for on its own (a quoted 40-character
// commit SHA would match, as it does in check-secrets.py).
func awsSecret(name string) func([]byte, int) (hit, bool) {
	return func(src []byte, i int) (hit, bool) {
		j := i + len(name)
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '"' || src[j] == '\'') {
			j++
		}
		if j >= len(src) || (src[j] != '=' && src[j] != ':') {
			return hit{}, false
		}
		j++
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '"' || src[j] == '\'') {
			j++
		}
		n := run(src, j, func(c byte) bool { return isAlnum(c) || c == '/' || c == '+' })
		if n != 40 || j+n < len(src) && (isWordByte(src[j+n]) || src[j+n] == '=') || !random(src[j:j+n]) {
			return hit{}, false
		}
		return hit{Off: j, End: j + n, Kind: "AWS secret access key", Shown: ""}, true
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isTokenByte(c byte) bool { return isWordByte(c) || c == '-' }

func isUpperDigit(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }

// run returns the length of the run of bytes accepted by ok starting at i.
func run(src []byte, i int, ok func(byte) bool) int {
	n := 0
	for i+n < len(src) && ok(src[i+n]) {
		n++
	}
	return n
}

func github(kind, lit string) func([]byte, int) (hit, bool) {
	// Classic tokens are the prefix and 36 base62 characters (the last six a checksum).
	return simple(kind, lit, 36, isAlnum)
}

func simple(kind, lit string, minLen int, ok func(byte) bool) func([]byte, int) (hit, bool) {
	return func(src []byte, i int) (hit, bool) {
		body := src[i+len(lit):]
		n := run(src, i+len(lit), ok)
		if n < minLen || !random(body[:n]) {
			return hit{}, false
		}
		return hit{Off: i, End: i + len(lit) + n, Kind: kind, Shown: lit}, true
	}
}

func openAIOrAnthropic(src []byte, i int) (hit, bool) {
	rest := src[i+3:]
	switch {
	case bytes.HasPrefix(rest, []byte("ant-")):
		return simple("Anthropic API key", "sk-ant-", 40, isTokenByte)(src, i)
	case bytes.HasPrefix(rest, []byte("proj-")):
		return simple("OpenAI project API key", "sk-proj-", 40, isTokenByte)(src, i)
	case bytes.HasPrefix(rest, []byte("svcacct-")):
		return simple("OpenAI service account key", "sk-svcacct-", 40, isTokenByte)(src, i)
	case bytes.HasPrefix(rest, []byte("admin-")):
		return simple("OpenAI admin key", "sk-admin-", 40, isTokenByte)(src, i)
	case bytes.HasPrefix(rest, []byte("cp-")):
		// MiniMax: the F1088 vector of secret-scan.yml.
		return simple("MiniMax API key", "sk-cp-", 60, isTokenByte)(src, i)
	}
	// Legacy OpenAI keys are 48 base62 characters; anything shorter after a bare sk- is far more
	// often a made-up value (sk-fake-smoke-key) than a key.
	return simple("OpenAI API key", "sk-", 40, isAlnum)(src, i)
}

func slack(src []byte, i int) (hit, bool) {
	if i+4 >= len(src) || src[i+4] != '-' || !bytes.ContainsRune([]byte("abprs"), rune(src[i+3])) {
		return hit{}, false
	}
	lit := string(src[i : i+5])
	n := run(src, i+5, isTokenByte)
	body := src[i+5 : i+5+n]
	if n < 20 || !hasDigit(body) || !random(body) {
		return hit{}, false
	}
	return hit{Off: i, End: i + 5 + n, Kind: "Slack token", Shown: lit}, true
}

func aws(kind, lit string) func([]byte, int) (hit, bool) {
	return func(src []byte, i int) (hit, bool) {
		n := run(src, i+4, isUpperDigit)
		if n != 16 || i+20 < len(src) && isWordByte(src[i+20]) {
			return hit{}, false
		}
		body := src[i+4 : i+20]
		if placeholder(body) || entropy(body) < 2.5 {
			return hit{}, false
		}
		return hit{Off: i, End: i + 20, Kind: kind, Shown: lit}, true
	}
}

func google(src []byte, i int) (hit, bool) {
	n := run(src, i+4, isTokenByte)
	if n != 35 || !random(src[i+4:i+4+n]) {
		return hit{}, false
	}
	return hit{Off: i, End: i + 4 + n, Kind: "Google API key", Shown: "AIza"}, true
}

// telegram finds bot tokens, `<8-10 digit bot id>:<35 characters>`. Colons are everywhere in
// YAML, so the cheap test (a digit right before the colon) goes first.
func telegram(src []byte) []hit {
	var hits []hit
	from := 0
	for {
		j := bytes.IndexByte(src[from:], ':')
		if j < 0 {
			return hits
		}
		c := from + j
		from = c + 1
		if c == 0 || src[c-1] < '0' || src[c-1] > '9' {
			continue
		}
		s := c
		for s > 0 && src[s-1] >= '0' && src[s-1] <= '9' {
			s--
		}
		if d := c - s; d < 8 || d > 10 || s > 0 && isTokenByte(src[s-1]) {
			continue
		}
		n := run(src, c+1, isTokenByte)
		if n != 35 || !random(src[c+1:c+1+n]) {
			continue
		}
		hits = append(hits, hit{Off: s, End: c + 1 + n, Kind: "Telegram bot token", Shown: "<bot id>:"})
	}
}

var keyTypes = []string{"RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", "PGP ", ""}

func privateKey(src []byte, i int) (hit, bool) {
	rest := src[i+len("-----BEGIN "):]
	for _, t := range keyTypes {
		if !bytes.HasPrefix(rest, []byte(t)) {
			continue
		}
		tail := rest[len(t):]
		var hdr string
		switch {
		case bytes.HasPrefix(tail, []byte("PRIVATE KEY-----")):
			hdr = "PRIVATE KEY-----"
		case bytes.HasPrefix(tail, []byte("PRIVATE KEY BLOCK-----")):
			hdr = "PRIVATE KEY BLOCK-----"
		default:
			continue
		}
		if !keyBodyFollows(tail[len(hdr):]) {
			return hit{}, false
		}
		kind := strings.TrimSpace(t + "private key")
		if t == "" {
			kind = "private key"
		}
		return hit{Off: i, End: pemEnd(src, i), Kind: kind, Shown: "-----BEGIN " + t + hdr}, true
	}
	return hit{}, false
}

// keyBodyFollows is true when base64 key material follows the BEGIN line (after a real or an
// escaped newline and optional PEM headers), so a grep pattern or a "-----BEGIN ... \n...\n"
// placeholder in documentation is not taken for a key.
func keyBodyFollows(b []byte) bool {
	b = b[:min(len(b), 400)]
	for len(b) > 0 {
		switch {
		case b[0] == '\r' || b[0] == '\n' || b[0] == ' ' || b[0] == '\t' || b[0] == '|':
			b = b[1:]
		case bytes.HasPrefix(b, []byte(`\n`)), bytes.HasPrefix(b, []byte(`\r`)):
			b = b[2:]
		default:
			line := b
			if k := bytes.IndexAny(line, "\r\n\\"); k >= 0 {
				line = line[:k]
			}
			if bytes.IndexByte(line, ':') > 0 { // Proc-Type:, DEK-Info:, Comment: headers
				b = b[len(line):]
				continue
			}
			n := run(line, 0, func(c byte) bool { return isAlnum(c) || c == '+' || c == '/' || c == '=' })
			return n >= 40 && random(line[:n])
		}
	}
	return false
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// placeholderWords mark documentation values. "test" is deliberately absent: four given letters
// show up in real random tokens often enough to hide real leaks.
var placeholderWords = []string{"example", "xxxx", "0000", "1234", "abcd", "your", "fake", "dummy", "placeholder", "redacted", "sample", "changeme", "token_here", "here_"}

func placeholder(b []byte) bool {
	l := bytes.ToLower(b)
	for _, w := range placeholderWords {
		if bytes.Contains(l, []byte(w)) {
			return true
		}
	}
	return false
}

// random accepts a token body that looks machine-generated: not a known placeholder, at least
// two character classes, and a Shannon entropy a hand-typed filler does not reach.
func random(b []byte) bool {
	if placeholder(b) {
		return false
	}
	var lower, upper, digit bool
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	classes := 0
	for _, ok := range []bool{lower, upper, digit} {
		if ok {
			classes++
		}
	}
	return classes >= 2 && entropy(b) >= 3.5
}

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	h := 0.0
	n := float64(len(b))
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// pemEnd is the end of the PEM block starting at i: after its -----END ...----- line when there
// is one within 64 KiB, else the end of the BEGIN line and the key material that follows it.
func pemEnd(src []byte, i int) int {
	limit := min(len(src), i+64<<10)
	if k := bytes.Index(src[i:limit], []byte("-----END ")); k >= 0 {
		e := i + k + len("-----END ")
		if m := bytes.Index(src[e:limit], []byte("-----")); m >= 0 {
			return e + m + len("-----")
		}
	}
	e := i
	for e < limit && src[e] != '\n' {
		e++
	}
	for e < limit && (isAlnum(src[e]) || bytes.IndexByte([]byte("+/=\r\n \t\\|"), src[e]) >= 0) {
		e++
	}
	return e
}

// LooksRandom reports whether b looks machine-generated (not a known placeholder, two character
// classes, high entropy): the test Find applies to a token's body, for callers that judge values
// without a known prefix.
func LooksRandom(b []byte) bool { return random(b) }

// IsPlaceholder reports whether b contains a word that marks documentation values (example,
// your, xxxx, changeme...).
func IsPlaceholder(b []byte) bool { return placeholder(b) }
