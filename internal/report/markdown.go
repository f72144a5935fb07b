package report

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the job summary table. GitHub refuses a step summary over 1 MiB, and the summary file
// is shared by every command of the step, so the table stops well short of it.
const (
	markdownMaxRows  = 1000
	markdownMaxBytes = 512 << 10
	markdownMaxCell  = 500 // characters of one message cell
)

var severityIcons = map[Severity]string{Error: "❌ error", Warning: "⚠️ warning", Info: "ℹ️ info"}

// Markdown renders the report for $GITHUB_STEP_SUMMARY: a heading naming the command, a verdict
// (✅ when nothing fails the gate, ❌ when there are errors) and a table of the findings, which is
// where the findings that did not fit in annotations are read.
func Markdown(rep *Report) string {
	rep = sortedView(Redacted(rep))
	var b strings.Builder
	title := cmp.Or(rep.Tool, sarifToolName)
	if rep.Command != "" {
		title += " " + rep.Command
	}
	fmt.Fprintf(&b, "## %s\n\n", markdownCell(title))
	icon := "✅"
	if e, _, _ := rep.Counts(); e > 0 {
		icon = "❌"
	}
	fmt.Fprintf(&b, "%s %s\n", icon, rep.Summary())
	fs := rep.Findings
	if len(fs) == 0 {
		return b.String()
	}
	b.WriteString("\n| severity | location | rule | message |\n| --- | --- | --- | --- |\n")
	shown := 0
	for _, f := range fs {
		if shown == markdownMaxRows || b.Len() > markdownMaxBytes {
			break
		}
		loc := f.Path
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		sev := cmp.Or(severityIcons[f.Severity], f.Severity.String())
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", sev, markdownCell(loc), markdownCell(f.Rule), markdownCell(truncate(f.Message, markdownMaxCell)))
		shown++
	}
	if n := len(fs) - shown; n > 0 {
		fmt.Fprintf(&b, "\n_%s not shown: the job summary is limited in size. Every finding is in the step log and the SARIF and JSON reports._\n",
			plural(n, "more finding", "more findings"))
	}
	return b.String()
}

// markdownCell makes text safe inside one GFM table cell: pipes and backslashes escaped (GFM
// reads "\\|" as a backslash and a cell break), line breaks as <br>, HTML special characters as
// entities so quoted code such as "<none>" is shown, not interpreted, and control characters
// shown as escapes as in the human format.
var cellReplacer = strings.NewReplacer(
	`\`, `\\`,
	"|", `\|`,
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	"\n", "<br>",
)

var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// MarkdownCell is markdownCell for the tables other packages put in a job summary.
func MarkdownCell(s string) string { return markdownCell(s) }

func markdownCell(s string) string {
	return cellReplacer.Replace(terminalSafe(lineBreaks.Replace(s), true))
}

// truncate cuts s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
