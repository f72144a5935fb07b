package workflow

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// fileCtx is the state of linting one file, shared by the org rules of that file.
type fileCtx struct {
	path     string
	src      []byte
	kind     Kind
	l        *Linter
	findings []report.Finding
	pending  Pending // the script checks' findings, when a checker is configured

	lineStarts []int // byte offset of each line, computed on first use

	// Set while walking a workflow.
	wf  *actionlint.Workflow
	job *actionlint.Job

	// gitea is set for .gitea/workflows files, judged by Gitea act_runner's semantics.
	gitea bool

	// The parsed commands of the last run: script asked for, and the shell it was read for.
	scriptOf     *actionlint.String
	scriptMode   shellMode
	scriptParsed *shell.Script
}

// reportLimits reports every run: script of w over the shell analysis's limits, once: the org
// rules read such a script as nothing, which must not look like a clean one.
func (fc *fileCtx) reportLimits(w *actionlint.Workflow) {
	for _, j := range w.Jobs {
		if j == nil {
			continue
		}
		for _, s := range j.Steps {
			if s == nil {
				continue
			}
			if e, ok := s.Exec.(*actionlint.ExecRun); ok && e.Run != nil {
				if err := shell.CheckLimits(e.Run.Value, shell.Limits{}); err != nil {
					fc.add(e.Run.Pos, RuleScriptNotAnalyzed, 0, err.Error()+"; split it into a script file")
				}
			}
		}
	}
}

func (fc *fileCtx) add(pos *actionlint.Pos, rule string, sev report.Severity, msg string) {
	line, col := 1, 1
	if pos != nil {
		line, col = pos.Line, pos.Col
	}
	if sev == 0 {
		sev = defaultSeverity(rule)
	}
	fc.findings = append(fc.findings, report.Finding{
		Path:     fc.path,
		Line:     line,
		Col:      col,
		Rule:     rule,
		Severity: sev,
		Message:  msg,
		Help:     ruleHelp[rule],
	})
}

// line returns source line n (1-based) without its line break, or "" when out of range.
func (fc *fileCtx) line(n int) string {
	if fc.lineStarts == nil {
		fc.lineStarts = make([]int, 1, bytes.Count(fc.src, []byte{'\n'})+1)
		for off := 0; ; {
			i := bytes.IndexByte(fc.src[off:], '\n')
			if i < 0 {
				break
			}
			off += i + 1
			fc.lineStarts = append(fc.lineStarts, off)
		}
	}
	if n < 1 || n > len(fc.lineStarts) {
		return ""
	}
	start := fc.lineStarts[n-1]
	end := len(fc.src)
	if n < len(fc.lineStarts) {
		end = fc.lineStarts[n] - 1
	}
	return strings.TrimSuffix(string(fc.src[start:end]), "\r")
}

func (fc *fileCtx) numLines() int {
	fc.line(1)
	return len(fc.lineStarts)
}

// byteCol converts a 1-based rune column of a line to a byte offset into it.
func byteCol(line string, col int) int {
	off := 0
	for i := 1; i < col && off < len(line); i++ {
		_, n := utf8.DecodeRuneInString(line[off:])
		off += n
	}
	return off
}

func runeCol(line string, off int) int {
	return utf8.RuneCountInString(line[:min(off, len(line))]) + 1
}

// hasComment reports whether line n carries a YAML comment: a # at the start or after a blank,
// outside quotes.
func (fc *fileCtx) hasComment(n int) bool {
	line := fc.line(n)
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return strings.TrimSpace(line[i+1:]) != ""
		}
	}
	return false
}

// scriptPos maps a byte offset inside a scalar's value to its position in the file. actionlint
// positions a scalar at its first character — for `run: |` that is the `|`, and the script
// starts on the next line — so block scalars are mapped line by line; folded and multi-line
// flow scalars, whose lines do not map one to one, are found by searching for the text.
func (fc *fileCtx) scriptPos(s *actionlint.String, off int) *actionlint.Pos {
	if s == nil || s.Pos == nil {
		return &actionlint.Pos{Line: 1, Col: 1}
	}
	v := s.Value
	off = min(max(off, 0), len(v))
	lineIdx := strings.Count(v[:off], "\n")
	lineStart := strings.LastIndexByte(v[:off], '\n') + 1
	lineEnd := strings.IndexByte(v[off:], '\n')
	if lineEnd < 0 {
		lineEnd = len(v)
	} else {
		lineEnd += off
	}
	needle := strings.TrimRight(v[off:lineEnd], " \t\r")
	if len(needle) > 40 {
		needle = needle[:40]
	}
	colInLine := off - lineStart

	header := fc.line(s.Pos.Line)
	hb := byteCol(header, s.Pos.Col)
	indicator := byte(0)
	if hb < len(header) {
		indicator = header[hb]
	}
	switch {
	case indicator == '|' || indicator == '>':
		if indicator == '|' {
			if p, ok := fc.blockPos(s.Pos.Line, lineIdx, colInLine, needle); ok {
				return p
			}
		}
		return fc.search(s.Pos.Line+1, needle, s.Pos)
	case lineIdx == 0:
		col := hb + colInLine
		if s.Quoted {
			col++
		}
		if strings.HasPrefix(header[min(col, len(header)):], needle) {
			return &actionlint.Pos{Line: s.Pos.Line, Col: runeCol(header, col)}
		}
		return fc.search(s.Pos.Line, needle, s.Pos)
	default:
		return fc.search(s.Pos.Line, needle, s.Pos)
	}
}

// blockPos maps line lineIdx of a literal block scalar whose header is on line hdr.
func (fc *fileCtx) blockPos(hdr, lineIdx, colInLine int, needle string) (*actionlint.Pos, bool) {
	indent := -1
	for n := hdr + 1; n <= fc.numLines(); n++ {
		l := fc.line(n)
		if strings.TrimSpace(l) == "" {
			continue
		}
		indent = len(l) - len(strings.TrimLeft(l, " "))
		break
	}
	if indent < 0 {
		return nil, false
	}
	n := hdr + 1 + lineIdx
	l := fc.line(n)
	b := indent + colInLine
	if b > len(l) || !strings.HasPrefix(l[b:], needle) {
		return nil, false
	}
	return &actionlint.Pos{Line: n, Col: runeCol(l, b)}, true
}

// search finds the first line at or after from that contains needle.
func (fc *fileCtx) search(from int, needle string, fallback *actionlint.Pos) *actionlint.Pos {
	if needle == "" {
		return fallback
	}
	for n := from; n <= fc.numLines(); n++ {
		l := fc.line(n)
		if i := strings.Index(l, needle); i >= 0 {
			return &actionlint.Pos{Line: n, Col: runeCol(l, i)}
		}
	}
	return fallback
}
