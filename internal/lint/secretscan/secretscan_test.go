package secretscan

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

// Test inputs are built here rather than stored in testdata: a file of realistic tokens would
// trip every secret scanner (push protection included) that looks at this repository.
const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
)

var (
	rng = rand.New(rand.NewPCG(1, 2))
	gen = secretstest.New(1) // tokens in their providers' real formats (checksums included)
)

func ghp() string { return gen.Checksummed("ghp_") }

func randStr(n int, alphabet string) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

func b62(n int) string { return randStr(n, upper+lower+digits) }

// tok joins the pieces of a token so that no complete token appears in this file's source.
func tok(parts ...string) string { return strings.Join(parts, "") }

func render(fs []findingLine) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(string(f))
		b.WriteByte('\n')
	}
	return b.String()
}

type findingLine string

func scanLines(path, src string) []findingLine {
	var out []findingLine
	for _, f := range Scan(path, []byte(src)) {
		out = append(out, findingLine(fmt.Sprintf("%s (%s)", f, f.Severity)))
	}
	return out
}

func TestScanCases(t *testing.T) {
	rng, gen = rand.New(rand.NewPCG(1, 2)), secretstest.New(1)
	pem := tok("-----BEGIN ", "RSA PRIVATE KEY-----\n") + b62(64) + "\n" + b62(64) + "\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name string
		src  string
		want []findingLine
	}{
		{"ghp", "token: " + ghp() + "\n", []findingLine{"f:1:8: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)"}},
		{"gho", gen.Checksummed("gho_"), []findingLine{"f:1:1: GitHub OAuth token (gho_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)"}},
		{"ghs", "x " + gen.Checksummed("ghs_"), []findingLine{"f:1:3: GitHub server-to-server token (ghs_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)"}},
		{"ghu", gen.Checksummed("ghu_"), []findingLine{"f:1:1: GitHub user-to-server token (ghu_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)"}},
		{"ghr", gen.Checksummed("ghr_"), []findingLine{"f:1:1: GitHub refresh token (ghr_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)"}},
		{"npm", "//registry.npmjs.org/:_authToken=" + gen.Checksummed("npm_"), []findingLine{"f:1:34: npm access token (npm_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)"}},
		{"github_pat", gen.FineGrained(), []findingLine{"f:1:1: GitHub fine-grained personal access token (github_pat_…, 93 chars) committed in plain text [secret-committed] (error)"}},
		{"anthropic", "k=" + tok("sk-", "ant-", "api03-", b62(90), "-", b62(6), "AA"), []findingLine{"f:1:3: Anthropic API key (sk-ant-…, 112 chars) committed in plain text [secret-committed] (error)"}},
		{"openai project", tok("sk-", "proj-", b62(120)), []findingLine{"f:1:1: OpenAI project API key (sk-proj-…, 128 chars) committed in plain text [secret-committed] (error)"}},
		{"openai legacy", tok("sk-", b62(48)), []findingLine{"f:1:1: OpenAI API key (sk-…, 51 chars) committed in plain text [secret-committed] (error)"}},
		{"slack", gen.Slack(), []findingLine{"f:1:1: Slack token (xoxb-…, 56 chars) committed in plain text [secret-committed] (error)"}},
		{"aws", "  aws: " + gen.AWSKeyID(), []findingLine{"f:1:8: AWS access key ID (AKIA…, 20 chars) committed in plain text [secret-committed] (error)"}},
		{"aws temporary", tok("AS", "IA", randStr(16, secretstest.Base32)), []findingLine{"f:1:1: AWS temporary access key ID (ASIA…, 20 chars) committed in plain text [secret-committed] (error)"}},
		{"google", tok("AI", "za", randStr(35, upper+lower+digits+"_-")), []findingLine{"f:1:1: Google API key (AIza…, 39 chars) committed in plain text [secret-committed] (error)"}},
		{"telegram", "bot: " + randStr(1, "123456789") + randStr(9, digits) + ":" + tok("AA", b62(33)), []findingLine{"f:1:6: Telegram bot token (<bot id>:…, 46 chars) committed in plain text [secret-committed] (error)"}},
		{"private key on line 3", "a\nb\n" + pem, []findingLine{"f:3:1: RSA private key (-----BEGIN RSA PRIVATE KEY-----…, 191 chars) committed in plain text [secret-committed] (error)"}},
		{"escaped pem in json", `{"key": "` + tok("-----BEGIN ", `PRIVATE KEY-----\n`) + b62(64) + `\n-----END PRIVATE KEY-----"}`, []findingLine{"f:1:10: private key (-----BEGIN PRIVATE KEY-----…, 120 chars) committed in plain text [secret-committed] (error)"}},
		{"column counts runes", "é€: " + ghp(), []findingLine{"f:1:5: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)"}},
		{"two on one line", ghp() + " " + gen.AWSKeyID(), []findingLine{
			"f:1:1: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)",
			"f:1:42: AWS access key ID (AKIA…, 20 chars) committed in plain text [secret-committed] (error)",
		}},
		{"bearer shows four characters", tok("Authorization: Bearer ", "Zk3mQ9vL2pX8rT1wY6nB4cD7"), []findingLine{`f:1:23: bearer value "Zk3m…" (24 chars) committed in plain text [secret-committed] (error)`}},
		{"jwt", "id_token: " + gen.JWT(), []findingLine{`f:1:11: JWT "eyJh…" (133 chars) committed in plain text [secret-committed] (error)`}},
		{"aws secret by name", tok("aws_secret_", "access_key = ", "wJa1rXUtnFEMI7K7MDENG8bPxRfiCYz3Q9vL2pX8"), []findingLine{`f:1:25: AWS secret access key "wJa1…" (40 chars) committed in plain text [secret-committed] (error)`}},

		// Placeholders and lookalikes stay quiet.
		{"ghp x placeholder", tok("gh", "p_") + strings.Repeat("x", 36), nil},
		{"ghp expression", tok("gh", "p_") + "${{ secrets.TOKEN }}", nil},
		{"ghp short", tok("gh", "p_", b62(20)), nil},
		{"ghp inside word", "abc" + ghp(), nil},
		{"ghp checksum fails", tok("gh", "p_", b62(36)), nil},
		{"aws docs example", tok("AK", "IA", "IOSFODNN7", "EXAMPLE"), nil},
		{"aws too long", tok("AK", "IA", randStr(20, upper+digits)), nil},
		{"aws outside base32", tok("AK", "IA", "Q3VZ7XK2M9PL4RT1"), nil},
		{"openai fake", "OPENAI_API_KEY=sk-fake-smoke-key", nil},
		{"task- is not sk-", "task-" + b62(48), nil},
		{"openai one class", tok("sk-", strings.Repeat("ab", 24)), nil},
		{"pem placeholder", tok("-----BEGIN ", "RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"), nil},
		{"pem grep pattern", `grep -q "` + tok("-----BEGIN ", `OPENSSH PRIVATE KEY-----" key.txt`), nil},
		{"public key", tok("-----BEGIN ", "PUBLIC KEY-----\n") + b62(64) + "\n", nil},
		{"telegram short id", "1234567:" + b62(35), nil},
		{"telegram time", "12:30:45", nil},
		{"slack placeholder", tok("xo", "xb-", "your-token-here-1234567890"), nil},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanLines("f", tc.src)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tc.src, diff)
			}
			for _, f := range Scan("f", []byte(tc.src)) {
				if f.Help != Help {
					t.Errorf("Help = %q", f.Help)
				}
			}
		})
	}
}

// TestScanGolden scans a realistic workflow (with credentials spliced in at run time) and
// compares the rendered findings with testdata/workflow.golden.
func TestScanGolden(t *testing.T) {
	rng, gen = rand.New(rand.NewPCG(3, 4)), secretstest.New(3)
	tmpl, err := os.ReadFile(filepath.Join("testdata", "workflow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// The template marks where tokens go with @@KIND@@ so that it holds no credential itself.
	r := strings.NewReplacer(
		"@@GHP@@", ghp(),
		"@@SLACK@@", tok("xo", "xp-", randStr(12, digits), "-", b62(30)),
		"@@AWS@@", gen.AWSKeyID(),
		"@@PEM@@", tok("-----BEGIN ", "OPENSSH PRIVATE KEY-----")+"\n          "+b62(70),
	)
	src := r.Replace(string(tmpl))
	got := render(scanLines(".github/workflows/deploy.yml", src)) // not a fixture path: no context lowers it
	golden.Check(t, filepath.Join("testdata", "workflow.golden"), []byte(got))
}

func TestMessagesNeverCarryTheSecret(t *testing.T) {
	token := ghp()
	src := "t: " + token
	fs := Scan("f", []byte(src))
	if len(fs) != 1 {
		t.Fatalf("want 1 finding, got %v", fs)
	}
	if strings.Contains(fs[0].String(), token[:5]) {
		t.Errorf("finding %q shows more of a provider token than its prefix", fs[0])
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte(ghp()))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\\n"))
	f.Add([]byte("123456789:" + b62(35)))
	f.Add([]byte("xoxb-"))
	f.Add([]byte("sk-ant-"))
	f.Add([]byte("AKIA"))
	// Seeds shaped like generic credentials (made up, never issued):
	// # molecule-ci: ignore[secret-committed] made-up fuzz seeds
	f.Add([]byte("Authorization: Bearer Zk3mQ9vL2pX8rT1wY6nB4cD7fH0"))
	// # molecule-ci: ignore[secret-committed] made-up fuzz seeds
	f.Add([]byte("CODECOV_TOKEN: 3f2b9c1e-7d4a-4e8b-9a6f-0c5d2e8b1a7f"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := strings.Count(string(src), "\n") + 1
		for _, fd := range Scan("f", src) {
			if fd.Line < 1 || fd.Line > lines || fd.Col < 1 {
				t.Fatalf("finding out of range: %v (lines=%d)", fd, lines)
			}
			if fd.Rule != Rule || fd.Message == "" {
				t.Fatalf("bad finding %+v", fd)
			}
			// The output's redaction must leave a message whole: it carries no more of a value
			// than the four characters it means to show.
			if r := secrets.Redact(fd.Message); r != fd.Message {
				t.Fatalf("Redact changes the message %q into %q", fd.Message, r)
			}
		}
	})
}

func TestIsTestPath(t *testing.T) {
	for p, want := range map[string]bool{
		"internal/handlers/workspace_test.go":          true,
		"tests/test_auth.py":                           true,
		"conftest.py":                                  true,
		"src/__tests__/auth.ts":                        true,
		"web/auth.spec.ts":                             true,
		"app/models/user_spec.rb":                      true,
		"src/main/java/KeyLoadTest.java":               true,
		"openpgp/keys_test_data.go":                    true,
		"gcsfs/gcs-fake-service-account.json":          true,
		"contrib/docker-integration/certs/signing.key": true,
		"test-infra/agent/agent_ssh_key":               true,
		"examples/nginx/key.pem":                       true,
		"testdata/x509/server1_key.pem":                true,
		"options_test.go.tmpl":                         true,
		".env.example":                                 false, // its own name does not count
		"tests/.env.example":                           true,
		"config.yaml":                                  false,
		"docs/api.md":                                  false,
		"internal/attestation/latest.go":               false,
		"contest/testify.go":                           false,
	} {
		if got := IsTestPath(p); got != want {
			t.Errorf("IsTestPath(%q) = %v, want %v", p, got, want)
		}
	}
}
