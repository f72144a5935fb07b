package coverage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// baselineVersion is the only baseline format this package writes and reads.
const baselineVersion = 1

// Baseline is what --write-baseline records on the default branch and --baseline compares
// against: the counts, from which percentages are recomputed when read.
type Baseline struct {
	Version int               `json:"version"`
	Total   Counts            `json:"total"`
	Files   map[string]Counts `json:"files"`
}

// Baseline returns the result's baseline.
func (r *Result) Baseline() *Baseline {
	b := &Baseline{Version: baselineVersion, Total: roundCounts(r.Total), Files: make(map[string]Counts, len(r.Files))}
	for _, f := range r.Files {
		b.Files[f.Path] = roundCounts(f.Counts)
	}
	return b
}

// maxBaselineBytes bounds a baseline read: one entry per file of a large monorepo is well under it.
const maxBaselineBytes = 64 << 20

// BaselineJSON is the baseline file's content.
func (r *Result) BaselineJSON() ([]byte, error) {
	data, err := json.MarshalIndent(r.Baseline(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode baseline: %w", err)
	}
	return append(data, '\n'), nil
}

// ReadBaseline reads a baseline file. A malformed one is a *ParseError.
func ReadBaseline(path string) (*Baseline, error) {
	data, err := fsutil.ReadRegular(path, maxBaselineBytes)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	return ParseBaseline(path, data)
}

// ParseBaseline decodes a baseline, recomputing its percentages from its counts.
func ParseBaseline(path string, data []byte) (*Baseline, error) {
	var b Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = lineAt(data, se.Offset)
		case errors.As(err, &te):
			line = lineAt(data, te.Offset)
		}
		return nil, &ParseError{Path: path, Line: line, Msg: "malformed baseline: " + err.Error(), Err: err}
	}
	// One JSON object and nothing after it: a baseline with a second object or garbage appended
	// (a botched merge, two writers) is not silently half-read.
	if off := dec.InputOffset(); len(bytes.TrimSpace(data[off:])) > 0 {
		rest := data[off:]
		skip := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
		return nil, parseErrorf(path, lineAt(data, off+int64(skip)), "malformed baseline: unexpected data after the baseline object (want exactly one JSON object)")
	}
	if b.Version != baselineVersion {
		return nil, parseErrorf(path, 0, "unsupported baseline version %d (valid: %d)", b.Version, baselineVersion)
	}
	fix := func(what string, c *Counts) error {
		if c.Covered < 0 || c.Total < 0 || c.Covered > c.Total {
			return parseErrorf(path, 0, "baseline %s: impossible counts %d/%d", what, c.Covered, c.Total)
		}
		c.Percent = percent(c.Covered, c.Total)
		return nil
	}
	if err := fix("total", &b.Total); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(b.Files)) {
		c := b.Files[k]
		if err := fix(fmt.Sprintf("file %q", k), &c); err != nil {
			return nil, err
		}
		b.Files[k] = c
	}
	return &b, nil
}

// ratchet compares the result with a baseline: the total, and each file in both, may not drop
// by more than the tolerance.
func (p *Policy) ratchet(r *Result, b *Baseline, baselinePath string) {
	tol := p.RatchetTolerance
	r.addGate(Gate{Name: "ratchet:total", Actual: r.Total.Percent, Required: max(0, b.Total.Percent-tol)}, wholeRun,
		fmt.Sprintf("total coverage dropped from %s to %s (baseline %s, tolerance %.2f points)", pct(b.Total.Percent), pct(r.Total.Percent), baselinePath, tol))
	if !p.RatchetFiles {
		return
	}
	for i := range r.Files {
		f := &r.Files[i]
		old, ok := b.Files[f.Path]
		if !ok || old.Total == 0 {
			continue
		}
		req := max(0, old.Percent-tol)
		if passes(f.Percent, req) {
			continue
		}
		r.Gates = append(r.Gates, Gate{Name: "ratchet:file:" + f.Path, Actual: f.Percent, Required: req})
		r.Findings = append(r.Findings, report.Finding{Path: f.Path, Rule: RuleGate, Severity: report.Error,
			Message: fmt.Sprintf("coverage dropped from %s to %s (baseline %s, tolerance %.2f points)", pct(old.Percent), pct(f.Percent), baselinePath, tol),
			Help:    "cover the new or changed code, or raise ratchet.tolerance in a reviewed change"})
	}
}

// loadBaseline reads the baseline for a ratchet; a missing file is a warning (the first run on a
// new default branch has none), anything else an error.
func loadBaseline(path, file string, r *Result) (*Baseline, error) {
	data, err := fsutil.ReadRegular(file, maxBaselineBytes)
	var b *Baseline
	if err == nil {
		b, err = ParseBaseline(path, data)
	} else {
		err = fmt.Errorf("read baseline %s: %w", path, pathErr(err))
	}
	if errors.Is(err, fs.ErrNotExist) {
		r.Findings = append(r.Findings, report.Finding{Path: wholeRun, Rule: RuleReport, Severity: report.Warning,
			Message: fmt.Sprintf("baseline %s does not exist; the ratchet is skipped (write one with --write-baseline on the default branch)", path)})
		return nil, nil
	}
	return b, err
}
