package dockerfile

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

const secretHelp = "pass secrets with RUN --mount=type=secret,id=... so they never reach a layer or the image history"

// checkSecrets reports secrets that would be baked into the image. Messages name the variable or
// the file, never a value.
func (l *checker) checkSecrets() {
	// A global ARG (before the first FROM) only feeds FROM lines and reaches no image unless a
	// stage declares it again, which is then reported; a token written into the file is a leak
	// wherever it is.
	for _, a := range l.file.MetaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				if what := tokenShape(*kv.Value); what != "" {
					l.add(l.at(a.Location(), RuleSecret, fmt.Sprintf("ARG %s has a value that looks like %s", kv.Key, what), secretHelp))
				}
			}
		}
	}
	for _, st := range l.file.Stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				l.checkArgs(c)
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					l.checkVar(c.Location(), "ENV", kv.Key, kv.Value, true)
				}
			case *instructions.CopyCommand:
				l.checkCopy(c.Location(), "COPY", c.SourcesAndDest)
			case *instructions.AddCommand:
				l.checkCopy(c.Location(), "ADD", c.SourcesAndDest)
			}
		}
	}
}

func (l *checker) checkArgs(c *instructions.ArgCommand) {
	for _, kv := range c.Args {
		v := ""
		if kv.Value != nil {
			v = *kv.Value
		}
		l.checkVar(c.Location(), "ARG", kv.Key, v, kv.Value != nil)
	}
}

func (l *checker) checkVar(loc []parser.Range, instr, key, value string, hasValue bool) {
	if hasValue {
		if what := tokenShape(value); what != "" {
			l.add(l.at(loc, RuleSecret, fmt.Sprintf("%s %s has a value that looks like %s", instr, key, what), secretHelp))
			return
		}
	}
	if rest, ok := publicBuildVar(key); ok {
		if secretName(rest) && !publishable(rest) {
			l.add(l.at(loc, RuleSecret, fmt.Sprintf("%s %s is a front-end public build variable named like a credential: the build inlines its value into the JavaScript every visitor downloads", instr, key), "keep credentials out of NEXT_PUBLIC_/VITE_/REACT_APP_/PUBLIC_ variables; call the API from the server side with a server-only variable"))
		}
		return
	}
	if secretName(key) {
		l.add(l.at(loc, RuleSecret, fmt.Sprintf("%s %s is named like a secret; build args and ENV values are readable in the image history", instr, key), secretHelp))
	}
}

// publicPrefixes are the variables front-end builds inline into the browser bundle.
var publicPrefixes = []string{"NEXT_PUBLIC_", "NUXT_PUBLIC_", "EXPO_PUBLIC_", "VITE_", "REACT_APP_", "VUE_APP_", "GATSBY_", "STORYBOOK_", "PUBLIC_"}

// publicBuildVar returns the rest of a name after a front-end public prefix.
func publicBuildVar(key string) (string, bool) {
	for _, p := range publicPrefixes {
		if rest, ok := strings.CutPrefix(key, p); ok && rest != "" {
			return rest, true
		}
	}
	return "", false
}

// publishable names keys made to be public: Supabase's anon key, Stripe's publishable key, a
// reCAPTCHA site key, Firebase's web API key.
func publishable(name string) bool {
	for _, p := range secrets.NameParts(name) {
		switch p {
		case "ANON", "PUBLISHABLE", "SITE", "FIREBASE", "PUBLIC":
			return true
		}
	}
	return false
}

func (l *checker) checkCopy(loc []parser.Range, instr string, sd instructions.SourcesAndDest) {
	for _, src := range sd.SourcePaths {
		if what := secretFile(src); what != "" {
			l.add(l.at(loc, RuleSecret, fmt.Sprintf("%s puts %q (%s) into the image, where every layer stays readable", instr, path.Base(strings.TrimRight(src, "/")), what), secretHelp+", and list the file in .dockerignore"))
		}
	}
	for _, sc := range sd.SourceContents {
		if what := secretFile(sd.DestPath); what != "" {
			l.add(l.at(loc, RuleSecret, fmt.Sprintf("%s writes %q (%s) into the image from a heredoc", instr, path.Base(strings.TrimRight(sd.DestPath, "/")), what), secretHelp))
		} else if what := tokenShape(sc.Data); what != "" {
			l.add(l.at(loc, RuleSecret, fmt.Sprintf("%s heredoc for %q contains what looks like %s", instr, sd.DestPath, what), secretHelp))
		}
	}
}

// secretWords are name components that mark a credential; secretPairs are two adjacent ones.
var (
	secretWords = map[string]bool{
		"TOKEN": true, "TOKENS": true, "SECRET": true, "SECRETS": true, "PASSWORD": true, "PASSWORDS": true,
		"PASSWD": true, "PASSPHRASE": true, "PAT": true, "CREDENTIAL": true, "CREDENTIALS": true, "CREDS": true,
		"AUTH": true, "APIKEY": true, "AUTHTOKEN": true, "PRIVATEKEY": true, "ACCESSKEY": true, "SECRETKEY": true,
	}
	secretPairs = map[string]bool{"API KEY": true, "PRIVATE KEY": true, "ACCESS KEY": true, "SIGNING KEY": true, "ENCRYPTION KEY": true}
	// A name ending in one of these holds something about a secret, not the secret itself:
	// POSTGRES_PASSWORD_FILE is the recommended way to pass one.
	notSecretLast = map[string]bool{
		"FILE": true, "PATH": true, "DIR": true, "URL": true, "URI": true, "HOST": true, "PORT": true, "ENDPOINT": true,
		"NAME": true, "ID": true, "TYPE": true, "MODE": true, "METHOD": true, "LENGTH": true, "LEN": true, "TTL": true,
		"TIMEOUT": true, "EXPIRY": true, "HEADER": true, "ENABLED": true, "REQUIRED": true, "VERSION": true, "SIZE": true,
	}
)

// secretName reports whether a variable name has a credential word as one of its components, so
// GITHUB_TOKEN and apiKey match but TOKENIZERS_PARALLELISM and PATH do not.
func secretName(key string) bool {
	parts := secrets.NameParts(key)
	if len(parts) == 0 || notSecretLast[parts[len(parts)-1]] {
		return false
	}
	for i, p := range parts {
		if p == "PUBLIC" && i+1 < len(parts) && parts[i+1] == "KEY" {
			return false // a public key is not a secret
		}
		if secretWords[p] || i > 0 && secretPairs[parts[i-1]+" "+p] {
			return true
		}
	}
	return false
}

var tokenShapes = []struct {
	re   *regexp.Regexp
	what func(m string) string
}{
	{regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{20,}`), func(m string) string { return "a GitHub token (" + m[:4] + "…)" }},
	{regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{20,}`), func(string) string { return "a GitHub token (github_pat_…)" }},
	{regexp.MustCompile(`\bsk-ant-[A-Za-z0-9_-]{10,}`), func(string) string { return "an Anthropic API key (sk-ant-…)" }},
	{regexp.MustCompile(`\bsk-proj-[A-Za-z0-9_-]{10,}`), func(string) string { return "an OpenAI API key (sk-proj-…)" }},
	{regexp.MustCompile(`\bxox[abpr]-[A-Za-z0-9-]{10,}`), func(m string) string { return "a Slack token (" + m[:5] + "…)" }},
	{regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`), func(m string) string { return "an AWS access key id (" + m[:4] + "…)" }},
	{regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----`), func(string) string { return "a private key (-----BEGIN … PRIVATE KEY-----)" }},
}

// tokenShape names the kind of credential s contains, or returns "".
func tokenShape(s string) string {
	for _, t := range tokenShapes {
		if m := t.re.FindString(s); m != "" {
			return t.what(m)
		}
	}
	return ""
}

var secretFiles = map[string]string{
	".auth-token":      "an auth token",
	".env":             "environment secrets",
	".npmrc":           "npm credentials",
	".pypirc":          "PyPI credentials",
	".netrc":           "login credentials",
	".git-credentials": "git credentials",
	".dockercfg":       "registry credentials",
	"credentials.json": "credentials",
	"id_rsa":           "an SSH private key",
	"id_dsa":           "an SSH private key",
	"id_ecdsa":         "an SSH private key",
	"id_ed25519":       "an SSH private key",
}

var secretFileNames = slices.Sorted(maps.Keys(secretFiles))

// notSecretEnv are the .env.* files that are templates by convention.
var notSecretEnv = map[string]bool{"example": true, "sample": true, "template": true, "dist": true, "defaults": true, "tmpl": true}

// secretFile says what kind of credentials file a COPY/ADD source or destination names, or "".
func secretFile(p string) string {
	base := path.Base(strings.TrimRight(p, "/"))
	if what := secretFileName(base); what != "" {
		return what
	}
	if i := strings.IndexAny(base, "*?["); i > 0 {
		// A glob with a literal start, such as .env* or id_*: does it match a known file?
		for _, name := range secretFileNames {
			if ok, _ := path.Match(base, name); ok {
				return secretFiles[name]
			}
		}
	}
	return ""
}

func secretFileName(base string) string {
	if what, ok := secretFiles[base]; ok {
		return what
	}
	if rest, ok := strings.CutPrefix(base, ".env."); ok && !notSecretEnv[strings.ToLower(rest)] && !strings.ContainsAny(rest, "*?[") {
		return "environment secrets"
	}
	switch {
	case strings.HasSuffix(base, ".pem"):
		return "a PEM key or certificate"
	case strings.HasSuffix(base, ".key"):
		return "a private key"
	}
	return ""
}
