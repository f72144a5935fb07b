// Package secretscan turns the credentials internal/secrets finds in a file into findings of the
// secret-committed rule: a credential committed in plain text, in any text file. (Misuse of
// `${{ secrets.X }}` inside workflows is another check, internal/lint/workflow's
// secret-exposure.) A finding says where a credential is, what kind it is and enough to triage
// it without opening the file (its length; for a value without a format of its own, its first
// four characters), never the credential itself.
//
// Severity follows what the shape proves (secrets.Class) and where the file is: a provider's
// format is an error anywhere (only the provider mints one); a generic value (a bearer token, a
// credential-named variable's value, a JWT) or a private key in a test or fixture file is most
// often a throwaway fixture, so it is a warning there.
package secretscan

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Rule is the rule id every finding of this package carries.
const Rule = "secret-committed"

// Help is the one-line fix shown with every finding.
const Help = "revoke the credential now, remove it from the file and its history, and read it from a secret store (e.g. ${{ secrets.NAME }} passed through env:)"

// helpTest is the fix for a generic value in a test or fixture file.
const helpTest = "if the value is made up, make it look made up (test-…, <token>) or suppress the line with a reason; if it is real, revoke it and read it from the environment"

// RuleInfo describes the rule for --list-rules, SARIF and the rule registry.
var RuleInfo = report.Rule{
	ID:       Rule,
	Severity: report.Error,
	Doc: "a credential committed in plain text in any text file (workflows, Dockerfiles, code, docs, " +
		"config, .env.example values): provider formats (GitHub and npm tokens with a valid checksum, " +
		"fine-grained PATs, AWS key ids, Slack, OpenAI, Anthropic, Stripe, Google, Telegram, PEM private " +
		"keys) are errors anywhere; values without a format of their own (bearer tokens, JWTs, AWS secret " +
		"keys and .env.example values by their variable name) must look generated, and are warnings in " +
		"test and fixture files; placeholders (truncated with ... or …, xxx, <...>, your-…, example, " +
		"abc123, a1b2c3, test-/fake-/dummy- prefixes, a JWT header alone, published examples) are not " +
		"reported. Replaces the committed-credential half of secret-exposure, which stays an alias " +
		"for suppressions and lint.rules until v2",
}

// Scan reports every literal credential in src. path is copied into the findings and decides
// the context (IsTestPath).
func Scan(path string, src []byte) []report.Finding {
	hits := secrets.Find(src)
	if len(hits) == 0 {
		return nil
	}
	test := IsTestPath(path)
	out := make([]report.Finding, 0, len(hits))
	line, lineStart, pos := 1, 0, 0
	for _, h := range hits {
		for {
			j := bytes.IndexByte(src[pos:h.Off], '\n')
			if j < 0 {
				break
			}
			line++
			pos += j + 1
			lineStart = pos
		}
		sev, note := severity(h.Class, test)
		help := Help
		if sev != report.Error {
			help = helpTest
		}
		out = append(out, report.Finding{
			Path:     path,
			Line:     line,
			Col:      utf8.RuneCount(src[lineStart:h.Off]) + 1,
			Rule:     Rule,
			Severity: sev,
			Message:  message(h, src[h.Off:h.End]) + note,
			Help:     help,
		})
	}
	return out
}

// severity is a hit's severity in its context, and the note the message then carries: in a
// test or fixture file a credential is most likely a throwaway (test keys, fake tokens in a
// provider's shape), except a token whose checksum holds: only the provider makes one.
func severity(c secrets.Class, test bool) (report.Severity, string) {
	if c != secrets.Checksummed && test {
		return report.Warning, " in a test or fixture file"
	}
	return report.Error, ""
}

// message names the kind and length of a credential; a generic value also shows its first four
// characters, a provider's token only its public prefix (the rest is the secret).
func message(h secrets.Hit, v []byte) string {
	n := utf8.RuneCount(v)
	switch h.Class {
	case secrets.Generic:
		return fmt.Sprintf("%s %s committed in plain text", h.Kind, describe(v))
	case secrets.Checksummed:
		return fmt.Sprintf("%s (%s…, %d chars, checksum valid) committed in plain text", h.Kind, h.Shown, n)
	}
	return fmt.Sprintf("%s (%s…, %d chars) committed in plain text", h.Kind, h.Shown, n)
}

// previewRunes is how many characters of a generic value a message shows: enough to tell a JWT
// (eyJh) from a hex digest or a made-up word, far too few to use.
const previewRunes = 4

// describe is a value's first previewRunes characters, quoted and escaped, and its length.
func describe(v []byte) string {
	end, n := 0, 0
	for end < len(v) && n < previewRunes {
		_, size := utf8.DecodeRune(v[end:])
		end += size
		n++
	}
	return strconv.Quote(string(v[:end])+"…") + fmt.Sprintf(" (%d chars)", utf8.RuneCount(v))
}

// testWords are the words of path components that mark tests, fixtures, mocks, examples and
// test infrastructure in the ecosystems of the organisation (Go, Python, JavaScript/TypeScript,
// Ruby, Java): testdata/, __tests__/, keys_test_data.go, gcs-fake-service-account.json,
// docker-integration/, test-infra/, examples/.
var testWords = map[string]bool{
	"test": true, "tests": true, "testing": true, "testdata": true, "spec": true, "specs": true,
	"fixture": true, "fixtures": true, "mock": true, "mocks": true, "fake": true, "fakes": true,
	"stub": true, "stubs": true, "snapshots": true, "e2e": true, "integration": true,
	"example": true, "examples": true, "sample": true, "samples": true, "demo": true,
}

// IsTestPath reports whether the slash path p is a test, fixture, mock or example file: a
// directory or file name holds one of testWords as a word (split at - _ . and case changes:
// x_test.go, test_x.py, conftest.py, x.test.ts, x.spec.js, XTest.java, x_spec.rb).
//
// An .env.example's own name does not count: the file is committed to be copied, so a real
// value in it is the leak its check looks for.
func IsTestPath(p string) bool {
	parts := strings.Split(p, "/")
	if IsExampleEnv(p) {
		parts = parts[:len(parts)-1]
	}
	for _, part := range parts {
		if part == "conftest.py" {
			return true
		}
		for _, w := range secrets.NameParts(part) {
			if testWords[strings.ToLower(strings.Trim(w, "_"))] {
				return true
			}
		}
	}
	return false
}
