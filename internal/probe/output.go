package probe

import (
	"fmt"
	"strings"
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

// Report is the run as a report: its findings at the services' places in the config (path, pos),
// with the result itself as the report's Summary, which internal/report renders in every format.
func (r *Result) Report(path string, pos func(service int) (line, col int)) *report.Report {
	return &report.Report{Command: "probe", Findings: r.Findings(path, pos), FilesChecked: 1, Rules: Rules, Summary: r}
}

// JSON lists the members of the --format json document before the findings:
// {"services":[{"name","slug","env","status","checks":[{"kind","status","latency_ms","error"}]}],"incidents":[...]}.
func (r *Result) JSON() []report.Member {
	services, incidents := []jsonService{}, r.Incidents
	if incidents == nil {
		incidents = []IncidentResult{}
	}
	for _, s := range r.Services {
		js := jsonService{Name: s.Name, Slug: s.Slug, Env: s.Env, Status: s.Status, Checks: []jsonCheck{}}
		for _, c := range s.Checks {
			js.Checks = append(js.Checks, jsonCheck{Kind: c.Kind, Status: c.Status, LatencyMS: c.Latency.Milliseconds(), Error: c.Error})
		}
		services = append(services, js)
	}
	return []report.Member{
		{Name: "services", Value: services, Layout: report.Indented},
		{Name: "incidents", Value: incidents, Layout: report.Indented},
	}
}

// Text is the table: one line per service (its declared state, and what this run saw when
// that differs), then one line per check with its measured numbers and verbatim error. It says
// everything the findings do, so the human format lists none after it.
func (r *Result) Text() report.Doc {
	t := report.Table{KeepTrailingSpace: true, Columns: []report.Column{{Name: "SERVICE"}, {Name: "ENV"}, {Name: "STATUS"}, {Name: "CHECK"},
		{Name: "CODE"}, {Name: "LATENCY"}, {Name: "TTFB"}, {Name: "BYTES"}, {Name: "DETAIL"}}}
	for _, s := range r.Services {
		status := string(s.Status)
		if s.Observed != s.Status && s.Status != Failing { // failing says it was down this run
			status += " (now " + string(s.Observed) + ")"
		}
		t.Rows = append(t.Rows, report.Cells(oneLine(s.Name), s.Env, status, "", "", "", "", "", oneLine(s.Reason)))
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
			t.Rows = append(t.Rows, report.Cells("  "+oneLine(c.Target), "", string(c.Status), c.Kind, code,
				ms(c.Latency), ms(c.TTFB), fmt.Sprint(c.Bytes), oneLine(detail)))
		}
	}
	var lines report.Lines
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
		lines = append(lines, report.Line(report.Text(line)))
	}
	if r.HeartbeatStale {
		lines = append(lines, report.Line(report.Markup(fmt.Sprintf("heartbeat: the previous run was at %s UTC, later than the schedule allows", r.PreviousRun.UTC().Format(time.DateTime)))))
	}
	for _, n := range r.Notes {
		lines = append(lines, report.Line(report.Text("note: "+n)))
	}
	lines = append(lines, report.Line(report.Markup(r.Verdict())))
	return report.Doc{Blocks: []report.Block{t, lines}, Complete: true}
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
func (r *Result) Markdown() report.Doc {
	icon := map[Status]string{Up: "🟢", Degraded: "🟡", Failing: "🟠", Down: "🔴", Unknown: "⚪", DegradedCheck: "🟠"}
	t := report.Table{Columns: []report.Column{{Name: "service"}, {Name: "env"}, {Name: "status"}, {Name: "checks"}, {Name: "detail"}}}
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
		t.Rows = append(t.Rows, []report.Inline{report.Line(report.Text(s.Name)), report.Line(report.Text(s.Env)),
			report.Line(report.Markup(icon[s.Status] + " " + string(s.Status))),
			report.Line(report.Text(strings.Join(checks, ", "))), report.Line(report.Text(truncateText(detail, 300)))})
	}
	d := report.Doc{Blocks: []report.Block{
		report.Heading{Level: 2, Text: report.Line(report.Markup("molecule-ci probe"))},
		report.Lines{report.Line(report.Markup(r.Verdict()))},
		t,
	}}
	if len(r.Incidents) > 0 {
		t := report.Table{Columns: []report.Column{{Name: "incident"}, {Name: "state"}, {Name: "action"}, {Name: "downtime"}}}
		for _, in := range r.Incidents {
			ref := report.Text(in.Service)
			if in.URL != "" {
				ref = report.Link(fmt.Sprintf("%s #%d", in.Service, in.Number), in.URL)
			}
			t.Rows = append(t.Rows, []report.Inline{report.Line(ref), report.Line(report.Markup(string(in.State))),
				report.Line(report.Markup(string(in.Action))), report.Line(report.Markup(fmtDuration(time.Duration(in.DowntimeSeconds) * time.Second)))})
		}
		d.Blocks = append(d.Blocks, t)
	}
	if r.HeartbeatStale {
		d.Blocks = append(d.Blocks, report.Lines{report.Line(report.Markup(fmt.Sprintf("⚠️ The previous run was at %s UTC: the schedule did not run on time.", r.PreviousRun.UTC().Format(time.DateTime))))})
	}
	return d
}

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
