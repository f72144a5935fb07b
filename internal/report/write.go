package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Options tunes the formats; the zero value is a sensible default for every format.
type Options struct {
	// Color adds ANSI colours to the human format. The caller decides (terminal, NO_COLOR...),
	// because this package never looks at the environment.
	Color bool
	// Source returns a file's content so the human format can show the offending line under each
	// finding. Nil, or an error for a path, means no source lines for it: the findings still print.
	Source func(path string) ([]byte, error)
	// MaxAnnotations is how many findings of each severity the github format emits as workflow
	// commands; the rest are printed as plain lines. 0 means DefaultMaxAnnotations.
	MaxAnnotations int
}

// DefaultMaxAnnotations is GitHub's display limit: a step shows at most 10 error, 10 warning and
// 10 notice annotations and silently drops the others.
const DefaultMaxAnnotations = 10

// formatter writes rep, whose findings are already sorted, validated and redacted.
type formatter func(w *output, rep *Report, opts Options) error

// CommandWriter is the privileged path for the workflow commands a format means to emit (the
// github format's annotations): logsafe.Writer implements it, and neutralises every other line
// that looks like a command. Write hands command lines to it when w has it.
type CommandWriter interface {
	WriteCommand(line string) error
}

// output is a format's whole text, with the byte ranges that are workflow commands it means.
type output struct {
	bytes.Buffer
	commands [][2]int
}

// command appends one workflow command line (from ghaction.FormatCommand) and records it.
func (o *output) command(line string) {
	start := o.Len()
	o.WriteString(line)
	o.commands = append(o.commands, [2]int{start, o.Len()})
}

// writeTo writes the text to w, the command lines through w's WriteCommand when it has one.
func (o *output) writeTo(w io.Writer) error {
	cw, ok := w.(CommandWriter)
	if !ok || len(o.commands) == 0 {
		_, err := w.Write(o.Bytes())
		return err
	}
	b := o.Bytes()
	at := 0
	for _, c := range o.commands {
		if c[0] > at {
			if _, err := w.Write(b[at:c[0]]); err != nil {
				return err
			}
		}
		if err := cw.WriteCommand(string(b[c[0]:c[1]])); err != nil {
			return err
		}
		at = c[1]
	}
	if at < len(b) {
		_, err := w.Write(b[at:])
		return err
	}
	return nil
}

type namedFormat struct {
	name  string
	write formatter
}

// formats is ordered as Formats() and the error message list them.
var formats = []namedFormat{
	{"human", writeHuman},
	{"json", writeJSON},
	{"sarif", writeSARIF},
	{"github", writeGitHub},
}

// Formats returns the names Write accepts, in the order the CLI should document them.
func Formats() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// Write renders rep in the named format. Nothing is written unless the whole output could be
// produced, so a bad finding or an unknown format never leaves half a SARIF file behind.
func Write(w io.Writer, format string, rep *Report, opts Options) error {
	i := slices.IndexFunc(formats, func(f namedFormat) bool { return f.name == format })
	if i < 0 {
		return fmt.Errorf("unknown format %q (valid: %s)", format, strings.Join(Formats(), ", "))
	}
	if rep == nil {
		rep = &Report{}
	}
	if err := rep.Validate(); err != nil {
		return err
	}
	view := sortedView(Redacted(rep))
	var buf output
	if err := formats[i].write(&buf, view, opts); err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	if err := buf.writeTo(w); err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	return nil
}

// Redacted returns a copy of rep whose findings have every credential masked (secrets.Redact) in
// each text field, so no format, summary or check run built from it can carry one. Every writer
// in this package applies it; callers that send findings elsewhere (the Checks API) call it.
func Redacted(rep *Report) *Report {
	if rep == nil {
		return &Report{}
	}
	view := *rep
	view.Findings = make([]Finding, len(rep.Findings))
	// Paths, rules and help texts repeat across findings: each distinct one is redacted once.
	seen := map[string]string{}
	redact := func(s string) string {
		r, ok := seen[s]
		if !ok {
			r = secrets.Redact(s)
			seen[s] = r
		}
		return r
	}
	redactFinding := func(f Finding) Finding {
		f.Path = redact(f.Path)
		f.Message = secrets.Redact(f.Message)
		f.Help = redact(f.Help)
		f.Rule = redact(f.Rule)
		return f
	}
	for i, f := range rep.Findings {
		view.Findings[i] = redactFinding(f)
	}
	view.Baseline = redactedBaseline(rep.Baseline, redactFinding)
	return &view
}

// sorted returns the findings in Compare order without touching the caller's slice.
func sorted(fs []Finding) []Finding {
	return Sort(slices.Clone(fs))
}

// sortedView is rep with its findings sorted and exact duplicates dropped, so every format lists
// the same findings in the same order and its counts agree with what it lists.
func sortedView(rep *Report) *Report {
	if rep == nil {
		return &Report{}
	}
	view := *rep
	view.Findings = sorted(rep.Findings)
	view.Baseline = sortedBaseline(rep.Baseline)
	return &view
}

// Verdict is the one-line summary of the findings shared by the human, github and markdown
// formats: "3 findings (2 errors, 1 warning) in 12 files" or "no findings in 12 files".
func (r *Report) Verdict() string {
	if r.Baseline != nil {
		return r.baselineVerdict()
	}
	files := plural(r.FilesChecked, "file", "files")
	if len(r.Findings) == 0 {
		return "no findings in " + files
	}
	return fmt.Sprintf("%s (%s) in %s", plural(len(r.Findings), "finding", "findings"), r.countsText(), files)
}

// countsText lists the non-zero severity counts, worst first: "2 errors, 1 warning".
func (r *Report) countsText() string {
	e, w, i := r.Counts()
	var parts []string
	if e > 0 {
		parts = append(parts, plural(e, "error", "errors"))
	}
	if w > 0 {
		parts = append(parts, plural(w, "warning", "warnings"))
	}
	if i > 0 {
		parts = append(parts, plural(i, "info", "info"))
	}
	return strings.Join(parts, ", ")
}
