package coverage

import "io"

// parseGoSerial is the reference the tests hold ParseGo to: it parses a profile a line at a
// time on the calling goroutine, the way ParseGo did before it read in chunks, and every error
// is found at the line it reads. TestParseGoParallel and FuzzParseGoParallel check that the
// chunked, parallel parser gives the same profile, or the same error.
func parseGoSerial(path string, r io.Reader) (*Profile, error) {
	p := newGoParser(path)
	lr := newLineReader(path, r)
	for {
		line, ok, err := lr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(line) == 0 {
			continue
		}
		if isModeLine(line) {
			if err := p.modeLineAt(line, lr.n); err != nil {
				return nil, err
			}
			continue
		}
		if p.mode == "" {
			return nil, p.missingMode(lr.n)
		}
		if msg := p.block(line); msg != "" {
			return nil, p.blockError(lr.n, msg, line)
		}
	}
	return p.profile(lr.n)
}

// block parses and merges one block line, returning what is wrong with it or "".
func (p *goParser) block(l []byte) string {
	var b Block
	var prev string
	if p.last != nil {
		prev = p.last.data.Name
	}
	n, same, msg := scanBlock(l, prev, &b)
	if msg != "" {
		return msg
	}
	f := p.last
	if !same {
		f = p.file(l[:n])
	}
	return p.add(f, &b)
}
