package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

type jsonCheck struct {
	Kind      string `json:"kind"`
	Status    Status `json:"status"`
	LatencyMS int64  `json:"latency_ms"`
	Error     string `json:"error"`
}

type jsonService struct {
	Name   string      `json:"name"`
	Slug   string      `json:"slug"`
	Env    string      `json:"env"`
	Status Status      `json:"status"`
	Checks []jsonCheck `json:"checks"`
}

// JSON is the --format json document:
// {"services":[{"name","slug","env","status","checks":[{"kind","status","latency_ms","error"}]}],"incidents":[...]}.
func (r *Result) JSON() ([]byte, error) {
	doc := struct {
		Services  []jsonService    `json:"services"`
		Incidents []IncidentResult `json:"incidents"`
	}{Services: []jsonService{}, Incidents: r.Incidents}
	if doc.Incidents == nil {
		doc.Incidents = []IncidentResult{}
	}
	for _, s := range r.Services {
		js := jsonService{Name: s.Name, Slug: s.Slug, Env: s.Env, Status: s.Status, Checks: []jsonCheck{}}
		for _, c := range s.Checks {
			js.Checks = append(js.Checks, jsonCheck{Kind: c.Kind, Status: c.Status, LatencyMS: c.Latency.Milliseconds(), Error: c.Error})
		}
		doc.Services = append(doc.Services, js)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Human writes the table: one line per service (its declared state, and what this run saw when
// that differs), then one line per check with its measured numbers and verbatim error.
func (r *Result) Human(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tENV\tSTATUS\tCHECK\tCODE\tLATENCY\tTTFB\tBYTES\tDETAIL")
	for _, s := range r.Services {
		status := string(s.Status)
		if s.Observed != s.Status && s.Status != Failing { // failing says it was down this run
			status += " (now " + string(s.Observed) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\t\t\t%s\n", oneLine(s.Name), s.Env, status, oneLine(s.Reason))
		for _, c := range s.Checks {
			code := "-"
			if c.StatusCode != 0 {
				code = fmt.Sprint(c.StatusCode)
			}
			detail := c.Error
			if detail == "" {
				detail = c.Note
			}
			if c.Attempts > 1 {
				detail = joinNonEmpty(detail, "after a retry")
			}
			fmt.Fprintf(tw, "  %s\t\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", oneLine(c.Target), c.Status, c.Kind, code,
				ms(c.Latency), ms(c.TTFB), c.Bytes, oneLine(detail))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, in := range r.Incidents {
		line := fmt.Sprintf("incident %s: %s %s", in.Action, in.Service, in.State)
		if in.Number != 0 {
			line += fmt.Sprintf(" #%d", in.Number)
		}
		if in.DowntimeSeconds > 0 {
			line += ", downtime " + fmtDuration(time.Duration(in.DowntimeSeconds)*time.Second)
		}
		if in.Paged {
			line += ", paged"
		}
		if in.Error != "" {
			line += ", error: " + oneLine(in.Error)
		}
		fmt.Fprintln(w, line)
	}
	if r.HeartbeatStale {
		fmt.Fprintf(w, "heartbeat: the previous run was at %s UTC, later than the schedule allows\n", r.PreviousRun.UTC().Format(time.DateTime))
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
	fmt.Fprintln(w, r.Verdict())
	return nil
}

// Verdict is the one-line summary: "6 services: 3 up, 3 failing (confirming)". A failing
// service is counted apart: it is not up, and not declared down yet.
func (r *Result) Verdict() string {
	counts := map[Status]int{}
	for _, s := range r.Services {
		counts[s.Status]++
	}
	var parts []string
	for _, st := range []Status{Up, Degraded, Failing, Down, Unknown} {
		if counts[st] > 0 {
			word := string(st)
			if st == Failing {
				word += " (confirming)"
			}
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], word))
		}
	}
	noun := "services"
	if len(r.Services) == 1 {
		noun = "service"
	}
	return fmt.Sprintf("%d %s: %s", len(r.Services), noun, strings.Join(parts, ", "))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Markdown is the job summary: a table of services and the incidents of this run.
func (r *Result) Markdown() string {
	var b strings.Builder
	icon := map[Status]string{Up: "🟢", Degraded: "🟡", Failing: "🟠", Down: "🔴", Unknown: "⚪", DegradedCheck: "🟠"}
	fmt.Fprintf(&b, "## molecule-ci probe\n\n%s\n\n| service | env | status | checks | detail |\n| --- | --- | --- | --- | --- |\n", r.Verdict())
	for _, s := range r.Services {
		var checks []string
		for _, c := range s.Checks {
			checks = append(checks, fmt.Sprintf("%s %s %s", icon[c.Status], c.Kind, ms(c.Latency)))
		}
		detail := s.Reason
		for _, c := range s.Checks {
			if c.Status == DegradedCheck {
				detail = joinNonEmpty(detail, c.Error)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s %s | %s | %s |\n", mdCell(s.Name), mdCell(s.Env), icon[s.Status], s.Status,
			mdCell(strings.Join(checks, ", ")), mdCell(truncateText(detail, 300)))
	}
	if len(r.Incidents) > 0 {
		b.WriteString("\n| incident | state | action | downtime |\n| --- | --- | --- | --- |\n")
		for _, in := range r.Incidents {
			ref := mdCell(in.Service)
			if in.URL != "" {
				ref = fmt.Sprintf("[%s #%d](%s)", mdCell(in.Service), in.Number, in.URL)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", ref, in.State, in.Action, fmtDuration(time.Duration(in.DowntimeSeconds)*time.Second))
		}
	}
	if r.HeartbeatStale {
		fmt.Fprintf(&b, "\n⚠️ The previous run was at %s UTC: the schedule did not run on time.\n", r.PreviousRun.UTC().Format(time.DateTime))
	}
	return b.String()
}

var mdReplacer = strings.NewReplacer("|", "\\|", "\\", "\\\\", "<", "&lt;", ">", "&gt;", "&", "&amp;", "\n", " ", "\r", " ", "`", "\\`", "[", "\\[", "]", "\\]")

func mdCell(s string) string { return mdReplacer.Replace(s) }

// Findings turns the run into report findings at the services' places in the config: errors for
// services declared down, warnings for degraded ones and a stale heartbeat, notices for checks
// that ran without their token and services failing but not yet declared down.
func (r *Result) Findings(path string, pos func(service int) (line, col int)) []report.Finding {
	var out []report.Finding
	at := func(i int) (int, int) {
		if pos == nil || i < 0 {
			return 0, 0
		}
		return pos(i)
	}
	for _, s := range r.Services {
		line, col := at(s.Index)
		f := report.Finding{Path: path, Line: line, Col: col}
		switch {
		case s.Status == Down:
			f.Rule, f.Severity = "service-down", report.Error
			f.Message = fmt.Sprintf("%s (%s) is down: %s", s.Name, s.Env, oneLine(s.Reason))
		case s.Status == Degraded || s.Status == Unknown:
			f.Rule, f.Severity = "service-degraded", report.Warning
			if r.FailOn == Degraded && s.Status == Degraded {
				f.Severity = report.Error
			}
			f.Message = fmt.Sprintf("%s (%s) is %s: %s", s.Name, s.Env, s.Status, oneLine(s.Reason))
		case s.Observed == Down:
			f.Rule, f.Severity = "service-failing", report.Info
			f.Message = fmt.Sprintf("%s (%s) failed this run but is not declared down yet: %s", s.Name, s.Env, oneLine(s.Reason))
		}
		if f.Rule != "" {
			out = append(out, f)
		}
		for _, c := range s.Checks {
			if c.Status == DegradedCheck {
				out = append(out, report.Finding{Path: path, Line: line, Col: col, Rule: "degraded-check", Severity: report.Info,
					Message: fmt.Sprintf("%s (%s) %s check: %s", s.Name, s.Env, c.Kind, c.Error)})
			}
		}
	}
	if r.HeartbeatStale {
		out = append(out, report.Finding{Path: path, Rule: "heartbeat-stale", Severity: report.Warning,
			Message: fmt.Sprintf("the previous probe run was at %s UTC, %s before this one: scheduled runs are being skipped or were disabled",
				r.PreviousRun.UTC().Format(time.DateTime), r.Started.Sub(r.PreviousRun).Truncate(time.Second))})
	}
	return out
}

// Rules are the findings probe produces.
var Rules = []report.Rule{
	{ID: "service-down", Severity: report.Error, Doc: "a service failed for longer than the down-after policy"},
	{ID: "service-degraded", Severity: report.Warning, Doc: "a service answers but slowly, with an expiring certificate, flapping, or a deep check says so"},
	{ID: "service-failing", Severity: report.Info, Doc: "a service failed this run but not yet for long enough to be declared down"},
	{ID: "degraded-check", Severity: report.Info, Doc: "a deep check ran without its token: only the HTTP part was measured"},
	{ID: "heartbeat-stale", Severity: report.Warning, Doc: "the previous scheduled run is older than heartbeat-max-age"},
}
