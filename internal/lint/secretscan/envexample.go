package secretscan

import (
	"path"
	"regexp"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// exampleEnv matches the names of env files meant to be committed with placeholders:
// .env.example, .env.sample, .env.template, .env.dist, example.env, prod.env.example...
var exampleEnv = regexp.MustCompile(`(?i)^(.*\.)?env(\.[a-z0-9_-]+)*\.(example|sample|template|tmpl|dist)$|^(example|sample)\.env$`)

// IsExampleEnv reports whether the file at the slash path p is an `.env.example`-style file.
func IsExampleEnv(p string) bool { return exampleEnv.MatchString(path.Base(p)) }

// placeholderMarks are the ways people write "fill this in" that secrets.JudgeGeneric does not
// already know.
var placeholderMarks = []string{"${", "$(", "{{", "%", "replace", "todo", "none", "null", "changeme", "here"}

// ScanExampleEnv reports values of credential-named variables in an `.env.example`-style file
// that are not placeholders: such a file is committed on purpose, and a real value in it is
// usually a .env copied over the example. The file is read as dotenv (ParseDotenv), so
// `KEY=   # comment` is an empty value. Token shapes are Scan's job; this catches the values that
// have no recognisable prefix (a bot token pasted without its id, a password). Empty values,
// `...`, `<your-key>`, `${VAR}`, `changeme` and short or low-entropy values are placeholders.
func ScanExampleEnv(p string, src []byte) []report.Finding {
	var out []report.Finding
	test := IsTestPath(p)
	for _, v := range ParseDotenv(src) {
		if !secrets.CredentialName.MatchString(v.Name) || secrets.NotCredentialName.MatchString(v.Name) ||
			placeholderValue(v.Value) || len(secrets.Find(v.Value)) > 0 { // token shapes: Scan reports them
			continue
		}
		sev, note := severity(secrets.Generic, test)
		out = append(out, report.Finding{
			Path:     p,
			Line:     v.Line,
			Col:      v.Col,
			Rule:     Rule,
			Severity: sev,
			Message:  v.Name + " value " + describe(v.Value) + " in an example env file is not a placeholder" + note + " (a real .env copied over the example?)",
			Help:     "leave the value empty or write a placeholder such as <your-token>; if the value was real, revoke it",
		})
	}
	return out
}

func placeholderValue(v []byte) bool {
	if len(v) == 0 || secrets.JudgeGeneric(v) != "" {
		return true
	}
	l := strings.ToLower(string(v))
	for _, m := range placeholderMarks {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}
