package secrets

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash"
	"hash/crc32"
	"strconv"
)

// Class is how much a hit's shape alone proves, which decides how far its context may lower it.
type Class uint8

const (
	// Generic is a value with no format of its own, judged by where it stands (after "Bearer ",
	// in a credential-named variable) and by its shape: entropy, character classes, no
	// placeholder marks. A test or fixture file makes such a value most likely a made-up one.
	Generic Class = iota
	// Key is private key material (a PEM block): anyone can make one, and test fixtures are full
	// of throwaway keys, so like a generic value its context may lower it.
	Key
	// Format is a provider's own format (prefix, length, alphabet), with no checksum to verify:
	// only the provider mints such a token, so a test file holding one is no excuse.
	Format
	// Checksummed is a provider format whose checksum holds (GitHub's and npm's CRC32 tail): a
	// real token or a faithful copy of one, wherever it is.
	Checksummed
)

func (c Class) String() string {
	switch c {
	case Key:
		return "key"
	case Format:
		return "format"
	case Checksummed:
		return "checksummed"
	}
	return "generic"
}

// base62 is the alphabet of GitHub's and npm's checksums (digits, upper, lower case).
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Base62CRC32 is the checksum GitHub (ghp_, gho_, ghu_, ghs_, ghr_) and npm (npm_) append to a
// token's random part: the CRC32 (IEEE) of that part in base62, left-padded with zeros to six
// characters (github.blog, "Behind GitHub's new authentication token formats", 2021).
func Base62CRC32(random []byte) string {
	n := crc32.ChecksumIEEE(random)
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out[:])
}

// checksumOK reports whether body (a token without its prefix) ends in the base62 CRC32 of the
// rest: six checksum characters after at least 30 random ones.
func checksumOK(body []byte) bool {
	if len(body) < 36 {
		return false
	}
	k := len(body) - 6
	return Base62CRC32(body[:k]) == string(body[k:])
}

// knownPublic are SHA-256 digests of values published as examples by their providers, so a
// copy of the documentation is not a leak. Digests, not the values, so that this file trips no
// scanner itself.
var knownPublic = map[string]string{
	// jwt.io's default token ({"sub":"1234567890","name":"John Doe","iat":1516239022}, secret
	// "your-256-bit-secret"), copied into countless READMEs.
	"7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606": "jwt.io's example token",
	// Stripe's documentation test key.
	"2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326": "Stripe's documentation test key",
	// RFC 6749's example access and refresh tokens and RFC 6750's example bearer token, quoted by
	// every OAuth library.
	"6c96130f130ab0d6d158397e24d2bcc1c9a5e73ae081f6e983f1c7b545d24a4c": "RFC 6749's example access token",
	"00cf4c781dc37003f7c7dd7d4c9a6ef1e0f4c62d9a291aa8bc398774e3fefd32": "RFC 6749's example refresh token",
	"b8e148545b13c78bc74da2f1a7275dd71e56ddece129d7d2f7b3ecc06f7994da": "RFC 6750's example bearer token",
	// The swarm join tokens of the Docker Engine API's swagger examples.
	"33a6d3750d9a769b1c15ed2c4c2aa19f88fd673de6f98ca5327fb78639770e8d": "the Docker Engine API's example join token",
	"b5b17ca1d65733bbbdf82a5ca9164a549f0b077846125f397658b468c4292e16": "the Docker Engine API's example join token",
}

// KnownPublic names the provider documentation v is copied from, or "" when it is no known
// example.
func KnownPublic(v []byte) string {
	sum := sha256.Sum256(v)
	return knownPublic[hex.EncodeToString(sum[:])]
}

// placeholderWords mark documentation and test values wherever they stand in a value. "test"
// alone is deliberately absent: four given letters show up in real random tokens often enough
// to hide real leaks (the test-/fake-/dummy- prefixes are judged apart).
var placeholderWords = []string{
	"example", "xxx", "0000", "1234", "abcd", "abc123", "a1b2c3", "qwerty", "your", "fake", "dummy",
	"placeholder", "redacted", "sample", "changeme", "token_here", "here_", "***", "<", ">",
}

// placeholderPrefixes start made-up values: test-token-1, fake_key, dummy.secret, mock-jwt.
var placeholderPrefixes = []string{"test", "fake", "dummy", "mock", "sample", "my-", "my_", "foo", "bar"}

// placeholder reports why b, a token body or a value, is a placeholder rather than a
// credential, or "" when nothing marks it as one.
func placeholder(b []byte) string {
	l := bytes.ToLower(b)
	for _, w := range placeholderWords {
		if bytes.Contains(l, []byte(w)) {
			return "contains " + quote(w)
		}
	}
	if bytes.Contains(l, []byte("...")) || bytes.Contains(l, []byte("…")) {
		return `contains "...", looks truncated`
	}
	if patterned(l) {
		return "sequential or repeated characters"
	}
	return ""
}

// genericPlaceholder is placeholder plus the marks that only a value without a format of its
// own can be judged by: a made-up prefix, and the words a person types for one.
func genericPlaceholder(b []byte) string {
	if why := placeholder(b); why != "" {
		return why
	}
	l := bytes.ToLower(b)
	for _, p := range placeholderPrefixes {
		if bytes.HasPrefix(l, []byte(p)) && (len(l) == len(p) || !isAlnum(l[len(p)]) || p[len(p)-1] == '-' || p[len(p)-1] == '_') {
			return "starts with " + quote(string(l[:len(p)])) + ", a made-up value"
		}
	}
	for _, w := range []string{"token", "secret", "password", "passwd", "apikey", "api_key", "api-key"} {
		if bytes.Contains(l, []byte(w)) {
			return "contains the word " + quote(w) + ", a made-up value"
		}
	}
	return ""
}

// patterned reports whether at least half of b is made of runs a person types: three or more
// characters in sequence (abc, 123, cba), repeated (aaa), or interleaved sequences (a1b2c3).
func patterned(b []byte) bool {
	if len(b) < 6 {
		return false
	}
	in := make([]bool, len(b))
	for step := 1; step <= 2; step++ {
		for i := 0; i+2*step < len(b); i++ {
			x, y, z := int(b[i]), int(b[i+step]), int(b[i+2*step])
			if !isAlnum(b[i]) || !isAlnum(b[i+step]) || !isAlnum(b[i+2*step]) {
				continue
			}
			d := y - x
			if (d == 1 || d == -1 || d == 0 && step == 1) && z-y == d {
				in[i], in[i+step], in[i+2*step] = true, true, true
			}
		}
	}
	n := 0
	for _, ok := range in {
		if ok {
			n++
		}
	}
	return 2*n >= len(b)
}

// randomWhy reports why a token body does not look machine-generated, or "" when it does: not
// a placeholder, at least two character classes, and a Shannon entropy a hand-typed filler does
// not reach.
func randomWhy(b []byte, placeholderOf func([]byte) string) string {
	if why := placeholderOf(b); why != "" {
		return why
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
	switch {
	case classes < 2:
		return "one character class"
	case entropy(b) < 3.5:
		return "low entropy"
	}
	return ""
}

// random accepts a token body that looks machine-generated (randomWhy finds nothing).
func random(b []byte) bool { return randomWhy(b, placeholder) == "" }

// JudgeGeneric says whether v, a value with no format of its own (a bearer token, a
// credential-named variable's value), looks like a credential: "" when it does, else why not
// (a placeholder mark, truncation, a made-up prefix, a known public example, too little
// entropy). A JWT is judged by its structure: three base64url parts, the first two JSON objects.
func JudgeGeneric(v []byte) string {
	if len(v) < 12 {
		return "shorter than 12 characters"
	}
	if name := KnownPublic(v); name != "" {
		return name
	}
	if bytes.HasPrefix(v, []byte("eyJ")) {
		return jwtWhy(v)
	}
	if encodedText(v) {
		return "base64 of plain text (" + quote("dGhpcyBpcyBh") + " is \"this is a\"), an encoded example"
	}
	return randomWhy(v, genericPlaceholder)
}

// encodedText reports whether v is base64 of printable text: a phrase ("this is a fake bearer
// token") or user:password, as fixtures and documentation encode them. The bytes of a
// generated secret decode to binary, almost never to a run of printable ASCII.
func encodedText(v []byte) bool {
	t := bytes.TrimRight(v, "=")
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(string(t)); err == nil {
			break
		}
	}
	if err != nil || len(raw) < 8 {
		return false
	}
	for _, c := range raw {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// jwtWhy is "" when v is a whole JWT: header and payload base64url-encoded JSON objects (the
// header naming its alg), and a signature. `eyJhbGciOiJIUzI1NiIs` alone is the public encoding
// of `{"alg":"HS256",` — a header cut short in documentation, not a token.
func jwtWhy(v []byte) string {
	parts := bytes.Split(v, []byte("."))
	if len(parts) != 3 {
		return "a JWT needs three parts (header.payload.signature), this has " + strconv.Itoa(len(parts))
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if !jsonObject(parts[0], &header) || header.Alg == "" {
		return "its first part is not a JWT header (base64url JSON naming an alg)"
	}
	var payload map[string]any
	if !jsonObject(parts[1], &payload) {
		return "its second part is not a JWT payload (base64url JSON)"
	}
	if len(parts[2]) < 16 {
		return "no signature"
	}
	if name := KnownPublic(v); name != "" {
		return name
	}
	if key := exampleKey(header.Alg, v[:len(parts[0])+1+len(parts[1])], parts[2]); key != "" {
		return "signed with the example key " + quote(key) + ", a documentation token"
	}
	return ""
}

// exampleKeys are the HMAC keys documentation signs its example JWTs with (jwt.io, PyJWT,
// jsonwebtoken, the RFCs' readers): a token signed with one proves nothing secret.
var exampleKeys = []string{"secret", "your-256-bit-secret", "your-384-bit-secret", "your-512-bit-secret",
	"key", "password", "changeme", "test", "secretkey", "secret-key", "mysecret", "my-secret", "shhhhh", "supersecret"}

// exampleKey returns the example key an HS256/384/512 JWT is signed with, or "".
func exampleKey(alg string, signed, sig []byte) string {
	var h func() hash.Hash
	switch alg {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		return ""
	}
	want, err := base64.RawURLEncoding.DecodeString(string(bytes.TrimRight(sig, "=")))
	if err != nil {
		return ""
	}
	for _, k := range exampleKeys {
		m := hmac.New(h, []byte(k))
		m.Write(signed)
		if hmac.Equal(m.Sum(nil), want) {
			return k
		}
	}
	return ""
}

func jsonObject(b64 []byte, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(string(bytes.TrimRight(b64, "=")))
	if err != nil || len(raw) == 0 || raw[0] != '{' {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// truncatedAfter reports whether the value ending at end is cut short in the text: followed by
// "..." or "…", as documentation shortens examples (mol_pk_live_a1b2c3...).
func truncatedAfter(src []byte, end int) bool {
	rest := src[end:]
	return bytes.HasPrefix(rest, []byte("..")) || bytes.HasPrefix(rest, []byte("…"))
}

func quote(s string) string { return `"` + s + `"` }
