package secrets

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Tokens are assembled from pieces so that no complete credential appears in this file.
func join(parts ...string) string { return strings.Join(parts, "") }

func TestRedact(t *testing.T) {
	ghp := join("ghp_", "Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5sA1eRt")
	aws := join("AKIA", "Q3VZ7XK2M9PL4RTW")
	pem := join("-----BEGIN ", "RSA PRIVATE KEY-----\n", strings.Repeat("MIIEpAIBAAKCAQEAx9Lq3Vn8Zr2Kt5Wb7Yc1", 2), "\n-----END RSA PRIVATE KEY-----")
	tg := join("123456789", ":", "AAH3kLm9Qx2Zr7Vt5Wn8Yp4Jc6Bd1Fg0HsK")
	for _, tc := range []struct{ name, in, want string }{
		{"clean", "runs-on: ubuntu-latest", "runs-on: ubuntu-latest"},
		{"github", "runs-on: " + ghp + " x", "runs-on: ghp_*** x"},
		{"placeholder still masked", "uses: ghp_xxxxxxxxxxxxxxxxxxxx/x@main", "uses: ghp_***/x@main"},
		{"short prefix kept", "ghp_short", "ghp_short"},
		{"aws", "key=" + aws + ".", "key=AKIA***."},
		{"pem", "a\n" + pem + "\nb", "a\n-----BEGIN RSA PRIVATE KEY-----***\nb"},
		{"telegram", "bot " + tg, "bot <bot id>:***"},
		{"two", ghp + " and " + ghp, "ghp_*** and ghp_***"},
		{"word boundary", "xghp_" + strings.Repeat("a", 30), "xghp_" + strings.Repeat("a", 30)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.in); got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("runs-on: " + join("ghp_", "Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5sA1eRt"))
	f.Add(join("-----BEGIN ", "PRIVATE KEY-----\nabc"))
	f.Fuzz(func(t *testing.T, s string) {
		r := Redact(s)
		for _, h := range Find([]byte(r)) {
			t.Fatalf("Redact left a %s at %d in %q", h.Kind, h.Off, r)
		}
	})
}

// The assignment pre-filter must never hide a line the expression would match: on every input,
// running the expression on all lines and only on the lines the filter passes gives the same
// spans.
func FuzzAssignmentPrefilter(f *testing.F) {
	f.Add(join("DB_PASSWORD=", "Zk3mQ9vL2pX8rT1wY6nB4cD7"))
	f.Add("export client_secret : 'abcdefGHIJKL1234'")
	f.Add("the secret is interpolated into the run: script")
	f.Add("api_key\t=\tQWERTYUIOPASDFGH12")
	f.Fuzz(func(t *testing.T, s string) {
		src := []byte(s)
		var all []Hit
		for start := 0; start <= len(src); {
			end := bytes.IndexByte(src[start:], '\n')
			if end < 0 {
				end = len(src)
			} else {
				end += start
			}
			all = assignmentsIn(src[start:end], start, all)
			start = end + 1
		}
		got := assignments(src)
		if len(got) != len(all) {
			t.Fatalf("pre-filtered %v, expression on every line %v, input %q", got, all, s)
		}
		for i := range got {
			if got[i] != all[i] {
				t.Fatalf("pre-filtered %v, expression on every line %v, input %q", got, all, s)
			}
		}
	})
}

// BenchmarkRedact measures Redact on what it sees most: a lint report, lines of
// "path:line:col: message [rule]" with a source excerpt and a caret under each.
//
//	go test -run NONE -bench Redact -benchmem ./internal/secrets/
func BenchmarkRedact(b *testing.B) {
	var src strings.Builder
	for i := 0; src.Len() < 4<<20; i++ {
		fmt.Fprintf(&src, ".github/workflows/repo_%d_.github_workflows_ci.yml:%d:%d: action actions/checkout is at \"master\", which is not a release tag; pin a release tag or a full commit SHA [unpinned-action]\n", i, i%300, i%40)
		fmt.Fprintf(&src, "%d |       uses: actions/checkout@master\n", i%300)
		fmt.Fprintf(&src, "   |             ^\n")
		fmt.Fprintf(&src, "%d |         API_TOKEN: ${{ secrets.API_TOKEN }} # token: see docs\n", i%300)
	}
	s := src.String()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if Redact(s) != s {
			b.Fatal("a clean report was changed")
		}
	}
}
