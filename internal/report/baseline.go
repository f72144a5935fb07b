package report

import (
	"bytes"
	"fmt"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/Molecule-AI/molecule-ci/internal/ghaction"
)

// Baseline is how a run's findings compared with a baseline file (lint --baseline, see
// internal/baseline). With one, Report.Findings are the new findings, the only ones a gate
// judges; the known ones are shown and counted but never fail, and the baseline's entries that
// nothing matched any more are listed so that the baseline only shrinks. Every format shows the
// three states; SARIF as each result's baselineState (new, unchanged, absent).
type Baseline struct {
	// File names the baseline as the user gave it.
	File string
	// Known are the findings the baseline holds (SARIF "unchanged").
	Known []Finding
	// Stale are the baseline's entries no finding matched (SARIF "absent"): fixed, or their file
	// renamed. They have a path, rule and message, no position; their severity is Info.
	Stale []Finding
	// Shrink is the command that writes the baseline without its stale entries, shown with them.
	Shrink string
}

// redactedBaseline is b with its lists redacted like the findings.
func redactedBaseline(b *Baseline, redact func(Finding) Finding) *Baseline {
	if b == nil {
		return nil
	}
	v := *b
	v.Known, v.Stale = make([]Finding, len(b.Known)), make([]Finding, len(b.Stale))
	for i, f := range b.Known {
		v.Known[i] = redact(f)
	}
	for i, f := range b.Stale {
		v.Stale[i] = redact(f)
	}
	return &v
}

// sortedBaseline is b with its lists sorted like the findings.
func sortedBaseline(b *Baseline) *Baseline {
	if b == nil {
		return nil
	}
	v := *b
	v.Known, v.Stale = sorted(b.Known), sorted(b.Stale)
	return &v
}

func (b *Baseline) validate() []error {
	if b == nil {
		return nil
	}
	var errs []error
	for _, list := range [][]Finding{b.Known, b.Stale} {
		for _, f := range list {
			if err := f.Validate(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// baselineVerdict is the verdict of a run compared with a baseline: "1 new finding (1 error), 4
// known in the baseline, in 12 files; 2 baseline entries no longer match".
func (r *Report) baselineVerdict() string {
	s := "no new findings"
	if len(r.Findings) > 0 {
		s = fmt.Sprintf("%s (%s)", plural(len(r.Findings), "new finding", "new findings"), r.countsText())
	}
	s += fmt.Sprintf(", %d known in the baseline, in %s", len(r.Baseline.Known), plural(r.FilesChecked, "file", "files"))
	if n := len(r.Baseline.Stale); n > 0 {
		s += "; " + plural(n, "baseline entry no longer matches", "baseline entries no longer match")
	}
	return s
}

// knownHeading and staleHeading introduce the two lists in text and Markdown.
func (b *Baseline) knownHeading() string {
	return fmt.Sprintf("%s in the baseline %s (shown, not failing):", plural(len(b.Known), "known finding", "known findings"), b.File)
}

func (b *Baseline) staleHeading() string {
	verb := "match"
	if len(b.Stale) == 1 {
		verb = "matches"
	}
	s := fmt.Sprintf("%s of %s no longer %s a finding (fixed, or the file renamed)", plural(len(b.Stale), "entry", "entries"), b.File, verb)
	if b.Shrink != "" {
		s += "; `" + b.Shrink + "` drops them"
	}
	return s + ":"
}

// staleLine is a stale entry as one line: "path: message [rule]", with no position (the
// problem matcher, which needs one, never reads it as a finding).
func staleLine(f Finding) string {
	return terminalSafe(f.Path, false) + ": " + terminalSafe(f.Message, false) + " [" + terminalSafe(f.Rule, true) + "]"
}

// writeBaselineText writes the known findings and the stale entries, one line each, for the
// human format and the github format's plain lines.
func writeBaselineText(w *bytes.Buffer, b *Baseline) {
	if b == nil {
		return
	}
	if len(b.Known) > 0 {
		w.WriteString(terminalSafe(b.knownHeading(), false) + "\n")
		for _, f := range b.Known {
			f.Path, f.Message = terminalSafe(f.Path, false), terminalSafe(f.Message, false)
			w.WriteString(f.String() + "\n")
		}
	}
	if len(b.Stale) > 0 {
		w.WriteString(terminalSafe(b.staleHeading(), false) + "\n")
		for _, f := range b.Stale {
			w.WriteString(staleLine(f) + "\n")
		}
	}
}

// writeBaselineGitHub writes the known findings and stale entries as plain lines fenced by
// stop-commands: they are text from checked files, and none of them is an annotation (a known
// finding annotated on every pull request is the noise a baseline removes).
func writeBaselineGitHub(w *output, b *Baseline) {
	var plain bytes.Buffer
	writeBaselineText(&plain, b)
	if plain.Len() == 0 {
		return
	}
	token := stopToken(plain.Bytes())
	w.command(ghaction.FormatCommand("stop-commands", token, nil))
	w.Write(plain.Bytes())
	w.command(ghaction.FormatCommand(token, "", nil))
}

// jsonStale is a stale entry in the JSON document.
type jsonStale struct {
	Path    string `json:"path"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// baselineMembers are the JSON members of a run compared with a baseline, before "findings"
// (which then holds the new findings): the counts, the known findings (each in the one shape of
// a finding) and the stale entries.
func baselineMembers(rep *Report) []Member {
	b := rep.Baseline
	if b == nil {
		return nil
	}
	stale := make([]jsonStale, 0, len(b.Stale))
	for _, f := range b.Stale {
		stale = append(stale, jsonStale{Path: f.Path, Rule: f.Rule, Message: f.Message})
	}
	return []Member{
		{Name: "baseline", Value: struct {
			File  string `json:"file"`
			New   int    `json:"new"`
			Known int    `json:"known"`
			Stale int    `json:"stale"`
		}{b.File, len(rep.Findings), len(b.Known), len(b.Stale)}},
		{Name: "known", Value: JSONFindings(b.Known), Layout: Indented},
		{Name: "stale", Value: stale, Layout: Indented},
	}
}

// SARIF's baselineState values (SARIF 2.1.0 §3.27.24).
const (
	sarifNew       = "new"
	sarifUnchanged = "unchanged"
	sarifAbsent    = "absent"
)

// sarifBaselineResults adds the known findings (unchanged) and the stale entries (absent) to
// run. An absent result is of kind "pass" at level "none": the rule no longer finds the problem,
// and nothing reading the file should raise it again. A stale entry has no line; it points at
// its file.
func sarifBaselineResults(run *sarif.Run, b *Baseline, index map[string]int) {
	for _, f := range b.Known {
		if f.Path == "" {
			continue
		}
		run.AddResult(sarifResult(f, index).WithBaselineState(sarifUnchanged))
	}
	for _, f := range b.Stale {
		if f.Path == "" {
			continue
		}
		res := sarif.NewRuleResult(f.Rule).
			WithRuleIndex(index[f.Rule]).
			WithKind("pass").
			WithLevel("none").
			WithMessage(sarif.NewTextMessage(f.Message)).
			WithBaselineState(sarifAbsent)
		res.AddLocation(sarif.NewLocationWithPhysicalLocation(
			sarif.NewPhysicalLocation().WithArtifactLocation(sarifArtifact(f.Path)).WithRegion(sarifRegion(f))))
		run.AddResult(res)
	}
}

// baselineDoc is the Markdown of the known findings and stale entries, each list collapsed:
// what a reviewer needs first is the new findings above them.
func baselineDoc(b *Baseline) []Block {
	if b == nil {
		return nil
	}
	var blocks []Block
	if len(b.Known) > 0 {
		blocks = append(blocks, Details{
			Summary: Line(Markup(plural(len(b.Known), "known finding", "known findings")+" in the baseline "), Code(b.File), Markup(" (not failing)")),
			Blocks:  []Block{findingsTable(b.Known)},
		})
	}
	if len(b.Stale) > 0 {
		t := Table{Columns: []Column{{Name: "file"}, {Name: "rule"}, {Name: "message"}}, MaxRows: markdownMaxRows,
			More: func(n int) Inline {
				return Line(Markup("_" + plural(n, "more entry", "more entries") + " not shown._"))
			}}
		for _, f := range b.Stale {
			t.Rows = append(t.Rows, []Inline{Line(Text(f.Path)), Line(Text(f.Rule)), Line(Text(truncate(f.Message, markdownMaxCell)))})
		}
		summary := Line(Markup(plural(len(b.Stale), "baseline entry no longer matches", "baseline entries no longer match") + " a finding"))
		inner := []Block{}
		if b.Shrink != "" {
			inner = append(inner, Lines{Line(Markup("Fixed, or the file renamed: "), Code(b.Shrink), Markup(" drops them."))})
		}
		blocks = append(blocks, Details{Summary: summary, Blocks: append(inner, t)})
	}
	return blocks
}
