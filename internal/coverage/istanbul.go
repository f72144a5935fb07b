package coverage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
)

// istanbulEntry decodes one top-level entry of either Istanbul file: coverage-final.json
// (statementMap, s, fnMap, f, branchMap, b) or coverage-summary.json (lines, statements,
// functions, branches). The two share no keys, so one struct tells them apart.
type istanbulEntry struct {
	Path         string                    `json:"path"`
	StatementMap map[string]istanbulRange  `json:"statementMap"`
	S            map[string]json.Number    `json:"s"`
	FnMap        map[string]istanbulFn     `json:"fnMap"`
	F            map[string]json.Number    `json:"f"`
	BranchMap    map[string]istanbulBranch `json:"branchMap"`
	B            map[string][]json.Number  `json:"b"`

	Statements *istanbulMetric `json:"statements"`
	Lines      *istanbulMetric `json:"lines"`
	Functions  *istanbulMetric `json:"functions"`
	Branches   *istanbulMetric `json:"branches"`
}

type istanbulPos struct {
	Line   int64  `json:"line"`
	Column *int64 `json:"column"` // null in some producers' output
}

type istanbulRange struct {
	Start istanbulPos `json:"start"`
	End   istanbulPos `json:"end"`
}

type istanbulFn struct {
	Name string        `json:"name"`
	Line int64         `json:"line"`
	Loc  istanbulRange `json:"loc"`
}

type istanbulBranch struct {
	Line int64         `json:"line"`
	Loc  istanbulRange `json:"loc"`
}

type istanbulMetric struct {
	Total   json.Number `json:"total"`
	Covered json.Number `json:"covered"`
}

// ParseIstanbul reads an Istanbul coverage-final.json (statements, functions and branches with
// their locations and counts) or coverage-summary.json (per-file counts only), telling them apart
// by content. The summary's "total" entry and every "pct" are ignored: totals are recomputed.
func ParseIstanbul(path string, r io.Reader) (*Profile, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJSONBytes+1))
	if err != nil {
		return nil, &ParseError{Path: path, Msg: "cannot read report: " + err.Error(), Err: err}
	}
	if len(data) > maxJSONBytes {
		return nil, parseErrorf(path, 0, "JSON report is larger than %d MiB", maxJSONBytes>>20)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	jsonErr := func(err error, at int64) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		msg := err.Error()
		switch {
		case errors.As(err, &se):
			// The streaming decoder's offsets are approximate; a whole-document validation
			// finds the exact byte, and only runs once something is already wrong.
			var raw json.RawMessage
			if verr := json.Unmarshal(data, &raw); errors.As(verr, &se) {
				at = se.Offset - 1
				msg = se.Error()
			}
			msg = "malformed JSON: " + msg
		case errors.As(err, &te):
			msg = "unexpected JSON: " + msg
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			at = int64(len(data))
			msg = "truncated JSON"
		}
		return &ParseError{Path: path, Line: lineAt(data, at), Msg: msg, Err: err}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonErr(err, dec.InputOffset())
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, parseErrorf(path, lineAt(data, dec.InputOffset()), "want a JSON object of files, got %v", tok)
	}
	prof := &Profile{Path: path}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonErr(err, dec.InputOffset())
		}
		key, _ := tok.(string)
		at := dec.InputOffset()
		var e istanbulEntry
		if err := dec.Decode(&e); err != nil {
			return nil, jsonErr(err, at)
		}
		line := lineAt(data, at)
		kind := FormatIstanbul
		switch {
		case e.StatementMap != nil:
		case e.Statements != nil || e.Lines != nil:
			kind = FormatIstanbulSummary
		default:
			return nil, parseErrorf(path, line, "entry %q is neither Istanbul file coverage (no statementMap) nor a coverage summary (no statements)", clip(key, 80))
		}
		if prof.Format == "" {
			prof.Format = kind
		} else if prof.Format != kind {
			return nil, parseErrorf(path, line, "entry %q is %s but earlier entries are %s", clip(key, 80), kind, prof.Format)
		}
		if kind == FormatIstanbulSummary && key == "total" {
			continue
		}
		name := key
		if e.Path != "" {
			name = e.Path
		}
		if name == "" {
			return nil, parseErrorf(path, line, "entry with an empty file name")
		}
		var fd *FileData
		var msg string
		if kind == FormatIstanbul {
			fd, msg = istanbulFile(name, &e)
		} else {
			fd, msg = istanbulSummary(name, &e)
		}
		if msg != "" {
			return nil, parseErrorf(path, line, "%q: %s", clip(name, 80), msg)
		}
		prof.Files = append(prof.Files, fd)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonErr(err, dec.InputOffset())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, parseErrorf(path, lineAt(data, dec.InputOffset()), "unexpected data after the JSON object")
	}
	if prof.Format == "" {
		prof.Format = FormatIstanbul
	}
	return prof, nil
}

// lineAt is the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// count reads a hit count: a non-negative integer.
func count(n json.Number, what string) (int64, string) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	switch {
	case err != nil:
		if f, ferr := strconv.ParseFloat(string(n), 64); ferr == nil && f < 0 {
			return 0, "negative " + what + " " + string(n)
		}
		return 0, "malformed " + what + " " + strconv.Quote(clip(string(n), 40))
	case v < 0:
		return 0, "negative " + what + " " + string(n)
	}
	return v, ""
}

func clampInt32(v int64) int32 { return int32(min(max(v, 0), math.MaxInt32)) }

// idOrder sorts Istanbul's numeric ids numerically ("2" before "10"), others after them.
func idOrder[V any](m map[string]V) []string {
	ids := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(ids, func(a, b string) int {
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		switch {
		case errA == nil && errB == nil:
			return x - y
		case errA == nil:
			return -1
		case errB == nil:
			return 1
		}
		return 0
	})
	return ids
}

func istanbulFile(name string, e *istanbulEntry) (*FileData, string) {
	fd := &FileData{Name: name, Unit: UnitStatements, Blocks: make([]Block, 0, len(e.StatementMap))}
	for id := range e.S {
		if _, ok := e.StatementMap[id]; !ok {
			return nil, fmt.Sprintf("s[%q] counts a statement statementMap does not have", clip(id, 20))
		}
	}
	for _, id := range idOrder(e.StatementMap) {
		loc := e.StatementMap[id]
		var n int64
		if c, ok := e.S[id]; ok {
			var msg string
			if n, msg = count(c, "count"); msg != "" {
				return nil, fmt.Sprintf("s[%q]: %s", clip(id, 20), msg)
			}
		}
		b := Block{
			StartLine: clampInt32(loc.Start.Line), EndLine: clampInt32(loc.End.Line),
			NumStmt: 1, Count: n,
		}
		if loc.Start.Column != nil {
			b.StartCol = clampInt32(*loc.Start.Column)
		}
		if loc.End.Column != nil {
			b.EndCol = clampInt32(*loc.End.Column)
		} else {
			b.EndCol = math.MaxInt32
		}
		switch {
		case loc.Start.Line < 1:
			return nil, fmt.Sprintf("statementMap[%q]: line numbers start at 1", clip(id, 20))
		case b.EndLine < b.StartLine:
			return nil, fmt.Sprintf("statementMap[%q]: statement ends before it starts", clip(id, 20))
		}
		fd.Blocks = append(fd.Blocks, b)
	}
	if len(e.FnMap) > 0 || len(e.F) > 0 {
		fd.Functions = map[string]int64{}
		for _, id := range idOrder(e.FnMap) {
			var n int64
			if c, ok := e.F[id]; ok {
				var msg string
				if n, msg = count(c, "count"); msg != "" {
					return nil, fmt.Sprintf("f[%q]: %s", clip(id, 20), msg)
				}
			}
			fd.Functions[e.FnMap[id].Name+"#"+id] = n
		}
	}
	if len(e.BranchMap) > 0 || len(e.B) > 0 {
		fd.Branches = map[BranchKey]int64{}
		for _, id := range idOrder(e.B) {
			bm, ok := e.BranchMap[id]
			if !ok {
				return nil, fmt.Sprintf("b[%q] counts a branch branchMap does not have", clip(id, 20))
			}
			line := bm.Line
			if line == 0 {
				line = bm.Loc.Start.Line
			}
			for i, c := range e.B[id] {
				n, msg := count(c, "count")
				if msg != "" {
					return nil, fmt.Sprintf("b[%q][%d]: %s", clip(id, 20), i, msg)
				}
				fd.Branches[BranchKey{Line: clampInt32(line), ID: id + "." + strconv.Itoa(i)}] = n
			}
		}
	}
	return fd, ""
}

func istanbulSummary(name string, e *istanbulEntry) (*FileData, string) {
	m := e.Statements
	if m == nil {
		m = e.Lines
	}
	s := &Summary{HasCounts: true}
	var msg string
	if s.Covered, s.Total, msg = metric(m, "statements"); msg != "" {
		return nil, msg
	}
	if e.Branches != nil {
		s.HasBranches = true
		if s.BranchesCovered, s.BranchesTotal, msg = metric(e.Branches, "branches"); msg != "" {
			return nil, msg
		}
	}
	if e.Functions != nil {
		s.HasFunctions = true
		if s.FunctionsCovered, s.FunctionsTotal, msg = metric(e.Functions, "functions"); msg != "" {
			return nil, msg
		}
	}
	return &FileData{Name: name, Unit: UnitStatements, Summary: s}, ""
}

func metric(m *istanbulMetric, what string) (covered, total int, msg string) {
	c, msg := count(m.Covered, what+".covered")
	if msg != "" {
		return 0, 0, msg
	}
	t, msg := count(m.Total, what+".total")
	if msg != "" {
		return 0, 0, msg
	}
	if c > t {
		return 0, 0, fmt.Sprintf("%s: covered %d is more than total %d", what, c, t)
	}
	if t > math.MaxInt32 {
		return 0, 0, fmt.Sprintf("%s: implausible total %d", what, t)
	}
	return int(c), int(t), ""
}
