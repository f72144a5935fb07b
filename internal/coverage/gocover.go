package coverage

import (
	"bytes"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
)

// Go coverage modes.
const (
	ModeSet    = "set"
	ModeCount  = "count"
	ModeAtomic = "atomic"
)

// goFile accumulates one source file's blocks. Blocks repeated by -coverpkg (one copy per test
// binary) are merged as they are read, so memory grows with distinct blocks, not with lines.
type goFile struct {
	data *FileData
	// index finds an earlier copy of a block. It is built only once the file's blocks stop
	// arriving in increasing position order (as the go tool writes them); until then a binary
	// search finds the copy, and a block after the last one is new without any lookup.
	index map[blockPos]int32
	// next is where the previous block of this file was found plus one: repeated copies of a
	// file list its blocks in the same order, so the next block is almost always there and no
	// search is needed.
	next int
}

type blockPos struct{ sl, sc, el, ec int32 }

type goParser struct {
	path     string
	mode     string
	modeLine int
	files    map[string]*goFile
	order    []*goFile
	last     *goFile
	// arena is memory for the blocks of new files: the newest file's blocks grow into it
	// without being copied (in a profile a file's blocks are written together), and a file is
	// capped when the next one starts, so its later blocks are copied out instead of
	// overwriting the next file's.
	arena  []Block
	newest *goFile
}

// arenaBlocks is the size of a block arena.
const arenaBlocks = 1 << 15

// ParseGo reads a Go coverprofile: a `mode:` line, then `file:L1.C1,L2.C2 numStmt count` lines.
// Several profiles concatenated (extra `mode:` lines of the same mode) are one profile; blocks
// repeated by -coverpkg are merged (OR for set, sum for count and atomic), as `go tool cover`
// merges them. The input is read in chunks, parsed in parallel when there is more than one CPU
// (parseGoParallel); the profile and any error are the same either way.
func ParseGo(path string, r io.Reader) (*Profile, error) {
	workers := 1
	if n := runtime.GOMAXPROCS(0); n > 1 {
		// Twice as many workers as CPUs: a worker waiting for its turn to read leaves its CPU
		// to another.
		workers = min(2*n, maxParseWorkers)
	}
	return parseGoParallel(path, r, workers, chunkBytes)
}

func newGoParser(path string) *goParser {
	return &goParser{path: path, files: make(map[string]*goFile)}
}

func isModeLine(line []byte) bool { return line[0] == 'm' && bytes.HasPrefix(line, []byte("mode:")) }

func (p *goParser) missingMode(n int) error {
	return parseErrorf(p.path, n, "missing mode line: a Go coverprofile starts with \"mode: set\", \"mode: count\" or \"mode: atomic\"")
}

func (p *goParser) blockError(n int, msg string, line []byte) error {
	return parseErrorf(p.path, n, "%s in %q", msg, clip(string(line), 120))
}

// profile is the parsed profile of lines lines.
func (p *goParser) profile(lines int) (*Profile, error) {
	if p.mode == "" {
		return nil, parseErrorf(p.path, lines, "no mode line: not a Go coverprofile")
	}
	prof := &Profile{Path: p.path, Format: FormatGo, Mode: p.mode, ModeLine: p.modeLine, Files: make([]*FileData, len(p.order))}
	for i, f := range p.order {
		n := len(f.data.Blocks)
		f.data.Blocks = f.data.Blocks[:n:n] // an append copies rather than write into the arena
		prof.Files[i] = f.data
	}
	return prof, nil
}

func (p *goParser) modeLineAt(line []byte, n int) error {
	m := string(bytes.TrimSpace(line[len("mode:"):]))
	switch m {
	case ModeSet, ModeCount, ModeAtomic:
	default:
		return parseErrorf(p.path, n, "unknown coverage mode %q (valid: set, count, atomic)", clip(m, 40))
	}
	if p.mode == "" {
		p.mode, p.modeLine = m, n
		return nil
	}
	if m != p.mode {
		return parseErrorf(p.path, n, "mode %q conflicts with mode %q on line %d: merge only profiles of one -covermode", m, p.mode, p.modeLine)
	}
	return nil
}

// scanBlock parses the block line l into b, returning the length of its file name, and whether
// that name is prev; msg says what is wrong with a line that is not a block. A line naming the
// same file as the one before (the usual case: a file's blocks are written together) is
// recognised by comparing the name once, and the rest is read forward. Anything parseTail does
// not accept goes through parseBlock, which accepts exactly the same lines and says what is
// wrong with the others.
func scanBlock[S string | []byte](l []byte, prev S, b *Block) (n int, same bool, msg string) {
	if n = len(prev); n > 0 && len(l) > n && l[n] == ':' && string(l[:n]) == string(prev) && parseTail(l[n+1:], b) {
		return n, true, ""
	}
	if n = bytes.LastIndexByte(l, ':'); n > 0 && parseTail(l[n+1:], b) {
		return n, false, ""
	}
	var name []byte
	*b, name, msg = parseBlock(l)
	if msg != "" {
		if bytes.Count(l, []byte(" ")) < 2 {
			msg = "malformed block: truncated, or not file:line.col,line.col statements count"
		}
		return 0, false, msg
	}
	return len(name), false, ""
}

// parseTail reads the part of a block line after the file name's colon, L1.C1,L2.C2 numStmt
// count, when it is well formed: every number short enough that it cannot be out of range, and
// the block plausible. It reports false for anything else, which parseBlock then judges. As
// these numbers hold no ':', the colon before them is the line's last one, where parseBlock,
// reading from the end, splits the name too.
func parseTail(t []byte, b *Block) bool {
	end, ok := parseFields(t, b)
	return ok && end == len(t)
}

// parseFields is parseTail for a tail that may be followed by more input: it returns where the
// count ends, for the caller to check that the line does.
func parseFields(t []byte, b *Block) (end int, ok bool) {
	sl, i, ok := field(t, 0, '.')
	if !ok {
		return 0, false
	}
	sc, i, ok := field(t, i, ',')
	if !ok {
		return 0, false
	}
	el, i, ok := field(t, i, '.')
	if !ok {
		return 0, false
	}
	ec, i, ok := field(t, i, ' ')
	if !ok {
		return 0, false
	}
	ns, i, ok := field(t, i, ' ')
	if !ok {
		return 0, false
	}
	count, end := digits(t, i)
	if end == i || end-i > 18 { // eighteen digits always fit an int64
		return 0, false
	}
	*b = Block{StartLine: int32(sl), StartCol: int32(sc), EndLine: int32(el), EndCol: int32(ec), NumStmt: int32(ns), Count: count}
	return end, sl >= 1 && (el > sl || el == sl && ec >= sc)
}

// field reads a decimal of one to nine digits (always within an int32) at t[i:] and the
// separator sep after it, returning the number and where the next field starts.
func field(t []byte, i int, sep byte) (v int64, next int, ok bool) {
	v, end := digits(t, i)
	return v, end + 1, end > i && end-i <= 9 && end < len(t) && t[end] == sep
}

// digits reads the decimal digits at t[i:], returning their value (which may overflow: the
// caller bounds how many there are) and where they end.
func digits(t []byte, i int) (v int64, end int) {
	for ; i < len(t); i++ {
		d := t[i] - '0'
		if d > 9 {
			break
		}
		v = v*10 + int64(d)
	}
	return v, i
}

// parseBlock parses file:L1.C1,L2.C2 numStmt count.
func parseBlock(l []byte) (b Block, name []byte, msg string) {
	// Parse from the end, as the file name may itself contain ':' (C:\ on Windows).
	var v int64
	end := len(l)
	if v, end, msg = backNum(l, end, ' ', "count", math.MaxInt64); msg != "" {
		return b, nil, msg
	}
	b.Count = v
	if v, end, msg = backNum(l, end, ' ', "statement count", math.MaxInt32); msg != "" {
		return b, nil, msg
	}
	b.NumStmt = int32(v)
	if v, end, msg = backNum(l, end, '.', "end column", math.MaxInt32); msg != "" {
		return b, nil, msg
	}
	b.EndCol = int32(v)
	if v, end, msg = backNum(l, end, ',', "end line", math.MaxInt32); msg != "" {
		return b, nil, msg
	}
	b.EndLine = int32(v)
	if v, end, msg = backNum(l, end, '.', "start column", math.MaxInt32); msg != "" {
		return b, nil, msg
	}
	b.StartCol = int32(v)
	if v, end, msg = backNum(l, end, ':', "start line", math.MaxInt32); msg != "" {
		return b, nil, msg
	}
	b.StartLine = int32(v)
	name = l[:end]
	switch {
	case len(name) == 0:
		return b, nil, "empty file name"
	case b.StartLine < 1:
		return b, nil, "line numbers start at 1"
	case b.EndLine < b.StartLine || b.EndLine == b.StartLine && b.EndCol < b.StartCol:
		return b, nil, "block ends before it starts"
	}
	return b, name, ""
}

// file returns the named file's accumulator, adding it (in order of first appearance) when new.
func (p *goParser) file(name []byte) *goFile {
	f := p.last
	if f == nil || string(name) != f.data.Name {
		f = p.files[string(name)]
		if f == nil {
			f = &goFile{data: &FileData{Name: string(name), Unit: UnitStatements, Blocks: p.newBlocks()}}
			p.files[f.data.Name] = f
			p.order = append(p.order, f)
			p.newest = f
		}
		p.last = f
	}
	return f
}

// newBlocks returns an empty slice for the blocks of a new file, in the arena.
func (p *goParser) newBlocks() []Block {
	if q := p.newest; q != nil {
		n := len(q.data.Blocks)
		q.data.Blocks = q.data.Blocks[:n:n]
		if n > 0 && n <= len(p.arena) && &q.data.Blocks[0] == &p.arena[0] {
			p.arena = p.arena[n:]
		} // else its blocks outgrew the arena and were copied out: the arena is free again
	}
	if len(p.arena) < arenaBlocks/16 {
		p.arena = make([]Block, arenaBlocks)
	}
	return p.arena[:0]
}

// add merges a parsed block into its file: with an earlier copy of the same block, or as a new
// block after the file's others.
func (p *goParser) add(f *goFile, b *Block) string {
	blocks := f.data.Blocks
	i := f.next
	if i == len(blocks) {
		i = 0 // the next copy of the file starts over
	}
	if i >= len(blocks) || !blocks[i].samePos(b) {
		j, ok := f.find(b)
		if !ok {
			f.append(b)
			return ""
		}
		i = j
	}
	f.next = i + 1
	old := &blocks[i]
	if old.NumStmt != b.NumStmt {
		return "statement count " + itoa(int64(b.NumStmt)) + " differs from the " + itoa(int64(old.NumStmt)) + " reported earlier for the same block"
	}
	old.Count = mergeCount(p.mode == ModeSet, old.Count, b.Count)
	return ""
}

// find returns the index of the file's block at b's position.
func (f *goFile) find(b *Block) (int, bool) {
	if f.index != nil {
		j, ok := f.index[b.pos()]
		return int(j), ok
	}
	blocks := f.data.Blocks
	if n := len(blocks); n == 0 || comparePos(blocks[n-1], *b) < 0 {
		return n, false
	}
	return slices.BinarySearchFunc(blocks, *b, comparePos)
}

// append adds a block the file does not have yet.
func (f *goFile) append(b *Block) {
	blocks := f.data.Blocks
	n := len(blocks)
	if f.index == nil && n > 0 && comparePos(blocks[n-1], *b) > 0 {
		// Out of position order: from now on a map finds earlier copies.
		f.index = make(map[blockPos]int32, n+1)
		for k := range blocks {
			f.index[blocks[k].pos()] = int32(k)
		}
	}
	if f.index != nil {
		f.index[b.pos()] = int32(n)
	}
	f.data.Blocks = append(blocks, *b)
	f.next = n + 1
}

func (b *Block) pos() blockPos { return blockPos{b.StartLine, b.StartCol, b.EndLine, b.EndCol} }

// mergeCount combines two counts of one block: OR for set mode, a sum (saturating, so a hostile
// profile cannot wrap it negative) otherwise.
func mergeCount(set bool, a, b int64) int64 {
	if set {
		if a > 0 || b > 0 {
			return max(a, b, 1)
		}
		return 0
	}
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// backNum parses the unsigned decimal between the last sep before end and end.
func backNum(l []byte, end int, sep byte, what string, limit int64) (v int64, start int, msg string) {
	i := end - 1
	for i >= 0 && l[i] >= '0' && l[i] <= '9' {
		i--
	}
	if i < 0 || l[i] != sep {
		if i >= 0 && l[i] == '-' {
			return 0, 0, "negative " + what
		}
		return 0, 0, "malformed " + what + " (want file:line.col,line.col statements count)"
	}
	if i == end-1 {
		return 0, 0, "missing " + what
	}
	for _, c := range l[i+1 : end] {
		d := int64(c - '0')
		if v > (limit-d)/10 {
			return 0, 0, what + " is out of range"
		}
		v = v*10 + d
	}
	return v, i, ""
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
