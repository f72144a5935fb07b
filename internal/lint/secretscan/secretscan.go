// Package secretscan turns the credentials internal/secrets finds in a file into findings of the
// secret-exposure rule. A finding says where a credential is and what kind it is, never the
// credential itself.
//
// Placeholders (ghp_xxxx…, AKIA…EXAMPLE, ${{ secrets.X }}) are rejected by the detector's length,
// character class and entropy checks, because a gate that cries wolf on documentation gets
// switched off.
package secretscan

import (
	"bytes"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Rule is the rule id every finding of this package carries; the workflow linter reports
// `${{ secrets.X }}` misuse under the same id.
const Rule = "secret-exposure"

// Help is the one-line fix shown with every finding.
const Help = "revoke the credential now, remove it from the file and its history, and read it from a secret store (e.g. ${{ secrets.NAME }} passed through env:)"

// Scan reports every literal credential in src. path is only copied into the findings.
func Scan(path string, src []byte) []report.Finding {
	hits := secrets.Find(src)
	if len(hits) == 0 {
		return nil
	}
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
		out = append(out, report.Finding{
			Path:     path,
			Line:     line,
			Col:      utf8.RuneCount(src[lineStart:h.Off]) + 1,
			Rule:     Rule,
			Severity: report.Error,
			Message:  message(h),
			Help:     Help,
		})
	}
	return out
}

func message(h secrets.Hit) string {
	if h.Shown == "" {
		return h.Kind + " committed in plain text"
	}
	return h.Kind + " (" + h.Shown + "…) committed in plain text"
}
