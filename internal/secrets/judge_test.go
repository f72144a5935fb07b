package secrets_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

// join assembles a token from pieces so that no complete credential appears in this file.
func join(parts ...string) string { return strings.Join(parts, "") }

// find renders Find's hits as "kind/class@off-end".
func find(s string) string {
	var out []string
	for _, h := range secrets.Find([]byte(s)) {
		out = append(out, fmt.Sprintf("%s/%s@%d-%d", h.Kind, h.Class, h.Off, h.End))
	}
	return strings.Join(out, " ")
}

// TestFindJudgement: provider formats by their checksum and alphabet, generic values by their
// shape, and the placeholder classes of issue 15 (documentation cut short, test fixtures, JWT
// headers alone) stay quiet.
func TestFindJudgement(t *testing.T) {
	g := secretstest.New(15)
	ghp, gho, npm := g.Checksummed("ghp_"), g.Checksummed("gho_"), g.Checksummed("npm_")
	bad := g.BadChecksum("ghp_")
	fine := g.FineGrained()
	aws := g.AWSKeyID()
	slack := g.Slack()
	jwt := g.JWT()
	rnd := g.Random(40)
	for _, tc := range []struct{ name, in, want string }{
		{"ghp checksum holds", "t: " + ghp, "GitHub personal access token/checksummed@3-43"},
		{"gho checksum holds", gho, "GitHub OAuth token/checksummed@0-40"},
		{"npm checksum holds", "//registry.npmjs.org/:_authToken=" + npm, "npm access token/checksummed@33-73"},
		{"ghp checksum fails", "t: " + bad, ""},
		{"ghp checksum fails after Bearer", "Authorization: Bearer " + bad, ""},
		{"fine-grained shape", fine, "GitHub fine-grained personal access token/format@0-93"},
		{"fine-grained too short", fine[:80], ""},
		{"aws base32", "id=" + aws, "AWS access key ID/format@3-23"},
		{"aws outside base32", join("AK", "IA", "Q3VZ7XK2M9PL4RT1"), ""},
		{"aws docs example", join("AK", "IA", "IOSFODNN7", "EXAMPLE"), ""},
		{"slack ids", slack, "Slack token/format@0-56"},
		{"slack words", join("xo", "xb-", "your-slack-bot-token-here"), ""},
		{"bearer random", "Authorization: Bearer " + rnd, "bearer value/generic@22-62"},
		{"bearer random, sentence stop", "use Bearer " + rnd + ".", "bearer value/generic@11-51"},
		{"bearer jwt", "Bearer " + jwt, "bearer JWT/generic@7-" + fmt.Sprint(7+len(jwt))},
		{"jwt alone", `token = "` + jwt + `"`, "JWT/generic@9-" + fmt.Sprint(9+len(jwt))},

		{"aws secret too long is a named value", join("aws_secret_", "access_key = ", rnd, "EXTRA"), "aws_secret_access_key value/generic@24-69"},
		{"named value uuid", "  CODECOV_TOKEN: " + "3f2b9c1e-7d4a-4e8b-9a6f-0c5d2e8b1a7f", "CODECOV_TOKEN value/generic@17-53"},
		{"named value quoted", `client_secret = "` + rnd[:24] + `"`, "client_secret value/generic@17-41"},
		{"named value too short", "PASSWORD: e45432jklfdsab", ""},
		{"named value without digit", "API_TOKEN=" + "ZkmQvLpXrTwYnBcDfHjKsAeRtUuHqLwNb", ""},
		{"named value is a call", "secret = base64.b64decode(data_2)", ""},
		{"named value is an attribute", "api_key = settings.api_key_v2_production", ""},
		{"named value is a path", "PRIVATE_KEY=/home/runner/.ssh/id_ed25519_deploy", ""},
		{"named value is a URL", "TOKEN_ENDPOINT_V2=https://auth.example.com/v2/oauth2", ""},
		{"named value names a location", "API_KEY_FILE=Zk3mQ9vL2pX8rT1wY6nB4cD7", ""},
		{"named value reference", "GH_TOKEN: ${{ secrets.GH_TOKEN_2024 }}", ""},
		{"named value identifier", "_CREDENTIALS_KEY = 'google_oauth2_credentials'", ""},
		{"named value type", "    oauth2ClientCredentials: Oauth2ClientCredentials.", ""},
		{"named value expression", "\ttokens = 2*maxCompilerConcurrency + minTokens", ""},
		{"named value in prose", "    Next page token: eav1OzQB0OM8rLdGXOEsyQWSG", ""},
		{"named value in a URL query", "authorize?oauth_token=sdf0o9823sjdfsdf&oauth_callback=https%3A%2F%2Fexample", ""},
		{"named value markup", "credentials: :class:`oauth2client.Credentials`", ""},

		// Issue 15's false alarms on the organisation's repositories.
		{"docs placeholder cut off", `curl -H "Authorization: Bearer mol_pk_live_a1b2c3d4e5f6..." https://api`, ""},
		{"JWT header prefix cut off", "Send `Authorization: Bearer eyJhbGciOiJIUzI1NiIs...` with every request.", ""},
		{"JWT header prefix, ellipsis", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", ""},
		{"go test fixture", `req.Header.Set("Authorization", "Bearer test-workspace-token-abc123")`, ""},
		{"python test fixture", `headers = {"Authorization": "Bearer abc123.def456.ghi789"}`, ""},
		{"interleaved sequence", "Bearer a1b2c3d4e5f6g7h8i9j0k1", ""},
		{"angle placeholder", "Bearer <your-api-token-here>", ""},
		{"fake prefix", "Bearer fake_Zk3mQ9vL2pX8rT1wY6nB4cD7", ""},
		{"reference", "Authorization: Bearer ${{ secrets.TOKEN }}", ""},
		{"jwt.io example", join("Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"), ""},
		{"two-part jwt", "Bearer eyJhbGciOiJIUzI1NiJ9.Zk3mQ9vL2pX8rT1wY6nB4cD7", ""},
		{"provider truncated", join("sk-", "ant-", "api03-", g.Random(40), "..."), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := find(tc.in); got != tc.want {
				t.Errorf("Find(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestJudgeGeneric pins the reason given for every value that is not a credential.
func TestJudgeGeneric(t *testing.T) {
	for in, want := range map[string]string{
		"Zk3mQ9vL2pX8rT1wY6nB4cD7":           "",
		"short":                              "shorter than 12 characters",
		"mol_pk_live_a1b2c3d4e5f6...":        `contains "a1b2c3"`,
		"mol_pk_live_Zk3mQ9vL2pX8rT1...":     `contains "...", looks truncated`,
		"eyJhbGciOiJIUzI1NiIs":               "a JWT needs three parts (header.payload.signature), this has 1",
		"eyJhbGciOiJIUzI1NiIs.e30.x":         "its first part is not a JWT header (base64url JSON naming an alg)",
		"eyJhbGciOiJIUzI1NiJ9.e30.x":         "no signature",
		"eyJmb28iOjF9.e30.Zk3mQ9vL2pX8rT1wY": "its first part is not a JWT header (base64url JSON naming an alg)",
		"test-workspace-token-abc123":        `contains "abc123"`,
		"test-workspace-token-Zk3mQ9":        `starts with "test", a made-up value`,
		"abc123.def456.ghi789":               `contains "abc123"`,
		"bcd234.efg567.hij890":               "sequential or repeated characters",
		"my-secret-value-9":                  `starts with "my-", a made-up value`,
		"prodSecretValueZk3mQ9":              `contains the word "secret", a made-up value`,
		"aaaaaaaaaaaaaaaaaaaaaaaa":           "sequential or repeated characters",
		"zkmqvlpxrtwynbcdfhjksaeu":           "one character class",
		"abababababababab12":                 "low entropy",
		"<your-token>":                       `contains "your"`,
		join("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", "eyJzb21lIjoicGF5bG9hZCJ9.", "4twFt5NiznN84AWoo1d7KO1T_yoc0Z6XOpOVswacPZg"): `signed with the example key "secret", a documentation token`,
		join("2YotnFZ", "FEjr1zCsicMWpAA"):         "RFC 6749's example access token",
		"dGhpcyBpcyBhIGZha2UgYmVhcmVyIHRva2VuIQ==": `base64 of plain text ("dGhpcyBpcyBh" is "this is a"), an encoded example`,
		"dXNlcm5hbWU6cGFzc3dvcmQ=":                 `base64 of plain text ("dGhpcyBpcyBh" is "this is a"), an encoded example`,
	} {
		if got := secrets.JudgeGeneric([]byte(in)); got != want {
			t.Errorf("JudgeGeneric(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBase62CRC32 checks the checksum against one computed independently (Python's zlib.crc32
// in base62, left-padded: the reference implementation of GitHub's blog post).
func TestBase62CRC32(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "000000",
		"molecule":                       "4RpSsT",
		"Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5": "02yPlV",
	} {
		if got := secrets.Base62CRC32([]byte(in)); got != want {
			t.Errorf("Base62CRC32(%q) = %q, want %q", in, got, want)
		}
	}
}
