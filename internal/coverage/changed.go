package coverage

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// GitDiffFunc returns `git diff --unified=0` output of the working tree in dir against base.
type GitDiffFunc func(ctx context.Context, dir, base string) ([]byte, error)

// GitDiff runs git. --relative keeps paths relative to dir (the repository root given to Run,
// which may be a subdirectory of the git work tree). A base that names no commit is a
// *git.RefError: `--base ref "x": ...`.
func GitDiff(ctx context.Context, dir, base string) ([]byte, error) {
	var out []byte
	err := git.Repo{Dir: dir}.Diff(ctx, git.DiffOptions{Base: base, Relative: true, Renames: true}, func(r io.Reader) (err error) {
		out, err = io.ReadAll(r)
		return err
	})
	var re *git.RefError
	if errors.As(err, &re) {
		return nil, fmt.Errorf("--base %w", err)
	}
	return out, err
}

// ParseDiff returns the added or modified lines of each file in a unified diff (new-file line
// numbers), sorted. Deleted files have none.
func ParseDiff(diff []byte) (map[string][]int, error) {
	out := map[string][]int{}
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(diff))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "diff --git "):
			cur = ""
		case strings.HasPrefix(line, "+++ "):
			name := strings.TrimPrefix(line, "+++ ")
			if strings.HasPrefix(name, `"`) {
				uq, err := strconv.Unquote(name)
				if err != nil {
					return nil, fmt.Errorf("diff line %d: malformed quoted path %s", n, name)
				}
				name = uq
			}
			if name == "/dev/null" {
				cur = ""
				continue
			}
			name, _ = strings.CutSuffix(name, "\t")
			cur = strings.TrimPrefix(name, "b/")
		case strings.HasPrefix(line, "@@ ") && cur != "":
			// @@ -a[,b] +c[,d] @@
			fields := strings.Fields(line)
			if len(fields) < 3 || !strings.HasPrefix(fields[2], "+") {
				return nil, fmt.Errorf("diff line %d: malformed hunk header %q", n, clip(line, 80))
			}
			startS, countS, hasCount := strings.Cut(fields[2][1:], ",")
			start, err1 := strconv.Atoi(startS)
			cnt := 1
			var err2 error
			if hasCount {
				cnt, err2 = strconv.Atoi(countS)
			}
			if err1 != nil || err2 != nil || start < 0 || cnt < 0 || cnt > 1<<24 {
				return nil, fmt.Errorf("diff line %d: malformed hunk header %q", n, clip(line, 80))
			}
			for l := start; l < start+cnt; l++ {
				out[cur] = append(out[cur], l)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read diff: %w", err)
	}
	for k, v := range out {
		slices.Sort(v)
		out[k] = slices.Compact(v)
	}
	return out, nil
}

// Changed is the coverage of a change's added or modified executable lines.
type Changed struct {
	Base string `json:"base"`
	Counts
	Files []ChangedFile `json:"files"`
}

// ChangedFile is one changed file with executable changed lines.
type ChangedFile struct {
	Path string `json:"path"`
	Counts
	// Uncovered are the changed lines no test ran, grouped into ranges that continue across
	// lines that are not executable.
	Uncovered []Range `json:"uncovered,omitempty"`
}

// changedLines measures the changed lines against the files and annotates uncovered ones.
func changedLines(r *Result, base string, lines map[string][]int) *Changed {
	c := &Changed{Base: base, Files: []ChangedFile{}}
	byPath := map[string]*File{}
	for i := range r.Files {
		byPath[r.Files[i].Path] = &r.Files[i]
	}
	for _, p := range slices.Sorted(maps.Keys(lines)) {
		f := byPath[p]
		if f == nil || len(f.segs) == 0 {
			continue
		}
		cf := ChangedFile{Path: p}
		prev := 0 // the last executable changed line
		for _, l := range lines[p] {
			exec, covered := f.lineState(l)
			if !exec {
				continue
			}
			cf.Total++
			if covered {
				cf.Covered++
			} else if n := len(cf.Uncovered); n > 0 && cf.Uncovered[n-1].End == prev && !f.anyExecutable(prev+1, l-1) {
				cf.Uncovered[n-1].End = l
			} else {
				cf.Uncovered = append(cf.Uncovered, Range{l, l})
			}
			prev = l
		}
		if cf.Total == 0 {
			continue
		}
		cf.Counts = newCounts(cf.Covered, cf.Total)
		c.Covered += cf.Covered
		c.Total += cf.Total
		for _, u := range cf.Uncovered {
			what := "line " + u.String() + " is"
			if u.Start != u.End {
				what = "lines " + u.String() + " are"
			}
			fd := report.Finding{Path: p, Line: u.Start, Rule: RuleUncoveredChanged, Severity: report.Warning,
				Message: fmt.Sprintf("changed %s not covered by tests", what)}
			if u.End != u.Start {
				fd.EndLine = u.End
			}
			r.Findings = append(r.Findings, fd)
		}
		c.Files = append(c.Files, cf)
	}
	c.Percent = percent(c.Covered, c.Total)
	return c
}
