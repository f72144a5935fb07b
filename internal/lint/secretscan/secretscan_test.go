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
)

// Test inputs are built here rather than stored in testdata: a file of realistic tokens would
// trip every secret scanner (push protection included) that looks at this repository.
const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
)

var rng = rand.New(rand.NewPCG(1, 2))

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
	rng = rand.New(rand.NewPCG(1, 2))
	pem := tok("-----BEGIN ", "RSA PRIVATE KEY-----\n") + b62(64) + "\n" + b62(64) + "\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name string
		src  string
		want []findingLine
	}{
		{"ghp", "token: " + tok("gh", "p_", b62(36)) + "\n", []findingLine{"f:1:8: GitHub personal access token (ghp_…) committed in plain text [secret-exposure] (error)"}},
		{"gho", tok("gh", "o_", b62(36)), []findingLine{"f:1:1: GitHub OAuth token (gho_…) committed in plain text [secret-exposure] (error)"}},
		{"ghs", "x " + tok("gh", "s_", b62(36)), []findingLine{"f:1:3: GitHub server-to-server token (ghs_…) committed in plain text [secret-exposure] (error)"}},
		{"ghu", tok("gh", "u_", b62(40)), []findingLine{"f:1:1: GitHub user-to-server token (ghu_…) committed in plain text [secret-exposure] (error)"}},
		{"ghr", tok("gh", "r_", b62(36)), []findingLine{"f:1:1: GitHub refresh token (ghr_…) committed in plain text [secret-exposure] (error)"}},
		{"github_pat", tok("github", "_pat_", b62(22), "_", b62(59)), []findingLine{"f:1:1: GitHub fine-grained personal access token (github_pat_…) committed in plain text [secret-exposure] (error)"}},
		{"anthropic", "k=" + tok("sk-", "ant-", "api03-", b62(90), "-", b62(6), "AA"), []findingLine{"f:1:3: Anthropic API key (sk-ant-…) committed in plain text [secret-exposure] (error)"}},
		{"openai project", tok("sk-", "proj-", b62(120)), []findingLine{"f:1:1: OpenAI project API key (sk-proj-…) committed in plain text [secret-exposure] (error)"}},
		{"openai legacy", tok("sk-", b62(48)), []findingLine{"f:1:1: OpenAI API key (sk-…) committed in plain text [secret-exposure] (error)"}},
		{"slack", tok("xo", "xb-", randStr(12, digits), "-", randStr(13, digits), "-", b62(24)), []findingLine{"f:1:1: Slack token (xoxb-…) committed in plain text [secret-exposure] (error)"}},
		{"aws", "  aws: " + tok("AK", "IA", randStr(16, upper+digits)), []findingLine{"f:1:8: AWS access key ID (AKIA…) committed in plain text [secret-exposure] (error)"}},
		{"aws temporary", tok("AS", "IA", randStr(16, upper+digits)), []findingLine{"f:1:1: AWS temporary access key ID (ASIA…) committed in plain text [secret-exposure] (error)"}},
		{"google", tok("AI", "za", randStr(35, upper+lower+digits+"_-")), []findingLine{"f:1:1: Google API key (AIza…) committed in plain text [secret-exposure] (error)"}},
		{"telegram", "bot: " + randStr(1, "123456789") + randStr(9, digits) + ":" + tok("AA", b62(33)), []findingLine{"f:1:6: Telegram bot token (<bot id>:…) committed in plain text [secret-exposure] (error)"}},
		{"private key on line 3", "a\nb\n" + pem, []findingLine{"f:3:1: RSA private key (-----BEGIN RSA PRIVATE KEY-----…) committed in plain text [secret-exposure] (error)"}},
		{"escaped pem in json", `{"key": "` + tok("-----BEGIN ", `PRIVATE KEY-----\n`) + b62(64) + `\n-----END PRIVATE KEY-----"}`, []findingLine{"f:1:10: private key (-----BEGIN PRIVATE KEY-----…) committed in plain text [secret-exposure] (error)"}},
		{"column counts runes", "é€: " + tok("gh", "p_", b62(36)), []findingLine{"f:1:5: GitHub personal access token (ghp_…) committed in plain text [secret-exposure] (error)"}},
		{"two on one line", tok("gh", "p_", b62(36)) + " " + tok("AK", "IA", randStr(16, upper+digits)), []findingLine{
			"f:1:1: GitHub personal access token (ghp_…) committed in plain text [secret-exposure] (error)",
			"f:1:42: AWS access key ID (AKIA…) committed in plain text [secret-exposure] (error)",
		}},

		// Placeholders and lookalikes stay quiet.
		{"ghp x placeholder", tok("gh", "p_") + strings.Repeat("x", 36), nil},
		{"ghp expression", tok("gh", "p_") + "${{ secrets.TOKEN }}", nil},
		{"ghp short", tok("gh", "p_", b62(20)), nil},
		{"ghp inside word", "abc" + tok("gh", "p_", b62(36)), nil},
		{"aws docs example", tok("AK", "IA", "IOSFODNN7", "EXAMPLE"), nil},
		{"aws too long", tok("AK", "IA", randStr(20, upper+digits)), nil},
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
	rng = rand.New(rand.NewPCG(3, 4))
	tmpl, err := os.ReadFile(filepath.Join("testdata", "workflow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// The template marks where tokens go with @@KIND@@ so that it holds no credential itself.
	r := strings.NewReplacer(
		"@@GHP@@", tok("gh", "p_", b62(36)),
		"@@SLACK@@", tok("xo", "xp-", randStr(12, digits), "-", b62(30)),
		"@@AWS@@", tok("AK", "IA", randStr(16, upper+digits)),
		"@@PEM@@", tok("-----BEGIN ", "OPENSSH PRIVATE KEY-----")+"\n          "+b62(70),
	)
	src := r.Replace(string(tmpl))
	got := render(scanLines("testdata/workflow.yml", src))
	golden.Check(t, filepath.Join("testdata", "workflow.golden"), []byte(got))
}

func TestMessagesNeverCarryTheSecret(t *testing.T) {
	body := b62(36)
	src := "t: " + tok("gh", "p_", body)
	fs := Scan("f", []byte(src))
	if len(fs) != 1 {
		t.Fatalf("want 1 finding, got %v", fs)
	}
	if strings.Contains(fs[0].String(), body[:8]) {
		t.Errorf("finding %q leaks the token", fs[0])
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte("ghp_" + b62(36)))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\\n"))
	f.Add([]byte("123456789:" + b62(35)))
	f.Add([]byte("xoxb-"))
	f.Add([]byte("sk-ant-"))
	f.Add([]byte("AKIA"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := strings.Count(string(src), "\n") + 1
		for _, fd := range Scan("f", src) {
			if fd.Line < 1 || fd.Line > lines || fd.Col < 1 {
				t.Fatalf("finding out of range: %v (lines=%d)", fd, lines)
			}
			if fd.Rule != Rule || fd.Message == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}
