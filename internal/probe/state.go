package probe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
)

// The layout of the stored data (a directory, or a data branch of the repository):
//
//	state.json                        the small state: declared states, streaks, open incidents
//	history/<slug>.jsonl              one line per run of today and yesterday (UTC): the org's
//	                                  Upptime line shape, plus status
//	history/<slug>.daily.jsonl        one rollup line per earlier UTC day (kept RollupDays)
//	history/<slug>/<YYYY-MM-DD>.jsonl the per-run lines of an earlier day (kept RawDays)
//
// A run reads state.json, the recent lines and the rollups — never the archived days — and
// writes state.json and the recent file, plus once a day the day it archives: what a run moves
// stays small however long the history.
const (
	StateFile = "state.json"
	// RawDays of per-run lines are kept in the day archives; older days live on as rollups.
	RawDays = 30
	// RollupDays of daily rollups are kept.
	RollupDays = 400
	// maxStoredFile bounds every stored file read (a month of 5-minute runs is ~2.5 MB).
	maxStoredFile = 64 << 20
	recentRuns    = 12 // observed states remembered for flap detection
	maxClosed     = 50 // closed incidents remembered for the status page
)

// ErrConflict is returned by Store.Save when the stored data changed since the version the
// caller read: another run got there first. Run reloads and decides again.
var ErrConflict = errors.New("the stored probe state changed since it was read (another run saved first)")

// Snapshot is the stored data at one version: the files a run reads (state.json and
// history/*.jsonl), and the paths of every stored file (the day archives are listed, not read).
type Snapshot struct {
	Version string
	Files   map[string][]byte
	Paths   []string
}

// Loaded reports whether a store's Load should read path (rather than only list it).
func Loaded(path string) bool {
	if path == StateFile {
		return true
	}
	rest, ok := strings.CutPrefix(path, "history/")
	return ok && strings.HasSuffix(rest, ".jsonl") && !strings.Contains(rest, "/")
}

// Stored reports whether path is one of the probe's files.
func Stored(path string) bool {
	return path == StateFile || (strings.HasPrefix(path, "history/") && strings.HasSuffix(path, ".jsonl"))
}

// Store keeps the probe's data between runs. Save must be a compare-and-swap: it writes files
// only when the stored version is still base, and returns ErrConflict (wrapped or not) otherwise.
// A nil content deletes the file.
type Store interface {
	Load(ctx context.Context) (Snapshot, error)
	Save(ctx context.Context, base string, files map[string][]byte, message string) (string, error)
}

// State is state.json.
type State struct {
	Version  int                      `json:"version"`
	LastRun  time.Time                `json:"last_run,omitzero"`
	Services map[string]*ServiceState `json:"services"`
	// Closed are the most recent closed incidents, newest first.
	Closed []*Incident `json:"closed,omitempty"`
}

// ServiceState is what is remembered of one service.
type ServiceState struct {
	Name          string    `json:"name"`
	Env           string    `json:"env"`
	URL           string    `json:"url,omitempty"`
	Declared      Status    `json:"declared"`
	DeclaredSince time.Time `json:"declared_since,omitzero"`
	Observed      Status    `json:"observed"`
	Reason        string    `json:"reason,omitempty"`
	LastChecked   time.Time `json:"last_checked,omitzero"`
	// FailRuns and FailingSince count the current streak of runs observed down (or degraded,
	// for the degraded declaration); PassRuns and PassingSince the current streak of up runs.
	FailRuns     int       `json:"fail_runs,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	DegRuns      int       `json:"degraded_runs,omitempty"`
	DegSince     time.Time `json:"degraded_since,omitzero"`
	PassRuns     int       `json:"pass_runs,omitempty"`
	PassingSince time.Time `json:"passing_since,omitzero"`
	// Recent is the last observed states, oldest first, one letter each (u, d, g, x).
	Recent   string    `json:"recent,omitempty"`
	Incident *Incident `json:"incident,omitempty"`
}

// Incident is one outage of one service.
type Incident struct {
	Service string `json:"service"`
	Slug    string `json:"slug"`
	Env     string `json:"env"`
	Number  int    `json:"number,omitempty"`
	URL     string `json:"url,omitempty"`
	// FailingSince is the first failing run; OpenedAt when the policy declared the outage;
	// RecoveredAt the first passing run of the streak that closed it.
	FailingSince time.Time `json:"failing_since"`
	OpenedAt     time.Time `json:"opened_at"`
	RecoveredAt  time.Time `json:"recovered_at,omitzero"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	Cause        string    `json:"cause"`
	LastComment  time.Time `json:"last_comment,omitzero"`
	CommentCause string    `json:"comment_cause,omitempty"`
	// Owner is the run that won the transition (compare-and-swap on the store): only it files and
	// pages. PagedOpen and PagedClose are set by the claim, so a page is sent at most once.
	Owner      string `json:"owner,omitempty"`
	PagedOpen  bool   `json:"paged_open,omitempty"`
	PagedClose bool   `json:"paged_close,omitempty"`
	// Filed says the issue exists (Number is set); a run that finds it unset files it.
	Filed bool `json:"filed,omitempty"`
}

// Downtime is how long the outage lasted (up to now while it is open).
func (in *Incident) Downtime(now time.Time) time.Duration {
	end := in.RecoveredAt
	if end.IsZero() {
		end = now
	}
	return end.Sub(in.FailingSince)
}

func parseState(b []byte) (*State, error) {
	st := &State{Version: 1, Services: map[string]*ServiceState{}}
	if len(b) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: %w", StateFile, err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("%s: unsupported version %d (valid: 1)", StateFile, st.Version)
	}
	if st.Services == nil {
		st.Services = map[string]*ServiceState{}
	}
	st.sanitize()
	return st, nil
}

// sanitize bounds and redacts the texts a server once controlled, as a state written by an older
// version (or by hand) may hold them: what is read back is written again every run. Null
// entries, which no version writes, are dropped rather than dereferenced later.
func (st *State) sanitize() {
	bound := func(in *Incident) {
		if in != nil {
			in.Cause, in.CommentCause = storedText(in.Cause), storedText(in.CommentCause)
		}
	}
	for slug, ss := range st.Services {
		if ss == nil {
			delete(st.Services, slug)
			continue
		}
		ss.Reason = storedText(ss.Reason)
		bound(ss.Incident)
	}
	st.Closed = slices.DeleteFunc(st.Closed, func(in *Incident) bool { return in == nil })
	for _, in := range st.Closed {
		bound(in)
	}
}

func (st *State) marshal() []byte {
	b, _ := json.MarshalIndent(st, "", "  ")
	return append(b, '\n')
}

// HistoryLine is one run of one service: the Upptime line of the org's history files
// (timestamp, name, url, method, status_code, latency_ms, success) plus what this tool measures
// besides.
type HistoryLine struct {
	Timestamp  time.Time `json:"timestamp"`
	Name       string    `json:"name"`
	URL        string    `json:"url"`
	Method     string    `json:"method"`
	StatusCode int       `json:"status_code"`
	LatencyMS  int64     `json:"latency_ms"`
	Success    bool      `json:"success"`
	Status     Status    `json:"status,omitempty"`
	Env        string    `json:"env,omitempty"`
	TTFBMS     int64     `json:"ttfb_ms,omitempty"`
	Bytes      int64     `json:"bytes,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// Rollup is one UTC day of one service, folded from its HistoryLines.
type Rollup struct {
	Date        string `json:"date"` // YYYY-MM-DD
	Name        string `json:"name"`
	Runs        int    `json:"runs"`
	Up          int    `json:"up"`
	Degraded    int    `json:"degraded"`
	Down        int    `json:"down"`
	Unknown     int    `json:"unknown"`
	LatencyMS   int64  `json:"latency_ms"` // mean over runs that answered
	MinutesDown int    `json:"minutes_down"`
}

func historyPath(slug string) string       { return "history/" + slug + ".jsonl" }
func rollupPath(slug string) string        { return "history/" + slug + ".daily.jsonl" }
func archivePath(slug, date string) string { return "history/" + slug + "/" + date + ".jsonl" }

// maxHistoryLine bounds one stored JSONL line; a longer one (written by an older version that
// kept a server's whole error text) is skipped like any unreadable line.
const maxHistoryLine = 64 << 10

// jsonLines yields the non-blank lines of b: a slice of b each, no copy, and no line length
// that stops the reading (a bufio.Scanner would stop at its buffer's size and drop the rest).
func jsonLines(b []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			line := b
			if i := bytes.IndexByte(b, '\n'); i >= 0 {
				line, b = b[:i], b[i+1:]
			} else {
				b = nil
			}
			if t := bytes.TrimSpace(line); len(t) > 0 && !yield(t) {
				return
			}
		}
	}
}

// parseHistory reads JSONL, skipping lines it cannot read (a line cut by a crash must not lose
// the month) but counting them, so the caller can say so.
func parseHistory(b []byte) (lines []HistoryLine, bad int) {
	for t := range jsonLines(b) {
		var l HistoryLine
		if len(t) > maxHistoryLine || json.Unmarshal(t, &l) != nil || l.Timestamp.IsZero() {
			bad++
			continue
		}
		if l.Status == "" { // an Upptime line: success is all it says
			l.Status = Down
			if l.Success {
				l.Status = Up
			}
		}
		lines = append(lines, l)
	}
	return lines, bad
}

func parseRollups(b []byte) []Rollup {
	var out []Rollup
	for t := range jsonLines(b) {
		var r Rollup
		if len(t) <= maxHistoryLine && json.Unmarshal(t, &r) == nil && r.Date != "" {
			out = append(out, r)
		}
	}
	return out
}

func marshalLines[T any](items []T) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		_ = enc.Encode(it)
	}
	return b.Bytes()
}

// compact folds the lines of days before yesterday (UTC) into daily rollups — merging with a
// rollup of the same day already stored — and returns them by day for the archive; rollups
// older than RollupDays are dropped. The recent file then holds at most two days of runs.
func compact(lines []HistoryLine, rollups []Rollup, now time.Time, interval time.Duration) ([]HistoryLine, []Rollup, map[string][]HistoryLine) {
	yesterday := now.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	byDate := map[string]*Rollup{}
	for i := range rollups {
		r := rollups[i]
		byDate[r.Date] = &r
	}
	latSum := map[string]int64{}
	latN := map[string]int64{}
	for d, r := range byDate {
		answered := int64(r.Up + r.Degraded)
		latSum[d], latN[d] = r.LatencyMS*answered, answered
	}
	kept := lines[:0:0]
	archived := map[string][]HistoryLine{}
	for _, l := range lines {
		d := l.Timestamp.UTC().Format(time.DateOnly)
		if d >= yesterday {
			kept = append(kept, l)
			continue
		}
		archived[d] = append(archived[d], l)
		r := byDate[d]
		if r == nil {
			r = &Rollup{Date: d, Name: l.Name}
			byDate[d] = r
		}
		r.Runs++
		switch l.Status {
		case Up:
			r.Up++
		case Degraded:
			r.Degraded++
		case Down:
			r.Down++
			r.MinutesDown += int(math.Round(interval.Minutes()))
		default:
			r.Unknown++
		}
		if l.Status == Up || l.Status == Degraded {
			latSum[d] += l.LatencyMS
			latN[d]++
		}
	}
	oldest := now.Add(-RollupDays * 24 * time.Hour).UTC().Format(time.DateOnly)
	var out []Rollup
	for d, r := range byDate {
		if d < oldest {
			continue
		}
		if latN[d] > 0 {
			r.LatencyMS = latSum[d] / latN[d]
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return kept, out, archived
}

// DirStore keeps the data in a local directory (a checkout of the data branch, or anywhere for
// local runs). Its version is the hash of state.json; Save takes a lock file so two processes
// on one machine cannot interleave, then compares the version.
type DirStore struct{ Dir string }

func (d DirStore) Load(ctx context.Context) (Snapshot, error) {
	snap := Snapshot{Files: map[string][]byte{}}
	err := filepath.WalkDir(d.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == d.Dir {
				return fs.SkipAll
			}
			return err
		}
		if e.IsDir() {
			if e.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(d.Dir, p)
		rel = filepath.ToSlash(rel)
		if !Stored(rel) {
			return nil
		}
		snap.Paths = append(snap.Paths, rel)
		if !Loaded(rel) {
			return nil
		}
		b, err := fsutil.ReadRegular(p, maxStoredFile)
		if err != nil {
			return err
		}
		snap.Files[rel] = b
		return nil
	})
	if err != nil {
		return snap, fmt.Errorf("read probe state in %s: %w", d.Dir, err)
	}
	snap.Version = hashOf(snap.Files[StateFile])
	return snap, nil
}

// appendIfExtends appends to path what data adds when the file's content is a prefix of data: a
// history file gains one line per run, and rewriting (and syncing) hundreds of files every five
// minutes would cost more than the probing. A crash can only leave a torn last line, which
// parseHistory skips; state.json, written last and atomically, is what decides. It reports false
// when the file must be rewritten instead (compaction).
func appendIfExtends(path string, data []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		// A new service's first line: the same reasoning as an append.
		nf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return false, err
		}
		_, err = nf.Write(data)
		if cerr := nf.Close(); err == nil {
			err = cerr
		}
		return err == nil, err
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > int64(len(data)) || st.Size() > maxStoredFile {
		return false, err
	}
	cur := make([]byte, st.Size())
	if _, err := f.ReadAt(cur, 0); err != nil {
		return false, err
	}
	if !bytes.Equal(cur, data[:len(cur)]) {
		return false, nil
	}
	if len(data) == len(cur) {
		return true, nil
	}
	_, err = f.Write(data[len(cur):])
	return err == nil, err
}

func hashOf(b []byte) string {
	if b == nil {
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (d DirStore) Save(ctx context.Context, base string, files map[string][]byte, message string) (string, error) {
	if err := os.MkdirAll(filepath.Join(d.Dir, "history"), 0o755); err != nil {
		return "", err
	}
	lock := filepath.Join(d.Dir, ".probe.lock")
	var f *os.File
	var err error
	// Another process holds the lock only while it writes: wait for it (bounded), then compare.
	for wait := 0; ; wait++ {
		f, err = os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
		if st, serr := os.Stat(lock); serr == nil && time.Since(st.ModTime()) > 10*time.Minute {
			os.Remove(lock) // left by a killed run
			continue
		}
		if wait == 500 {
			return "", fmt.Errorf("%s is held by another run for more than 10s", lock)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err != nil {
		return "", err
	}
	f.Close()
	defer os.Remove(lock)
	cur, err := os.ReadFile(filepath.Join(d.Dir, StateFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err != nil {
		cur = nil
	}
	if hashOf(cur) != base {
		return "", ErrConflict
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	// state.json last: a crash part-way leaves the old state, and the history lines a rerun
	// appends again are at most one run's.
	slices.SortFunc(names, func(a, b string) int {
		if a == StateFile {
			return 1
		}
		if b == StateFile {
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, n := range names {
		p := filepath.Join(d.Dir, filepath.FromSlash(n))
		if files[n] == nil {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if n != StateFile {
			if ok, err := appendIfExtends(p, files[n]); err != nil {
				return "", fmt.Errorf("write %s: %w", n, err)
			} else if ok {
				continue
			}
		}
		if err := fsutil.WriteFile(p, files[n], 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", n, err)
		}
	}
	return hashOf(files[StateFile]), nil
}
