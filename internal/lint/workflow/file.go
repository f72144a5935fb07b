package workflow

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// File is what the org rules read about one workflow (or one action's composite steps, seen as
// the steps of a single job): the parsed workflow and the facts derived from it. A fact is
// computed once, on first use, and shared by every rule that asks — the shell analysis of each
// run: script, the pull request checkouts of each job, the data flow of attacker-controlled
// values. Rules only read a File; they report through their Reporter.
type File struct {
	Path string
	Src  []byte
	Kind Kind
	// Gitea is set for .gitea/workflows files, judged by Gitea act_runner's semantics.
	Gitea bool
	// Workflow is the parsed workflow; for action metadata, a workflow with no triggers whose
	// one job ("composite") holds the composite steps.
	Workflow *actionlint.Workflow
	// Jobs are the workflow's jobs in source order.
	Jobs []*Job

	opts    *Options
	trusted map[string]bool
	// ctx bounds the rules' waits (reading callees); localCallsChecked says actionlint's
	// workflow-call and expression rules read this file's local callees (it found the project).
	ctx               context.Context
	localCallsChecked bool

	lineStarts []int // byte offset of each line, computed on first use
	taintMemo  *taintFacts
	// linter is the Linter that made the File: its callers index (callers.go) serves every file
	// of the run. callerMemo is this file's part of it, once callerDone.
	linter     *Linter
	callerMemo map[string]callerValue
	callerDone bool
	jobsByID   map[string]*Job // lower-case id -> job, on first use
}

// Job is one job of a File with its steps.
type Job struct {
	*actionlint.Job
	File *File
	// Steps are the job's steps in order (the embedded Job.Steps are the same, unwrapped).
	Steps []*Step

	prCode     []prCheckout
	prCodeDone bool
	gate       int // gatedJob's answer: 1 gated, -1 not, 0 not yet known

	// fileSources[i] are the files an attacker wrote before step i (untrustedFiles).
	fileSources   []*fileSource
	artifactsDone bool                // every step's extractions are known (artifacts)
	runners       map[string][]runner // runnersOf, by directory
	secrets       []secretNames       // secretsFrom, by step index
	cmds          []jobCmd            // jobCmds: every command of the job's scripts, once
	// lastReporter is the index of the job's last test-reporter step, -1 when none (reporterDone
	// once known).
	lastReporter int
	reporterDone bool
}

// Step is one step of a Job.
type Step struct {
	*actionlint.Step
	Job   *Job
	Index int // in Job.Steps

	script   *shell.Script
	unread   bool // the script is over the shell analysis's limits
	scriptOK bool

	extractions []extraction // artifacts of other runs the step extracts (Job.artifacts)
}

// newFile builds the File of a parsed workflow. Nil jobs and steps (a syntax error actionlint
// reports) are left out.
func newFile(l *Linter, path string, src []byte, kind Kind, w *actionlint.Workflow) *File {
	f := &File{Path: path, Src: src, Kind: kind, Workflow: w, opts: &l.opts, trusted: l.trusted, linter: l, Gitea: giteaFile(path), ctx: context.Background()}
	for _, j := range w.Jobs {
		if j == nil {
			continue
		}
		job := &Job{Job: j, File: f}
		for _, s := range j.Steps {
			if s != nil {
				job.Steps = append(job.Steps, &Step{Step: s, Job: job, Index: len(job.Steps)})
			}
		}
		f.Jobs = append(f.Jobs, job)
	}
	slices.SortFunc(f.Jobs, func(a, b *Job) int {
		return cmp.Or(cmp.Compare(posLine(a.Pos), posLine(b.Pos)), strings.Compare(jobID(a.Job), jobID(b.Job)))
	})
	return f
}

func posLine(p *actionlint.Pos) int {
	if p == nil {
		return 0
	}
	return p.Line
}

// job returns the job whose id is id (ids are case-insensitive), or nil.
func (f *File) job(id string) *Job {
	if f.jobsByID == nil {
		f.jobsByID = make(map[string]*Job, len(f.Jobs))
		for _, j := range f.Jobs {
			if j.ID != nil {
				f.jobsByID[strings.ToLower(j.ID.Value)] = j
			}
		}
	}
	return f.jobsByID[strings.ToLower(id)]
}

// On reports whether the workflow is triggered by one of events.
func (f *File) On(events ...string) bool {
	for _, e := range f.Workflow.On {
		if slices.Contains(events, e.EventName()) {
			return true
		}
	}
	return false
}

// Run returns the step's run: script, or nil for an action step.
func (s *Step) Run() *actionlint.ExecRun {
	e, _ := s.Exec.(*actionlint.ExecRun)
	if e == nil || e.Run == nil {
		return nil
	}
	return e
}

// Action returns the step's uses: call, or nil for a run: step.
func (s *Step) Action() *actionlint.ExecAction {
	e, _ := s.Exec.(*actionlint.ExecAction)
	if e == nil || e.Uses == nil {
		return nil
	}
	return e
}

// Shell resolves the shell of a run: step: step > job defaults > workflow defaults, on the job's
// runner (Windows runs pwsh by default) and for Gitea.
func (s *Step) Shell() shellMode {
	spec := ""
	j, w := s.Job.Job, s.Job.File.Workflow
	e := s.Run()
	switch {
	case e != nil && e.Shell != nil:
		spec = e.Shell.Value
	case j.Defaults != nil && j.Defaults.Run != nil && j.Defaults.Run.Shell != nil:
		spec = j.Defaults.Run.Shell.Value
	case w.Defaults != nil && w.Defaults.Run != nil && w.Defaults.Run.Shell != nil:
		spec = w.Defaults.Run.Shell.Value
	}
	windows := false
	if j.RunsOn != nil {
		for _, l := range j.RunsOn.Labels {
			if l != nil && strings.Contains(strings.ToLower(l.Value), "windows") {
				windows = true
			}
		}
	}
	return resolveShell(spec, windows, s.Job.File.Gitea)
}

// Script is the shell analysis of a run: step, read once for the effective shell and shared by
// every rule. A script over the analysis's limits (see Unread), an action step and a step
// without a script read as no commands.
func (s *Step) Script() *shell.Script {
	if s.scriptOK {
		return s.script
	}
	s.scriptOK = true
	e := s.Run()
	if e == nil {
		s.script = &shell.Script{}
		return s.script
	}
	m := s.Shell()
	d := shell.Bash
	if m.posix {
		d = shell.POSIX
	}
	sc, err := shell.Parse(e.Run.Value, shell.Options{Dialect: d, Errexit: m.errexit, Pipefail: m.pipefail, MaskExpressions: true})
	if err != nil {
		sc, s.unread = &shell.Script{Src: e.Run.Value}, true // reported by script-not-analyzed
	}
	s.script = sc
	return sc
}

// Unread reports whether the step's script is over the shell analysis's limits, so that Script
// holds nothing of it.
func (s *Step) Unread() bool {
	s.Script()
	return s.unread
}

// Later returns the steps of the job after s.
func (s *Step) Later() []*Step { return s.Job.Steps[s.Index+1:] }

// line returns source line n (1-based) without its line break, or "" when out of range.
func (f *File) line(n int) string {
	if f.lineStarts == nil {
		f.lineStarts = make([]int, 1, bytes.Count(f.Src, []byte{'\n'})+1)
		for off := 0; ; {
			i := bytes.IndexByte(f.Src[off:], '\n')
			if i < 0 {
				break
			}
			off += i + 1
			f.lineStarts = append(f.lineStarts, off)
		}
	}
	if n < 1 || n > len(f.lineStarts) {
		return ""
	}
	start := f.lineStarts[n-1]
	end := len(f.Src)
	if n < len(f.lineStarts) {
		end = f.lineStarts[n] - 1
	}
	return strings.TrimSuffix(string(f.Src[start:end]), "\r")
}

func (f *File) numLines() int {
	f.line(1)
	return len(f.lineStarts)
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

// hasComment reports whether line n carries a YAML comment with some text.
func (f *File) hasComment(n int) bool {
	line := f.line(n)
	i := commentStart(line)
	return i >= 0 && strings.TrimSpace(line[i+1:]) != ""
}

// commentStart is the byte offset of the # that starts line's YAML comment — at the start or
// after a blank, outside quotes — or -1.
func commentStart(line string) int {
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
			return i
		}
	}
	return -1
}

// Pos maps a byte offset inside a scalar's value to its position in the file. actionlint
// positions a scalar at its first character — for `run: |` that is the `|`, and the script
// starts on the next line — so block scalars are mapped line by line; folded and multi-line
// flow scalars, whose lines do not map one to one, are found by searching for the text.
func (f *File) Pos(s *actionlint.String, off int) *actionlint.Pos {
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

	header := f.line(s.Pos.Line)
	hb := byteCol(header, s.Pos.Col)
	indicator := byte(0)
	if hb < len(header) {
		indicator = header[hb]
	}
	switch {
	case indicator == '|' || indicator == '>':
		if indicator == '|' {
			if p, ok := f.blockPos(s.Pos.Line, lineIdx, colInLine, needle); ok {
				return p
			}
		}
		return f.search(s.Pos.Line+1, needle, s.Pos)
	case lineIdx == 0:
		col := hb + colInLine
		if s.Quoted {
			col++
		}
		if strings.HasPrefix(header[min(col, len(header)):], needle) {
			return &actionlint.Pos{Line: s.Pos.Line, Col: runeCol(header, col)}
		}
		return f.search(s.Pos.Line, needle, s.Pos)
	default:
		return f.search(s.Pos.Line, needle, s.Pos)
	}
}

// blockPos maps line lineIdx of a literal block scalar whose header is on line hdr.
func (f *File) blockPos(hdr, lineIdx, colInLine int, needle string) (*actionlint.Pos, bool) {
	indent := -1
	for n := hdr + 1; n <= f.numLines(); n++ {
		l := f.line(n)
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
	l := f.line(n)
	b := indent + colInLine
	if b > len(l) || !strings.HasPrefix(l[b:], needle) {
		return nil, false
	}
	return &actionlint.Pos{Line: n, Col: runeCol(l, b)}, true
}

// search finds the first line at or after from that contains needle.
func (f *File) search(from int, needle string, fallback *actionlint.Pos) *actionlint.Pos {
	if needle == "" {
		return fallback
	}
	for n := from; n <= f.numLines(); n++ {
		l := f.line(n)
		if i := strings.Index(l, needle); i >= 0 {
			return &actionlint.Pos{Line: n, Col: runeCol(l, i)}
		}
	}
	return fallback
}
