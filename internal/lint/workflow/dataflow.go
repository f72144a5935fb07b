package workflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/shell"
)

// The data flow of attacker-controlled values, as the security rules explain it: where a value
// comes from (a pull request's title, a comment, an artifact of the triggering run, a file of a
// pull request's checkout) and every place it passes through on its way to where it does harm —
// an env: variable, a shell variable, an environment file, a step output — each with its line:
//
//	PR title (`github.event.pull_request.title`) → env TITLE (line 9) → `>> "$GITHUB_ENV"` (line 12)

// flow is the path of one attacker-controlled value.
type flow struct {
	source string
	hops   []hop
	// events are the triggers on which the source is attacker-controlled (a pull request's
	// title on pull_request_target, a comment on issue_comment); nil when any.
	events []string
	// oneLine is set when the value cannot hold a line break (a branch name).
	oneLine bool
}

type hop struct {
	what string
	line int
}

// then returns the flow continued by one more hop (the receiver is not changed).
func (fl flow) then(what string, line int) flow {
	hops := make([]hop, len(fl.hops), len(fl.hops)+1)
	copy(hops, fl.hops)
	return flow{source: fl.source, hops: append(hops, hop{what, line}), events: fl.events, oneLine: fl.oneLine}
}

func (fl flow) String() string {
	var b strings.Builder
	b.WriteString(fl.source)
	for _, h := range fl.hops {
		b.WriteString(" → ")
		b.WriteString(h.what)
		if h.line > 0 {
			fmt.Fprintf(&b, " (line %d)", h.line)
		}
	}
	return b.String()
}

// The events on which a source is attacker-controlled and privileged at once.
var (
	onPRTarget    = []string{"pull_request_target"}
	onIssueText   = []string{"issues", "issue_comment"}
	onComment     = []string{"issue_comment"}
	onDiscussion  = []string{"discussion", "discussion_comment"}
	onWorkflowRun = []string{"workflow_run"}
	onPRText      = []string{"pull_request_target", "issue_comment", "workflow_run"}
	// onNone: the source is attacker-controlled only where the attacker gains nothing (a
	// fork's pull_request run, a push by someone who can push).
	onNone = []string{}
)

// sourceNames name the attacker-controlled contexts the way a reviewer says them, with the
// privileged events on which an attacker sets them.
var sourceNames = []struct {
	prefix, name string
	events       []string
	oneLine      bool // a branch name: git refuses control characters in ref names
}{
	{"github.event.pull_request.title", "PR title", onPRTarget, false},
	{"github.event.pull_request.body", "PR body", onPRTarget, false},
	{"github.event.pull_request.head.ref", "PR branch name", onPRTarget, true},
	{"github.event.pull_request.head.label", "PR head label", onPRTarget, true},
	{"github.event.pull_request.head.repo.", "PR head repository", onPRTarget, false},
	{"github.event.pull_request.", "pull request", onPRTarget, false},
	{"github.head_ref", "PR branch name", onPRTarget, true},
	{"github.event.issue.title", "issue title", onIssueText, false},
	{"github.event.issue.body", "issue body", onIssueText, false},
	{"github.event.issue.", "issue", onIssueText, false},
	{"github.event.comment.body", "comment body", onComment, false},
	{"github.event.comment.", "comment", onComment, false},
	{"github.event.review.body", "review body", onNone, false},
	{"github.event.review_comment.body", "review comment body", onNone, false},
	{"github.event.discussion.", "discussion text", onDiscussion, false},
	{"github.event.pages.", "wiki page name", onNone, false},
	{"github.event.commits.", "commit message or author", onNone, false},
	{"github.event.head_commit.", "commit message or author", onNone, false},
	{"github.event.workflow_run.head_branch", "triggering run's branch name", onWorkflowRun, true},
	{"github.event.workflow_run.display_title", "triggering run's title", onWorkflowRun, false},
	{"github.event.workflow_run.", "triggering run's commit", onWorkflowRun, false},
	{"github.event.merge_group.", "merge group commit", onNone, false},
	{"github.event.changes.", "edited text", onIssueText, false},
}

// contextSource starts the flow of an attacker-controlled context path.
func contextSource(p string) flow {
	for _, s := range sourceNames {
		if strings.HasPrefix(p, s.prefix) {
			return flow{source: fmt.Sprintf("%s (`%s`)", s.name, p), events: s.events, oneLine: s.oneLine}
		}
	}
	return flow{source: "`" + p + "`"}
}

// trigger returns the event of the workflow on which the flow's source is attacker-controlled
// and the run privileged, or "" when there is none.
func (fl flow) trigger(f *File) string {
	for _, e := range f.Workflow.On {
		n := e.EventName()
		if !slices.Contains(privilegedEvents, n) {
			continue
		}
		if fl.events == nil || slices.Contains(fl.events, n) {
			return n
		}
	}
	return ""
}

// lineOf is the line of a position, 0 when unknown.
func lineOf(p *actionlint.Pos) int {
	if p == nil {
		return 0
	}
	return p.Line
}

// ---- environment files ----

// envFile names the environment file a redirection target writes to: GITHUB_ENV, GITHUB_PATH or
// GITHUB_OUTPUT ($GITHUB_ENV, "${GITHUB_ENV}", ${{ env.GITHUB_ENV }}...), or "".
func envFile(target string) string {
	for _, f := range []string{"GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT"} {
		if i := strings.Index(target, f); i >= 0 {
			rest := target[i+len(f):]
			if rest == "" || !isNameByte(rest[0]) {
				return f
			}
		}
	}
	return ""
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// writesEnvFiles is a cheap necessary condition of a script writing an environment file.
func writesEnvFiles(src string) bool {
	return strings.Contains(src, "GITHUB_ENV") || strings.Contains(src, "GITHUB_PATH") || strings.Contains(src, "GITHUB_OUTPUT")
}

// fileWrite is one write of attacker-controlled text into an environment file by a run: step.
type fileWrite struct {
	file string // GITHUB_ENV, GITHUB_PATH or GITHUB_OUTPUT
	name string // the variable or output it sets, when written as NAME=... ("" when unknown)
	off  int    // where the writing command starts in the script
	flow flow   // ends with the write
}

// shellTaint is what a script's analysis starts from: the attacker-controlled env variables by
// their (case-sensitive) names, and the files an attacker wrote.
type shellTaint struct {
	vars  map[string]flow
	files *fileSource
}

// fileSource is a set of files an attacker wrote: an artifact of the triggering run, a pull
// request's checkout.
type fileSource struct {
	flow flow
	// dirs are where the files are, as workspace-relative slash paths; "" is the workspace
	// root, where every relative path may name one of them.
	dirs []string
}

// holds reports whether the file named p (a path as written in a script) is one of them.
func (fs *fileSource) holds(p string) bool {
	p = normDir(p)
	if p == "" || strings.HasPrefix(p, "-") {
		return false
	}
	for _, d := range fs.dirs {
		switch {
		case d == "":
			// The workspace: any relative path.
			if !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "$") && !strings.HasPrefix(p, "~") {
				return true
			}
		case p == d || strings.HasPrefix(p, d+"/"):
			return true
		}
	}
	return false
}

// normDir writes a directory or file path the way fileSource compares them: unquoted, without
// a leading ./ or the workspace ($GITHUB_WORKSPACE, ${{ github.workspace }}), without a trailing
// slash; "" is the workspace root.
func normDir(p string) string {
	p = strings.Trim(strings.TrimSpace(p), `"'`)
	// The runner's temporary directory, however it is spelt.
	for _, t := range []string{"${{ runner.temp }}", "${{runner.temp}}", "${RUNNER_TEMP}"} {
		if strings.HasPrefix(p, t) {
			p = "$RUNNER_TEMP" + p[len(t):]
		}
	}
	for _, ws := range []string{"${{ github.workspace }}", "${{github.workspace}}", "${GITHUB_WORKSPACE}", "$GITHUB_WORKSPACE"} {
		if p == ws {
			return ""
		}
		p = strings.TrimPrefix(p, ws+"/")
	}
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	p = strings.TrimSuffix(p, "/")
	if p == "." {
		return ""
	}
	return p
}

// untrustedFiles says which files step s may read that an attacker wrote: on workflow_run, those
// of an artifact of the triggering run an earlier step of the job extracted; on
// pull_request_target, those of an earlier checkout of the pull request's head. Nil when none.
func untrustedFiles(s *Step) *fileSource {
	j := s.Job
	if j.fileSources == nil {
		// Computed once per job, step by step: what the steps before each one extracted or
		// checked out.
		f := j.File
		j.fileSources = make([]*fileSource, len(j.Steps)+1)
		var cur *fileSource
		var all []string
		for i, prev := range j.Steps {
			j.fileSources[i] = cur
			var add []string
			var start flow
			if f.On("workflow_run") {
				for _, x := range prev.artifactExtractions() {
					start = flow{source: "artifact of the triggering run", events: onWorkflowRun}.then(x.how, x.line)
					add = append(add, x.dir)
				}
			}
			if f.On("pull_request_target") && checksOutPRHead(prev.Step) {
				dir := ""
				if e := prev.Action(); e != nil {
					dir = normDir(inputValue(e, "path"))
				}
				if len(add) == 0 {
					start = flow{source: "pull request's code", events: onPRTarget}.then("checked out", lineOf(prev.Pos))
				}
				add = append(add, dir)
			}
			if len(add) > 0 {
				// One growing list of directories for the job: each step's source is a prefix of
				// it, so a job of thousands of extractions stays linear.
				all = append(all, add...)
				next := &fileSource{flow: start, dirs: all[:len(all):len(all)]}
				if cur != nil {
					next.flow = cur.flow
				}
				cur = next
			}
		}
		j.fileSources[len(j.Steps)] = cur
	}
	return j.fileSources[s.Index]
}

// extraction is where a step puts the files of an artifact of another run.
type extraction struct {
	dir  string // workspace-relative, "" for the workspace root
	how  string // the action or command, for the flow
	line int
	off  int // the command's offset in a run: script, -1 for an action
}

// artifactExtractions finds where step s extracts artifacts of another workflow run: a
// download action given a run (actions/download-artifact with run-id:, dawidd6's and the like;
// path: or the workspace root), `gh run download` (-D or the working directory), or an unzip of
// a downloaded archive (-d or the working directory) after the artifacts API or github-script
// fetched it.
func (s *Step) artifactExtractions() []extraction {
	s.Job.artifacts()
	return s.extractions
}

// artifacts finds every step's artifact extractions once per job, in order: an unzip extracts an
// artifact when one was fetched before or in its step.
func (j *Job) artifacts() {
	if j.artifactsDone {
		return
	}
	j.artifactsDone = true
	fetched := false
	for _, s := range j.Steps {
		fetched = fetched || s.fetchesArtifactZip()
		s.extractions = s.findExtractions(fetched)
		fetched = fetched || len(s.extractions) > 0
	}
}

func (s *Step) findExtractions(fetched bool) []extraction {
	if e := s.Action(); e != nil {
		u := strings.ToLower(e.Uses.Value)
		name, _, _ := strings.Cut(u, "@")
		switch {
		case name == "actions/download-artifact":
			if inputValue(e, "run-id") == "" {
				return nil // the current run's artifacts, built by this privileged run
			}
		case strings.Contains(name, "download-artifact") || strings.Contains(name, "artifact-download"):
		default:
			return nil
		}
		return []extraction{{dir: normDir(inputValue(e, "path")), how: "`" + name + "`", line: lineOf(e.Uses.Pos), off: -1}}
	}
	run := s.Run()
	if run == nil || !strings.Contains(run.Run.Value, "download") && !strings.Contains(run.Run.Value, "unzip") {
		return nil
	}
	cwd := ""
	if run.WorkingDirectory != nil {
		cwd = normDir(run.WorkingDirectory.Value)
	}
	var out []extraction
	for _, c := range s.Script().Cmds {
		v := c.Values()
		if len(v) > 1 && (v[0] == "cd" || v[0] == "pushd") && c.Nested == "" {
			cwd = joinDir(cwd, c.Args[1].Raw)
			continue
		}
		dir, flag := "", ""
		switch {
		case len(v) > 2 && v[0] == "gh" && v[1] == "run" && v[2] == "download":
			flag = "-D"
		case len(v) > 1 && v[0] == "unzip" && fetched:
			flag = "-d"
		default:
			continue
		}
		dir = cwd
		for i := 1; i < len(c.Args); i++ {
			a := c.Args[i].Raw
			switch {
			case (a == flag || a == "--dir") && i+1 < len(c.Args):
				dir = joinDir(cwd, c.Args[i+1].Raw)
			case strings.HasPrefix(a, flag) && len(a) > len(flag) && flag == "-d":
				dir = joinDir(cwd, a[len(flag):])
			case strings.HasPrefix(a, "--dir="):
				dir = joinDir(cwd, a[len("--dir="):])
			}
		}
		out = append(out, extraction{dir: dir, how: "`" + strings.Join(v[:min(3, len(v))], " ") + "`", line: lineOf(s.Job.File.Pos(run.Run, c.Off)), off: c.Off})
	}
	return out
}

// joinDir resolves a cd target or output directory against the current directory.
func joinDir(cwd, p string) string {
	p = strings.Trim(p, `"'`)
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "$") && !strings.HasPrefix(p, "$GITHUB_WORKSPACE") && !strings.HasPrefix(p, "${GITHUB_WORKSPACE}") || strings.HasPrefix(p, "~") {
		return "/" // outside the workspace
	}
	if strings.HasPrefix(p, "${{") && !strings.HasPrefix(p, "${{ github.workspace }}") {
		return "/"
	}
	p = normDir(p)
	if cwd == "" || p == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return cwd + "/" + p
}

// fetchesArtifactZip reports whether the step fetches another run's artifact as an archive —
// github-script's downloadArtifact, the artifacts API's /zip through curl or gh api — so that an
// unzip then extracts its files (as it does after a download action: an archive inside the
// artifact).
func (s *Step) fetchesArtifactZip() bool {
	if e := s.Action(); e != nil && strings.HasPrefix(strings.ToLower(e.Uses.Value), "actions/github-script@") {
		return strings.Contains(inputValue(e, "script"), "downloadArtifact")
	}
	r := s.Run()
	return r != nil && strings.Contains(r.Run.Value, "/artifacts/") && strings.Contains(r.Run.Value, "zip")
}

// sanitised matches a transformation that leaves no line break in a value: the first line
// only, deleting or squeezing characters, a numeric conversion, a digits-only match.
var sanitised = regexp.MustCompile(`\bhead\s+-(n\s*)?1\b|\btr\s+-c?d|\btr\s+-s|\btonumber\b|\bgrep\s+(-\w*[oE]\w*\s+)+['"]?\^?\[0-9`)

// fileReaders print the files they are given; the first positional argument of those marked
// is a program or pattern, not a file.
var fileReaders = map[string]bool{"cat": false, "head": false, "tail": false, "jq": true, "yq": true, "sed": true, "awk": true, "grep": true, "cut": false}

// payloadText matches a jq path into the event payload that reads text an outsider writes.
var payloadText = regexp.MustCompile(`\.(pull_request|issue|comment|review|discussion|head_commit|workflow_run)(\.[a-z_]+)*\.(title|body|message|head_branch|display_title)\b|\.head\.(ref|label)\b`)

// prText matches commands that print a pull request's own text: its title and body, its
// commits' messages and authors.
var prText = regexp.MustCompile(`\bgh\s+pr\s+view\b|\bgit\s+log\b[^|;&]*--(format|pretty)[= ]\S*%[sbBan]`)

// scriptWrites follows attacker-controlled text through a run: script into the environment
// files: env variables and shell variables holding it (assignments, command substitutions,
// read), files of an artifact or a pull request's checkout read into them, and the commands
// that write them (echo, printf, cat and heredocs, tee, a redirected { ...; } group). A value
// that loses its line breaks on the way (head -1, tr -d, a digits-only grep) is safe, and so is
// a multi-line value written between NAME<<$DELIM and a delimiter held in a variable.
func scriptWrites(s *Step, in shellTaint) []fileWrite {
	e := s.Run()
	if e == nil || !writesEnvFiles(e.Run.Value) {
		return nil
	}
	src := e.Run.Value
	if len(in.vars) == 0 && in.files == nil && !strings.Contains(src, "${{") && !strings.Contains(src, "GITHUB_EVENT_PATH") && !strings.Contains(src, "gh ") && !strings.Contains(src, "git ") {
		return nil // nothing attacker-controlled can reach the script
	}
	if !s.Shell().analyze || s.Unread() {
		return nil
	}
	a := &scriptFlow{s: s, src: e.Run.Value, in: in, sc: s.Script(), vars: make(map[string]flow, len(in.vars))}
	for k, v := range in.vars {
		a.vars[k] = v
	}
	return a.run()
}

// scriptFlow is the state of scriptWrites on one script.
type scriptFlow struct {
	s    *Step
	src  string
	in   shellTaint
	sc   *shell.Script
	vars map[string]flow
}

func (a *scriptFlow) line(off int) int { return lineOf(a.s.Job.File.Pos(a.s.Run().Run, off)) }

// word returns the flow of attacker-controlled text in a word, if it holds any.
func (a *scriptFlow) word(w shell.Word) (flow, bool) {
	for _, ex := range expressions(w.Raw) {
		if p := untrusted(ex.node); p != "" {
			return contextSource(p), true
		}
	}
	for _, ref := range varRefs(w.Raw) {
		if fl, ok := a.vars[ref.name]; ok && !ref.sanitised {
			return fl, true
		}
	}
	// Command substitutions: the commands nested in the word print what they read or are
	// given, unless the substitution drops line breaks.
	if !strings.Contains(w.Raw, "$(") && !strings.Contains(w.Raw, "`") {
		return flow{}, false
	}
	if sanitised.MatchString(w.Raw) {
		return flow{}, false
	}
	for _, c := range a.sc.Cmds {
		if c.Nested != "$(...)" || c.Off < w.Off || c.Off >= w.End {
			continue
		}
		if fl, ok := a.reads(c); ok {
			return fl, true
		}
		for _, arg := range c.Args[min(1, len(c.Args)):] {
			if fl, ok := a.word(arg); ok {
				return fl, true
			}
		}
	}
	return flow{}, false
}

// reads says whether a command prints attacker-controlled text it reads itself: a file of an
// artifact or a pull request's checkout (cat, jq, head... of a file argument or a < redirection),
// or, where the pull request is the attacker's, its title, body or commit messages (gh pr view,
// git log --format=%s).
func (a *scriptFlow) reads(c *shell.Cmd) (flow, bool) {
	if fs := a.in.files; fs != nil {
		if prog, ok := fileReaders[c.Name()]; ok {
			positional := 0
			for _, w := range c.Args[1:] {
				if strings.HasPrefix(w.Raw, "-") {
					continue
				}
				positional++
				if prog && positional == 1 {
					continue
				}
				if fs.holds(w.Raw) {
					return fs.flow.then(fmt.Sprintf("`%s %s`", c.Name(), strings.Trim(w.Raw, `"'`)), a.line(c.Off)), true
				}
			}
		}
		for _, r := range c.Redirs {
			if r.Op == "<" && fs.holds(r.Target.Raw) {
				return fs.flow.then("`< "+strings.Trim(r.Target.Raw, `"'`)+"`", a.line(c.Off)), true
			}
		}
	}
	// The event payload itself: jq '.pull_request.title' "$GITHUB_EVENT_PATH".
	if text := a.src[c.Off:min(c.End, len(a.src))]; strings.Contains(text, "GITHUB_EVENT_PATH") {
		if m := payloadText.FindString(text); m != "" {
			return flow{source: "event payload field `" + m + "`"}.then("`"+shorten(text, 50)+"`", a.line(c.Off)), true
		}
	}
	if f := a.s.Job.File; f.On("pull_request_target", "issue_comment", "workflow_run") || a.in.files != nil {
		if text := a.src[c.Off:min(c.End, len(a.src))]; prText.MatchString(text) {
			return flow{source: "pull request's text", events: onPRText}.then("`"+shorten(text, 50)+"`", a.line(c.Off)), true
		}
	}
	return flow{}, false
}

func (a *scriptFlow) run() []fileWrite {
	var out []fileWrite
	open := map[string]string{} // environment file -> the delimiter of the multi-line value open in it
	for _, c := range a.sc.Cmds {
		a.assign(c)
		file, _ := writesEnvFile(c)
		if file == "" {
			continue
		}
		text := written(c, a.sc)
		if d, ok := open[file]; ok {
			if strings.TrimSpace(text) == d {
				delete(open, file)
				continue
			}
			if strings.HasPrefix(d, "$") {
				continue // a value inside NAME<<$DELIM: it cannot end a random delimiter early
			}
		} else if m := delimStart.FindStringSubmatch(text); m != nil {
			// NAME<<DELIM opens a multi-line value that ends at the delimiter. A value cannot end
			// it early when the delimiter is a variable (random, as GitHub's documentation says
			// to make it); a literal one it can.
			d := strings.Trim(m[1], `"'`)
			body := text[len(m[0]):]
			if !strings.ContainsRune(body, '\n') && !strings.Contains(body, `\n`) {
				open[file] = d
				continue
			}
			if strings.HasPrefix(d, "$") {
				continue
			}
		}
		fl, ok := a.content(c)
		if !ok {
			continue
		}
		name := ""
		if m := assignPrefix.FindStringSubmatch(text); m != nil {
			name = m[1]
		}
		start := c.Off
		for _, p := range a.sc.Cmds {
			if p.Sink == c && p.Off < start {
				start = p.Off // tee: show the pipeline from its start
			}
		}
		shape := "`" + shorten(a.src[start:min(c.End, len(a.src))], 60) + "`"
		if !strings.Contains(shape, file) {
			shape += " into $" + file // a { ...; } >> "$GITHUB_ENV" group
		}
		out = append(out, fileWrite{file: file, name: name, off: start, flow: fl.then(shape, a.line(start))})
	}
	return out
}

// assign records what an assignment (NAME=value, export/declare/local, read) puts in a shell
// variable.
func (a *scriptFlow) assign(c *shell.Cmd) {
	for _, w := range c.Assigns {
		name, _, ok := strings.Cut(w.Raw, "=")
		if !ok || !shellName(name) {
			continue
		}
		val := shell.Word{Raw: w.Raw[len(name)+1:], Off: w.Off + len(name) + 1, End: w.End}
		if fl, ok := a.word(val); ok && !sanitised.MatchString(val.Raw) {
			a.vars[name] = fl.then("shell variable "+name, a.line(w.Off))
		} else {
			delete(a.vars, name)
		}
	}
	// [[ $X =~ ^...$ ]]: a value matched against an anchored pattern is validated (the usual
	// guard before the value is used: || exit 1, if ! ...; then exit).
	if c.Name() == "[[" {
		if text := a.src[c.Off:min(c.End, len(a.src))]; anchoredMatch.MatchString(text) {
			for _, ref := range varRefs(text) {
				delete(a.vars, ref.name)
			}
		}
	}
	// read takes one line, so what it assigns holds no line break (unless -d changes the
	// delimiter, which is rare enough to leave to review).
	if c.Name() == "read" {
		if n := lastName(c); n != "" {
			delete(a.vars, n)
		}
	}
}

// content returns the flow of the attacker-controlled text a writing command writes.
func (a *scriptFlow) content(c *shell.Cmd) (flow, bool) {
	switch c.Name() {
	case "echo", "printf":
		for _, w := range c.Args[1:] {
			if fl, ok := a.word(w); ok {
				return fl, true
			}
		}
	case "tee":
		// tee writes what the commands piped into it print.
		for _, p := range a.sc.Cmds {
			if p.Sink == c {
				if fl, ok := a.content(p); ok {
					return fl, true
				}
			}
		}
	}
	for _, r := range c.Redirs {
		if r.Heredoc == nil {
			continue
		}
		if strings.ContainsAny(r.Target.Raw, `"'\`) {
			// A quoted delimiter: the body is literal, only ${{ }} is pasted into it.
			for _, ex := range expressions(r.Heredoc.Raw) {
				if p := untrusted(ex.node); p != "" {
					return contextSource(p), true
				}
			}
			continue
		}
		if fl, ok := a.word(*r.Heredoc); ok {
			return fl, true
		}
	}
	return a.reads(c)
}

// anchoredMatch matches a [[ ... =~ ^...$ ]] test.
var anchoredMatch = regexp.MustCompile(`=~\s*['"]?\^.*\$['"]?\s*(\]\]|$)`)

// delimStart matches the start of a multi-line value, NAME<<DELIM; group 1 is the delimiter.
var delimStart = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_-]*<<(\S+)`)

// assignPrefix reads the NAME of NAME=value (or NAME<<DELIM) written to an environment file.
var assignPrefix = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_-]*)(=|<<)`)

// writesEnvFile says which environment file a command appends to — by its own redirection or
// its group's, or as tee's argument — and which redirection it is (its offset; -1 for tee).
func writesEnvFile(c *shell.Cmd) (string, int) {
	for _, r := range c.Redirs {
		if (r.Op == ">>" || r.Op == ">") && (r.Fd == "" || r.Fd == "1") {
			if f := envFile(r.Target.Raw); f != "" {
				return f, r.Off
			}
		}
	}
	if c.Name() == "tee" {
		for _, a := range c.Args[1:] {
			if f := envFile(a.Raw); f != "" {
				return f, -1
			}
		}
	}
	return "", -1
}

// written is the text a command writes, as far as the script spells it: echo's and printf's
// arguments, the first heredoc body, or for tee what is piped into it.
func written(c *shell.Cmd, sc *shell.Script) string {
	if hs := c.Heredocs(); len(hs) > 0 {
		return hs[0].Value
	}
	switch c.Name() {
	case "echo", "printf":
		var parts []string
		for _, a := range c.Args[1:] {
			if !strings.HasPrefix(a.Value, "-") {
				parts = append(parts, strings.Trim(a.Raw, `"'`))
			}
		}
		return strings.Join(parts, " ")
	case "tee":
		for _, p := range sc.Cmds {
			if p.Sink == c {
				return written(p, sc)
			}
		}
	}
	return ""
}

// shorten flattens a command to one line of at most n bytes (plus an ellipsis), backquotes
// replaced, for a message.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// varRef is one expansion of a shell variable in a word.
type varRef struct {
	name      string
	sanitised bool // ${X//...}, ${X%...}: a substitution that may strip line breaks
}

// shellVarRef matches $NAME and ${NAME...}.
var shellVarRef = regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))`)

// varRefs lists the variables a word expands, outside single quotes.
func varRefs(raw string) []varRef {
	var out []varRef
	inDouble := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '\\':
			i++
		case c == '"':
			inDouble = !inDouble
		case c == '\'' && !inDouble:
			j := strings.IndexByte(raw[i+1:], '\'')
			if j < 0 {
				return out
			}
			i += j + 1
		case c == '$' && i+1 < len(raw) && raw[i+1] == '(':
			// A command substitution: its commands are judged on their own.
			depth := 0
			for ; i < len(raw); i++ {
				if raw[i] == '(' {
					depth++
				} else if raw[i] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
		case c == '$':
			m := shellVarRef.FindStringSubmatch(raw[i:])
			if m == nil {
				continue
			}
			op := m[2]
			out = append(out, varRef{name: m[1] + m[3], sanitised: strings.HasPrefix(op, "//") || strings.HasPrefix(op, "%")})
			i += len(m[0]) - 1
		}
	}
	return out
}

func shellName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// lastName is the variable `read` assigns last.
func lastName(c *shell.Cmd) string {
	for i := len(c.Args) - 1; i > 0; i-- {
		if v := c.Args[i].Value; shellName(v) {
			return v
		}
	}
	return ""
}
