package probe

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Remote servers are as hostile as pull requests: every string a probed service or an API
// controls (Go's error text, which quotes a malformed header line whole; a Vercel or Fly
// answer; the names in a status JSON) passes through remoteText where it enters a CheckResult,
// so that one server cannot grow state.json, the history, the status page, an incident or stdout
// beyond a few hundred bytes, nor publish a credential it echoes.
const (
	// maxRemoteText bounds one remote-controlled string.
	maxRemoteText = 300
	// redactWindow is how much of a longer string is redacted before it is cut to
	// maxRemoteText: redacting first means a credential is never cut in half and left partly
	// readable, and the window bounds what redaction costs for a 2 MB line.
	redactWindow = 64 << 10
	// maxIssueBody is GitHub's limit on an issue or comment body, in characters (a longer
	// body is refused with 422 and the incident would never be filed), less room for the line
	// internal/github signs a body with (report.identity: at most 100 characters).
	maxIssueBody = 65536 - 128
	// maxIssueTitle is GitHub's limit on an issue title, in characters.
	maxIssueTitle = 256
)

// remoteText is s with credentials masked (secrets.Redact: their known shapes, and the values
// the run knows to be secret) and cut to maxRemoteText bytes, saying how long it was.
func remoteText(s string) string { return boundText(s, maxRemoteText) }

// storedText bounds a text read back from the stored state, which an older version may have
// written unbounded. A reason joins a few remote texts (a check's kind, its error, the first
// attempt's), so the bound is looser than maxRemoteText: a text this version stored comes back
// unchanged, and a cause does not look changed (and get commented on) because it was read.
func storedText(s string) string { return boundText(s, maxStoredText) }

const maxStoredText = 1024

func boundText(s string, max int) string {
	n := len(s)
	if n > redactWindow {
		s = cutUTF8(s, redactWindow)
	}
	s = secrets.Redact(s)
	if len(s) <= max {
		return s
	}
	return cutUTF8(s, max) + "… (cut from " + strconv.Itoa(n) + " bytes)"
}

// cutUTF8 is the longest prefix of s of at most n bytes that does not split a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// truncateText cuts s to n bytes (at a character boundary) and marks the cut with "…".
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutUTF8(s, n) + "…"
}

// truncateChars cuts s to at most n characters, the mark included: GitHub counts characters.
func truncateChars(s string, n int, mark string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(mark)
	i := 0
	for k := range s {
		if keep == 0 {
			i = k
			break
		}
		keep--
	}
	return s[:i] + mark
}

// SecretValues are the values the probe reads from the environment for cfg's checks, every one a
// secret: each headers-from-env variable's value and, for a value of the form "<scheme>
// <credential>" (Authorization: Bearer …), the credential alone, which a server may echo without
// its scheme. Run registers them (and the deep checks' tokens) with secrets.AddKnown, so every
// output and file masks them; the CLI also hands them to the runner (::add-mask::).
func SecretValues(cfg config.ProbeConfig, getenv func(string) string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range cfg.Services {
		for _, ch := range s.Checks {
			for _, k := range sortedSlugs(ch.HeadersFromEnv) {
				name := ch.HeadersFromEnv[k]
				if seen[name] {
					continue
				}
				seen[name] = true
				v := strings.TrimSpace(getenv(name))
				if v == "" {
					continue
				}
				out = append(out, v)
				if _, cred, ok := strings.Cut(v, " "); ok && strings.TrimSpace(cred) != "" {
					out = append(out, strings.TrimSpace(cred))
				}
			}
		}
	}
	return out
}

// issueBody is a Markdown issue or comment body redacted and cut to GitHub's limit whatever
// went into it, with a code block left open by the cut closed again.
func issueBody(s string) string {
	s = secrets.Redact(s)
	const mark = "\n\n… (cut to GitHub's limit of 65536 characters)"
	if utf8.RuneCountInString(s) <= maxIssueBody {
		return s
	}
	s = truncateChars(s, maxIssueBody-len("\n```")-utf8.RuneCountInString(mark), "")
	if strings.Count(s, "```")%2 == 1 {
		s += "\n```"
	}
	return s + mark
}

// issueTitle is a title redacted and cut to GitHub's limit.
func issueTitle(s string) string {
	return truncateChars(secrets.Redact(s), maxIssueTitle, "…")
}
