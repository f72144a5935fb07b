package coverage

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
)

// Parsing a Go coverprofile in parallel. Each worker takes the next chunk of whole lines of the
// input (reading is serialised, so chunks are numbered in input order), parses it on its own
// (what is line-local: splitting lines, numbers, malformed lines), and then merges every parsed
// chunk that is next in input order, unless another worker is already merging. Merging does
// everything that depends on what came before (the mode, merging repeated blocks, line numbers
// in errors) exactly as a parser reading a line at a time does (parseGoSerial, the tests'
// reference), so the profile and the first error are the same. A fixed set of chunks (two per worker) is recycled, so memory in flight is bounded
// whatever the input size; a worker waits for another only for its turn to read, or for a chunk
// to be merged and freed.

const (
	// chunkBytes is how much input a worker parses at a time.
	chunkBytes = 256 << 10
	// maxParseWorkers bounds the workers: merging, which is sequential, keeps up with about this
	// many.
	maxParseWorkers = 4
)

// goChunk is whole lines of the input and, once a worker has parsed them, what they hold.
type goChunk struct {
	seq   int // the chunk's place in the input
	buf   []byte
	first bool // buf starts the input (its first line may start with a UTF-8 BOM)
	// readErr ends the input after buf's lines: a read error, reported at the next line.
	readErr error

	// Filled by the worker.
	lines   int       // lines in buf
	entries []goEntry // in input order; a worker stops at a line in error
	blocks  []Block   // the blocks of entries of kind entryRun
}

type goEntryKind uint8

const (
	entryRun  goEntryKind = iota // consecutive block lines naming one file
	entryMode                    // a mode: line
	entryBad                     // a line that is not a block
	entryLong                    // a line longer than maxLineBytes
)

// goEntry is one thing a worker found in a chunk. Lines are counted from 1 in the chunk; off and
// end bound the entry's (first) line in buf, without its line ending.
type goEntry struct {
	kind     goEntryKind
	line     int
	off, end int
	name     []byte // entryRun: the file name, in buf
	from, to int    // entryRun: its blocks, chunk.blocks[from:to], one per line from line on
	msg      string // entryBad: what is wrong with the line
}

// goPipeline is the state the workers of parseGoParallel share.
type goPipeline struct {
	free chan *goChunk // chunks not in use; taking one bounds the input in flight

	readMu  sync.Mutex
	r       io.Reader
	size    int
	carry   []byte // the start of a line the previous chunk did not hold
	readSeq int
	done    bool // the input has ended (or a line too long or a read error ended it)

	mergeMu sync.Mutex
	p       *goParser
	parsed  []*goChunk // parsed chunks waiting to be merged, by seq modulo len
	next    int        // seq of the next chunk to merge
	merging bool       // a worker is merging
	lines   int        // lines merged
	err     error      // the first error; set, it stops the workers
	stop    atomic.Bool
}

// parseGoParallel parses a profile with workers goroutines (the caller's among them, alone when
// workers is 1) parsing chunks of about size bytes.
func parseGoParallel(path string, r io.Reader, workers, size int) (*Profile, error) {
	nchunks := 2 * workers
	pl := &goPipeline{free: make(chan *goChunk, nchunks), r: r, size: size, p: newGoParser(path), parsed: make([]*goChunk, nchunks)}
	for range nchunks {
		pl.free <- &goChunk{}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(pl.work)
	}
	pl.work()
	wg.Wait()
	if pl.err != nil {
		return nil, pl.err
	}
	return pl.p.profile(pl.lines)
}

// work reads, parses and merges chunks until the input ends or an error stops the parse.
func (pl *goPipeline) work() {
	for !pl.stop.Load() {
		c := <-pl.free
		pl.readMu.Lock()
		ok := !pl.done && !pl.stop.Load()
		if ok {
			pl.read(c)
		}
		pl.readMu.Unlock()
		if !ok {
			pl.free <- c
			return
		}
		c.parse()
		pl.merge(c)
	}
}

// merge queues a parsed chunk and, unless another worker is merging, merges every chunk that is
// next in input order.
func (pl *goPipeline) merge(c *goChunk) {
	pl.mergeMu.Lock()
	defer pl.mergeMu.Unlock()
	if pl.err != nil {
		pl.free <- c // unblock a worker waiting for a chunk, to see the stop
		return
	}
	pl.parsed[c.seq%len(pl.parsed)] = c
	if pl.merging {
		return
	}
	pl.merging = true
	for {
		i := pl.next % len(pl.parsed)
		c := pl.parsed[i]
		if c == nil || c.seq != pl.next {
			break
		}
		pl.parsed[i] = nil
		pl.mergeMu.Unlock()
		err := pl.p.mergeChunk(c, pl.lines)
		pl.lines += c.lines
		if err == nil && c.readErr != nil {
			err = readError(pl.p.path, pl.lines+1, c.readErr)
		}
		pl.free <- c
		pl.mergeMu.Lock()
		pl.next++
		if err != nil {
			pl.err = err
			pl.stop.Store(true)
			for i, c := range pl.parsed {
				if c != nil {
					pl.parsed[i] = nil
					pl.free <- c
				}
			}
			break
		}
	}
	pl.merging = false
}

// read fills c with the next whole lines of the input, at least size bytes of them but at its
// end. A line that has no end after maxLineBytes is read alone, and ends the input: it is an
// error where it is.
func (pl *goPipeline) read(c *goChunk) {
	buf := append(c.buf[:0], pl.carry...)
	last := -1 // the last line end in buf
	empty := 0
	var err error
	for err == nil && (len(buf) < pl.size || last < 0) {
		if last < 0 && len(buf) >= maxLineBytes {
			break
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(pl.size, 4096))
		}
		var n int
		n, err = pl.r.Read(buf[len(buf):cap(buf)])
		if i := bytes.LastIndexByte(buf[len(buf):len(buf)+n], '\n'); i >= 0 {
			last = len(buf) + i
		}
		buf = buf[:len(buf)+n]
		if n > 0 {
			empty = 0
		} else if empty++; err == nil && empty >= 100 {
			err = io.ErrNoProgress // as bufio.Reader gives up on a reader that returns nothing
		}
	}
	*c = goChunk{seq: pl.readSeq, buf: buf, first: pl.readSeq == 0, entries: c.entries[:0], blocks: c.blocks[:0]}
	pl.readSeq++
	switch {
	case errors.Is(err, io.EOF):
		// The last line needs no line end.
		pl.done = true
	case err != nil:
		// The lines that ended are read; the error is where the next one starts.
		c.buf, c.readErr = buf[:last+1], err
		pl.done = true
	case last < 0:
		// A line of maxLineBytes and no end yet: it ends the input, in error.
		pl.done = true
	default:
		pl.carry = append(pl.carry[:0], buf[last+1:]...)
		c.buf = buf[:last+1]
	}
}

// parse finds the lines of c.buf and parses each on its own: what needs the lines before it is
// left to mergeChunk.
func (c *goChunk) parse() {
	buf := c.buf
	c.blocks = slices.Grow(c.blocks, len(buf)/48) // a block line is rarely shorter
	// name is the file of the open run of blocks, the run the next line joins if it names it.
	var name []byte
	open := false
	var b Block
	for off := 0; off < len(buf); {
		// The usual line: the open run's file again, and a well-formed block, read without
		// looking for the line's end first.
		if n := len(name); open && len(buf)-off > n && buf[off+n] == ':' && string(buf[off:off+n]) == string(name) {
			if end, ok := parseFields(buf[off+n+1:], &b); ok {
				end += off + n + 1
				if end-off < maxLineBytes && (end == len(buf) || buf[end] == '\n') {
					c.lines++
					c.blocks = append(c.blocks, b)
					c.entries[len(c.entries)-1].to++
					off = end + 1
					continue
				}
			}
		}
		end := bytes.IndexByte(buf[off:], '\n')
		next := off + end + 1
		if end < 0 {
			end, next = len(buf), len(buf)
		} else {
			end += off
		}
		c.lines++
		line := buf[off:end]
		if len(line) >= maxLineBytes {
			c.entries = append(c.entries, goEntry{kind: entryLong, line: c.lines})
			return
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if c.first && c.lines == 1 && bytes.HasPrefix(line, utf8BOM) {
			line, off = line[len(utf8BOM):], off+len(utf8BOM)
		}
		lineOff := off
		off = next
		switch {
		case len(line) == 0:
			open = false
			continue
		case isModeLine(line):
			open = false
			c.entries = append(c.entries, goEntry{kind: entryMode, line: c.lines, off: lineOff, end: lineOff + len(line)})
			continue
		}
		n, same, msg := scanBlock(line, name, &b)
		if msg != "" {
			c.entries = append(c.entries, goEntry{kind: entryBad, line: c.lines, off: lineOff, end: lineOff + len(line), msg: msg})
			return
		}
		if !open || !same {
			name, open = line[:n], true
			c.entries = append(c.entries, goEntry{kind: entryRun, line: c.lines, off: lineOff, end: lineOff + len(line),
				name: name, from: len(c.blocks), to: len(c.blocks)})
		}
		c.blocks = append(c.blocks, b)
		c.entries[len(c.entries)-1].to++
	}
}

// mergeChunk merges a parsed chunk whose first line is line base+1 of the input.
func (p *goParser) mergeChunk(c *goChunk, base int) error {
	for i := range c.entries {
		e := &c.entries[i]
		n := base + e.line
		switch e.kind {
		case entryLong:
			return longLineError(p.path, n)
		case entryMode:
			if err := p.modeLineAt(c.buf[e.off:e.end], n); err != nil {
				return err
			}
			continue
		}
		if p.mode == "" {
			return p.missingMode(n)
		}
		if e.kind == entryBad {
			return p.blockError(n, e.msg, c.buf[e.off:e.end])
		}
		f := p.file(e.name)
		for k := e.from; k < e.to; k++ {
			if msg := p.add(f, &c.blocks[k]); msg != "" {
				return p.blockError(n+k-e.from, msg, lineAfter(c.buf[e.off:], k-e.from))
			}
		}
	}
	return nil
}

// lineAfter returns the line k lines after the one buf starts with, without its line ending.
func lineAfter(buf []byte, k int) []byte {
	for ; k > 0; k-- {
		buf = buf[bytes.IndexByte(buf, '\n')+1:]
	}
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i]
	}
	return bytes.TrimSuffix(buf, []byte("\r"))
}
