package coverage

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
)

// Counts is covered out of total, with the percentage (0 to 100) they make. Nothing to cover is
// 100%: an empty file cannot be the reason a floor fails.
type Counts struct {
	Covered int     `json:"covered"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
}

func newCounts(covered, total int) Counts {
	return Counts{Covered: covered, Total: total, Percent: percent(covered, total)}
}

func percent(covered, total int) float64 {
	if total == 0 {
		return 100
	}
	return 100 * float64(covered) / float64(total)
}

func (c *Counts) add(o Counts) {
	c.Covered += o.Covered
	c.Total += o.Total
	c.Percent = percent(c.Covered, c.Total)
}

// Range is a run of lines, Start to End inclusive.
type Range struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// MarshalJSON writes a range as [start, end]: a report of thousands of files lists tens of
// thousands of ranges, and the pair is a third the size of {"start":..,"end":..}.
func (r Range) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 24)
	b = append(strconv.AppendInt(append(b, '['), int64(r.Start), 10), ',')
	return append(strconv.AppendInt(b, int64(r.End), 10), ']'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Range) UnmarshalJSON(b []byte) error {
	var pair [2]int
	if err := json.Unmarshal(b, &pair); err != nil {
		return fmt.Errorf("a line range is [start, end]: %w", err)
	}
	r.Start, r.End = pair[0], pair[1]
	return nil
}

func (r Range) String() string {
	if r.Start == r.End {
		return fmt.Sprint(r.Start)
	}
	return fmt.Sprintf("%d-%d", r.Start, r.End)
}

// File is one source file of the merged model.
type File struct {
	// Path is slash-separated and relative to the repository root (or as the report wrote it,
	// when it could not be mapped; see the coverage/unmapped-path finding).
	Path string `json:"path"`
	// Package is the file's directory ("." at the root).
	Package string `json:"package"`
	Counts
	Unit Unit `json:"unit"`
	// Branches and Functions are nil when no report had them for this file.
	Branches  *Counts `json:"branches,omitempty"`
	Functions *Counts `json:"functions,omitempty"`
	// Uncovered are the runs of lines no test reached. A run continues across lines that are not
	// executable (comments, blank lines), as coverage.py's "Missing" column does; it is empty for
	// a coverage-summary.json, which has no lines.
	Uncovered []Range `json:"uncovered,omitempty"`
	// Formats are the report formats that described the file.
	Formats []Format `json:"formats"`

	segs []segment
}

// segment is a run of executable lines that are all covered or all not.
type segment struct {
	start, end int32
	covered    bool
}

// lineState says whether line is executable and covered.
func (f *File) lineState(line int) (executable, covered bool) {
	i := sort.Search(len(f.segs), func(i int) bool { return int(f.segs[i].end) >= line })
	if i < len(f.segs) && int(f.segs[i].start) <= line {
		return true, f.segs[i].covered
	}
	return false, false
}

// anyExecutable reports whether some line in [lo, hi] is executable.
func (f *File) anyExecutable(lo, hi int) bool {
	if lo > hi {
		return false
	}
	i := sort.Search(len(f.segs), func(i int) bool { return int(f.segs[i].end) >= lo })
	return i < len(f.segs) && int(f.segs[i].start) <= hi
}

// rank orders how much a format knows about a file, for when two formats describe the same one:
// positions of statements beat lines, lines beat bare counts.
func rank(f Format) int {
	switch f {
	case FormatGo, FormatIstanbul:
		return 3
	case FormatCobertura, FormatLCOV:
		return 2
	}
	return 1
}

// acc gathers what every report says about one file.
type acc struct {
	path      string
	unit      Unit
	format    Format
	formats   []Format
	set       bool // Go set mode: repeated blocks are ORed, not summed
	blocks    []Block
	branches  map[BranchKey]int64
	functions map[string]int64
	summary   *Summary
}

func (a *acc) add(fd *FileData, format Format, set bool) (note string) {
	if a.format != "" && rank(format) != rank(a.format) {
		if rank(format) < rank(a.format) {
			return fmt.Sprintf("%s is described by both %s and %s reports; using the %s data, which has more detail", a.path, a.format, format, a.format)
		}
		note = fmt.Sprintf("%s is described by both %s and %s reports; using the %s data, which has more detail", a.path, a.format, format, format)
		*a = acc{path: a.path, formats: a.formats}
	}
	if a.format == "" {
		a.format, a.unit = format, fd.Unit
	}
	if !slices.Contains(a.formats, format) {
		a.formats = append(a.formats, format)
	}
	a.set = a.set || set
	if a.blocks == nil {
		a.blocks = fd.Blocks
	} else {
		a.blocks = append(a.blocks, fd.Blocks...)
	}
	for k, v := range fd.Branches {
		if a.branches == nil {
			a.branches = map[BranchKey]int64{}
		}
		a.branches[k] = mergeCount(false, a.branches[k], v)
	}
	for k, v := range fd.Functions {
		if a.functions == nil {
			a.functions = map[string]int64{}
		}
		a.functions[k] = mergeCount(false, a.functions[k], v)
	}
	if fd.Summary != nil {
		if a.summary == nil {
			s := *fd.Summary
			a.summary = &s
		} else {
			// Two summaries of one file (e.g. shards) cannot be merged line by line; keep the
			// better-covered one rather than double the totals.
			if percent(fd.Summary.Covered, fd.Summary.Total) > percent(a.summary.Covered, a.summary.Total) {
				s := *fd.Summary
				a.summary = &s
			}
		}
	}
	return note
}

// file merges the gathered blocks (repeated blocks: OR for Go set mode, sum otherwise) and
// computes the file's numbers.
func (a *acc) file() (*File, error) {
	f := &File{Path: a.path, Package: path.Dir(a.path), Unit: a.unit, Formats: a.formats}
	if a.summary != nil && len(a.blocks) == 0 {
		s := a.summary
		f.Counts = newCounts(s.Covered, s.Total)
		if s.HasBranches {
			c := newCounts(s.BranchesCovered, s.BranchesTotal)
			f.Branches = &c
		}
		if s.HasFunctions {
			c := newCounts(s.FunctionsCovered, s.FunctionsTotal)
			f.Functions = &c
		}
		return f, nil
	}
	blocks := a.blocks
	if !slices.IsSortedFunc(blocks, comparePos) {
		blocks = slices.Clone(blocks)
		slices.SortStableFunc(blocks, comparePos)
	}
	merged := blocks
	if hasRepeats(blocks) {
		var err error
		if merged, err = a.mergeRepeats(blocks); err != nil {
			return nil, err
		}
	}
	var covered, total int
	for i := range merged {
		b := &merged[i]
		total += int(b.NumStmt)
		if b.Count > 0 {
			covered += int(b.NumStmt)
		}
	}
	f.Counts = newCounts(covered, total)
	f.segs = segments(merged)
	f.Uncovered = uncoveredRanges(f.segs)
	f.Branches = hitCounts(a.branches)
	f.Functions = hitCounts(a.functions)
	return f, nil
}

// mergeRepeats merges the blocks at the same position of sorted blocks into a new slice.
func (a *acc) mergeRepeats(blocks []Block) ([]Block, error) {
	merged := make([]Block, 0, len(blocks))
	for i := range blocks {
		b := blocks[i]
		if n := len(merged); n > 0 && merged[n-1].samePos(&b) {
			last := &merged[n-1]
			if last.NumStmt != b.NumStmt {
				return nil, fmt.Errorf("%s: the block at %d.%d,%d.%d has %d statements in one report and %d in another: the reports are of different versions of the file",
					a.path, b.StartLine, b.StartCol, b.EndLine, b.EndCol, last.NumStmt, b.NumStmt)
			}
			last.Count = mergeCount(a.set, last.Count, b.Count)
			continue
		}
		merged = append(merged, b)
	}
	return merged, nil
}

// hasRepeats reports whether sorted blocks hold two at the same position.
func hasRepeats(blocks []Block) bool {
	for i := 1; i < len(blocks); i++ {
		if blocks[i].samePos(&blocks[i-1]) {
			return true
		}
	}
	return false
}

type interval struct{ start, end int32 }

// addInterval adds iv to intervals sorted by start, none overlapping or touching another, where
// iv starts no earlier than the last: it is joined to the last when they overlap or touch.
func addInterval(out []interval, iv interval) []interval {
	if n := len(out); n > 0 && iv.start <= out[n-1].end+1 {
		out[n-1].end = max(out[n-1].end, iv.end)
		return out
	}
	return append(out, iv)
}

// segments splits the lines the blocks span into covered and uncovered runs. A line is covered
// when any block over it ran: a Go line holding the end of a covered `if` and the start of an
// uncovered body counts as covered, and overlapping blocks never count a line twice. Blocks of
// no statements mark no lines. The blocks are sorted by position.
func segments(blocks []Block) []segment {
	// The lines of all blocks and of the covered ones, as runs.
	var all, cov []interval
	for i := range blocks {
		b := &blocks[i]
		if b.NumStmt <= 0 {
			continue
		}
		iv := interval{b.StartLine, b.EndLine}
		all = addInterval(all, iv)
		if b.Count > 0 {
			cov = addInterval(cov, iv)
		}
	}
	var out []segment
	j := 0
	for _, a := range all {
		pos := a.start
		for pos <= a.end {
			for j < len(cov) && cov[j].end < pos {
				j++
			}
			if j < len(cov) && cov[j].start <= pos {
				end := min(cov[j].end, a.end)
				out = append(out, segment{pos, end, true})
				if end == a.end {
					break
				}
				pos = end + 1
				continue
			}
			end := a.end
			if j < len(cov) && cov[j].start <= a.end {
				end = cov[j].start - 1
			}
			out = append(out, segment{pos, end, false})
			if end == a.end {
				break
			}
			pos = end + 1
		}
	}
	return out
}

// uncoveredRanges joins uncovered segments not separated by a covered one.
func uncoveredRanges(segs []segment) []Range {
	var out []Range
	prevUncovered := false
	for _, s := range segs {
		if !s.covered {
			if prevUncovered {
				out[len(out)-1].End = int(s.end)
			} else {
				out = append(out, Range{int(s.start), int(s.end)})
			}
		}
		prevUncovered = !s.covered
	}
	return out
}

// hitCounts is how many of the counted things (branches, functions) were hit at least once, or
// nil when the reports had none of them to count.
func hitCounts[K comparable](hits map[K]int64) *Counts {
	if hits == nil {
		return nil
	}
	hit := 0
	for _, v := range hits {
		if v > 0 {
			hit++
		}
	}
	c := newCounts(hit, len(hits))
	return &c
}
