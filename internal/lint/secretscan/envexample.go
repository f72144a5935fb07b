package secretscan

import (
	"bytes"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// exampleEnv matches the names of env files meant to be committed with placeholders:
// .env.example, .env.sample, .env.template, .env.dist, example.env, prod.env.example...
var exampleEnv = regexp.MustCompile(`(?i)^(.*\.)?env(\.[a-z0-9_-]+)*\.(example|sample|template|tmpl|dist)$|^(example|sample)\.env$`)

// IsExampleEnv reports whether the file at the slash path p is an `.env.example`-style file.
func IsExampleEnv(p string) bool { return exampleEnv.MatchString(path.Base(p)) }

// credentialName matches variable names that hold credentials; the excluded suffixes name
// where a credential is, not the credential (GITHUB_APP_PRIVATE_KEY_PATH, TOKEN_URL).
var (
	notCredential = regexp.MustCompile(`(?i)(_ID|_URL|_URI|_USER|_USERNAME|_NAME|_FILE|_PATH|_DIR|_HOST|_PORT|_REGION|_TYPE|_SCOPES?|_EXPIRY|_TTL)$`)
	envAssign     = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$`)
)

// placeholderMarks are the other ways people write "fill this in".
var placeholderMarks = []string{"...", "…", "<", ">", "${", "$(", "{{", "%", "replace", "todo", "none", "null", "changeme", "secret", "token", "password", "here"}

// ScanExampleEnv reports values of credential-named variables in an `.env.example`-style file
// that are not placeholders: such a file is committed on purpose, and a real value in it is
// usually a .env copied over the example. Token shapes are Scan's job; this catches the values
// that have no recognisable prefix (a bot token pasted without its id, a password). Empty values,
// `...`, `<your-key>`, `${VAR}`, `changeme` and short or low-entropy values are placeholders.
func ScanExampleEnv(p string, src []byte) []report.Finding {
	var out []report.Finding
	for i, line := range bytes.Split(src, []byte("\n")) {
		m := envAssign.FindSubmatchIndex(line)
		if m == nil {
			continue
		}
		name := string(line[m[2]:m[3]])
		if !secrets.CredentialName.MatchString(name) || notCredential.MatchString(name) {
			continue
		}
		val := bytes.TrimSpace(line[m[4]:m[5]])
		valStart := m[4] + bytes.Index(line[m[4]:], val)
		switch {
		case len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0]:
			val = val[1 : len(val)-1]
			valStart++
		default:
			if j := bytes.Index(val, []byte(" #")); j >= 0 {
				val = bytes.TrimSpace(val[:j])
			}
		}
		if isPlaceholderValue(val) || len(secrets.Find(val)) > 0 { // token shapes: Scan reports them
			continue
		}
		out = append(out, report.Finding{
			Path:     p,
			Line:     i + 1,
			Col:      utf8.RuneCount(line[:valStart]) + 1,
			Rule:     Rule,
			Severity: report.Error,
			Message:  name + " has a value in an example env file that is not a placeholder (a real .env copied over the example?)",
			Help:     "leave the value empty or write a placeholder such as <your-token>; if the value was real, revoke it",
		})
	}
	return out
}

func isPlaceholderValue(v []byte) bool {
	if len(v) < 12 || secrets.IsPlaceholder(v) {
		return true
	}
	l := strings.ToLower(string(v))
	for _, m := range placeholderMarks {
		if strings.Contains(l, m) {
			return true
		}
	}
	// One repeated character, or a value without the variety of a generated one.
	return !secrets.LooksRandom(v)
}
