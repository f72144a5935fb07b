package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
)

// writeGitHub emits workflow commands (::error file=,line=,col=,endLine=,title=::message) for as
// many findings as GitHub will show, and prints the rest so nothing is lost.
//
// ghaction.FormatCommand is the encoder (go-githubactions underneath): it escapes data (% \r \n)
// and property values (also : and ,) exactly as actions/runner's ActionCommand unescapes them, one
// line per command, properties sorted by name, which the runner does not care about.
//
// A command with a Summary prints it first, then, when there are findings, a blank line and the
// annotations.
func writeGitHub(w *output, rep *Report, opts Options) error {
	if rep.Summary != nil {
		writeDocText(w, rep.Summary.Text(), false)
		if len(rep.Findings) == 0 {
			return nil
		}
		w.WriteString("\n")
	}
	limit := cmpOrPositive(opts.MaxAnnotations, DefaultMaxAnnotations)
	annotated, rest := SplitForAnnotations(rep.Findings, limit)
	for _, f := range annotated {
		level := "notice"
		switch f.Severity {
		case Error:
			level = "error"
		case Warning:
			level = "warning"
		}
		w.command(ghaction.FormatCommand(level, f.Message, annotationProperties(f)))
	}
	if len(rest) > 0 {
		more := &Report{Findings: rest}
		fmt.Fprintf(w, "%s (%s) not shown as annotations (at most %d of each severity per step): see the job summary\n",
			plural(len(rest), "more finding", "more findings"), more.countsText(), limit)
		// The rest are text from checked files; a message with a newline followed by "::" would
		// otherwise be run as a workflow command. The runner ignores every command between
		// stop-commands and the token, and the token is a hash of the text it fences, so the
		// text cannot contain it.
		var plain bytes.Buffer
		for _, f := range rest {
			// One line per finding, as in the human format.
			f.Path, f.Message = terminalSafe(f.Path, false), terminalSafe(f.Message, false)
			plain.WriteString(f.String() + "\n")
		}
		token := stopToken(plain.Bytes())
		w.command(ghaction.FormatCommand("stop-commands", token, nil))
		w.Write(plain.Bytes())
		w.command(ghaction.FormatCommand(token, "", nil))
	}
	writeBaselineGitHub(w, rep.Baseline)
	fmt.Fprintln(w, rep.Verdict())
	return nil
}

// annotationProperties omits what is unknown: an annotation without line is a file annotation,
// one without file a job annotation; "line=0" would point nowhere.
func annotationProperties(f Finding) map[string]string {
	props := map[string]string{"title": f.Rule}
	if f.Path != "" {
		props["file"] = f.Path
	}
	if f.Line > 0 {
		props["line"] = strconv.Itoa(f.Line)
		props["endLine"] = strconv.Itoa(endLine(f))
		if f.Col > 0 {
			props["col"] = strconv.Itoa(f.Col)
		}
	}
	return props
}

func stopToken(text []byte) string {
	sum := sha256.Sum256(text)
	return "molecule-ci-" + hex.EncodeToString(sum[:16])
}

// SplitForAnnotations keeps the first max findings of each severity (in the order given) for
// workflow-command annotations and returns the others, in order, for the Checks API or the job
// summary. max <= 0 means DefaultMaxAnnotations.
func SplitForAnnotations(fs []Finding, max int) (annotated, rest []Finding) {
	limit := cmpOrPositive(max, DefaultMaxAnnotations)
	seen := map[Severity]int{}
	for _, f := range fs {
		seen[f.Severity]++
		if seen[f.Severity] <= limit {
			annotated = append(annotated, f)
		} else {
			rest = append(rest, f)
		}
	}
	return annotated, rest
}

func cmpOrPositive(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}
