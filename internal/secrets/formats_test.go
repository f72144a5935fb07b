package secrets

import (
	"strings"
	"testing"
)

// The formats added from check-secrets.py and secret-scan.yml, found by Find and masked by
// Redact; their placeholders stay quiet.
func TestOrgFormats(t *testing.T) {
	body24 := "Zk3mQ9vL2pX8rT1wY6nB4cD7"
	long := "Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5sA1eRtUu8Hq2Lw4Nb6Vc9Xe1Pd3Ro5Ty7"
	aws40 := "wJa1rXUtnFEMI7K7MDENG8bPxRfiCYz3Q9vL2pX8"
	for _, tc := range []struct {
		name, in, kind, redacted string
	}{
		{"stripe live", "key = " + join("sk_", "live_", body24), "Stripe secret key", "key = sk_live_***"},
		{"stripe test", join("'sk_", "test_", body24, "'"), "Stripe test secret key", "'sk_test_***'"},
		{"stripe restricted", join("rk_", "live_", body24), "Stripe restricted key", "rk_live_***"},
		{"minimax", "MINIMAX=" + join("sk-", "cp-", long), "MiniMax API key", "MINIMAX=sk-cp-***"},
		{"bearer", `-H "Authorization: ` + join("Bearer ", "eyJhbGciOiJIUzI1NiJ9.e30.", body24) + `"`, "bearer JWT", `-H "Authorization: Bearer ***"`},
		{"bearer opaque", `-H "Authorization: ` + join("Bearer ", body24) + `"`, "bearer value", `-H "Authorization: Bearer ***"`},
		{"aws secret env", join("AWS_SECRET_", "ACCESS_KEY=", aws40), "AWS secret access key", "AWS_SECRET_ACCESS_KEY=***"},
		{"aws secret ini", join("aws_secret_", "access_key = ", aws40), "AWS secret access key", "aws_secret_access_key = ***"},
		{"aws secret json", join(`"SecretAccess`, `Key": "`, aws40, `"`), "AWS secret access key", `"SecretAccessKey": "***"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := Find([]byte(tc.in))
			if len(hits) != 1 || hits[0].Kind != tc.kind {
				t.Fatalf("Find(%q) = %+v, want one %s", tc.in, hits, tc.kind)
			}
			if got := Redact(tc.in); got != tc.redacted {
				t.Errorf("Redact = %q, want %q", got, tc.redacted)
			}
		})
	}
	for _, quiet := range []string{
		"Authorization: Bearer $GITHUB_TOKEN",
		"Authorization: Bearer ${{ secrets.TOKEN }}",
		"Bearer " + strings.Repeat("a", 30),
		join("sk_", "test_", "your_stripe_key_here_0000"),
		join("sk-", "cp-", "short"),
		join("AWS_SECRET_", "ACCESS_KEY=${AWS_SECRET}"),
		join("AWS_SECRET_", "ACCESS_KEY=", strings.Repeat("x", 40)),
		`"` + strings.Repeat("0123456789abcdef", 2) + "01234567" + `"`, // a quoted commit SHA: check-secrets.py's 40-char pattern fired on these
	} {
		if hits := Find([]byte(quiet)); len(hits) != 0 {
			t.Errorf("Find(%q) = %+v, want nothing", quiet, hits)
		}
	}
}

func TestRedactAssignments(t *testing.T) {
	for in, want := range map[string]string{
		join("DB_PASSWORD=", "Zk3mQ9vL2pX8rT1wY6nB4cD7"):          "DB_PASSWORD=***",
		join(`client_secret: "`, `Zk3mQ9vL2pX8rT1wY6nB4cD7" # x`): `client_secret: "***" # x`,
		"GH_TOKEN=${{ secrets.GH_TOKEN }}":                        "GH_TOKEN=${{ secrets.GH_TOKEN }}",
		"DB_PASSWORD=changeme-please-now":                         "DB_PASSWORD=changeme-please-now",
		"TOKEN_URL=https://example.com/oauth/token":               "TOKEN_URL=https://example.com/oauth/token",
		"password: aaaaaaaaaaaaaaaaaaaa":                          "password: aaaaaaaaaaaaaaaaaaaa",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedactLeavesNoHit: whatever the text, nothing Find recognises survives Redact, and hits stay inside
// the text.
func FuzzRedactLeavesNoHit(f *testing.F) {
	f.Add("token " + join("gh", "p_", "Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5sA1eRt"))
	f.Add(join("AWS_SECRET_", "ACCESS_KEY=", "wJa1rXUtnFEMI7K7MDENG8bPxRfiCYz3Q9vL2pX8"))
	f.Add("Authorization: " + join("Bearer ", "eyJhbGciOiJIUzI1NiJ9.Zk3mQ9vL2pX8rT1wY6nB4cD7"))
	f.Add(join("DB_PASSWORD=", "Zk3mQ9vL2pX8rT1wY6nB4cD7"))
	f.Fuzz(func(t *testing.T, s string) {
		for _, h := range Find([]byte(s)) {
			if h.Off < 0 || h.End > len(s) || h.Off >= h.End {
				t.Fatalf("hit %+v outside a %d-byte text", h, len(s))
			}
		}
		r := Redact(s)
		if hits := Find([]byte(r)); len(hits) > 0 {
			t.Fatalf("Redact(%q) = %q still holds %s", s, r, hits[0].Kind)
		}
	})
}
