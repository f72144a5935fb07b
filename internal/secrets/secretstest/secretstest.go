// Package secretstest makes credentials of every shape internal/secrets knows, for tests: real
// in form (GitHub's and npm's CRC32 checksum holds, AWS ids use AWS's alphabet, JWTs decode),
// random in content, and never stored. A file of realistic tokens would trip every secret
// scanner that looks at this repository (push protection included), so fixtures carry markers
// (@@ghp@@, @@jwt@@...) that Expand replaces when a test runs.
package secretstest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
	// B62 is the alphabet of GitHub's and npm's tokens.
	B62 = upper + lower + digits
	// Base32 is the alphabet of AWS access key ids after their prefix.
	Base32 = upper + "234567"
)

// Gen makes tokens from a seeded generator, so a test sees the same ones on every run.
type Gen struct {
	r *rand.Rand
	// Made lists the tokens Expand put in, so a test can check that no output shows them.
	Made []string
}

// New returns a generator seeded with seed.
func New(seed uint64) *Gen { return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

// Str is n characters drawn from alphabet.
func (g *Gen) Str(n int, alphabet string) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[g.r.IntN(len(alphabet))])
	}
	return b.String()
}

// Checksummed is prefix (ghp_, gho_, ghu_, ghs_, ghr_, npm_), 30 random base62 characters and
// their CRC32 checksum: a token in GitHub's (or npm's) own format.
func (g *Gen) Checksummed(prefix string) string {
	body := g.Str(30, B62)
	return prefix + body + secrets.Base62CRC32([]byte(body))
}

// BadChecksum is Checksummed with the checksum's last character changed.
func (g *Gen) BadChecksum(prefix string) string {
	t := g.Checksummed(prefix)
	last := t[len(t)-1]
	c := B62[(strings.IndexByte(B62, last)+1)%len(B62)]
	return t[:len(t)-1] + string(c)
}

// FineGrained is a GitHub fine-grained personal access token: github_pat_, 22, _, 59.
func (g *Gen) FineGrained() string {
	return "github" + "_pat_" + g.Str(22, B62) + "_" + g.Str(59, B62)
}

// AWSKeyID is an AWS access key id: AKIA and 16 base32 characters.
func (g *Gen) AWSKeyID() string { return "AK" + "IA" + g.Str(16, Base32) }

// Slack is a Slack bot token: xoxb-<team id>-<bot id>-<24 characters>.
func (g *Gen) Slack() string {
	return "xo" + "xb-" + g.Str(1, "123456789") + g.Str(11, digits) + "-" + g.Str(1, "123456789") + g.Str(12, digits) + "-" + g.Str(24, B62)
}

// JWT is a signed JSON Web Token with a random subject and signature.
func (g *Gen) JWT() string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"%s","iat":%d}`, g.Str(12, B62), 1700000000+g.r.IntN(1e8))))
	return h + "." + p + "." + g.Str(43, B62+"-_")
}

// Random is n random base62 characters: the shape of a generic API key or password.
func (g *Gen) Random(n int) string { return g.Str(n, B62) }

var marker = regexp.MustCompile(`@@([a-z0-9_-]+)@@`)

// Markers lists what Expand replaces.
const Markers = "@@ghp@@ @@gho@@ @@ghs@@ @@ghu@@ @@ghr@@ @@npm@@ @@ghp-bad@@ @@github_pat@@ @@aws@@ @@slack@@ @@jwt@@ @@random@@"

// Expand replaces every marker in text with a fresh token of its kind, drawn from g in order.
// An unknown marker is an error naming it, so a typo does not leave a fixture without its token.
func (g *Gen) Expand(text string) (string, error) {
	var bad []string
	out := marker.ReplaceAllStringFunc(text, func(m string) string {
		tok := g.token(m[2 : len(m)-2])
		if tok == "" {
			bad = append(bad, m)
			return m
		}
		g.Made = append(g.Made, tok)
		return tok
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("unknown token markers %s (valid: %s)", strings.Join(bad, ", "), Markers)
	}
	return out, nil
}

// token is a fresh token of the marker's kind, or "" for an unknown kind.
func (g *Gen) token(kind string) string {
	switch kind {
	case "ghp", "gho", "ghs", "ghu", "ghr", "npm":
		return g.Checksummed(kind + "_")
	case "ghp-bad":
		return g.BadChecksum("ghp_")
	case "github_pat":
		return g.FineGrained()
	case "aws":
		return g.AWSKeyID()
	case "slack":
		return g.Slack()
	case "jwt":
		return g.JWT()
	case "random":
		return g.Random(40)
	}
	return ""
}
