package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Issue is an incident issue as the tracker knows it.
type Issue struct {
	Number int
	URL    string
}

// Issues is the incident tracker (GitHub issues, through internal/github). Issues are found by
// their labels, never by remembered numbers alone, so a lost state or a concurrent run cannot
// file a second issue for one outage.
type Issues interface {
	FindOpen(ctx context.Context, labels []string) ([]Issue, error)
	Create(ctx context.Context, title, body string, labels []string) (Issue, error)
	Comment(ctx context.Context, number int, body string) error
	Close(ctx context.Context, number int, reason string) error
}

// Pager sends one page. Errors are logged by the caller, never fatal.
type Pager interface {
	Page(ctx context.Context, text string) error
}

// transition is something this run must do for one service, decided under the compare-and-swap.
type transition struct {
	kind string // open, file (retry filing), comment, close
	slug string
	inc  Incident // a copy at decision time
}

// maxSaveAttempts bounds the reload-and-decide loop when other runs keep saving first.
const maxSaveAttempts = 10

// remember applies the policy to the stored state, saves it with the history (compare-and-swap;
// on conflict it reloads and decides again on the same measurements), then files, comments,
// closes and pages for the transitions this run won, records what it filed, and renders the
// status page.
func remember(ctx context.Context, opts Options, res *Result, pre *Snapshot) error {
	now := res.Started
	runID := newRunID(now)
	if opts.Store == nil {
		if opts.Issues != nil || opts.Pager != nil {
			res.Notes = append(res.Notes, "incidents and pages need stored state (--state DIR or --data-branch): none were filed")
		}
		st := &State{Version: 1, Services: map[string]*ServiceState{}}
		for i := range res.Services {
			s := &res.Services[i]
			s.Since = now
			st.Services[s.Slug] = &ServiceState{Name: s.Name, Env: s.Env, URL: s.URL, Declared: s.Status, Observed: s.Observed, Reason: s.Reason, LastChecked: now, DeclaredSince: now}
		}
		st.LastRun = now
		if opts.Site != "" {
			return writeSite(opts, st, map[string][]byte{}, res)
		}
		return nil
	}

	var (
		st     *State
		snap   Snapshot
		trans  []transition
		files  map[string][]byte
		saved  string
		lastEr error
	)
	for attempt := 0; attempt < maxSaveAttempts; attempt++ {
		var err error
		if attempt == 0 && pre != nil {
			snap = *pre // read before the checks ran
		} else if snap, err = opts.Store.Load(ctx); err != nil {
			return fmt.Errorf("load probe state: %w", err)
		}
		st, err = parseState(snap.Files[StateFile])
		if err != nil {
			return fmt.Errorf("load probe state: %w", err)
		}
		if attempt == 0 {
			res.PreviousRun = st.LastRun
			if !st.LastRun.IsZero() && now.Sub(st.LastRun) > opts.Config.HeartbeatMaxAge {
				res.HeartbeatStale = true
			}
		}
		trans = decide(opts.Config, st, res, now, runID, opts.Issues != nil, opts.Pager != nil)
		files = historyFiles(opts.Config, snap, res, now)
		files[StateFile] = st.marshal()
		saved, err = opts.Store.Save(ctx, snap.Version, files, fmt.Sprintf("probe: run %s", now.Format(time.RFC3339)))
		if err == nil {
			lastEr = nil
			break
		}
		if !errors.Is(err, ErrConflict) {
			return fmt.Errorf("save probe state: %w", err)
		}
		lastEr = err
		opts.Logf("probe state changed while this run decided (%v); reloading and deciding again", err)
		if err := sleepCtx(ctx, time.Duration(attempt+1)*50*time.Millisecond); err != nil {
			return err
		}
	}
	if lastEr != nil {
		return fmt.Errorf("save probe state: gave up after %d attempts: %w", maxSaveAttempts, lastEr)
	}

	// The claim is saved: act on what this run won.
	changed := act(ctx, opts, st, trans, res, now)
	if len(changed) > 0 {
		// Record issue numbers and comment times; on conflict apply the same facts to the newer
		// state (only to incidents this run owns).
		for attempt := 0; attempt < maxSaveAttempts; attempt++ {
			snap2, err := opts.Store.Load(ctx)
			if err != nil {
				opts.Logf("record incidents: %v", err)
				break
			}
			st2, err := parseState(snap2.Files[StateFile])
			if err != nil {
				opts.Logf("record incidents: %v", err)
				break
			}
			if snap2.Version != saved {
				for slug, in := range changed {
					applyFiled(st2, slug, in)
				}
			} else {
				st2 = st
			}
			_, err = opts.Store.Save(ctx, snap2.Version, map[string][]byte{StateFile: st2.marshal()}, "probe: record incidents")
			if err == nil {
				st = st2
				break
			}
			if !errors.Is(err, ErrConflict) {
				opts.Logf("record incidents: %v", err)
				break
			}
		}
	}
	for i := range res.Services {
		if ss := st.Services[res.Services[i].Slug]; ss != nil {
			res.Services[i].Since = ss.DeclaredSince
			if res.Services[i].Status == Failing {
				res.Services[i].Since = ss.FailingSince
			}
		}
	}
	if opts.Site != "" {
		// The page reads what is stored now: the files loaded, with this run's writes on top.
		view := maps.Clone(snap.Files)
		for k, v := range files {
			if v == nil {
				delete(view, k)
			} else {
				view[k] = v
			}
		}
		return writeSite(opts, st, view, res)
	}
	return nil
}

// applyFiled copies what act learnt about an incident into a newer state.
func applyFiled(st *State, slug string, in *Incident) {
	if ss := st.Services[slug]; ss != nil && ss.Incident != nil && ss.Incident.Owner == in.Owner {
		ss.Incident.Number, ss.Incident.URL, ss.Incident.Filed = in.Number, in.URL, in.Filed
		ss.Incident.LastComment, ss.Incident.CommentCause = in.LastComment, in.CommentCause
		return
	}
	for _, c := range st.Closed {
		if c.Slug == slug && c.Owner == in.Owner && c.FailingSince.Equal(in.FailingSince) {
			c.Number, c.URL, c.Filed = in.Number, in.URL, in.Filed
		}
	}
}

func newRunID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func letter(s Status) string {
	switch s {
	case Up:
		return "u"
	case Down:
		return "d"
	case Degraded:
		return "g"
	}
	return "x"
}

// flapping reports whether the recent observations changed between up and not-up at least 4
// times: such a service is degraded, not up, even while no outage is declared.
func flapping(recent string) bool {
	changes := 0
	for i := 1; i < len(recent); i++ {
		if (recent[i] == 'u') != (recent[i-1] == 'u') {
			changes++
		}
	}
	return changes >= 4
}

// decide applies the policy to st for this run's observations (mutating st and the declared
// status in res) and returns the transitions to act on. It depends only on its inputs, so a run
// that lost the compare-and-swap decides again on the newer state and finds the transition
// already claimed.
func decide(cfg config.ProbeConfig, st *State, res *Result, now time.Time, runID string, issues, pager bool) []transition {
	var out []transition
	st.LastRun = now
	seen := map[string]bool{}
	for i := range res.Services {
		s := &res.Services[i]
		seen[s.Slug] = true
		ss := st.Services[s.Slug]
		if ss == nil {
			ss = &ServiceState{Declared: Up, DeclaredSince: now}
			st.Services[s.Slug] = ss
		}
		ss.Name, ss.Env, ss.URL = s.Name, s.Env, s.URL
		if !ss.LastChecked.Before(now) && !ss.LastChecked.IsZero() {
			// A later run already recorded itself (clock skew between runners): do not count
			// this run's observation twice or out of order.
			s.Status = shown(ss.Declared, s.Observed)
			continue
		}
		ss.LastChecked, ss.Observed, ss.Reason = now, s.Observed, s.Reason
		ss.Recent += letter(s.Observed)
		if len(ss.Recent) > recentRuns {
			ss.Recent = ss.Recent[len(ss.Recent)-recentRuns:]
		}
		switch s.Observed {
		case Down:
			ss.PassRuns, ss.PassingSince = 0, time.Time{}
			ss.DegRuns, ss.DegSince = 0, time.Time{}
			if ss.FailRuns == 0 {
				ss.FailingSince = now
			}
			ss.FailRuns++
		case Up, Degraded:
			if ss.PassRuns == 0 {
				ss.PassingSince = now
			}
			ss.PassRuns++
			if ss.Declared != Down {
				ss.FailRuns, ss.FailingSince = 0, time.Time{}
			}
			if s.Observed == Degraded {
				if ss.DegRuns == 0 {
					ss.DegSince = now
				}
				ss.DegRuns++
			} else {
				ss.DegRuns, ss.DegSince = 0, time.Time{}
			}
		default: // unknown: says nothing either way; streaks continue
		}
		past := func(runs int, since time.Time) bool {
			return (cfg.DownAfterRuns > 0 && runs >= cfg.DownAfterRuns) ||
				(cfg.DownAfter > 0 && !since.IsZero() && now.Sub(since) >= cfg.DownAfter)
		}
		declare := func(to Status) {
			if ss.Declared != to {
				ss.Declared, ss.DeclaredSince = to, now
			}
		}
		switch {
		case ss.Declared == Down && ss.PassRuns >= cfg.UpAfterRuns:
			in := ss.Incident
			if ss.DegRuns > 0 && past(ss.DegRuns, ss.DegSince) {
				declare(Degraded)
			} else {
				declare(Up)
			}
			ss.FailRuns, ss.FailingSince = 0, time.Time{}
			if in != nil {
				in.RecoveredAt, in.ClosedAt = ss.PassingSince, now
				closing := *in
				if pager && !in.PagedClose {
					in.PagedClose = true
					closing.PagedClose = false // this run sends it
				}
				in.Owner = runID
				closing.Owner = runID
				ss.Incident = nil
				ss.Recent = "" // the outage is not flapping: start counting afresh
				st.Closed = append([]*Incident{in}, st.Closed...)
				if len(st.Closed) > maxClosed {
					st.Closed = st.Closed[:maxClosed]
				}
				if issues || pager {
					out = append(out, transition{kind: "close", slug: s.Slug, inc: closing})
				}
			}
		case ss.Declared == Down:
			// Still down, or recovering but not for long enough.
			if in := ss.Incident; in != nil && s.Observed == Down {
				in.Cause = s.Reason
				if issues && !in.Filed && in.Owner != runID {
					// The run that claimed it could not file it: file it now (found by label
					// first, so never twice).
					in.Owner = runID
					out = append(out, transition{kind: "file", slug: s.Slug, inc: *in})
				} else if issues && in.Filed && in.Cause != in.CommentCause && now.Sub(in.LastComment) >= cfg.CommentEvery {
					in.Owner = runID
					out = append(out, transition{kind: "comment", slug: s.Slug, inc: *in})
				}
			}
		case s.Observed == Down && past(ss.FailRuns, ss.FailingSince):
			declare(Down)
			// The issue's body states the cause: the next comment is due only when it changes.
			in := &Incident{Service: s.Name, Slug: s.Slug, Env: s.Env, FailingSince: ss.FailingSince, OpenedAt: now, Cause: s.Reason, Owner: runID,
				CommentCause: s.Reason, LastComment: now}
			opening := *in
			if pager {
				in.PagedOpen = true
			}
			ss.Incident = in
			if issues || pager {
				out = append(out, transition{kind: "open", slug: s.Slug, inc: opening})
			}
		case s.Observed == Degraded && past(ss.DegRuns, ss.DegSince):
			declare(Degraded)
		case s.Observed == Up && flapping(ss.Recent):
			declare(Degraded)
			s.Reason = "flapping: " + strings.Join(strings.Split(ss.Recent, ""), "") + " over the last runs"
			ss.Reason = s.Reason
		case s.Observed == Up && ss.Declared == Degraded && ss.PassRuns >= cfg.UpAfterRuns:
			declare(Up)
		case s.Observed == Up && ss.Declared != Degraded:
			declare(Up)
		}
		s.Status = shown(ss.Declared, s.Observed)
		if s.Status == Up {
			s.Reason = ""
		} else if s.Reason == "" && ss.Incident != nil {
			s.Reason = "recovering: " + ss.Incident.Cause
		}
	}
	// Services no longer configured are forgotten, incidents and all.
	for _, slug := range sortedSlugs(st.Services) {
		if !seen[slug] {
			delete(st.Services, slug)
		}
	}
	return out
}

// shown is the state a service is shown in: the declared one, unless this run saw worse than
// the policy has confirmed yet.
func shown(declared, observed Status) Status {
	switch {
	case observed == Down && declared != Down:
		return Failing
	case observed == Unknown && declared == Up:
		return Unknown
	}
	return declared
}

// act files, comments, closes and pages for the transitions this run won. Failures are logged
// and reported per incident; a failed filing is retried by the next run.
func act(ctx context.Context, opts Options, st *State, trans []transition, res *Result, now time.Time) map[string]*Incident {
	changed := map[string]*Incident{}
	label := opts.Config.IncidentLabel
	for _, t := range trans {
		in := t.inc
		ir := IncidentResult{Service: in.Service, Slug: in.Slug, OpenedAt: in.OpenedAt, State: "open", Action: t.kind}
		labels := []string{label, t.slug}
		var err error
		switch t.kind {
		case "open", "file":
			if opts.Issues != nil {
				in.Number, in.URL, err = ensureIssue(ctx, opts, labels, in, now)
				in.Filed = err == nil
				ir.Action = "opened"
			}
			if t.kind == "open" && opts.Pager != nil {
				ir.Paged = page(ctx, opts, fmt.Sprintf("🔴 %s (%s) is DOWN since %s UTC\n%s%s", in.Service, in.Env,
					in.FailingSince.UTC().Format("2006-01-02 15:04"), in.Cause, issueLine(&in)))
			}
		case "comment":
			in.Number, in.URL, err = ensureIssue(ctx, opts, labels, in, now)
			if err == nil {
				err = opts.Issues.Comment(ctx, in.Number, issueBody(fmt.Sprintf("Still down at %s UTC (down for %s). The cause changed:\n\n```\n%s\n```%s",
					now.UTC().Format(time.DateTime), fmtDuration(in.Downtime(now)), fence(in.Cause), runLine(opts))))
				in.LastComment, in.CommentCause = now, in.Cause
				ir.Action = "commented"
			}
		case "close":
			ir.State, ir.ClosedAt = "closed", in.ClosedAt
			ir.DowntimeSeconds = int64(in.Downtime(now).Seconds())
			ir.Action = "closed"
			if opts.Issues != nil {
				var open []Issue
				open, err = opts.Issues.FindOpen(ctx, labels)
				for _, is := range open {
					if err != nil {
						break
					}
					in.Number, in.URL = is.Number, is.URL
					err = opts.Issues.Comment(ctx, is.Number, issueBody(fmt.Sprintf("Recovered at %s UTC. Measured downtime: **%s** (first failing run %s UTC, first passing run %s UTC).%s",
						in.RecoveredAt.UTC().Format(time.DateTime), fmtDuration(in.Downtime(now)),
						in.FailingSince.UTC().Format(time.DateTime), in.RecoveredAt.UTC().Format(time.DateTime), runLine(opts))))
					if err == nil {
						err = opts.Issues.Close(ctx, is.Number, "completed")
					}
				}
				in.Filed = in.Number != 0
			}
			if opts.Pager != nil && !in.PagedClose {
				ir.Paged = page(ctx, opts, fmt.Sprintf("✅ %s (%s) RECOVERED after %s%s", in.Service, in.Env, fmtDuration(in.Downtime(now)), issueLine(&in)))
			}
		}
		ir.Number, ir.URL = in.Number, in.URL
		if err != nil {
			ir.Error = remoteText(err.Error()) // the API's answer, quoted
			opts.Logf("incident %s for %s: %s", t.kind, in.Service, ir.Error)
		}
		res.Incidents = append(res.Incidents, ir)
		inCopy := in
		changed[t.slug] = &inCopy
		applyFiled(st, t.slug, &inCopy)
	}
	// Open incidents nothing happened to this run are listed too, so the output shows them.
	for _, slug := range sortedSlugs(st.Services) {
		ss := st.Services[slug]
		if ss.Incident == nil || slices.ContainsFunc(res.Incidents, func(r IncidentResult) bool { return r.Slug == slug }) {
			continue
		}
		in := ss.Incident
		res.Incidents = append(res.Incidents, IncidentResult{Service: in.Service, Slug: slug, Number: in.Number, URL: in.URL,
			State: "open", Action: "ongoing", OpenedAt: in.OpenedAt, DowntimeSeconds: int64(in.Downtime(now).Seconds())})
	}
	return changed
}

func issueLine(in *Incident) string {
	if in.URL == "" {
		return ""
	}
	return "\n" + in.URL
}

func runLine(opts Options) string {
	if opts.RunURL == "" {
		return ""
	}
	return "\n\nSeen by " + opts.RunURL
}

// fence keeps quoted error text from closing the code block it is shown in.
func fence(s string) string { return strings.ReplaceAll(s, "```", "`‵`") }

// ensureIssue returns the open incident issue for labels, filing it when there is none. Two runs
// that both found none and both filed leave two issues: the later one is closed as a duplicate of
// the earliest, so one outage keeps one issue.
func ensureIssue(ctx context.Context, opts Options, labels []string, in Incident, now time.Time) (int, string, error) {
	open, err := opts.Issues.FindOpen(ctx, labels)
	if err != nil {
		return 0, "", err
	}
	if len(open) == 0 {
		body := issueBody(fmt.Sprintf("**%s** (%s) is down.\n\n- First failing run: %s UTC\n- Declared down: %s UTC (policy: %s)\n\nCause, verbatim:\n\n```\n%s\n```\n\nThis issue is closed automatically, with the measured downtime, when the service recovers.%s",
			in.Service, in.Env, in.FailingSince.UTC().Format(time.DateTime), in.OpenedAt.UTC().Format(time.DateTime),
			policyText(opts.Config), fence(in.Cause), runLine(opts)))
		is, err := opts.Issues.Create(ctx, issueTitle(fmt.Sprintf("🔴 %s (%s) is down", in.Service, in.Env)), body, labels)
		if err != nil {
			return 0, "", err
		}
		open, err = opts.Issues.FindOpen(ctx, labels)
		if err != nil || len(open) == 0 {
			return is.Number, is.URL, nil
		}
	}
	slices.SortFunc(open, func(a, b Issue) int { return a.Number - b.Number })
	for _, dup := range open[1:] {
		if err := opts.Issues.Comment(ctx, dup.Number, fmt.Sprintf("Duplicate of #%d (two probe runs filed the same outage).", open[0].Number)); err == nil {
			_ = opts.Issues.Close(ctx, dup.Number, "not_planned")
		}
	}
	return open[0].Number, open[0].URL, nil
}

func policyText(c config.ProbeConfig) string {
	var parts []string
	if c.DownAfterRuns > 0 {
		parts = append(parts, fmt.Sprintf("%d consecutive failing runs", c.DownAfterRuns))
	}
	if c.DownAfter > 0 {
		parts = append(parts, "failing for "+c.DownAfter.String())
	}
	return strings.Join(parts, " or ")
}

func page(ctx context.Context, opts Options, text string) bool {
	if err := opts.Pager.Page(ctx, secrets.Redact(text)); err != nil {
		opts.Logf("page not sent: %v", err)
		return false
	}
	return true
}

// fmtDuration is a downtime as people say it: "12m", "1h05m", "2d03h".
func fmtDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}
