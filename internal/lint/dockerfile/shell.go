package dockerfile

// A small POSIX shell reader for RUN instructions: enough structure (lists, and-or chains,
// pipelines, subshells and brace groups, redirections, heredocs, quoting) to find commands and
// what follows them, with the source position of every command. It never fails: text it does not
// understand becomes words of some command, which the rules then simply do not recognise.
// (mvdan.cc/sh is not a dependency of this module, and full shell grammar is not needed.)

import (
	"bytes"
	"strings"
)

// pos is a 1-based line and byte column in the Dockerfile.
type pos struct{ line, col int }

// posText is text whose every byte knows where in the Dockerfile it came from.
type posText struct {
	s  []byte
	at []pos
}

func (t *posText) add(b byte, p pos) {
	t.s = append(t.s, b)
	t.at = append(t.at, p)
}

func (t *posText) posOf(i int) pos {
	switch {
	case len(t.at) == 0:
		return pos{}
	case i < len(t.at):
		return t.at[i]
	default:
		return t.at[len(t.at)-1]
	}
}

func (t *posText) slice(i int) posText {
	if i > len(t.s) {
		i = len(t.s)
	}
	return posText{s: t.s[i:], at: t.at[i:]}
}

// textAt makes a posText whose bytes all point at one place, for text (an exec-form `sh -c`
// argument) whose exact columns are not known.
func textAt(s string, p pos) posText {
	t := posText{s: []byte(s), at: make([]pos, len(s))}
	for i := range t.at {
		t.at[i] = p
	}
	return t
}

type tokKind int

const (
	tWord tokKind = iota
	tOp
	tNewline
	tRedir
)

type token struct {
	kind tokKind
	// val is a word with its quotes removed (command substitutions kept verbatim), an operator,
	// or a redirection operator.
	val string
	// target is the word a redirection applies to; for a heredoc, its delimiter.
	target  string
	heredoc bool
	p       pos
}

type lexer struct {
	t       posText
	i       int
	toks    []token
	pending []pendingHeredoc
}

type pendingHeredoc struct {
	delim string
	dash  bool
}

func lex(t posText) []token {
	lx := &lexer{t: t}
	lx.run()
	return lx.toks
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' }

func isMeta(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', ';', '&', '|', '(', ')', '<', '>':
		return true
	}
	return false
}

func (lx *lexer) run() {
	s := lx.t.s
	for lx.i < len(s) {
		c := s[lx.i]
		switch {
		case isBlank(c):
			lx.i++
		case c == '\\' && lx.i+1 < len(s) && s[lx.i+1] == '\n':
			lx.i += 2
		case c == '\n':
			lx.emit(tNewline, "\n", lx.i)
			lx.i++
			lx.skipHeredocBodies()
		case c == '#':
			for lx.i < len(s) && s[lx.i] != '\n' {
				lx.i++
			}
		case c == '&' && lx.peek(1) == '>':
			lx.redirect()
		case c == '&' || c == '|' || c == ';':
			start := lx.i
			op := string(c)
			if lx.peek(1) == c {
				op += string(c)
			} else if c == '|' && lx.peek(1) == '&' {
				lx.i++ // |& is a pipe that also carries stderr
			}
			lx.i += len(op)
			lx.emit(tOp, op, start)
		case c == '(' || c == ')':
			lx.emit(tOp, string(c), lx.i)
			lx.i++
		case (c == '<' || c == '>') && lx.peek(1) == '(':
			start := lx.i
			end := matchParen(s, lx.i+1)
			lx.toks = append(lx.toks, token{kind: tWord, val: string(s[start:end]), p: lx.t.posOf(start)})
			lx.i = end
		case c == '<' || c == '>':
			lx.redirect()
		case c >= '0' && c <= '9' && lx.fdPrefix():
			// a file descriptor number in front of a redirection, as in 2>/dev/null
		default:
			start := lx.i
			val := lx.word()
			lx.toks = append(lx.toks, token{kind: tWord, val: val, p: lx.t.posOf(start)})
		}
	}
}

func (lx *lexer) peek(n int) byte {
	if lx.i+n < len(lx.t.s) {
		return lx.t.s[lx.i+n]
	}
	return 0
}

func (lx *lexer) emit(k tokKind, v string, at int) {
	lx.toks = append(lx.toks, token{kind: k, val: v, p: lx.t.posOf(at)})
}

// fdPrefix skips digits that are immediately followed by a redirection operator.
func (lx *lexer) fdPrefix() bool {
	j := lx.i
	for j < len(lx.t.s) && lx.t.s[j] >= '0' && lx.t.s[j] <= '9' {
		j++
	}
	if j < len(lx.t.s) && (lx.t.s[j] == '<' || lx.t.s[j] == '>') {
		lx.i = j
		return true
	}
	return false
}

var redirOps = []string{"&>>", "&>", "<<<", "<<-", "<<", "<&", "<>", ">>", ">&", ">|", "<", ">"}

func (lx *lexer) redirect() {
	start := lx.i
	rest := lx.t.s[lx.i:]
	op := ">"
	for _, o := range redirOps {
		if bytes.HasPrefix(rest, []byte(o)) {
			op = o
			break
		}
	}
	lx.i += len(op)
	for lx.i < len(lx.t.s) && isBlank(lx.t.s[lx.i]) {
		lx.i++
	}
	var target string
	if lx.i < len(lx.t.s) && !isMeta(lx.t.s[lx.i]) {
		target = lx.word()
	}
	tok := token{kind: tRedir, val: op, target: target, p: lx.t.posOf(start)}
	if op == "<<" || op == "<<-" {
		tok.heredoc = true
		if target != "" {
			lx.pending = append(lx.pending, pendingHeredoc{delim: target, dash: op == "<<-"})
		}
	}
	lx.toks = append(lx.toks, tok)
}

// skipHeredocBodies jumps over the bodies of heredocs opened on the line that just ended.
func (lx *lexer) skipHeredocBodies() {
	s := lx.t.s
	for _, h := range lx.pending {
		for lx.i < len(s) {
			end := lx.i
			for end < len(s) && s[end] != '\n' {
				end++
			}
			line := strings.TrimRight(string(s[lx.i:end]), "\r")
			if h.dash {
				line = strings.TrimLeft(line, "\t")
			}
			lx.i = min(end+1, len(s))
			if line == h.delim {
				break
			}
		}
	}
	lx.pending = nil
}

// word reads one shell word and returns it without its quotes.
func (lx *lexer) word() string {
	s := lx.t.s
	var b strings.Builder
	for lx.i < len(s) {
		c := s[lx.i]
		switch {
		case isMeta(c):
			return b.String()
		case c == '\\':
			if lx.i+1 < len(s) {
				if s[lx.i+1] != '\n' {
					b.WriteByte(s[lx.i+1])
				}
				lx.i += 2
			} else {
				b.WriteByte(c)
				lx.i++
			}
		case c == '\'':
			end := indexFrom(s, lx.i+1, '\'')
			b.Write(s[lx.i+1 : end])
			lx.i = min(end+1, len(s))
		case c == '"':
			lx.i = doubleQuoted(s, lx.i+1, &b)
		case c == '$' && lx.peek(1) == '(':
			end := matchParen(s, lx.i+1)
			b.Write(s[lx.i:end])
			lx.i = end
		case c == '$' && lx.peek(1) == '{':
			end := indexFrom(s, lx.i+2, '}')
			b.Write(s[lx.i:min(end+1, len(s))])
			lx.i = min(end+1, len(s))
		case c == '`':
			end := indexFrom(s, lx.i+1, '`')
			b.Write(s[lx.i:min(end+1, len(s))])
			lx.i = min(end+1, len(s))
		default:
			b.WriteByte(c)
			lx.i++
		}
	}
	return b.String()
}

// doubleQuoted reads a double-quoted string starting after its opening quote and returns the
// index after its closing quote.
func doubleQuoted(s []byte, i int, b *strings.Builder) int {
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\' && i+1 < len(s):
			switch s[i+1] {
			case '"', '\\', '$', '`':
				b.WriteByte(s[i+1])
			case '\n':
			default:
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i += 2
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			end := matchParen(s, i+1)
			b.Write(s[i:end])
			i = end
		case c == '`':
			end := indexFrom(s, i+1, '`')
			b.Write(s[i:min(end+1, len(s))])
			i = min(end+1, len(s))
		default:
			b.WriteByte(c)
			i++
		}
	}
	return i
}

// indexFrom is the index of c at or after i, or len(s).
func indexFrom(s []byte, i int, c byte) int {
	if i >= len(s) {
		return len(s)
	}
	if j := bytes.IndexByte(s[i:], c); j >= 0 {
		return i + j
	}
	return len(s)
}

// matchParen returns the index after the parenthesis that closes the one at i, skipping quoted
// text, or len(s) when it is never closed.
func matchParen(s []byte, i int) int {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			i = indexFrom(s, i+1, '\'')
		case '"':
			var discard strings.Builder
			i = doubleQuoted(s, i+1, &discard) - 1
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(s)
}

// The parsed shape of a script.
type (
	script struct {
		list *list
		// heredocs are the heredoc redirections of the script's commands, in order.
		heredocs []*command
	}
	list struct {
		items []*andOr
	}
	andOr struct {
		pipes []*pipeline
		ops   []string // ops[i] joins pipes[i] and pipes[i+1]: "&&" or "||"
	}
	pipeline struct {
		cmds []*command
	}
	command struct {
		args    []token
		assigns []token
		redirs  []token
		group   *list
		p       pos
	}
)

const maxDepth = 50

type shParser struct {
	toks     []token
	i        int
	depth    int
	heredocs []*command
}

func parseScript(t posText) *script {
	p := &shParser{toks: lex(t)}
	l := p.list(0)
	return &script{list: l, heredocs: p.heredocs}
}

func (p *shParser) at(kind tokKind, vals ...string) bool {
	if p.i >= len(p.toks) || p.toks[p.i].kind != kind {
		return false
	}
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if p.toks[p.i].val == v {
			return true
		}
	}
	return false
}

func (p *shParser) skipNewlines() {
	for p.at(tNewline) {
		p.i++
	}
}

// list reads and-or lists until the end of input or, inside a group, its closing token.
func (p *shParser) list(stop byte) *list {
	l := &list{}
	for p.i < len(p.toks) {
		switch {
		case p.at(tNewline), p.at(tOp, ";", ";;", "&"):
			p.i++
			continue
		case p.at(tOp, ")"):
			p.i++
			if stop == ')' {
				return l
			}
			continue
		case stop == '}' && p.at(tWord, "}"):
			p.i++
			return l
		case p.at(tOp, "&&", "||", "|"):
			p.i++
			continue
		}
		before := p.i
		ao := p.andOr(stop)
		if p.i == before {
			p.i++
			continue
		}
		l.items = append(l.items, ao)
	}
	return l
}

func (p *shParser) andOr(stop byte) *andOr {
	ao := &andOr{pipes: []*pipeline{p.pipeline(stop)}}
	for p.at(tOp, "&&", "||") {
		op := p.toks[p.i].val
		p.i++
		p.skipNewlines()
		if p.i >= len(p.toks) || p.at(tOp, ")", ";", "&") || (stop == '}' && p.at(tWord, "}")) {
			break
		}
		ao.ops = append(ao.ops, op)
		ao.pipes = append(ao.pipes, p.pipeline(stop))
	}
	return ao
}

func (p *shParser) pipeline(stop byte) *pipeline {
	pl := &pipeline{cmds: []*command{p.command(stop)}}
	for p.at(tOp, "|") {
		p.i++
		p.skipNewlines()
		if p.i >= len(p.toks) {
			break
		}
		pl.cmds = append(pl.cmds, p.command(stop))
	}
	return pl
}

// reserved words that introduce or close compound commands; the commands inside them are read
// as if the words were not there.
var reservedLead = map[string]bool{"if": true, "then": true, "elif": true, "else": true, "do": true, "while": true, "until": true, "!": true, "time": true}
var reservedClose = map[string]bool{"fi": true, "done": true, "esac": true}

func (p *shParser) command(stop byte) *command {
	c := &command{}
	if p.i < len(p.toks) {
		c.p = p.toks[p.i].p
	}
	if p.depth < maxDepth {
		switch {
		case p.at(tOp, "("):
			p.i++
			p.depth++
			c.group = p.list(')')
			p.depth--
		case p.at(tWord, "{"):
			p.i++
			p.depth++
			c.group = p.list('}')
			p.depth--
		}
	}
	var words []token
loop:
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch t.kind {
		case tWord:
			if stop == '}' && t.val == "}" && len(words) == 0 && c.group == nil {
				break loop
			}
			words = append(words, t)
		case tRedir:
			c.redirs = append(c.redirs, t)
			if t.heredoc {
				p.heredocs = append(p.heredocs, c)
			}
		default:
			break loop
		}
		p.i++
	}
	for len(words) > 0 && (reservedLead[words[0].val] || reservedClose[words[0].val]) {
		words = words[1:]
	}
	for len(words) > 0 && isAssignment(words[0].val) {
		c.assigns = append(c.assigns, words[0])
		words = words[1:]
	}
	c.args = words
	if len(words) > 0 {
		c.p = words[0].p
	}
	return c
}

func isAssignment(w string) bool {
	k, _, ok := strings.Cut(w, "=")
	if !ok || k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// walk calls fn for every list of the script, including those inside groups, in source order.
func (l *list) walk(fn func(*list)) {
	if l == nil {
		return
	}
	fn(l)
	for _, ao := range l.items {
		for _, pl := range ao.pipes {
			for _, c := range pl.cmds {
				c.group.walk(fn)
			}
		}
	}
}

// commands calls fn for every simple command of the script in source order.
func (l *list) commands(fn func(*command)) {
	if l == nil {
		return
	}
	for _, ao := range l.items {
		for _, pl := range ao.pipes {
			for _, c := range pl.cmds {
				if c.group != nil {
					c.group.commands(fn)
				} else {
					fn(c)
				}
			}
		}
	}
}
