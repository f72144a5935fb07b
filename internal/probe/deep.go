package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// The real APIs the deep checks ask.
const (
	DefaultVercelAPI = "https://api.vercel.com"
	DefaultFlyAPI    = "https://api.machines.dev"
)

// maxAPIBody bounds an API answer.
const maxAPIBody = 4 << 20

// PackageLister lists an organisation's container packages (GitHub's packages API, which is
// what GHCR serves): the ghcr deep check. internal/github implements it.
type PackageLister interface {
	ListContainerPackages(ctx context.Context, org string) ([]string, error)
}

func missingToken(kind, target, name string) CheckResult {
	return CheckResult{Kind: kind, Target: target, Status: DegradedCheck,
		Error: fmt.Sprintf("no $%s set — degraded check only", name)}
}

// apiGet asks a JSON API with a bearer token and decodes a 2xx answer into out. Any other answer
// becomes an error quoting the API's own message, and the token never appears in it.
func (r *runner) apiGet(ctx context.Context, res *CheckResult, rawURL, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "molecule-ci-probe")
	// The token goes to the API's origin only: a redirect elsewhere drops it, or is refused.
	rq := request{follow: true, configured: []string{"Authorization"}, refuse: r.opts.Config.CrossOriginRedirects == config.RedirectRefuse}
	start := time.Now()
	resp, err := (&http.Client{Transport: r.transports["any"], CheckRedirect: rq.checkRedirect}).Do(req)
	if err != nil {
		res.Latency = time.Since(start)
		return redactToken(err, token)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody))
	res.Latency, res.StatusCode, res.Bytes = time.Since(start), resp.StatusCode, int64(len(body))
	if err != nil {
		return redactToken(fmt.Errorf("reading the answer: %w", err), token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := apiMessage(body)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			msg += " (Retry-After: " + ra + "s)"
		} else if reset := resp.Header.Get("X-RateLimit-Reset"); reset != "" && resp.StatusCode == http.StatusTooManyRequests {
			msg += " (X-RateLimit-Reset: " + reset + ")"
		}
		// The URL that answered: after a redirect, not the one asked.
		return redactToken(fmt.Errorf("%s %s: %d %s", req.Method, resp.Request.URL.Redacted(), resp.StatusCode, msg), token)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: malformed JSON answer: %v", req.URL.Redacted(), err)
	}
	return nil
}

// apiMessage pulls the message out of the error bodies of Vercel ({"error":{"code","message"}}),
// Fly ({"error":"..."}) and GitHub ({"message"}), or quotes the body.
func apiMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		var s string
		var o struct{ Code, Message string }
		switch {
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			return truncateText(s, 200)
		case json.Unmarshal(v.Error, &o) == nil && (o.Message != "" || o.Code != ""):
			if o.Code != "" {
				return truncateText(o.Code, 40) + ": " + truncateText(o.Message, 200)
			}
			return truncateText(o.Message, 200)
		case v.Message != "":
			return truncateText(v.Message, 200)
		}
	}
	return truncateText(strings.TrimSpace(string(body)), 200)
}

// maxListed is how many items of a list a server sent (machines failing their checks, sites
// down) a message names before saying how many more there are.
const maxListed = 5

func listed(items []string, sep string) string {
	if len(items) <= maxListed {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:maxListed], sep), sep, len(items)-maxListed)
}

func redactToken(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "***"))
}

func apiBase(own, opt, def string) string {
	for _, b := range []string{own, opt, def} {
		if b != "" {
			return strings.TrimSuffix(b, "/")
		}
	}
	return def
}

// vercelCheck asks for the project's latest production deployment (GET /v6/deployments) and
// judges its state: READY is up, a deployment in progress is up (the previous one serves),
// ERROR or CANCELED is degraded (the previous one still serves, but the last deploy failed).
func (r *runner) vercelCheck(ctx context.Context, ch config.ProbeCheck) CheckResult {
	res := CheckResult{Kind: ch.Kind, Target: ch.Project}
	if r.opts.Tokens.Vercel == "" {
		return missingToken(ch.Kind, ch.Project, "VERCEL_TOKEN")
	}
	q := url.Values{"projectId": {ch.Project}, "target": {"production"}, "limit": {"1"}}
	if ch.Team != "" {
		q.Set("teamId", ch.Team)
	}
	var v struct {
		Deployments []struct {
			UID     string `json:"uid"`
			URL     string `json:"url"`
			State   string `json:"state"`
			Ready   string `json:"readyState"`
			Created int64  `json:"created"`
		} `json:"deployments"`
	}
	u := apiBase(ch.API, r.opts.VercelAPI, DefaultVercelAPI) + "/v6/deployments?" + q.Encode()
	if err := r.apiGet(ctx, &res, u, r.opts.Tokens.Vercel, &v); err != nil {
		res.Status, res.Error = Unknown, r.errorText(err)
		return res
	}
	if len(v.Deployments) == 0 {
		res.Status, res.Error = Unknown, "Vercel lists no production deployment for project "+ch.Project
		return res
	}
	d := v.Deployments[0]
	state := d.State
	if state == "" {
		state = d.Ready
	}
	d.UID, state = truncateText(d.UID, 60), truncateText(state, 40)
	created := time.UnixMilli(d.Created).UTC().Format(time.RFC3339)
	switch state {
	case "READY":
		res.Status, res.Note = Up, fmt.Sprintf("production deployment %s READY since %s", d.UID, created)
	case "BUILDING", "QUEUED", "INITIALIZING":
		res.Status, res.Note = Up, fmt.Sprintf("production deployment %s is %s", d.UID, state)
	case "ERROR", "CANCELED":
		res.Status, res.Error = Degraded, fmt.Sprintf("latest production deployment %s is %s (created %s)", d.UID, state, created)
	default:
		res.Status, res.Error = Unknown, fmt.Sprintf("latest production deployment %s has state %q", d.UID, state)
	}
	return res
}

// flyCheck lists the app's machines (GET /v1/apps/{app}/machines on the Machines API): up when
// every started machine passes its checks, degraded when some do not but one does, down when no
// machine is started or none passes.
func (r *runner) flyCheck(ctx context.Context, ch config.ProbeCheck) CheckResult {
	res := CheckResult{Kind: ch.Kind, Target: ch.App}
	if r.opts.Tokens.Fly == "" {
		return missingToken(ch.Kind, ch.App, "FLY_API_TOKEN")
	}
	var machines []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		State  string `json:"state"`
		Region string `json:"region"`
		Checks []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Output string `json:"output"`
		} `json:"checks"`
	}
	u := apiBase(ch.API, r.opts.FlyAPI, DefaultFlyAPI) + "/v1/apps/" + url.PathEscape(ch.App) + "/machines"
	if err := r.apiGet(ctx, &res, u, r.opts.Tokens.Fly, &machines); err != nil {
		res.Status, res.Error = Unknown, r.errorText(err)
		return res
	}
	started, healthy := 0, 0
	var problems []string // at most maxListed, then how many more
	for _, m := range machines {
		if m.State != "started" {
			continue
		}
		started++
		ok := true
		for _, c := range m.Checks {
			if c.Status != "passing" {
				ok = false
				problems = append(problems, fmt.Sprintf("machine %s (%s) check %s is %s: %s", truncateText(m.ID, 40), truncateText(m.Region, 20),
					truncateText(c.Name, 40), truncateText(c.Status, 20), truncateText(strings.TrimSpace(c.Output), 120)))
			}
		}
		if ok {
			healthy++
		}
	}
	switch {
	case started == 0:
		res.Status, res.Error = Down, fmt.Sprintf("no started machine among %d of app %s", len(machines), ch.App)
	case healthy == 0:
		res.Status, res.Error = Down, listed(problems, "; ")
	case healthy < started:
		res.Status, res.Error = Degraded, listed(problems, "; ")
	default:
		res.Status, res.Note = Up, fmt.Sprintf("%d of %d machines started and passing their checks", started, len(machines))
	}
	return res
}

// ghcrCheck lists the organisation's container packages through the GitHub API.
func (r *runner) ghcrCheck(ctx context.Context, ch config.ProbeCheck) CheckResult {
	res := CheckResult{Kind: ch.Kind, Target: "ghcr.io/" + strings.ToLower(ch.Org)}
	if r.opts.Tokens.GitHub == "" {
		return missingToken(ch.Kind, res.Target, "GITHUB_TOKEN")
	}
	if r.opts.Packages == nil {
		res.Status, res.Error = Unknown, "no GitHub API client to list packages with"
		return res
	}
	start := time.Now()
	names, err := r.opts.Packages.ListContainerPackages(ctx, ch.Org)
	res.Latency = time.Since(start)
	switch {
	case err != nil:
		res.Status, res.Error = Unknown, redactToken(err, r.opts.Tokens.GitHub).Error()
	case len(names) == 0:
		res.Status, res.Error = Degraded, "the organisation lists no container packages"
	default:
		res.Status, res.Note = Up, fmt.Sprintf("%d container packages listable", len(names))
	}
	return res
}

// statusJSONCheck reads an Upptime status JSON — summary.json's list of sites, or a
// {"services": [...]} / {"sites": [...]} object such as this tool's api/v1/status.json — and
// reports which sites it says are down. A page that is served but lists outages is degraded; a
// body that is not such JSON is down.
func (r *runner) statusJSONCheck(ctx context.Context, ch config.ProbeCheck) CheckResult {
	res := CheckResult{Kind: ch.Kind, Target: ch.URL}
	rq, missing := r.webRequest(ch, http.MethodGet)
	if missing != "" {
		res.Status, res.Error = Unknown, missing
		return res
	}
	f, err := r.fetch(ctx, rq)
	measure(&res, f)
	if err != nil {
		res.Status, res.Error = Down, r.errorText(err)
		return res
	}
	if f.code < 200 || f.code > 299 {
		res.Status, res.Error = Down, fmt.Sprintf("status %d %s, want 2xx", f.code, http.StatusText(f.code))
		return res
	}
	sites, heartbeat, err := parseStatusJSON(f.body)
	if err != nil {
		if f.truncated {
			err = fmt.Errorf("%v (the body was cut at %d bytes)", err, f.bytes)
		}
		res.Status, res.Error = Down, "malformed status JSON: "+err.Error()
		return res
	}
	var down []string
	for _, s := range sites {
		if s.Status == "down" {
			down = append(down, truncateText(s.Name, 60))
		}
	}
	res.Status = Up
	res.Note = fmt.Sprintf("%d sites listed", len(sites))
	if len(down) > 0 {
		res.Status, res.Error = Degraded, fmt.Sprintf("reports %d of %d sites down: %s", len(down), len(sites), listed(down, ", "))
	}
	if !heartbeat.IsZero() && r.opts.Config.HeartbeatMaxAge > 0 {
		if age := r.opts.Now().Sub(heartbeat); age > r.opts.Config.HeartbeatMaxAge {
			res.Status = Degraded
			res.Error = joinNonEmpty(res.Error, fmt.Sprintf("last updated %s ago (more than %s): its probe may have stopped", age.Truncate(time.Second), r.opts.Config.HeartbeatMaxAge))
		}
	}
	if ch.MaxResponseTime > 0 && f.latency > ch.MaxResponseTime && res.Status == Up {
		res.Status, res.Error = Degraded, fmt.Sprintf("slow: answered in %s, more than %s", ms(f.latency), ms(ch.MaxResponseTime))
	}
	return res
}

type statusSite struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// parseStatusJSON accepts the shapes Upptime and this tool publish. Every site needs a name and
// a status, so a JSON document of another kind is an error, not "nothing is down".
func parseStatusJSON(body []byte) ([]statusSite, time.Time, error) {
	var sites []statusSite
	var hb time.Time
	if err := json.Unmarshal(body, &sites); err != nil {
		var obj struct {
			Services  []statusSite `json:"services"`
			Sites     []statusSite `json:"sites"`
			Heartbeat struct {
				LastRun time.Time `json:"last_run"`
			} `json:"heartbeat"`
		}
		if err2 := json.Unmarshal(body, &obj); err2 != nil {
			return nil, hb, err
		}
		sites = append(obj.Services, obj.Sites...)
		hb = obj.Heartbeat.LastRun
		if obj.Services == nil && obj.Sites == nil {
			return nil, hb, fmt.Errorf("want a list of sites or an object with services or sites")
		}
	}
	for i, s := range sites {
		if s.Name == "" || s.Status == "" {
			return nil, hb, fmt.Errorf("site %d has no name or status", i)
		}
	}
	return sites, hb, nil
}
