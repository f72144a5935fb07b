// Package probe owns `molecule-ci probe`: it checks the organisation's services (HTTP, an
// Upptime status JSON, and deep checks against Vercel, Fly.io and GHCR), decides from the
// remembered state whether a failure is an outage (N consecutive runs or T minutes, flapping
// damped), keeps per-service history, opens, updates and closes one incident issue per outage,
// pages on Telegram once per transition, and renders a static status page with
// Upptime-compatible JSON and shields.io badges.
//
// It never reads the environment, prints or exits: tokens, the store, the issue tracker and the
// pager come in through Options, and everything measured goes out in Result.
package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// Status is the state of one check or service.
type Status string

// The states a check or service can be in. DegradedCheck is only ever a check's: a deep check
// whose token is missing, so only the HTTP part of the service was measured. Failing is only
// ever a service's: it failed this run but the down-after policy has not confirmed the outage
// yet (no incident, no page, no exit 1), and it is shown as not up at once.
const (
	Up            Status = "up"
	Degraded      Status = "degraded"
	Failing       Status = "failing"
	Down          Status = "down"
	Unknown       Status = "unknown"
	DegradedCheck Status = "degraded-check"
)

// rank orders states from best to worst, for "the worst check decides".
func (s Status) rank() int {
	switch s {
	case Up:
		return 0
	case Unknown:
		return 1
	case Degraded:
		return 2
	case Failing:
		return 3
	case Down:
		return 4
	}
	return -1 // DegradedCheck and "": not a measurement of the service
}

// Tokens are the credentials of the deep checks. An empty token turns its check into a
// degraded-check ("no $NAME set — degraded check only"), never into a made-up result.
type Tokens struct {
	Vercel, Fly, GitHub string
}

// Options is one probe run.
type Options struct {
	Config config.ProbeConfig
	// Getenv resolves headers-from-env; nil means an empty environment.
	Getenv func(string) string
	Tokens Tokens
	// Now is the run's clock (default time.Now).
	Now func() time.Time
	// Replay says Now was given by the caller (--now, replaying a schedule): a time before the
	// last run the state records is refused (*BeforeLastRunError) instead of being taken for
	// clock skew between runners, whose observation is kept out of the streaks.
	Replay bool
	// Sleep waits between a failing attempt and its retry (default: a timer honouring ctx).
	Sleep func(context.Context, time.Duration) error
	// RootCAs, when set, replaces the system's trusted roots for http and status-json checks
	// (tests trust their own loopback certificates with it).
	RootCAs *x509.CertPool
	// API base URLs of the deep checks (default: the real ones); a check's own `api:` wins.
	VercelAPI, FlyAPI string
	// Packages lists an organisation's container packages (the ghcr check). Nil with a GitHub
	// token set makes the ghcr check unknown, saying why.
	Packages PackageLister

	// Store keeps state and history between runs; nil runs statelessly (the declared state is
	// what this run measured).
	Store Store
	// Issues files incidents; nil disables them (and says so in Result.Notes).
	Issues Issues
	// Pager sends pages; nil disables them.
	Pager Pager
	// Site, when set, is the directory the status page is written to.
	Site string
	// RunURL links incidents to the workflow run that saw them.
	RunURL string
	// Logf receives progress and non-fatal problems (Telegram down, a CAS retry).
	Logf func(format string, args ...any)
}

// CheckResult is one check's measurement.
type CheckResult struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Status Status `json:"status"`
	// StatusCode, Latency, TTFB and Bytes are what was measured (zero when nothing answered).
	StatusCode int           `json:"status_code"`
	Latency    time.Duration `json:"-"`
	TTFB       time.Duration `json:"-"`
	Bytes      int64         `json:"bytes"`
	// Error is the verbatim reason the check is not up ("" when it is).
	Error string `json:"error"`
	// Note is further information that is not a failure (TLS days left, a deployment's state).
	Note     string `json:"note,omitempty"`
	Attempts int    `json:"attempts"`
}

// ServiceResult is one service after this run: what was measured and what is declared.
type ServiceResult struct {
	Name, Slug, Env, URL string
	// Observed is the worst check of this run; Status is the declared state after the policy
	// (N runs or T minutes before down, M passing runs before up again), except that a service
	// observed down and not declared down yet is Failing, and one declared up that nothing
	// measured this run is Unknown: the confirmation delays incidents, pages and the exit code,
	// never what is shown.
	Observed Status
	Status   Status
	// Since is when the state shown began: the first failing run of a failing service, else
	// when the declared state began (zero when unknown).
	Since  time.Time
	Reason string // why the service is not up, one line
	Checks []CheckResult
	// Pos is the service's position in the config, for findings.
	Index int
}

// IncidentResult is what happened to a service's incident in this run.
type IncidentResult struct {
	Service  string    `json:"service"`
	Slug     string    `json:"slug"`
	Number   int       `json:"number,omitempty"`
	URL      string    `json:"url,omitempty"`
	State    string    `json:"state"`  // open or closed
	Action   string    `json:"action"` // opened, commented, closed, ongoing
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// DowntimeSeconds is measured from the first failing run to the first passing run.
	DowntimeSeconds int64  `json:"downtime_seconds,omitempty"`
	Paged           bool   `json:"paged"`
	Error           string `json:"error,omitempty"`
}

// Result is one run.
type Result struct {
	Started   time.Time
	Services  []ServiceResult
	Incidents []IncidentResult
	// PreviousRun is when the run before this one finished (zero when unknown); HeartbeatStale
	// says it is older than heartbeat-max-age.
	PreviousRun    time.Time
	HeartbeatStale bool
	// Notes are things the user should know that are no finding (incidents disabled, ...).
	Notes []string
	// FailOn is the policy the exit code follows.
	FailOn Status
}

// Failed reports whether the run should exit 1: a service declared down, or degraded when the
// policy fails on degraded.
func (r *Result) Failed() bool {
	for _, s := range r.Services {
		if s.Status == Down || (s.Status == Degraded && r.FailOn == Degraded) {
			return true
		}
	}
	return false
}

// Worst is the worst state a service is shown in (up when every one is).
func (r *Result) Worst() Status {
	worst := Up
	for _, s := range r.Services {
		if s.Status.rank() > worst.rank() {
			worst = s.Status
		}
	}
	return worst
}

// Count is how many services are shown in state st.
func (r *Result) Count(st Status) int {
	n := 0
	for _, s := range r.Services {
		if s.Status == st {
			n++
		}
	}
	return n
}

// Run probes every service once, applies the policy against the stored state, files and pages
// incidents, saves the state and history, and renders the status page.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if len(opts.Config.Services) == 0 {
		return nil, errors.New("probe: no services configured (add a probe: section or pass --upptime FILE)")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	// Every value read from the environment is a secret: masked in every output and file from
	// here on, whatever a server echoes.
	secrets.AddKnown(SecretValues(opts.Config, opts.Getenv)...)
	secrets.AddKnown(opts.Tokens.Vercel, opts.Tokens.Fly, opts.Tokens.GitHub)
	res := &Result{Started: opts.Now().UTC(), FailOn: Status(opts.Config.FailOn)}
	// With stored state, the services that failed last run are checked first: a check that
	// hangs until its timeout then starts at once instead of after every quick one.
	var pre *Snapshot
	failing := map[string]bool{}
	if opts.Store != nil {
		snap, err := opts.Store.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("load probe state: %w", err)
		}
		st, err := parseState(snap.Files[StateFile])
		if err != nil {
			return nil, fmt.Errorf("load probe state: %w", err)
		}
		if opts.Replay && res.Started.Before(st.LastRun) {
			return nil, &BeforeLastRunError{Now: res.Started, LastRun: st.LastRun}
		}
		for slug, ss := range st.Services {
			failing[slug] = ss.Observed == Down || ss.Observed == Unknown
		}
		pre = &snap
	}
	checks, err := runChecks(ctx, opts, failing)
	if err != nil {
		return nil, err
	}
	for i, svc := range opts.Config.Services {
		sr := ServiceResult{Name: svc.Name, Slug: svc.Slug, Env: svc.Env, URL: svc.URL, Checks: checks[i], Index: i}
		sr.Observed, sr.Reason = aggregate(checks[i])
		sr.Status = sr.Observed
		res.Services = append(res.Services, sr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := remember(ctx, opts, res, pre); err != nil {
		return res, err
	}
	return res, nil
}

// BeforeLastRunError is a replayed run (Options.Replay) whose time is before the last run the
// state records: judged out of order, it would count runs twice and move streaks backwards.
type BeforeLastRunError struct{ Now, LastRun time.Time }

func (e *BeforeLastRunError) Error() string {
	return fmt.Sprintf("%s is before the last recorded run, %s: a replay must move forward (replay from the start with an empty state)",
		e.Now.UTC().Format(time.RFC3339), e.LastRun.UTC().Format(time.RFC3339))
}

// aggregate is the worst measured check and why.
func aggregate(checks []CheckResult) (Status, string) {
	worst := Status("")
	reason := ""
	for _, c := range checks {
		if c.Status.rank() > worst.rank() {
			worst = c.Status
			reason = ""
			if c.Status != Up {
				reason = c.Kind + ": " + c.Error
			}
		}
	}
	if worst == "" {
		return Unknown, "no check measured the service"
	}
	return worst, reason
}

// runChecks runs every check of every service with bounded concurrency, results in indexed slots
// so the output does not depend on timing.
func runChecks(ctx context.Context, opts Options, first map[string]bool) ([][]CheckResult, error) {
	svcs := opts.Config.Services
	out := make([][]CheckResult, len(svcs))
	type job struct{ s, c int }
	var jobs []job
	for i, s := range svcs {
		out[i] = make([]CheckResult, len(s.Checks))
		for j := range s.Checks {
			jobs = append(jobs, job{i, j})
		}
	}
	slices.SortStableFunc(jobs, func(a, b job) int {
		fa, fb := first[svcs[a.s].Slug], first[svcs[b.s].Slug]
		switch {
		case fa && !fb:
			return -1
		case fb && !fa:
			return 1
		}
		return 0
	})
	r, err := newRunner(opts)
	if err != nil {
		return nil, err
	}
	defer r.close()
	conc := max(1, min(opts.Config.Concurrency, len(jobs)))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for _, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[j.s][j.c] = r.check(ctx, svcs[j.s].Checks[j.c])
		}()
	}
	wg.Wait()
	return out, nil
}

// check runs one check, retrying once after the retry delay when it failed.
func (r *runner) check(ctx context.Context, ch config.ProbeCheck) CheckResult {
	res := r.attempt(ctx, ch)
	res.Attempts = 1
	if res.Status == Down || res.Status == Unknown {
		if ctx.Err() != nil || r.opts.Sleep(ctx, r.opts.Config.RetryDelay) != nil {
			return res
		}
		second := r.attempt(ctx, ch)
		second.Attempts = 2
		if second.Status != Up && second.Error != res.Error && res.Error != "" {
			second.Error += " (first attempt: " + res.Error + ")"
		}
		res = second
	}
	return res
}

// attempt runs one attempt of a check. Its error and note quote what the server or API said:
// everything after this point stores, prints and publishes them, so they are bounded and
// redacted here, once.
func (r *runner) attempt(ctx context.Context, ch config.ProbeCheck) CheckResult {
	res := r.attemptKind(ctx, ch)
	res.Error, res.Note = remoteText(res.Error), remoteText(res.Note)
	return res
}

func (r *runner) attemptKind(ctx context.Context, ch config.ProbeCheck) CheckResult {
	actx, cancel := context.WithTimeout(ctx, r.opts.Config.Timeout)
	defer cancel()
	switch ch.Kind {
	case "http":
		return r.httpCheck(actx, ch)
	case "status-json":
		return r.statusJSONCheck(actx, ch)
	case "vercel":
		return r.vercelCheck(actx, ch)
	case "fly":
		return r.flyCheck(actx, ch)
	case "ghcr":
		return r.ghcrCheck(actx, ch)
	}
	return CheckResult{Kind: ch.Kind, Status: Unknown, Error: fmt.Sprintf("unknown check kind %q", ch.Kind)}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sortedSlugs is the services' slugs in order, for deterministic iteration.
func sortedSlugs[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
