package coverage

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// maxBranchesPerLine bounds the branch count a Cobertura line may claim, so "(1/999999999)" in a
// corrupt report is an error rather than a billion map entries.
const maxBranchesPerLine = 1 << 16

// ParseCobertura reads Cobertura XML as coverage.py (pytest-cov) and most other tools write it:
// coverage/sources/source and coverage/packages/package/classes/class[@filename]/lines/line
// [@number, @hits, @branch, @condition-coverage]. The rates on every element are ignored; lines
// under <methods> repeat the class's lines and are skipped.
func ParseCobertura(path string, r io.Reader) (*Profile, error) {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	prof := &Profile{Path: path, Format: FormatCobertura}
	byName := map[string]*FileData{}
	var (
		cur      *FileData
		depth    int
		rootSeen bool
		inSource bool
		methods  int // depth of <methods>/<method> nesting
		source   strings.Builder
	)
	errAt := func(format string, args ...any) error {
		line, _ := dec.InputPos()
		return parseErrorf(path, line, format, args...)
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			msg := strings.TrimPrefix(err.Error(), "XML syntax error on line "+strconv.Itoa(line)+": ")
			if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(msg, "unexpected EOF") {
				msg = "truncated XML: " + msg
			}
			return nil, &ParseError{Path: path, Line: line, Msg: "malformed XML: " + msg, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			name := t.Name.Local
			if !rootSeen {
				rootSeen = true
				if name != "coverage" {
					return nil, errAt("not Cobertura XML: the root element is <%s>, want <coverage>", clip(name, 40))
				}
				continue
			}
			switch name {
			case "source":
				inSource = true
				source.Reset()
			case "methods", "method":
				methods++
			case "class":
				fn := attr(t, "filename")
				if fn == "" {
					return nil, errAt("<class> without a filename attribute")
				}
				cur = byName[fn]
				if cur == nil {
					cur = &FileData{Name: fn, Unit: UnitLines}
					byName[fn] = cur
					prof.Files = append(prof.Files, cur)
				}
			case "line":
				if methods > 0 {
					continue
				}
				if cur == nil {
					return nil, errAt("<line> outside a <class>")
				}
				if msg := coberturaLine(cur, t); msg != "" {
					return nil, errAt("<line>: %s", msg)
				}
			}
		case xml.EndElement:
			depth--
			switch t.Name.Local {
			case "source":
				if s := strings.TrimSpace(source.String()); s != "" && inSource {
					prof.Sources = append(prof.Sources, s)
				}
				inSource = false
			case "methods", "method":
				methods--
			case "class":
				cur = nil
			}
		case xml.CharData:
			if inSource {
				if source.Len()+len(t) > 1<<16 {
					return nil, errAt("<source> is longer than 64 KiB")
				}
				source.Write(t)
			}
		}
	}
	if !rootSeen {
		return nil, parseErrorf(path, 0, "no XML element: not Cobertura XML")
	}
	if depth != 0 {
		line, _ := dec.InputPos()
		return nil, parseErrorf(path, line, "truncated XML: %d elements left open", depth)
	}
	return prof, nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// coberturaLine adds one <line> to f, returning what is wrong with it or "".
func coberturaLine(f *FileData, t xml.StartElement) string {
	numS, hitsS := attr(t, "number"), attr(t, "hits")
	num, err := strconv.ParseInt(strings.TrimSpace(numS), 10, 32)
	switch {
	case numS == "":
		return "missing number attribute"
	case err != nil:
		return "malformed number " + strconv.Quote(clip(numS, 40))
	case num < 1:
		return "line numbers start at 1"
	}
	hits, err := strconv.ParseInt(strings.TrimSpace(hitsS), 10, 64)
	switch {
	case hitsS == "":
		return "missing hits attribute"
	case err != nil && strings.HasPrefix(strings.TrimSpace(hitsS), "-"):
		return "negative hits " + strconv.Quote(clip(hitsS, 40))
	case err != nil:
		return "malformed hits " + strconv.Quote(clip(hitsS, 40))
	case hits < 0:
		return "negative hits " + strconv.Quote(clip(hitsS, 40))
	}
	ln := int32(num)
	f.Blocks = append(f.Blocks, Block{StartLine: ln, EndLine: ln, NumStmt: 1, Count: hits})
	if attr(t, "branch") != "true" {
		return ""
	}
	cc := attr(t, "condition-coverage")
	if cc == "" {
		return ""
	}
	// "50% (1/2)": the fraction is the data; the percentage is the producer's rounding.
	open, close := strings.IndexByte(cc, '('), strings.LastIndexByte(cc, ')')
	if open < 0 || close < open {
		return "malformed condition-coverage " + strconv.Quote(clip(cc, 40))
	}
	a, b, ok := strings.Cut(cc[open+1:close], "/")
	covered, err1 := strconv.Atoi(strings.TrimSpace(a))
	total, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return "malformed condition-coverage " + strconv.Quote(clip(cc, 40))
	case covered < 0 || total < 0 || covered > total:
		return "impossible condition-coverage " + strconv.Quote(clip(cc, 40))
	case total > maxBranchesPerLine:
		return "implausible condition-coverage " + strconv.Quote(clip(cc, 40))
	}
	if f.Branches == nil {
		f.Branches = map[BranchKey]int64{}
	}
	// Cobertura says how many of a line's branches ran, not which: the first `covered` count
	// as taken, so that merging two reports takes the better of the two per line.
	for i := range total {
		k := BranchKey{Line: ln, ID: strconv.Itoa(i)}
		var taken int64
		if i < covered {
			taken = 1
		}
		f.Branches[k] = max(f.Branches[k], taken)
	}
	return ""
}
