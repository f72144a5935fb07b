// Package secrets owns the shapes of credentials: GitHub (with its CRC32 checksum), npm (the
// same), OpenAI, Anthropic, MiniMax, Slack, AWS (access key IDs, and secret keys by their
// variable name), Google, Stripe, Telegram, JWTs, bearer tokens and PEM private keys — the union
// of check-secrets.py's and secret-scan.yml's formats and gitleaks' judgement of them. Find
// locates them (for the secret-committed rule); Redact masks them in any text before it leaves
// the process (the reporting layer's last step). It never returns a credential's value, only
// where it is, its safe-to-show prefix and how much its shape proves (Class).
//
// The scan is one bytes.Index pass per literal prefix (the runtime's vectorised search), so a
// file with no candidate costs a few memchr-speed passes; only candidates are inspected further.
// A candidate is judged the way gitleaks and trufflehog do before it is called a credential:
// the provider's format and checksum where one exists, entropy and character classes for
// values without a format, placeholder shapes (ghp_xxxx…, AKIA…EXAMPLE, a1b2c3…, test-…, a value
// cut off with "..."), known public examples and JWT structure — because a gate that cries wolf
// on documentation gets switched off.
package secrets

import (
	"bytes"
	"iter"
	"math"
	"slices"
	"strings"
)

// Hit is one credential found in a text: the byte range [Off, End) it occupies, its kind
// ("GitHub personal access token"), Shown, the non-secret prefix that is safe to print, and its
// Class, how much its shape alone proves. For a Generic hit [Off, End) is the value alone
// (after "Bearer ", after the variable name), so a caller may describe the value's length and
// first characters; for the others it is the whole token, its prefix included.
type Hit struct {
	Off, End int
	Kind     string
	Shown    string
	Class    Class
}

type hit = Hit

// Find returns every credential in src in offset order, one per start offset.
func Find(src []byte) []Hit {
	if !anyPrefix(src) {
		return append(telegram(src), namedValues(src)...)
	}
	var hits []hit
	for p, i := range prefixOccurrences(src) {
		if h, ok := p.check(src, i); ok {
			hits = append(hits, h)
		}
	}
	hits = append(hits, telegram(src)...)
	hits = append(hits, namedValues(src)...)
	// Stable: at a shared offset the prefix listed first (a provider's format before "Bearer ")
	// names the kind.
	slices.SortStableFunc(hits, func(a, b hit) int { return a.Off - b.Off })
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
	{[]byte("github_pat_"), true, githubFineGrained},
	{[]byte("npm_"), true, github("npm access token", "npm_")},
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
	{[]byte("bearer "), true, bearer},
	{[]byte("eyJ"), true, jwt},
	{[]byte("aws_secret_access_key"), false, awsSecret("aws_secret_access_key")},
	{[]byte("AWS_SECRET_ACCESS_KEY"), false, awsSecret("AWS_SECRET_ACCESS_KEY")},
	{[]byte("SecretAccessKey"), false, awsSecret("SecretAccessKey")},
}

// bearer finds `Bearer <token>` with a literal, machine-generated token (check-secrets.py's
// quoted Bearer pattern); `Bearer $TOKEN` and `Bearer ${{ secrets.X }}` are references, and a
// value cut short (`Bearer eyJhbGciOiJIUzI1NiIs...`) is documentation.
func bearer(src []byte, i int) (hit, bool) {
	j := i + len("Bearer ")
	for j < len(src) && src[j] == ' ' {
		j++
	}
	n := run(src, j, func(c byte) bool { return isTokenByte(c) || c == '.' })
	v := src[j : j+n]
	if trimmed := bytes.TrimRight(v, "."); len(trimmed) < len(v)-1 || truncatedAfter(src, j+n) {
		return hit{}, false // "abc..." or "abc…": shortened for the reader
	}
	v = bytes.TrimRight(v, ".")              // the full stop of a sentence
	jwt := bytes.HasPrefix(v, []byte("eyJ")) // judged by its structure: its dots are no code
	if len(v) < minNamed || providerPrefixed(v) || !jwt && (codeOrPath(v) || !hasLetterAndDigit(v)) || JudgeGeneric(v) != "" {
		return hit{}, false // `bearer authn.AuthConfig` is a Go field, not a token
	}
	kind := "bearer value"
	if jwt {
		kind = "bearer JWT"
	}
	return hit{Off: j, End: j + len(v), Kind: kind, Class: Generic}, true
}

// minNamed is the shortest generic value Find reports (after Bearer, of a credential-named
// variable): shorter ones are passwords of local test services and code far more often than
// leaks, and have too few characters for an entropy test to mean much.
const minNamed = 20

// namedValues finds the values of credential-named variables (CODECOV_TOKEN: <uuid>,
// client_secret = "..."), as gitleaks' generic-api-key rule does, judged strictly: at least
// minNamed characters that look generated, with a letter and a digit, no provider prefix (its
// own check judges it), and nothing of code or of a path (calls, subscripts, attribute access,
// URLs, file paths), because such a line in code is far more often an expression than a value.
func namedValues(src []byte) []Hit {
	var out []Hit
	for _, h := range assignments(src) {
		if q := bytes.IndexByte(src[h.Off:h.End], '&'); q >= 0 {
			h.End = h.Off + q // a URL's query: the next parameter is not this value
		}
		h.End = h.Off + len(bytes.TrimRight(src[h.Off:h.End], ".:")) // a sentence's punctuation
		v := src[h.Off:h.End]
		name := strings.TrimSuffix(h.Kind, " value")
		if len(v) < minNamed || NotCredentialName.MatchString(name) || truncatedAfter(src, h.End) || inProse(src, h.Off, name) ||
			providerPrefixed(v) || !hasLetterAndDigit(v) || codeOrPath(v) || wordLike(v) || JudgeGeneric(v) != "" {
			continue
		}
		out = append(out, h)
	}
	return out
}

// inProse reports whether the credential-named word before the value at off is a word of a
// sentence ("Next page token: ...", "Using token: ..."), not a variable: a lower-case name right
// after another word and a space.
func inProse(src []byte, off int, name string) bool {
	if name != strings.ToLower(name) {
		return false
	}
	ns := bytes.LastIndex(src[:off], []byte(name))
	return ns >= 2 && src[ns-1] == ' ' && (src[ns-2] >= 'a' && src[ns-2] <= 'z' || src[ns-2] >= 'A' && src[ns-2] <= 'Z')
}

// wordLike reports whether v reads as identifiers or words (google_oauth2_credentials,
// PKCS7PrivateKeyTypes, _convert_oauth2_credentials, 2*maxCompilerConcurrency): split at
// non-alphanumerics, lower-to-upper case changes and digit-to-letter changes, at least three
// quarters of its letters are in words (three or more letters, a vowel, lower case after the
// first), and no part has more than two digits. A generated value splits into short,
// vowel-less, mixed-case or digit-ridden parts.
func wordLike(v []byte) bool {
	letters, inWords := 0, 0
	flush := func(part []byte) bool {
		l, d := 0, 0
		vowel, lower := false, true
		for j, c := range part {
			switch {
			case c >= '0' && c <= '9':
				d++
			default:
				l++
				vowel = vowel || bytes.IndexByte([]byte("aeiouyAEIOUY"), c) >= 0
				lower = lower && (j == 0 || c >= 'a' && c <= 'z')
			}
		}
		letters += l
		if l >= 3 && vowel && lower {
			inWords += l
		}
		return d <= 2
	}
	start := 0
	for i := 0; i <= len(v); i++ {
		cut := i == len(v) || !isAlnum(v[i])
		if !cut && i > start {
			p, c := v[i-1], v[i]
			cut = p >= 'a' && p <= 'z' && c >= 'A' && c <= 'Z' || p >= '0' && p <= '9' && !(c >= '0' && c <= '9')
		}
		if !cut {
			continue
		}
		if i > start && !flush(v[start:i]) {
			return false
		}
		start = i
		if i < len(v) && !isAlnum(v[i]) {
			start = i + 1
		}
	}
	return letters > 0 && 4*inWords >= 3*letters
}

func hasLetterAndDigit(v []byte) bool {
	var letter, digit bool
	for _, c := range v {
		letter = letter || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		digit = digit || c >= '0' && c <= '9'
	}
	return letter && digit
}

// codeOrPath reports whether v reads as an expression or a location rather than a value: it
// holds brackets or a backslash, a URL scheme, starts like a path, or is a dotted identifier
// (settings.api_key_v2).
func codeOrPath(v []byte) bool {
	if bytes.ContainsAny(v, "()[]{}<>`\\") || bytes.Contains(v, []byte("://")) || v[0] == '/' || v[0] == '.' || v[0] == '~' || v[0] == '$' {
		return true
	}
	parts := bytes.Split(v, []byte("."))
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || !(p[0] == '_' || p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z') || run(p, 0, isWordByte) != len(p) {
			return false
		}
	}
	return true
}

// providerPrefixed reports whether v starts with a provider's prefix: its own check judges it
// (a ghp_ value whose checksum fails is no token, whatever precedes it).
func providerPrefixed(v []byte) bool {
	for _, p := range providerLits {
		if bytes.HasPrefix(v, []byte(p)) {
			return true
		}
	}
	return false
}

// providerLits are the prefixes of prefixes that name a provider's format.
var providerLits = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "npm_", "sk-", "xox", "AKIA", "ASIA", "AIza", "sk_live_", "sk_test_", "rk_live_", "rk_test_"}

// jwt finds a JSON Web Token anywhere: three base64url parts, the first two JSON objects (the
// header naming its alg). The header alone (`eyJhbGciOiJIUzI1NiIs`, the encoding of
// `{"alg":"HS256",`) is public; jwt.io's example token is known.
func jwt(src []byte, i int) (hit, bool) {
	n := run(src, i, func(c byte) bool { return isTokenByte(c) || c == '.' })
	v := bytes.TrimRight(src[i:i+n], ".")
	if len(v) < 40 || truncatedAfter(src, i+n) || jwtWhy(v) != "" {
		return hit{}, false
	}
	return hit{Off: i, End: i + len(v), Kind: "JWT", Class: Generic}, true
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
		if n != 40 || j+n < len(src) && (isWordByte(src[j+n]) || src[j+n] == '=') || JudgeGeneric(src[j:j+n]) != "" {
			return hit{}, false
		}
		return hit{Off: j, End: j + n, Kind: "AWS secret access key", Class: Generic}, true
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

// github finds the checksummed formats of GitHub (ghp_, gho_, ghu_, ghs_, ghr_) and npm (npm_):
// the prefix, 30 or more base62 characters, and six more that are their CRC32. A body whose
// checksum does not hold is no token of theirs (a placeholder, a hand-edited example): every
// token of these formats has carried the checksum since they were introduced.
func github(kind, lit string) func([]byte, int) (hit, bool) {
	return func(src []byte, i int) (hit, bool) {
		n := run(src, i+len(lit), isAlnum)
		body := src[i+len(lit) : i+len(lit)+n]
		if n < 36 || n > 255 || i+len(lit)+n < len(src) && isWordByte(src[i+len(lit)+n]) || !checksumOK(body) {
			return hit{}, false
		}
		return hit{Off: i, End: i + len(lit) + n, Kind: kind, Shown: lit, Class: Checksummed}, true
	}
}

// githubFineGrained finds GitHub's fine-grained personal access tokens: github_pat_, 22 base62
// characters, an underscore and 59 more. Their checksum is not public, so the shape and the
// entropy decide.
func githubFineGrained(src []byte, i int) (hit, bool) {
	const lit = "github_pat_"
	j := i + len(lit)
	a := run(src, j, isAlnum)
	if a != 22 || j+a >= len(src) || src[j+a] != '_' {
		return hit{}, false
	}
	b := run(src, j+a+1, isAlnum)
	end := j + a + 1 + b
	if b != 59 || end < len(src) && isWordByte(src[end]) || !random(src[j:end]) {
		return hit{}, false
	}
	return hit{Off: i, End: end, Kind: "GitHub fine-grained personal access token", Shown: lit, Class: Format}, true
}

func simple(kind, lit string, minLen int, ok func(byte) bool) func([]byte, int) (hit, bool) {
	return func(src []byte, i int) (hit, bool) {
		body := src[i+len(lit):]
		n := run(src, i+len(lit), ok)
		if n < minLen || truncatedAfter(src, i+len(lit)+n) || !random(body[:n]) || KnownPublic(src[i:i+len(lit)+n]) != "" {
			return hit{}, false
		}
		return hit{Off: i, End: i + len(lit) + n, Kind: kind, Shown: lit, Class: Format}, true
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

// slack finds Slack's tokens: xox[abprs]-, then dash-separated parts of which the first is the
// numeric team or user id (xoxb-<digits>-<digits>-<24 characters>), as Slack issues them.
func slack(src []byte, i int) (hit, bool) {
	if i+4 >= len(src) || src[i+4] != '-' || !bytes.ContainsRune([]byte("abprs"), rune(src[i+3])) {
		return hit{}, false
	}
	lit := string(src[i : i+5])
	n := run(src, i+5, isTokenByte)
	body := src[i+5 : i+5+n]
	id, _, found := bytes.Cut(body, []byte("-"))
	if n < 20 || !found || len(id) == 0 || run(id, 0, func(c byte) bool { return c >= '0' && c <= '9' }) != len(id) ||
		truncatedAfter(src, i+5+n) || !random(body) {
		return hit{}, false
	}
	return hit{Off: i, End: i + 5 + n, Kind: "Slack token", Shown: lit, Class: Format}, true
}

// aws finds AWS access key IDs: the prefix and 16 characters of AWS's base32 alphabet (A-Z,
// 2-7), so AKIA followed by any 16 capitals and digits is not enough.
func aws(kind, lit string) func([]byte, int) (hit, bool) {
	return func(src []byte, i int) (hit, bool) {
		n := run(src, i+4, isUpperDigit)
		if n != 16 || i+20 < len(src) && isWordByte(src[i+20]) {
			return hit{}, false
		}
		body := src[i+4 : i+20]
		if run(body, 0, func(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '2' && c <= '7' }) != 16 ||
			placeholder(body) != "" || entropy(body) < 2.5 {
			return hit{}, false
		}
		return hit{Off: i, End: i + 20, Kind: kind, Shown: lit, Class: Format}, true
	}
}

func google(src []byte, i int) (hit, bool) {
	n := run(src, i+4, isTokenByte)
	if n != 35 || !random(src[i+4:i+4+n]) {
		return hit{}, false
	}
	return hit{Off: i, End: i + 4 + n, Kind: "Google API key", Shown: "AIza", Class: Format}, true
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
		hits = append(hits, hit{Off: s, End: c + 1 + n, Kind: "Telegram bot token", Shown: "<bot id>:", Class: Format})
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
		return hit{Off: i, End: pemEnd(src, i), Kind: kind, Shown: "-----BEGIN " + t + hdr, Class: Key}, true
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
