package workflow

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// secret-exposure tells a leak from a hygiene issue:
//   - error: the secret is printed (echo/printf/cat/env to the log, a command under set -x),
//     written into the job summary, into a file the job commits or uploads, placed in a
//     front-end build's public variable (NEXT_PUBLIC_*, VITE_*, REACT_APP_*, PUBLIC_*... are
//     inlined into the JavaScript every visitor downloads) (a job that runs the pull request's
//     code with the secrets is dangerous-trigger's finding, which names them);
//   - warning: `${{ secrets.X }}` interpolated into a run: script (it is written into the
//     script file and breaks on a quote: pass it through env:);
//   - nothing for secrets that hold configuration rather than credentials (REGISTRY_ENDPOINT,
//     CLUSTER_NAME, RESOURCE_GROUP, a variable's name): interpolating or printing them leaks
//     nothing.

var ruleSecret = &Rule{
	ID:       RuleSecret,
	Severity: report.Error,
	Doc:      "a credential printed (echo/printf/cat/env, set -x), written into the job summary or into a file the job commits or uploads, or placed in a front-end public build variable (NEXT_PUBLIC_*, VITE_*, REACT_APP_*, PUBLIC_*...) is a leak (error; a job that runs a pull request's code with secrets is dangerous-trigger's); ${{ secrets.X }} interpolated into run: is a warning (use env:); secrets named for configuration (…_ENDPOINT, …_NAME, …_REGION) are not reported (a credential committed in plain text is secret-committed)",
	Fix:      "pass secrets to scripts through env: and never print them",
	Bad: `on: push
permissions: {contents: read}
jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "deploying with $DEPLOY_TOKEN"
          ./deploy.sh
        env:
          DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: ./deploy.sh
        env:
          DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}
`,
	Applies: Workflows | Actions,
	Check:   checkSecrets,
}

func checkSecrets(f *File, r *Reporter) {
	c := &secretCheck{r: r, f: f, wfSecrets: secretEnv(f.Workflow.Env)}
	c.checkPublicEnv(f.Workflow.Env)
	for _, j := range f.Jobs {
		c.job(j)
		for _, s := range j.Steps {
			c.step(s)
		}
	}
}

// secretCheck is the state of secret-exposure on one file.
type secretCheck struct {
	r                  *Reporter
	f                  *File
	wfSecrets, jobSecr map[string]string
	cur                *Step // the step being checked
}

var secretExpr = regexp.MustCompile(`\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([^'"]+)['"]\s*\])`)

// publicPrefix are the variables front-end builds inline into the browser bundle.
var publicPrefix = regexp.MustCompile(`^(NEXT_PUBLIC_|VITE_|REACT_APP_|PUBLIC_|NUXT_PUBLIC_|EXPO_PUBLIC_|GATSBY_|VUE_APP_|STORYBOOK_)`)

// publicAssign finds NAME=${{ secrets.X }} (or NAME: ...) with a public NAME in scripts and
// with: inputs such as build-args.
var publicAssign = regexp.MustCompile(`\b((?:NEXT_PUBLIC_|VITE_|REACT_APP_|PUBLIC_|NUXT_PUBLIC_|EXPO_PUBLIC_|GATSBY_|VUE_APP_|STORYBOOK_)[A-Za-z0-9_]*)\s*[=:]\s*["']?\$\{\{\s*secrets\.`)

// credentialParts mark a secret name as a credential; configParts as configuration.
var (
	credentialParts = map[string]bool{
		"TOKEN": true, "KEY": true, "SECRET": true, "PASSWORD": true, "PASS": true, "PASSWD": true, "PAT": true,
		"CREDENTIAL": true, "CREDENTIALS": true, "CREDS": true, "AUTH": true, "PRIVATE": true, "CERT": true,
		"CERTIFICATE": true, "WEBHOOK": true, "DSN": true, "SIGNING": true, "APIKEY": true, "COOKIE": true,
		"SESSION": true, "SALT": true, "CONNECTION": true, "PASSPHRASE": true, "PEM": true, "P12": true,
		"PFX": true, "KEYSTORE": true, "JWT": true, "BEARER": true, "OTP": true, "TOTP": true, "SSH": true,
	}
	configParts = map[string]bool{
		"ENDPOINT": true, "URL": true, "URI": true, "HOST": true, "HOSTNAME": true, "REGISTRY": true,
		"CLUSTER": true, "GROUP": true, "REGION": true, "NAME": true, "USER": true, "USERNAME": true,
		"ACCOUNT": true, "PROJECT": true, "ZONE": true, "DOMAIN": true, "BUCKET": true, "ORG": true,
		"EMAIL": true, "PORT": true, "PATH": true, "DIR": true, "VAR": true, "SERVER": true,
		"NAMESPACE": true, "SUBSCRIPTION": true, "TENANT": true, "LOCATION": true, "ENV": true,
		"ENVIRONMENT": true, "APP": true, "SERVICE": true, "REPO": true, "REPOSITORY": true, "IMAGE": true,
		"CHANNEL": true, "CHAT": true, "ID": true, "VERSION": true, "BRANCH": true, "ROLE": true,
		"BRANCHES": true, "ADDRESS": true, "IDENTITY": true, "SHORTNAME": true, "LIST": true,
	}
)

// isConfigSecret reports whether a secret's name says it holds configuration, not a credential:
// a name that ends in a configuration word (TOKEN_NAME, TokenName2, CLUSTER_NAME, DB_HOST, except
// …_URL/…_URI, which often embed a token), or that has configuration words and no credential word.
func isConfigSecret(name string) bool {
	parts := secrets.NameParts(name)
	if n := len(parts); n > 1 {
		last := strings.TrimRight(parts[n-1], "0123456789")
		if configParts[last] && last != "URL" && last != "URI" {
			return true
		}
	}
	config := false
	for _, p := range parts {
		if credentialParts[p] {
			return false
		}
		if configParts[p] {
			config = true
		}
	}
	return config
}

// secretEnv returns the env vars whose values come from secrets, by name.
func secretEnv(env *actionlint.Env) map[string]string {
	if env == nil {
		return nil
	}
	var out map[string]string
	for _, v := range env.Vars {
		if v == nil || v.Name == nil || v.Value == nil || !strings.Contains(v.Value.Value, "secrets") {
			continue
		}
		if m := secretExpr.FindStringSubmatch(v.Value.Value); m != nil {
			if out == nil {
				out = map[string]string{}
			}
			out[v.Name.Value] = m[1] + m[2]
		}
	}
	return out
}

// checkPublicEnv reports secrets placed in front-end public variables of an env: block.
func (r *secretCheck) checkPublicEnv(env *actionlint.Env) {
	if env == nil {
		return
	}
	for _, v := range env.Vars {
		if v == nil || v.Name == nil || v.Value == nil || !publicPrefix.MatchString(v.Name.Value) {
			continue
		}
		if m := secretExpr.FindStringSubmatch(v.Value.Value); m != nil {
			r.r.ReportAs(v.Value.Pos, report.Error, publicMsg(v.Name.Value, m[1]+m[2]))
		}
	}
}

func publicMsg(name, secret string) string {
	return fmt.Sprintf("${{ secrets.%s }} is placed in %s, which the front-end build inlines into the JavaScript every visitor downloads; a public build variable must not hold a credential", secret, name)
}

func (r *secretCheck) job(j *Job) {
	r.jobSecr = secretEnv(j.Env)
	r.checkPublicEnv(j.Env)
}

func (r *secretCheck) step(s *Step) {
	r.cur = s
	r.checkPublicEnv(s.Env)
	stepSecr := secretEnv(s.Env)
	switch e := s.Exec.(type) {
	case *actionlint.ExecAction:
		for _, in := range e.Inputs {
			if in == nil || in.Value == nil || !strings.Contains(in.Value.Value, "secrets") {
				continue // publicAssign needs ${{ secrets.…: skip the expression on the rest
			}
			for _, m := range publicAssign.FindAllStringSubmatchIndex(in.Value.Value, -1) {
				v := in.Value.Value
				sm := secretExpr.FindStringSubmatch(v[m[1]-len("secrets."):])
				name := ""
				if sm != nil {
					name = sm[1] + sm[2]
				}
				r.r.ReportAs(r.f.Pos(in.Value, m[0]), report.Error, publicMsg(v[m[2]:m[3]], name))
			}
		}
	case *actionlint.ExecRun:
		if e.Run == nil {
			return
		}
		r.checkRun(e, stepSecr)
	}
}

func (r *secretCheck) checkRun(e *actionlint.ExecRun, stepSecr map[string]string) {
	v := e.Run.Value
	hasExpr := strings.Contains(v, "${{")
	if !hasExpr && len(stepSecr) == 0 && len(r.jobSecr) == 0 && len(r.wfSecrets) == 0 {
		return
	}
	sc := r.cur.Script()
	reported := map[*shell.Cmd]bool{}
	public := map[int]bool{} // offsets of the expressions already reported as public
	if hasExpr && strings.Contains(v, "secrets") {
		for _, m := range publicAssign.FindAllStringSubmatchIndex(v, -1) {
			sm := secretExpr.FindStringSubmatch(v[m[1]-len("secrets."):])
			if sm != nil {
				r.r.ReportAs(r.f.Pos(e.Run, m[0]), report.Error, publicMsg(v[m[2]:m[3]], sm[1]+sm[2]))
				public[strings.LastIndex(v[:m[1]], "${{")] = true
			}
		}
		for off := 0; ; {
			i := strings.Index(v[off:], "${{")
			if i < 0 {
				break
			}
			i += off
			j := strings.Index(v[i:], "}}")
			if j < 0 {
				break
			}
			off = i + j + 2
			m := secretExpr.FindStringSubmatch(v[i+3 : i+j])
			if m == nil {
				continue
			}
			name := m[1] + m[2]
			if isConfigSecret(name) || public[i] {
				continue
			}
			c := sc.CmdAt(i)
			if c != nil && reported[c] {
				continue
			}
			if msg := r.leak(c, sc, "${{ secrets."+name+" }}"); msg != "" {
				r.r.ReportAs(r.f.Pos(e.Run, i), report.Error, msg)
				if c != nil {
					reported[c] = true
				}
				continue
			}
			r.r.ReportAs(r.f.Pos(e.Run, i), report.Warning, fmt.Sprintf("${{ secrets.%s }} is interpolated into the run: script, where it is written into the script file and breaks on a quote; pass it through env: and use \"$%s\"", name, envName(name)))
		}
	}
	// $TOKEN where TOKEN comes from a secret, printed or written where it leaks.
	for _, c := range sc.Cmds {
		if reported[c] || len(c.Args) < 2 || masks(c) {
			continue
		}
		for _, w := range c.Args[1:] {
			name, secret := r.secretVarIn(w.Raw, stepSecr)
			if name == "" || isConfigSecret(secret) {
				continue
			}
			if msg := r.leak(c, sc, fmt.Sprintf("$%s, which holds ${{ secrets.%s }},", name, secret)); msg != "" {
				r.r.ReportAs(r.f.Pos(e.Run, w.Off), report.Error, msg)
				reported[c] = true
				break
			}
		}
	}
}

// leak says how a command leaks the secret it is given (what names it), or "".
func (r *secretCheck) leak(c *shell.Cmd, sc *shell.Script, what string) string {
	if c == nil {
		return ""
	}
	if masks(c) {
		return ""
	}
	name := c.Name()
	if c.Xtrace && !c.Prints() && c.Name() != "set" {
		return fmt.Sprintf("`%s` runs under set -x, which prints %s to the log with its arguments; never print a secret", name, what)
	}
	if c.Prints() {
		return fmt.Sprintf("`%s` prints %s to the log; never print a secret (the log mask misses transformed values)", name, what)
	}
	if f, ok := c.StdoutFile(); ok {
		switch {
		case strings.Contains(f.Raw, "GITHUB_STEP_SUMMARY"):
			return fmt.Sprintf("`%s` writes %s into the job summary, which everyone who can read the repository sees", name, what)
		case strings.Contains(f.Raw, "GITHUB_ENV") || strings.Contains(f.Raw, "GITHUB_OUTPUT") || strings.Contains(f.Raw, "GITHUB_PATH") || strings.Contains(f.Raw, "GITHUB_STATE") || f.Value == "/dev/null":
		default:
			if how := r.published(f.Value, sc, c); how != "" {
				return fmt.Sprintf("`%s` writes %s into %s, which the job %s", name, what, f.Value, how)
			}
		}
	}
	return ""
}

// published says whether a file is committed (git add/commit later in the script) or uploaded
// as an artifact by a later step of the job.
func (r *secretCheck) published(file string, sc *shell.Script, after *shell.Cmd) string {
	base := path.Base(file)
	if base == "" || base == "." {
		return ""
	}
	for _, c := range sc.Cmds[after.Index+1:] {
		vals := shell.Values(c.Args)
		if len(vals) < 2 || vals[0] != "git" {
			continue
		}
		switch vals[1] {
		case "add":
			for _, a := range vals[2:] {
				if a == "." || a == "-A" || a == "--all" || strings.Contains(a, base) || strings.HasPrefix(file, strings.TrimSuffix(a, "/")+"/") {
					return "commits"
				}
			}
		case "commit":
			for _, a := range vals[2:] {
				if a == "-a" || a == "--all" || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "a") {
					return "commits"
				}
			}
		}
	}
	for _, st := range r.cur.Later() {
		a, ok := st.Exec.(*actionlint.ExecAction)
		if !ok || a.Uses == nil || !strings.HasPrefix(strings.ToLower(a.Uses.Value), "actions/upload-artifact@") {
			continue
		}
		if p := a.Inputs["path"]; p != nil && p.Value != nil {
			for _, line := range strings.Split(p.Value.Value, "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "!") {
					continue
				}
				if strings.Contains(line, base) || line == "." || strings.HasPrefix(file, strings.TrimSuffix(line, "/")+"/") {
					return "uploads as an artifact"
				}
			}
		}
	}
	return ""
}

// masks reports whether an echo registers a value with the log mask (::add-mask::), which is
// how a secret is hidden, not leaked.
func masks(c *shell.Cmd) bool {
	for _, w := range c.Args {
		if strings.Contains(w.Raw, "::add-mask::") {
			return true
		}
	}
	return false
}

func envName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}

// secretVarIn finds an expansion $NAME or ${NAME...} of an env var holding a secret in a word,
// outside single quotes and command substitutions (which print their command's output).
func (r *secretCheck) secretVarIn(raw string, step map[string]string) (string, string) {
	inDouble := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\':
			i++
			continue
		case c == '"':
			inDouble = !inDouble
			continue
		case c == '\'' && !inDouble:
			if j := strings.IndexByte(raw[i+1:], '\''); j >= 0 {
				i += j + 1
			} else {
				i = len(raw)
			}
			continue
		case c != '$' || i+1 >= len(raw):
			continue
		}
		if raw[i+1] == '(' {
			depth := 0
			for ; i < len(raw); i++ {
				if raw[i] == '(' {
					depth++
				} else if raw[i] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			continue
		}
		j := i + 1
		if raw[j] == '{' {
			j++
		}
		k := j
		for k < len(raw) && (raw[k] == '_' || raw[k] >= 'A' && raw[k] <= 'Z' || raw[k] >= 'a' && raw[k] <= 'z' || k > j && raw[k] >= '0' && raw[k] <= '9') {
			k++
		}
		name := raw[j:k]
		if name == "" {
			continue
		}
		for _, m := range []map[string]string{step, r.jobSecr, r.wfSecrets} {
			if expr, ok := m[name]; ok {
				return name, expr
			}
		}
	}
	return "", ""
}
