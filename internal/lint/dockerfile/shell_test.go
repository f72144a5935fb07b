package dockerfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// dump renders a script's commands, one a line: [assignments and words]@line:col, and how a
// failure is swallowed when it is.
func dump(s *script) string {
	var b strings.Builder
	s.commands(func(c *shell.Cmd) {
		var ws []string
		for _, t := range c.Assigns {
			ws = append(ws, t.Value)
		}
		for _, t := range c.Args {
			ws = append(ws, t.Value)
		}
		p := s.pos(c)
		fmt.Fprintf(&b, "%q@%d:%d", ws, p.line, p.col)
		if c.Swallowed != "" {
			fmt.Fprintf(&b, " swallowed by %q", c.Swallowed)
		}
		b.WriteString("\n")
	})
	return b.String()
}

// text places s at line 1, column 1, counting lines and columns as a file would.
func text(s string) posText {
	var t posText
	line, col := 1, 1
	for i := 0; i < len(s); i++ {
		t.add(s[i], pos{line, col})
		col++
		if s[i] == '\n' {
			line, col = line+1, 1
		}
	}
	return t
}

func TestParseScript(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"and-or and pipe", `apt-get update && curl -fsSL x | bash - || true`,
			`["apt-get" "update"]@1:1 swallowed by "|| true"` + "\n" + `["curl" "-fsSL" "x"]@1:19 swallowed by "|| true"` + "\n" + `["bash" "-"]@1:34 swallowed by "|| true"` + "\n" + `["true"]@1:44` + "\n"},
		{"lists", "a; b & c\nd",
			"[\"a\"]@1:1\n[\"b\"]@1:4\n[\"c\"]@1:8\n[\"d\"]@2:1\n"},
		{"a list ending in true without set -e", "a; b; true",
			"[\"a\"]@1:1\n[\"b\"]@1:4 swallowed by \"; true\"\n[\"true\"]@1:7\n"},
		{"quotes and substitutions", `echo "a && b" 'c | d' $(x | y) ${v:-"q"} ` + "`z;`",
			`["echo" "a && b" "c | d" "$(x | y)" "${v:-\"q\"}" "` + "`z;`" + `"]@1:1` + "\n"},
		{"redirections are not words", `npm i 2>/dev/null >&2 &>/x <in || true`,
			`["npm" "i"]@1:1 swallowed by "|| true"` + "\n" + `["true"]@1:35` + "\n"},
		{"assignments", `FOO=1 BAR="x y" pip install z`,
			`["FOO=1" "BAR=x y" "pip" "install" "z"]@1:1` + "\n"},
		{"subshell and brace group", "(cd /x && make) || { echo no; exit 1; }",
			"[\"cd\" \"/x\"]@1:2\n[\"make\"]@1:11\n[\"echo\" \"no\"]@1:22\n[\"exit\" \"1\"]@1:31\n"},
		{"echo then exit still fails", "pip install x || echo failed && exit 1",
			"[\"pip\" \"install\" \"x\"]@1:1\n[\"echo\" \"failed\"]@1:18\n[\"exit\" \"1\"]@1:33\n"},
		{"compound commands", "if true; then pip install x; fi\nfor f in a b; do echo $f; done",
			"[\"true\"]@1:4\n[\"pip\" \"install\" \"x\"]@1:15\n[\"echo\" \"$f\"]@2:18\n"},
		{"comments", "a # b && c\nd",
			"[\"a\"]@1:1\n[\"d\"]@2:1\n"},
		{"line continuation inside a script", "pip \\\n  install x",
			`["pip" "install" "x"]@1:1` + "\n"},
		{"heredoc bodies are data", "cat <<'EOF' > /f && echo ok\npip install x || true\nEOF\nmake",
			"[\"cat\"]@1:1\n[\"echo\" \"ok\"]@1:21\n[\"make\"]@4:1\n"},
		{"process substitution runs its command elsewhere", `bash <(curl -s x)`,
			`["bash" "<(curl -s x)"]@1:1` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dump(parseScript(text(tt.src), false))
			if got != tt.want {
				t.Errorf("parseScript(%q):\n%s\nwant:\n%s", tt.src, got, tt.want)
			}
		})
	}
}

// TestParseScriptLimits: a script nested past the shell analysis's limit is not read, and says so.
func TestParseScriptLimits(t *testing.T) {
	s := parseScript(text(strings.Repeat("$(", 5000)+"x"+strings.Repeat(")", 5000)), false)
	if s.limit == nil || len(s.sc.Cmds) != 0 {
		t.Fatalf("limit = %v, %d commands", s.limit, len(s.sc.Cmds))
	}
}

func TestArgv(t *testing.T) {
	tests := []struct{ src, want string }{
		{"sudo -E -u root pip install x", `["pip" "install" "x"] []`},
		{"env -i A=1 B=2 npm ci", `["npm" "ci"] ["A=1" "B=2"]`},
		{"X=1 exec gosu app ./run", `["./run"] ["X=1"]`},
		{"timeout -s KILL 60 make", `["make"] []`},
		{"xargs -r -n 1 apt-get install -y", `["apt-get" "install" "-y"] []`},
		{"sudo", `[] []`},
	}
	for _, tt := range tests {
		var got string
		parseScript(text(tt.src), false).commands(func(c *shell.Cmd) {
			a, as := argv(c)
			got = fmt.Sprintf("%q %q", a, as)
		})
		if got != tt.want {
			t.Errorf("argv(%q) = %s, want %s", tt.src, got, tt.want)
		}
	}
}

func TestInstallLabel(t *testing.T) {
	tests := []struct{ src, want string }{
		{"apt-get -o Acquire::Retries=3 install -y x", "apt-get install"},
		{"apt-get clean", ""},
		{"apk add --no-cache x", "apk add"},
		{"pip3 install x", "pip3 install"},
		{"python3.12 -u -m pip install x", "python3.12 -m pip install"},
		{"python3 -m venv /v", ""},
		{"pip freeze", ""},
		{"npm i -g x", "npm i"},
		{"npm run build:prod", "npm run"},
		{"npm test", ""},
		{"yarn", "yarn"},
		{"go mod download", "go mod"},
		{"go vet ./...", ""},
		{"make -j4 all", "make"},
		{"uv pip install x", "uv pip"},
		{"rm -rf /tmp/x", ""},
	}
	for _, tt := range tests {
		var got string
		parseScript(text(tt.src), false).commands(func(c *shell.Cmd) {
			a, _ := argv(c)
			got = installLabel(a)
		})
		if got != tt.want {
			t.Errorf("installLabel(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestSecretName(t *testing.T) {
	tests := map[string]bool{
		"GITHUB_TOKEN": true, "token": true, "apiKey": true, "OPENAI_API_KEY": true, "DB_PASSWORD": true,
		"DB_PASSWD": true, "NPM_AUTH": true, "GOOGLE_APPLICATION_CREDENTIALS": true, "client-secret": true,
		"SSH_PRIVATE_KEY": true, "GH_PAT": true, "AWS_SECRET_ACCESS_KEY": true,
		"TOKENIZERS_PARALLELISM": false, "PATH": false, "AUTHOR": false, "GIT_AUTHOR_NAME": false,
		"POSTGRES_PASSWORD_FILE": false, "AUTH_URL": false, "AWS_ACCESS_KEY_ID": false, "PUBLIC_TOKEN": true, "SSH_PUBLIC_KEY": false,
		"GPG_KEY": false, "OAUTH_CLIENT": false, "SECRETARY": false, "": false,
	}
	for name, want := range tests {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestTokenShape(t *testing.T) {
	tests := map[string]string{
		"ghp_" + strings.Repeat("a", 36):           "a GitHub token (ghp_…)",
		"x=ghs_" + strings.Repeat("B", 36):         "a GitHub token (ghs_…)",
		"github_pat_" + strings.Repeat("1", 40):    "a GitHub token (github_pat_…)",
		"sk-ant-api03-" + strings.Repeat("z", 20):  "an Anthropic API key (sk-ant-…)",
		"sk-proj-" + strings.Repeat("z", 20):       "an OpenAI API key (sk-proj-…)",
		"xoxp-1234-5678-abcdef":                    "a Slack token (xoxp-…)",
		"ASIAABCDEFGHIJKLMNOP":                     "an AWS access key id (ASIA…)",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nabc": "a private key (-----BEGIN … PRIVATE KEY-----)",
		"ghp_short":                                     "",
		"AKIAlowercase0000000":                          "",
		"https://github.com/org/repo":                   "",
		"-----BEGIN CERTIFICATE-----":                   "",
		"mask-" + "sk-ant-" + "x":                       "",
		"prefixghp_" + strings.Repeat("a", 36) + "tail": "",
	}
	for in, want := range tests {
		if got := tokenShape(in); got != want {
			t.Errorf("tokenShape(%.20q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecretFile(t *testing.T) {
	tests := map[string]string{
		".npmrc": "npm credentials", "config/.env": "environment secrets", ".env.production": "environment secrets",
		"keys/id_ed25519": "an SSH private key", "tls/server.pem": "a PEM key or certificate", "*.key": "a private key",
		".env*": "environment secrets", "credentials.json": "credentials", "home/.git-credentials": "git credentials",
		".env.example": "", "id_rsa.pub": "", "src/": "", ".": "", "*": "", "package.json": "", ".envrc": "",
	}
	for in, want := range tests {
		if got := secretFile(in); got != want {
			t.Errorf("secretFile(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseScript(f *testing.F) {
	for _, s := range []string{
		"a && b || c | d; e & f\n(g) { h; }",
		"cat <<-'X' >f\n\tbody\n\tX\nmore",
		`echo "$(a "b" $(c))" '${' ` + "`d`",
		"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
		"{ { { { { { { { { { { { { { { { { { { { { { { { { { { { {",
		"2>&1 3<> 4>| <<< &>> |& ;; \\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc := parseScript(text(s), false)
		sc.commands(func(c *shell.Cmd) {
			if p := sc.pos(c); p.line < 0 || p.col < 0 {
				t.Fatalf("negative position %+v", p)
			}
			a, _ := argv(c)
			installLabel(a)
			pipInstall(a)
		})
	})
}
