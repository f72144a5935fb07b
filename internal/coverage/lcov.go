package coverage

import (
	"bytes"
	"io"
	"math"
	"strconv"
)

// ParseLCOV reads an LCOV tracefile: SF records of DA (lines), BRDA (branches) and FN/FNDA
// (functions; lcov 2.x FNL/FNA too), each closed by end_of_record. The LF/LH, BRF/BRH and FNF/FNH
// totals the producer wrote are ignored: everything is recomputed from the records.
func ParseLCOV(path string, r io.Reader) (*Profile, error) {
	lr := newLineReader(path, r)
	prof := &Profile{Path: path, Format: FormatLCOV}
	var cur *FileData
	curLine := 0
	var fnl map[string]bool // FNL indices of the current record
	for {
		line, ok, err := lr.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if string(line) == "end_of_record" {
			if cur == nil {
				return nil, parseErrorf(path, lr.n, "end_of_record without a preceding SF:")
			}
			prof.Files = append(prof.Files, cur)
			cur = nil
			continue
		}
		key, val, found := bytes.Cut(line, []byte(":"))
		if !found {
			return nil, parseErrorf(path, lr.n, "unrecognised LCOV line %q", clip(string(line), 80))
		}
		k := string(key)
		switch k {
		case "TN", "VER":
			continue
		case "SF":
			if cur != nil {
				return nil, parseErrorf(path, lr.n, "SF: before the end_of_record of %q (line %d)", cur.Name, curLine)
			}
			if len(val) == 0 {
				return nil, parseErrorf(path, lr.n, "SF: with an empty file name")
			}
			cur = &FileData{Name: string(val), Unit: UnitLines}
			curLine = lr.n
			fnl = nil
			continue
		}
		if cur == nil {
			switch k {
			case "DA", "BRDA", "FN", "FNDA", "FNL", "FNA", "LF", "LH", "BRF", "BRH", "FNF", "FNH":
				return nil, parseErrorf(path, lr.n, "%s: outside a record (no SF: before it)", k)
			}
			continue
		}
		var msg string
		switch k {
		case "DA":
			msg = lcovDA(cur, val)
		case "BRDA":
			msg = lcovBRDA(cur, val)
		case "FN":
			msg = lcovFN(cur, val)
		case "FNDA":
			msg = lcovFNDA(cur, val)
		case "FNL":
			if fnl == nil {
				fnl = map[string]bool{}
			}
			msg = lcovFNL(cur, fnl, val)
		case "FNA":
			msg = lcovFNA(cur, fnl, val)
		}
		// Other keys (LF, LH, BRF, BRH, FNF, FNH, and records newer lcov versions add) carry
		// nothing that is not recomputed, so they are skipped.
		if msg != "" {
			return nil, parseErrorf(path, lr.n, "%s: %s", k, msg)
		}
	}
	if cur != nil {
		return nil, parseErrorf(path, lr.n, "truncated: the record for %q started on line %d has no end_of_record", cur.Name, curLine)
	}
	return prof, nil
}

// lcovInt parses a non-negative decimal no larger than limit.
func lcovInt(b []byte, what string, limit int64) (int64, string) {
	if len(b) > 0 && b[0] == '-' {
		return 0, "negative " + what
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v > limit {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange || err == nil {
			return 0, what + " is out of range"
		}
		return 0, "malformed " + what + " " + strconv.Quote(clip(string(b), 40))
	}
	return v, ""
}

func lcovLine(b []byte) (int32, string) {
	v, msg := lcovInt(b, "line number", math.MaxInt32)
	if msg == "" && v < 1 {
		return 0, "line numbers start at 1"
	}
	return int32(v), msg
}

// DA:<line>,<count>[,<checksum>]
func lcovDA(f *FileData, val []byte) string {
	parts := bytes.SplitN(val, []byte(","), 3)
	if len(parts) < 2 {
		return "want DA:<line>,<count>"
	}
	ln, msg := lcovLine(parts[0])
	if msg != "" {
		return msg
	}
	n, msg := lcovInt(parts[1], "count", math.MaxInt64)
	if msg != "" {
		return msg
	}
	f.Blocks = append(f.Blocks, Block{StartLine: ln, EndLine: ln, NumStmt: 1, Count: n})
	return ""
}

// BRDA:<line>,[<exception>]<block>,<branch>,<taken>; lcov 2.x allows commas inside <branch>
// (an expression), so the line is the first field and taken the last.
func lcovBRDA(f *FileData, val []byte) string {
	first := bytes.IndexByte(val, ',')
	last := bytes.LastIndexByte(val, ',')
	if first < 0 || last <= first || bytes.IndexByte(val[first+1:last], ',') < 0 {
		return "want BRDA:<line>,<block>,<branch>,<taken>"
	}
	ln, msg := lcovLine(val[:first])
	if msg != "" {
		return msg
	}
	var taken int64
	if t := val[last+1:]; string(t) != "-" {
		if taken, msg = lcovInt(t, "taken count", math.MaxInt64); msg != "" {
			return msg
		}
	}
	if f.Branches == nil {
		f.Branches = map[BranchKey]int64{}
	}
	k := BranchKey{Line: ln, ID: string(val[first+1 : last])}
	f.Branches[k] = mergeCount(false, f.Branches[k], taken)
	return ""
}

// FN:<line>,<name> (1.x) or FN:<line>,<end line>,<name> (2.x).
func lcovFN(f *FileData, val []byte) string {
	lineB, rest, ok := bytes.Cut(val, []byte(","))
	if !ok || len(rest) == 0 {
		return "want FN:<line>,<name>"
	}
	if _, msg := lcovLine(lineB); msg != "" {
		return msg
	}
	if endB, name, ok := bytes.Cut(rest, []byte(",")); ok && len(name) > 0 && isDigits(endB) {
		rest = name
	}
	if f.Functions == nil {
		f.Functions = map[string]int64{}
	}
	if _, seen := f.Functions[string(rest)]; !seen {
		f.Functions[string(rest)] = 0
	}
	return ""
}

// FNDA:<count>,<name>
func lcovFNDA(f *FileData, val []byte) string {
	countB, name, ok := bytes.Cut(val, []byte(","))
	if !ok || len(name) == 0 {
		return "want FNDA:<count>,<name>"
	}
	n, msg := lcovInt(countB, "count", math.MaxInt64)
	if msg != "" {
		return msg
	}
	if f.Functions == nil {
		f.Functions = map[string]int64{}
	}
	f.Functions[string(name)] = mergeCount(false, f.Functions[string(name)], n)
	return ""
}

// FNL:<index>,<line>[,<end line>] declares a function (lcov 2.x); its aliases follow as FNA.
func lcovFNL(f *FileData, fnl map[string]bool, val []byte) string {
	idx, rest, ok := bytes.Cut(val, []byte(","))
	if !ok || !isDigits(idx) {
		return "want FNL:<index>,<line>[,<end line>]"
	}
	lineB, _, _ := bytes.Cut(rest, []byte(","))
	if _, msg := lcovLine(lineB); msg != "" {
		return msg
	}
	fnl[string(idx)] = true
	if f.Functions == nil {
		f.Functions = map[string]int64{}
	}
	k := "#" + string(idx)
	if _, seen := f.Functions[k]; !seen {
		f.Functions[k] = 0
	}
	return ""
}

// FNA:<index>,<count>,<name>: one alias of function <index>; the function ran if any alias did.
func lcovFNA(f *FileData, fnl map[string]bool, val []byte) string {
	parts := bytes.SplitN(val, []byte(","), 3)
	if len(parts) < 3 || !isDigits(parts[0]) || len(parts[2]) == 0 {
		return "want FNA:<index>,<count>,<name>"
	}
	if !fnl[string(parts[0])] {
		return "function index " + string(parts[0]) + " has no FNL: before it"
	}
	n, msg := lcovInt(parts[1], "count", math.MaxInt64)
	if msg != "" {
		return msg
	}
	k := "#" + string(parts[0])
	f.Functions[k] = mergeCount(false, f.Functions[k], n)
	return ""
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
