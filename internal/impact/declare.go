package impact

import (
	"regexp"
	"strings"
)

// breakingLine is a declaration in a pull request's description: a line starting BREAKING: or
// BREAKING CHANGE: (the Conventional Commits footer), with what breaks after the colon.
var breakingLine = regexp.MustCompile(`(?m)^[ \t>*-]*BREAKING(?:[ -]CHANGES?)?:[ \t]*(\S.*?)[ \t\r]*$`)

// maxDeclaration bounds the declaration quoted in the report.
const maxDeclaration = 300

// Declared says how a pull request declares that it breaks callers: its first BREAKING: line
// (the text after the colon), else a label of labels it carries (compared without case). "" when
// it declares nothing. body and the label names are the pull request's, hostile: the result is
// data for the output encoder.
func Declared(body string, prLabels, labels []string) string {
	if len(body) > 1<<20 {
		body = body[:1<<20]
	}
	if m := breakingLine.FindStringSubmatch(body); m != nil {
		text := m[1]
		if len(text) > maxDeclaration {
			text = text[:maxDeclaration] + "…"
		}
		return "BREAKING: " + text
	}
	for _, l := range prLabels {
		for _, want := range labels {
			if strings.EqualFold(strings.TrimSpace(l), strings.TrimSpace(want)) && want != "" {
				return "label " + l
			}
		}
	}
	return ""
}
