package probe

import (
	"slices"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// primary is the check whose numbers stand for the service in its history line: the first
// http or status-json check, else the first check.
func primary(s ServiceResult) CheckResult {
	for _, c := range s.Checks {
		if c.Kind == "http" || c.Kind == "status-json" {
			return c
		}
	}
	if len(s.Checks) > 0 {
		return s.Checks[0]
	}
	return CheckResult{}
}

func lineFor(cfg config.ProbeConfig, s ServiceResult, now time.Time) HistoryLine {
	p := primary(s)
	method := "GET"
	if ch := cfg.Services[s.Index].Checks; len(ch) > 0 && ch[0].Method != "" {
		method = ch[0].Method
	}
	return HistoryLine{
		Timestamp: now, Name: s.Name, URL: s.URL, Method: method,
		StatusCode: p.StatusCode, LatencyMS: p.Latency.Milliseconds(),
		Success: s.Observed == Up || s.Observed == Degraded, Status: s.Observed, Env: s.Env,
		TTFBMS: p.TTFB.Milliseconds(), Bytes: p.Bytes, Error: truncateText(s.Reason, 500),
	}
}

// historyFiles appends this run's line to every service's recent history, archives the days
// that left it (with their rollups), and deletes day archives older than RawDays. A nil content
// means delete.
func historyFiles(cfg config.ProbeConfig, snap Snapshot, res *Result, now time.Time) map[string][]byte {
	out := map[string][]byte{}
	oldest := now.UTC().AddDate(0, 0, -RawDays).Format(time.DateOnly)
	for _, s := range res.Services {
		stored := snap.Files
		lines, _ := parseHistory(stored[historyPath(s.Slug)])
		rollups := parseRollups(stored[rollupPath(s.Slug)])
		lines = append(lines, lineFor(cfg, s, now))
		slices.SortStableFunc(lines, func(a, b HistoryLine) int { return a.Timestamp.Compare(b.Timestamp) })
		kept, rolled, archived := compact(lines, rollups, now, interval(lines))
		out[historyPath(s.Slug)] = marshalLines(kept)
		if len(archived) > 0 {
			out[rollupPath(s.Slug)] = marshalLines(rolled)
		}
		for day, ls := range archived {
			if day >= oldest {
				out[archivePath(s.Slug, day)] = marshalLines(ls)
			}
		}
		prefix := "history/" + s.Slug + "/"
		for _, p := range snap.Paths {
			if day, ok := strings.CutPrefix(p, prefix); ok && strings.TrimSuffix(day, ".jsonl") < oldest {
				out[p] = nil
			}
		}
	}
	return out
}

// interval is the median gap between runs (default 5 minutes): what one failing run counts as
// in a rollup's minutes_down.
func interval(lines []HistoryLine) time.Duration {
	var gaps []time.Duration
	for i := 1; i < len(lines); i++ {
		if g := lines[i].Timestamp.Sub(lines[i-1].Timestamp); g > 0 && g < 2*time.Hour {
			gaps = append(gaps, g)
		}
	}
	if len(gaps) == 0 {
		return 5 * time.Minute
	}
	slices.Sort(gaps)
	return gaps[len(gaps)/2]
}
