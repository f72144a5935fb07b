// Package shell owns the reading of shell scripts for the lint rules: workflow `run:` steps and
// Dockerfile `RUN` instructions alike. It parses with mvdan.cc/sh/v3/syntax (the parser behind
// shfmt) and flattens the tree into the simple commands a rule asks about, each with its words at
// exact byte offsets and the context that decides what its failure does: whether errexit and
// pipefail are on when it runs, whether its status is tested (if/while/!/&&/||), swallowed
// (`|| true`, `|| :`, `|| echo ...`, a `; true` that ends a list without errexit) or lost in a
// pipe, whether it runs inside a command substitution, and where its output goes.
//
// Scripts come from pull requests, so parsing is bounded: a size cap and a nesting cap are
// checked before the (recursive) parser sees the text, and a script over either is returned as a
// *LimitError that the caller reports as a finding.
package shell

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// Dialect is the language a script is parsed as.
type Dialect int

// The dialects. POSIX scripts that use bash syntax are read again as bash rather than dropped:
// the rules care about what runs, and dash's refusal is shellcheck's business.
const (
	Bash Dialect = iota
	POSIX
)

// Limits bound the work done on one script.
type Limits struct {
	MaxBytes int // longest script parsed
	MaxDepth int // deepest nesting of ( { $( ` accepted
}

// DefaultLimits are generous for real scripts (the largest run: step of actionlint's 1,503
// real-world workflows is 7,968 bytes) and cheap for hostile ones: 256 KiB of 127-deep
// substitutions parses in about 0.1 s and 50 MB (BenchmarkParseHostile).
var DefaultLimits = Limits{MaxBytes: 256 << 10, MaxDepth: 128}

// LimitError says a script was not analysed because it is over a limit.
type LimitError struct {
	What  string // "size" or "nesting"
	Got   int
	Limit int
}

func (e *LimitError) Error() string {
	if e.What == "size" {
		return fmt.Sprintf("the script is %d bytes, over the %d-byte limit of the shell analysis, so it was not analysed", e.Got, e.Limit)
	}
	return fmt.Sprintf("the script nests ( { $( or ` %d deep, over the limit of %d of the shell analysis, so it was not analysed", e.Got, e.Limit)
}

// Options say how to parse one script.
type Options struct {
	Dialect Dialect
	// Errexit and Pipefail are the state the shell starts in (bash -e, bash -eo pipefail...).
	Errexit, Pipefail bool
	// MaskExpressions replaces GitHub `${{ ... }}` expressions with same-length placeholders
	// before parsing, so that an expression is one opaque word part at its own offsets.
	MaskExpressions bool
	// Limits; the zero value means DefaultLimits.
	Limits Limits
}

// Word is one shell word at byte offsets [Off, End) of the script.
type Word struct {
	Raw string // as written
	// Value is the word with quotes and escapes removed; expansions are kept as written.
	Value string
	// Static is true when the word has no expansion: Value is what the command receives.
	Static   bool
	Off, End int
}

// Redir is one redirection of a command (its own or its enclosing group's).
type Redir struct {
	Op     string // ">", ">>", "&>", ">&", "<", "<<", "<<-", "<<<", ...
	Fd     string // the descriptor written before the operator, "" for the default
	Target Word   // the file, descriptor or heredoc delimiter
	// Heredoc is the body of a << or <<- heredoc, at its offsets.
	Heredoc *Word
	Off     int
}

// Cmd is one simple command with the context that decides what its failure and output do.
type Cmd struct {
	Index   int
	Args    []Word // the command name and its arguments, assignments excluded
	Assigns []Word // NAME=value words before the command, or the arguments of export/declare/local
	Redirs  []Redir
	Off     int // where the command (or its first assignment) starts
	End     int

	// Errexit, Pipefail and Xtrace are the shell options in force when the command runs.
	Errexit, Pipefail, Xtrace bool
	// Tested is true when the command's status is consumed by if/elif/while/until, `!`, or an
	// && / || that continues: errexit does not stop the script there.
	Tested bool
	// Swallowed says how a failure is turned into success: "|| true", "|| :", "|| exit 0",
	// "|| echo ...", "; true" (a list that ends in a no-op without errexit). Empty otherwise.
	Swallowed string
	// Sink is the last command of the pipeline when this command is not its last; without
	// pipefail the pipeline's status is Sink's.
	Sink *Cmd
	// Nested is "" for a command of the script itself, "$(...)" inside a command or process
	// substitution (its status is not the script's), "function" inside a function body.
	Nested string
	// Subshell is true inside ( ... ): options set there end with it.
	Subshell bool
	// Background is true for `cmd &`.
	Background bool
	// Final is true when the command is in the script's last top-level statement, whose status
	// is the script's exit status.
	Final bool
	// ReadsStatus is true when a word reads $?, ${?} or PIPESTATUS.
	ReadsStatus bool
	// Piped is true when stdout goes into a pipe (the command is not last in its pipeline).
	Piped bool
}

// Name is the command name's base name ("go" for /usr/bin/go), or "".
func (c *Cmd) Name() string {
	if len(c.Args) == 0 {
		return ""
	}
	return path.Base(c.Args[0].Value)
}

// Values returns the Value of every argument.
func (c *Cmd) Values() []string {
	out := make([]string, len(c.Args))
	for i, w := range c.Args {
		out[i] = w.Value
	}
	return out
}

// StdoutFile returns the file stdout is redirected to (> f, >> f, &> f, 1> f), if any. A
// duplication (>&2) is not a file.
func (c *Cmd) StdoutFile() (Word, bool) {
	var out Word
	ok := false
	for _, r := range c.Redirs {
		switch r.Op {
		case ">", ">>", ">|", "&>", "&>>":
			if r.Fd == "" || r.Fd == "1" || r.Op[0] == '&' {
				out, ok = r.Target, true
			}
		case ">&":
			if r.Fd == "" || r.Fd == "1" {
				ok = false // 1>&2: back to the log
			}
		}
	}
	return out, ok
}

// ToLog reports whether the command's stdout reaches the log: not piped, not into a file, not
// captured by a command or process substitution.
func (c *Cmd) ToLog() bool {
	if c.Piped || c.Nested == "$(...)" {
		return false
	}
	_, f := c.StdoutFile()
	return !f
}

// Heredocs returns the heredoc bodies fed to the command.
func (c *Cmd) Heredocs() []Word {
	var out []Word
	for _, r := range c.Redirs {
		if r.Heredoc != nil {
			out = append(out, *r.Heredoc)
		}
	}
	return out
}

// Script is a parsed script.
type Script struct {
	Src  string
	Cmds []*Cmd
	// Err is the parser's error when the script is not valid shell; Cmds then holds what could be
	// read before it (with RecoverErrors), which may be nothing.
	Err error
	// statusReadFrom[i] is true when a command at index >= i reads $? or PIPESTATUS.
	statusReadFrom []bool
}

// StatusReadAfter reports whether a command after c reads $? or PIPESTATUS.
func (s *Script) StatusReadAfter(c *Cmd) bool {
	if c.Index+1 >= len(s.statusReadFrom) {
		return false
	}
	return s.statusReadFrom[c.Index+1]
}

// CmdAt returns the innermost command with a word (or assignment, or redirection) that spans
// offset off, or nil.
func (s *Script) CmdAt(off int) *Cmd {
	var best *Cmd
	for _, c := range s.Cmds {
		if off < c.Off || off >= c.End {
			continue
		}
		if best == nil || c.Off >= best.Off {
			best = c
		}
	}
	return best
}

// Parse reads a script. The error is only a *LimitError; a script that is not valid shell
// comes back with Err set and the commands that could be read.
func Parse(src string, o Options) (*Script, error) {
	lim := o.Limits.orDefault()
	if err := CheckLimits(src, lim); err != nil {
		return nil, err
	}
	text := src
	if o.MaskExpressions {
		text = MaskExpressions(src)
	}
	lang := syntax.LangBash
	if o.Dialect == POSIX {
		lang = syntax.LangPOSIX
	}
	f, err := parse(text, lang)
	if err != nil && lang == syntax.LangPOSIX {
		if f2, err2 := parse(text, syntax.LangBash); err2 == nil {
			f, err = f2, nil
		}
	}
	s := &Script{Src: src}
	if err != nil {
		s.Err = err
	}
	if f != nil {
		w := &walker{s: s, text: text, errexit: o.Errexit, pipefail: o.Pipefail, maxDepth: lim.MaxDepth}
		w.stmts(f.Stmts, ctx{final: true})
	}
	s.statusReadFrom = make([]bool, len(s.Cmds)+1)
	for i := len(s.Cmds) - 1; i >= 0; i-- {
		s.statusReadFrom[i] = s.statusReadFrom[i+1] || s.Cmds[i].ReadsStatus
	}
	return s, nil
}

// CheckLimits returns the *LimitError Parse would return for src, without parsing it: a cheap
// scan of the text. The zero Limits means DefaultLimits.
func CheckLimits(src string, lim Limits) error {
	lim = lim.orDefault()
	if len(src) > lim.MaxBytes {
		return &LimitError{What: "size", Got: len(src), Limit: lim.MaxBytes}
	}
	// Each level of nesting takes a byte at least: a shorter script cannot be too deep.
	if len(src) <= lim.MaxDepth {
		return nil
	}
	if d := Nesting(src); d > lim.MaxDepth {
		return &LimitError{What: "nesting", Got: d, Limit: lim.MaxDepth}
	}
	return nil
}

func (l Limits) orDefault() Limits {
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	return l
}

func parse(text string, lang syntax.LangVariant) (f *syntax.File, err error) {
	defer func() {
		// The parser is well fuzzed upstream, but a panic on one hostile script must not end a
		// lint run: the script is then reported as unreadable.
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("shell parser panicked: %v", r)
		}
	}()
	pool := &bashParsers
	if lang == syntax.LangPOSIX {
		pool = &posixParsers
	}
	p, _ := pool.Get().(*syntax.Parser)
	if p == nil {
		p = syntax.NewParser(syntax.Variant(lang), syntax.RecoverErrors(8))
	}
	f, err = p.Parse(strings.NewReader(text), "")
	pool.Put(p) // not after a panic: a parser that panicked is dropped
	return f, err
}

// Parsers are reused (Parse resets them): building one costs more than parsing a short script.
var bashParsers, posixParsers sync.Pool

// Nesting is an upper bound of how deep a parser will recurse: the deepest run of unclosed
// ( and { (quotes ignored, which only over-counts), with backquotes counted as one level each.
// Time and memory of shell parsers grow fast with it (shellcheck's exponentially with nested
// command substitutions).
func Nesting(s string) int {
	depth, max, ticks := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
		case ')', '}':
			if depth > 0 {
				depth--
			}
		case '`':
			ticks++
		case '\\':
			i++
			continue
		}
		if depth > max {
			max = depth
		}
	}
	// Nested backquotes need ever more backslashes; a long run of them is counted as depth.
	if t := ticks / 2; t > 1 && strings.Contains(s, "\\`") && t > max {
		max = t
	}
	return max
}

// MaskExpressions replaces every `${{ ... }}` with a same-length run of underscores (line
// breaks kept), so offsets do not move and the shell parser sees a plain word.
func MaskExpressions(s string) string {
	if !strings.Contains(s, "${{") {
		return s
	}
	b := []byte(s)
	for off := 0; ; {
		i := strings.Index(s[off:], "${{")
		if i < 0 {
			break
		}
		i += off
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		end := i + j + 2
		for k := i; k < end; k++ {
			if b[k] != '\n' {
				b[k] = '_'
			}
		}
		off = end
	}
	return string(b)
}

// ctx is what the statements being walked inherit from where they are.
type ctx struct {
	tested     bool
	swallowed  string
	noSwallow  bool // a later `&& exit 1` makes the chain fail again
	nested     string
	subshell   bool
	final      bool
	background bool
	redirs     []Redir
	piped      bool
}

type walker struct {
	s                         *Script
	text                      string
	errexit, pipefail, xtrace bool
	depth, maxDepth           int
}

func (w *walker) stmts(list []*syntax.Stmt, c ctx) {
	for i, st := range list {
		cc := c
		cc.final = c.final && i == len(list)-1
		// `cmd; true` ending a list: without errexit the list succeeds whatever cmd did.
		if !w.errexit && !c.noSwallow && c.swallowed == "" && i == len(list)-2 {
			if how := swallower(list[i+1], false); how != "" {
				cc.swallowed = "; " + how
			}
		}
		w.stmt(st, cc)
	}
}

func (w *walker) stmt(st *syntax.Stmt, c ctx) {
	if st == nil || st.Cmd == nil && len(st.Redirs) == 0 {
		return
	}
	if w.depth >= w.maxDepth {
		return
	}
	w.depth++
	defer func() { w.depth-- }()
	if st.Negated {
		c.tested = true
	}
	if st.Background {
		c.background = true
		c.final = false
	}
	if len(st.Redirs) > 0 {
		rs := make([]Redir, 0, len(c.redirs)+len(st.Redirs))
		rs = append(rs, c.redirs...)
		for _, r := range st.Redirs {
			rs = append(rs, w.redir(r))
			w.words(c, r.Word)
		}
		c.redirs = rs
	}
	switch x := st.Cmd.(type) {
	case nil:
		w.add(nil, nil, st, c)
	case *syntax.CallExpr:
		w.call(x, st, c)
	case *syntax.BinaryCmd:
		w.binary(x, c)
	case *syntax.Subshell:
		saved := [3]bool{w.errexit, w.pipefail, w.xtrace}
		c.subshell = true
		w.stmts(x.Stmts, c)
		w.errexit, w.pipefail, w.xtrace = saved[0], saved[1], saved[2]
	case *syntax.Block:
		w.stmts(x.Stmts, c)
	case *syntax.IfClause:
		for cl := x; cl != nil; cl = cl.Else {
			cond := c
			cond.tested, cond.final, cond.swallowed = true, false, ""
			w.stmts(cl.Cond, cond)
			w.stmts(cl.Then, c)
		}
	case *syntax.WhileClause:
		cond := c
		cond.tested, cond.final, cond.swallowed = true, false, ""
		w.stmts(x.Cond, cond)
		body := c
		body.final = false
		w.stmts(x.Do, body)
	case *syntax.ForClause:
		w.node(c, x.Loop)
		body := c
		body.final = false
		w.stmts(x.Do, body)
	case *syntax.CaseClause:
		w.words(c, x.Word)
		for _, it := range x.Items {
			w.stmts(it.Stmts, c)
		}
	case *syntax.FuncDecl:
		fc := c
		fc.nested, fc.final, fc.swallowed, fc.tested = "function", false, "", false
		w.stmt(x.Body, fc)
	case *syntax.TimeClause:
		w.stmt(x.Stmt, c)
	case *syntax.CoprocClause:
		cc := c
		cc.background, cc.final = true, false
		w.stmt(x.Stmt, cc)
	case *syntax.DeclClause:
		cmd := w.add([]Word{w.lit(x.Variant)}, nil, st, c)
		for _, a := range x.Args {
			cmd.Assigns = append(cmd.Assigns, w.assign(a))
			w.words(c, a.Value)
			if a.Array != nil {
				w.node(c, a.Array)
			}
		}
		if len(x.Args) > 0 {
			cmd.End = max(cmd.End, int(x.Args[len(x.Args)-1].End().Offset()))
		}
		cmd.ReadsStatus = cmd.ReadsStatus || readsStatus(w.text[cmd.Off:cmd.End])
	case *syntax.TestClause:
		cmd := w.add([]Word{{Raw: "[[", Value: "[[", Static: true, Off: int(x.Left.Offset()), End: int(x.Left.Offset()) + 2}}, nil, st, c)
		cmd.End = max(cmd.End, int(x.End().Offset()))
		cmd.ReadsStatus = readsStatus(w.text[cmd.Off:cmd.End])
		w.node(c, x.X)
	case *syntax.ArithmCmd, *syntax.LetClause:
		cmd := w.add(nil, nil, st, c)
		cmd.End = max(cmd.End, int(st.Cmd.End().Offset()))
		cmd.ReadsStatus = readsStatus(w.text[cmd.Off:min(cmd.End, len(w.text))])
		w.node(c, st.Cmd)
	default:
		w.node(c, st.Cmd)
	}
}

func (w *walker) binary(x *syntax.BinaryCmd, c ctx) {
	switch x.Op {
	case syntax.AndStmt, syntax.OrStmt:
		// a && b || c is ((a && b) || c): flatten the chain (iteratively, so that a chain of
		// thousands of && does not recurse), then give each element the context the nested
		// form gives it, from the outermost operator in.
		var elems []*syntax.Stmt
		var ops []syntax.BinCmdOperator
		cur := x
		for {
			elems = append(elems, cur.Y)
			ops = append(ops, cur.Op)
			l, ok := cur.X.Cmd.(*syntax.BinaryCmd)
			if !ok || (l.Op != syntax.AndStmt && l.Op != syntax.OrStmt) || cur.X.Negated || len(cur.X.Redirs) > 0 || cur.X.Background {
				elems = append(elems, cur.X)
				break
			}
			cur = l
		}
		// elems and ops run from the outermost: elems[0] is the last Y, ops[0] its operator.
		ctxs := make([]ctx, len(elems))
		cc := c
		for j := 0; j < len(ops); j++ {
			ctxs[j] = cc
			left := cc
			left.tested = true
			if ops[j] == syntax.OrStmt && !cc.noSwallow {
				if how := swallower(elems[j], true); how != "" {
					left.swallowed = "|| " + how
				}
			}
			if ops[j] == syntax.AndStmt && fails(elems[j]) {
				left.noSwallow = true
				left.swallowed = ""
			}
			cc = left
		}
		ctxs[len(elems)-1] = cc
		for i := len(elems) - 1; i >= 0; i-- {
			w.stmt(elems[i], ctxs[i])
		}
	case syntax.Pipe, syntax.PipeAll:
		// a | b | c is ((a | b) | c): flatten, so that every element knows the last one.
		var elems []*syntax.Stmt
		for cur := x; ; {
			elems = append(elems, cur.Y)
			l, ok := cur.X.Cmd.(*syntax.BinaryCmd)
			if !ok || (l.Op != syntax.Pipe && l.Op != syntax.PipeAll) || cur.X.Negated || len(cur.X.Redirs) > 0 {
				elems = append(elems, cur.X)
				break
			}
			cur = l
		}
		for i, j := 0, len(elems)-1; i < j; i, j = i+1, j-1 {
			elems[i], elems[j] = elems[j], elems[i]
		}
		first := len(w.s.Cmds)
		for _, e := range elems[:len(elems)-1] {
			ec := c
			ec.piped, ec.final = true, c.final && w.pipefail
			w.stmt(e, ec)
		}
		mid := len(w.s.Cmds)
		w.stmt(elems[len(elems)-1], c)
		if mid < len(w.s.Cmds) {
			sink := w.s.Cmds[mid]
			for _, cmd := range w.s.Cmds[first:mid] {
				if cmd.Piped && cmd.Nested == c.nested && cmd.Sink == nil {
					cmd.Sink = sink
				}
			}
		}
	}
}

func (w *walker) add(args, assigns []Word, st *syntax.Stmt, c ctx) *Cmd {
	cmd := &Cmd{
		Index: len(w.s.Cmds), Args: args, Assigns: assigns, Redirs: c.redirs,
		Off: int(st.Pos().Offset()), End: int(st.End().Offset()),
		Errexit: w.errexit, Pipefail: w.pipefail, Xtrace: w.xtrace,
		Tested: c.tested, Swallowed: c.swallowed, Nested: c.nested, Subshell: c.subshell,
		Background: c.background, Final: c.final && c.nested == "", Piped: c.piped,
	}
	if len(assigns) > 0 {
		cmd.Off = assigns[0].Off
	} else if len(args) > 0 {
		cmd.Off = args[0].Off
	}
	cmd.End = min(max(cmd.End, cmd.Off), len(w.text))
	w.s.Cmds = append(w.s.Cmds, cmd)
	return cmd
}

func (w *walker) call(x *syntax.CallExpr, st *syntax.Stmt, c ctx) {
	var assigns []Word
	for _, a := range x.Assigns {
		assigns = append(assigns, w.assign(a))
	}
	args := make([]Word, 0, len(x.Args))
	for _, a := range x.Args {
		args = append(args, w.word(a))
	}
	cmd := w.add(args, assigns, st, c)
	cmd.ReadsStatus = readsStatus(w.text[cmd.Off:cmd.End])
	for _, a := range x.Assigns {
		w.words(c, a.Value)
		if a.Array != nil {
			w.node(c, a.Array)
		}
	}
	for _, a := range x.Args {
		w.words(c, a)
	}
	if cmd.Name() == "set" && c.nested == "" {
		w.applySet(cmd.Values()[1:])
	}
}

// applySet follows `set -e`, `set +e`, `set -euxo pipefail`, `set -o errexit`, `set +o pipefail`.
func (w *walker) applySet(args []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' && a[0] != '+' || a == "--" {
			continue
		}
		on := a[0] == '-'
		for _, f := range a[1:] {
			switch f {
			case 'e':
				w.errexit = on
			case 'x':
				w.xtrace = on
			case 'o':
				if i+1 < len(args) {
					i++
					switch args[i] {
					case "errexit":
						w.errexit = on
					case "pipefail":
						w.pipefail = on
					case "xtrace":
						w.xtrace = on
					}
				}
			}
		}
	}
}

// words walks the command substitutions inside a word.
func (w *walker) words(c ctx, word *syntax.Word) {
	if word != nil && mayNest(word.Parts) {
		w.node(c, word)
	}
}

// mayNest reports whether word parts can hold a command or process substitution: literals and
// single quotes (most words) cannot, so they are not walked.
func mayNest(parts []syntax.WordPart) bool {
	for _, p := range parts {
		switch x := p.(type) {
		case *syntax.Lit, *syntax.SglQuoted:
		case *syntax.DblQuoted:
			if mayNest(x.Parts) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// node walks the command and process substitutions anywhere under n.
func (w *walker) node(c ctx, n syntax.Node) {
	if n == nil || w.depth >= w.maxDepth {
		return
	}
	syntax.Walk(n, func(n syntax.Node) bool {
		var stmts []*syntax.Stmt
		switch x := n.(type) {
		case *syntax.CmdSubst:
			stmts = x.Stmts
		case *syntax.ProcSubst:
			stmts = x.Stmts
		default:
			return true
		}
		sc := ctx{nested: "$(...)", tested: true}
		saved := [3]bool{w.errexit, w.pipefail, w.xtrace}
		w.depth++
		w.stmts(stmts, sc)
		w.depth--
		w.errexit, w.pipefail, w.xtrace = saved[0], saved[1], saved[2]
		return false
	})
}

func (w *walker) redir(r *syntax.Redirect) Redir {
	out := Redir{Op: r.Op.String(), Off: int(r.Pos().Offset())}
	if r.N != nil {
		out.Fd = r.N.Value
	}
	if r.Word != nil {
		out.Target = w.word(r.Word)
	}
	if r.Hdoc != nil {
		h := w.word(r.Hdoc)
		out.Heredoc = &h
	}
	return out
}

func (w *walker) assign(a *syntax.Assign) Word {
	off := int(a.Pos().Offset())
	end := min(max(int(a.End().Offset()), off), len(w.text))
	raw := w.s.Src[off:end]
	val := raw
	static := true
	if a.Name != nil {
		val = a.Name.Value + "="
		if a.Value != nil {
			v := w.word(a.Value)
			val += v.Value
			static = v.Static
		}
	}
	return Word{Raw: raw, Value: val, Static: static, Off: off, End: end}
}

func (w *walker) lit(l *syntax.Lit) Word {
	off, end := int(l.Pos().Offset()), int(l.End().Offset())
	end = min(max(end, off), len(w.text))
	return Word{Raw: w.s.Src[off:end], Value: l.Value, Static: true, Off: off, End: end}
}

func (w *walker) word(x *syntax.Word) Word {
	off, end := int(x.Pos().Offset()), int(x.End().Offset())
	end = min(max(end, off), len(w.text))
	off = min(off, end)
	if len(x.Parts) == 1 {
		if l, ok := x.Parts[0].(*syntax.Lit); ok {
			return Word{Raw: w.s.Src[off:end], Value: unescape(l.Value, false), Static: true, Off: off, End: end}
		}
	}
	var b strings.Builder
	static := true
	w.parts(&b, x.Parts, &static, false)
	return Word{Raw: w.s.Src[off:end], Value: b.String(), Static: static, Off: off, End: end}
}

func (w *walker) parts(b *strings.Builder, parts []syntax.WordPart, static *bool, dq bool) {
	for _, p := range parts {
		switch x := p.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(x.Value, dq))
		case *syntax.SglQuoted:
			b.WriteString(x.Value)
		case *syntax.DblQuoted:
			w.parts(b, x.Parts, static, true)
		default:
			*static = false
			off, end := int(p.Pos().Offset()), int(p.End().Offset())
			end = min(max(end, off), len(w.text))
			b.WriteString(w.s.Src[min(off, end):end])
		}
	}
}

// unescape removes shell backslashes from a literal (in double quotes only before $ ` " \).
func unescape(s string, dq bool) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			n := s[i+1]
			if n == '\n' {
				i++
				continue
			}
			if !dq || strings.IndexByte("$`\"\\", n) >= 0 {
				i++
				b.WriteByte(n)
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func readsStatus(s string) bool {
	return strings.Contains(s, "$?") || strings.Contains(s, "${?}") || strings.Contains(s, "PIPESTATUS") || strings.Contains(s, "pipestatus")
}

// swallower says how a statement always succeeds without failing the script: `true`, `:`,
// `exit 0`, `return 0` or, when echoes is set, `echo`/`printf` (alone or in a { } group of such
// commands). It returns "" for anything else.
func swallower(st *syntax.Stmt, echoes bool) string {
	if st == nil || st.Negated {
		return ""
	}
	switch x := st.Cmd.(type) {
	case *syntax.CallExpr:
		var vals []string
		for _, a := range x.Args {
			vals = append(vals, a.Lit())
		}
		if len(vals) == 0 {
			return ""
		}
		switch vals[0] {
		case "true", ":":
			return vals[0]
		case "exit", "return":
			if len(vals) == 2 && vals[1] == "0" || len(vals) == 1 && vals[0] == "return" {
				return strings.Join(vals, " ")
			}
		case "echo", "printf":
			if echoes {
				return vals[0] + " ..."
			}
		}
	case *syntax.Block:
		return groupSwallower(x.Stmts, echoes)
	case *syntax.Subshell:
		return groupSwallower(x.Stmts, echoes)
	}
	return ""
}

func groupSwallower(stmts []*syntax.Stmt, echoes bool) string {
	how := ""
	for _, s := range stmts {
		h := swallower(s, echoes)
		if h == "" {
			return ""
		}
		how = h
	}
	return how
}

// fails reports whether a statement always fails: `exit N` with N != 0, `false`, `return 1`.
func fails(st *syntax.Stmt) bool {
	if st == nil {
		return false
	}
	switch x := st.Cmd.(type) {
	case *syntax.CallExpr:
		if len(x.Args) == 0 {
			return false
		}
		n := x.Args[0].Lit()
		switch n {
		case "false":
			return true
		case "exit", "return":
			return len(x.Args) == 1 || x.Args[1].Lit() != "0"
		}
	case *syntax.Block:
		for _, s := range x.Stmts {
			if fails(s) {
				return true
			}
		}
	}
	return false
}
