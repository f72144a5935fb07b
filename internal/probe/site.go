package probe

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed site.html.tmpl
var siteTemplate string

// windows are the uptime periods the page and status.json show.
var windows = []struct {
	Key   string
	Label string
	Dur   time.Duration
}{
	{"day", "24h", 24 * time.Hour},
	{"week", "7d", 7 * 24 * time.Hour},
	{"month", "30d", 30 * 24 * time.Hour},
	{"quarter", "90d", 90 * 24 * time.Hour},
}

// SiteService is one service as the status page and status.json show it.
type SiteService struct {
	Name        string    `json:"name"`
	Slug        string    `json:"slug"`
	Env         string    `json:"env"`
	URL         string    `json:"url"`
	Status      Status    `json:"status"`
	Observed    Status    `json:"observed"`
	Since       time.Time `json:"since,omitzero"`
	Reason      string    `json:"reason,omitempty"`
	LastChecked time.Time `json:"last_checked,omitzero"`
	// Uptime is the share of measured runs that were up, per window ("99.95%", or null when
	// nothing was measured); Degraded the share that answered but degraded, counted apart.
	// Both are over the runs measured in the window only: a service probed for a day has a
	// 90-day uptime of that day, and DataSince says so.
	Uptime    map[string]*string `json:"uptime"`
	Degraded  map[string]*string `json:"degraded"`
	DataSince time.Time          `json:"data_since,omitzero"`
	// LatencyMS is the mean response time of the last 24 hours' answers; null when the service
	// never answered.
	LatencyMS *int64 `json:"latency_ms"`
	Points    int    `json:"points"`

	uptime map[string]shares
	series []HistoryLine
	days   []dayBar
}

// shares counts measured runs (unknown runs measured nothing and count neither way).
type shares struct{ up, degraded, down int }

func (s shares) total() int { return s.up + s.degraded + s.down }

// share is n of the measured runs, NaN when none were measured.
func (s shares) share(n int) float64 {
	if s.total() == 0 {
		return math.NaN()
	}
	return float64(n) / float64(s.total())
}

// answered is Upptime's uptime: every run that was not down.
func (s shares) answered() float64 { return s.share(s.up + s.degraded) }

type dayBar struct {
	Date string
	shares
}

// SiteStatus is api/v1/status.json.
type SiteStatus struct {
	GeneratedAt time.Time     `json:"generated_at"`
	Title       string        `json:"title"`
	Status      Status        `json:"status"`
	Heartbeat   Heartbeat     `json:"heartbeat"`
	Services    []SiteService `json:"services"`
	Incidents   struct {
		Open   []*Incident `json:"open"`
		Recent []*Incident `json:"recent"`
	} `json:"incidents"`
}

// Heartbeat lets a reader notice that the probe itself stopped: scheduled workflows are skipped
// under load and disabled after 60 days without repository activity.
type Heartbeat struct {
	LastRun       time.Time `json:"last_run"`
	PreviousRun   time.Time `json:"previous_run,omitzero"`
	MaxAgeSeconds int64     `json:"max_age_seconds"`
	// Stale says the run before this one was older than the maximum age.
	Stale bool `json:"stale"`
}

// upptimeSummary is one entry of Upptime's history/summary.json.
type upptimeSummary struct {
	Name             string         `json:"name"`
	URL              string         `json:"url"`
	Slug             string         `json:"slug"`
	Status           Status         `json:"status"`
	Uptime           string         `json:"uptime"`
	UptimeDay        string         `json:"uptimeDay"`
	UptimeWeek       string         `json:"uptimeWeek"`
	UptimeMonth      string         `json:"uptimeMonth"`
	UptimeYear       string         `json:"uptimeYear"`
	Time             float64        `json:"time"`
	TimeDay          float64        `json:"timeDay"`
	TimeWeek         float64        `json:"timeWeek"`
	TimeMonth        float64        `json:"timeMonth"`
	TimeYear         float64        `json:"timeYear"`
	DailyMinutesDown map[string]int `json:"dailyMinutesDown"`
}

// badge is a shields.io endpoint badge.
type badge struct {
	SchemaVersion int    `json:"schemaVersion"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	Color         string `json:"color"`
}

// buildSite computes what the page shows from the state and the (updated) history files.
func buildSite(opts Options, st *State, files map[string][]byte, res *Result) (*SiteStatus, map[string]upptimeSummary) {
	now := res.Started
	ss := &SiteStatus{GeneratedAt: now, Title: opts.Config.Title, Status: Up}
	ss.Heartbeat = Heartbeat{LastRun: now, PreviousRun: res.PreviousRun, MaxAgeSeconds: int64(opts.Config.HeartbeatMaxAge.Seconds()), Stale: res.HeartbeatStale}
	summaries := map[string]upptimeSummary{}
	for _, s := range res.Services {
		sst := st.Services[s.Slug]
		svc := SiteService{Name: s.Name, Slug: s.Slug, Env: s.Env, URL: s.URL, Status: s.Status, Observed: s.Observed,
			Since: s.Since, Reason: s.Reason, LastChecked: now,
			Uptime: map[string]*string{}, Degraded: map[string]*string{}, uptime: map[string]shares{}}
		if sst != nil {
			svc.LastChecked = sst.LastChecked
		}
		lines, _ := parseHistory(files[historyPath(s.Slug)])
		if len(lines) == 0 { // stateless: this run is all there is
			lines = []HistoryLine{lineFor(opts.Config, s, now)}
		}
		rollups := parseRollups(files[rollupPath(s.Slug)])
		svc.DataSince = dataSince(lines, rollups)
		for _, w := range windows {
			u := uptimeOver(lines, rollups, now, w.Dur)
			svc.uptime[w.Key] = u
			svc.Uptime[w.Key], svc.Degraded[w.Key] = pctOrNil(u.share(u.up)), pctOrNil(u.share(u.degraded))
		}
		for _, l := range lines {
			if now.Sub(l.Timestamp) <= 24*time.Hour {
				svc.series = append(svc.series, l)
			}
		}
		svc.Points = len(svc.series)
		if mean, ok := meanLatency(svc.series); ok {
			svc.LatencyMS = &mean
		}
		svc.days = dayBars(lines, rollups, now, 90)
		if s.Status.rank() > ss.Status.rank() {
			ss.Status = s.Status
		}
		ss.Services = append(ss.Services, svc)

		// summary.json keeps Upptime's meaning: a degraded run is up, a failing one down.
		upStatus := s.Status
		if upStatus == Failing {
			upStatus = Down
		}
		sum := upptimeSummary{Name: s.Name, URL: s.URL, Slug: s.Slug, Status: upStatus, DailyMinutesDown: map[string]int{}}
		all := uptimeOver(lines, rollups, now, 10*365*24*time.Hour)
		sum.Uptime = pct(orOne(all.answered()))
		sum.UptimeDay, sum.UptimeWeek, sum.UptimeMonth = pct(orOne(svc.uptime["day"].answered())), pct(orOne(svc.uptime["week"].answered())), pct(orOne(svc.uptime["month"].answered()))
		sum.UptimeYear = pct(orOne(uptimeOver(lines, rollups, now, 365*24*time.Hour).answered()))
		sum.Time = float64(meanLatencyOr0(lines))
		sum.TimeDay = float64(meanLatencyOr0(svc.series))
		sum.TimeWeek = float64(meanLatencyOr0(since(lines, now, 7*24*time.Hour)))
		sum.TimeMonth = float64(meanLatencyOr0(since(lines, now, 30*24*time.Hour)))
		sum.TimeYear = sum.Time
		for _, d := range svc.days {
			if d.down > 0 {
				sum.DailyMinutesDown[d.Date] = d.down * int(math.Round(interval(lines).Minutes()))
			}
		}
		summaries[s.Slug] = sum
	}
	ss.Incidents.Open = []*Incident{}
	ss.Incidents.Recent = []*Incident{}
	for _, slug := range sortedSlugs(st.Services) {
		if in := st.Services[slug].Incident; in != nil {
			ss.Incidents.Open = append(ss.Incidents.Open, in)
		}
	}
	for _, in := range st.Closed {
		if now.Sub(in.ClosedAt) <= 90*24*time.Hour && len(ss.Incidents.Recent) < 20 {
			ss.Incidents.Recent = append(ss.Incidents.Recent, in)
		}
	}
	return ss, summaries
}

func pctOrNil(u float64) *string {
	if math.IsNaN(u) {
		return nil
	}
	t := pct(u)
	return &t
}

// dataSince is when the service's first stored measurement was taken (a rollup counts from the
// start of its day); zero when there is none.
func dataSince(lines []HistoryLine, rollups []Rollup) time.Time {
	for _, r := range rollups { // sorted by date
		if r.Runs > 0 {
			if t, err := time.Parse(time.DateOnly, r.Date); err == nil {
				return t
			}
		}
	}
	var first time.Time
	for _, l := range lines {
		if first.IsZero() || l.Timestamp.Before(first) {
			first = l.Timestamp
		}
	}
	return first.UTC()
}

func orOne(u float64) float64 {
	if math.IsNaN(u) {
		return 1
	}
	return u
}

func since(lines []HistoryLine, now time.Time, d time.Duration) []HistoryLine {
	var out []HistoryLine
	for _, l := range lines {
		if now.Sub(l.Timestamp) <= d {
			out = append(out, l)
		}
	}
	return out
}

// pct formats like Upptime: two decimals, never rounding a partial outage up to 100.00%.
func pct(u float64) string {
	v := math.Floor(u*10000) / 100
	return strconv.FormatFloat(v, 'f', 2, 64) + "%"
}

// count adds one run's measurement; unknown measured nothing.
func (s *shares) count(st Status) {
	switch st {
	case Up:
		s.up++
	case Degraded:
		s.degraded++
	case Down:
		s.down++
	}
}

func (s *shares) addRollup(r Rollup) {
	s.up, s.degraded, s.down = s.up+r.Up, s.degraded+r.Degraded, s.down+r.Down
}

// uptimeOver counts the measured runs of the last d: up, degraded and down apart.
func uptimeOver(lines []HistoryLine, rollups []Rollup, now time.Time, d time.Duration) shares {
	var s shares
	for _, l := range lines {
		if now.Sub(l.Timestamp) <= d {
			s.count(l.Status)
		}
	}
	from := now.Add(-d).UTC().Format(time.DateOnly)
	for _, r := range rollups {
		if r.Date >= from {
			s.addRollup(r)
		}
	}
	return s
}

// meanLatency is the mean latency of the runs that answered; false when none did.
func meanLatency(lines []HistoryLine) (int64, bool) {
	var sum, n int64
	for _, l := range lines {
		if l.Status == Up || l.Status == Degraded {
			sum += l.LatencyMS
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / n, true
}

// meanLatencyOr0 is meanLatency for Upptime's summary.json, whose times are numbers.
func meanLatencyOr0(lines []HistoryLine) int64 {
	m, _ := meanLatency(lines)
	return m
}

func dayBars(lines []HistoryLine, rollups []Rollup, now time.Time, n int) []dayBar {
	byDate := map[string]*shares{}
	day := func(d string) *shares {
		if byDate[d] == nil {
			byDate[d] = &shares{}
		}
		return byDate[d]
	}
	for _, r := range rollups {
		day(r.Date).addRollup(r)
	}
	for _, l := range lines {
		day(l.Timestamp.UTC().Format(time.DateOnly)).count(l.Status)
	}
	out := make([]dayBar, n)
	for i := range n {
		d := now.UTC().AddDate(0, 0, -(n - 1 - i)).Format(time.DateOnly)
		out[i] = dayBar{Date: d}
		if s := byDate[d]; s != nil {
			out[i].shares = *s
		}
	}
	return out
}

// writeSite writes the status page, status.json, summary.json and the badges into opts.Site.
func writeSite(opts Options, st *State, files map[string][]byte, res *Result) error {
	ss, sums := buildSite(opts, st, files, res)
	out := map[string][]byte{}
	b, _ := json.MarshalIndent(ss, "", "  ")
	out["api/v1/status.json"] = append(b, '\n')
	var list []upptimeSummary
	for _, s := range ss.Services {
		list = append(list, sums[s.Slug])
	}
	b, _ = json.MarshalIndent(list, "", "  ")
	out["api/v1/summary.json"] = append(b, '\n')
	for _, s := range ss.Services {
		color := map[Status]string{Up: "brightgreen", Degraded: "yellow", Failing: "orange", Down: "red", Unknown: "lightgrey"}[s.Status]
		latency, latencyColor := "no data", "lightgrey"
		if s.LatencyMS != nil {
			latency, latencyColor = fmt.Sprintf("%d ms", *s.LatencyMS), "blue"
		}
		month := s.uptime["month"]
		for name, bd := range map[string]badge{
			"status":        {1, s.Name, string(s.Status), color},
			"uptime":        {1, "uptime 30d", derefOr(s.Uptime["month"], "no data"), uptimeColor(month.share(month.up))},
			"response-time": {1, "response time", latency, latencyColor},
		} {
			b, _ := json.Marshal(bd)
			out["api/"+s.Slug+"/"+name+".json"] = append(b, '\n')
		}
	}
	html, err := renderPage(ss)
	if err != nil {
		return err
	}
	out["index.html"] = html
	out[".nojekyll"] = []byte{}
	return replaceDir(opts.Site, out)
}

// replaceDir writes files into a new directory beside dir and swaps it in, so a reader (or the
// Pages upload) sees the old site or the new one, never half of each, and a thousand badges cost
// no thousand fsyncs: the site is rebuilt from the state on every run.
func replaceDir(dir string, files map[string][]byte) error {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-")
	if err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("status page: %w", err)
	}
	for _, name := range sortedSlugs(files) {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("status page: %w", err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("status page: %w", err)
		}
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("status page: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return fmt.Errorf("status page: %w", err)
	}
	done = true
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func derefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func uptimeColor(u float64) string {
	switch {
	case math.IsNaN(u):
		return "lightgrey"
	case u >= 0.999:
		return "brightgreen"
	case u >= 0.99:
		return "green"
	case u >= 0.95:
		return "yellow"
	}
	return "red"
}

// chart is an SVG response-time chart of the last 24 hours' runs, scaled to the data it has: the
// time axis starts at the first run when the service has been probed for less than a day (a
// first run is not one dot at the right edge of a day), the latency axis ends at the slowest
// answer rounded up. A line through the runs that answered, a red band for each run that was
// down. Plain SVG: no script draws it.
type chart struct {
	W, H   int
	Path   string
	Area   string
	Points []chartPoint
	Down   []chartPoint
	// Dot is a point's diameter in pixels: a round cap on a zero-length stroke, which the
	// stretched viewBox does not squash into an ellipse; larger when there are few points.
	Dot      int
	MaxLabel string
	GridY    []int
	Caption  string // "last 24 h", or "since 14:25 UTC"
	Start    string // the axis's left label
	End      string
	Empty    bool // no run in the last 24 hours
	Answered bool // some run answered, so the average and p95 mean something
	AvgMS    int64
	P95MS    int64
}

type chartPoint struct {
	X, Y  float64
	W     float64 // a down band's width: one run's interval
	Title string
}

// minChartSpan is the narrowest time axis of the chart.
const minChartSpan = 30 * time.Minute

func makeChart(series []HistoryLine, now time.Time) chart {
	c := chart{W: 600, H: 120, Dot: 2, Caption: "last 24 h", Start: "24 h ago", End: now.UTC().Format("15:04") + " UTC"}
	if len(series) == 0 {
		c.Empty = true
		return c
	}
	start := now.Add(-24 * time.Hour)
	first := series[0].Timestamp
	for _, l := range series {
		if l.Timestamp.Before(first) {
			first = l.Timestamp
		}
	}
	if first.After(start.Add(time.Minute)) {
		start = first
		if now.Sub(start) < minChartSpan {
			start = now.Add(-minChartSpan)
		}
		c.Caption = "since " + first.UTC().Format("15:04") + " UTC"
		c.Start = start.UTC().Format("15:04") + " UTC"
	}
	span := now.Sub(start)
	var lat []int64
	for _, l := range series {
		if l.Status != Down && l.Status != Unknown {
			lat = append(lat, l.LatencyMS)
		}
	}
	maxMS := int64(100)
	for _, v := range lat {
		maxMS = max(maxMS, v)
	}
	// Round the scale up to a readable number.
	steps := []int64{100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 30000, 60000}
	for _, s := range steps {
		if maxMS <= s {
			maxMS = s
			break
		}
	}
	c.MaxLabel = fmt.Sprintf("%d ms", maxMS)
	if maxMS >= 1000 {
		c.MaxLabel = fmt.Sprintf("%g s", float64(maxMS)/1000)
	}
	c.GridY = []int{0, c.H / 2, c.H}
	if len(series) <= 24 {
		c.Dot = 7
	}
	x := func(t time.Time) float64 {
		f := float64(t.Sub(start)) / float64(span)
		return math.Round(math.Max(0, math.Min(1, f))*float64(c.W)*10) / 10
	}
	y := func(v int64) float64 {
		return math.Round((float64(c.H)-float64(v)/float64(maxMS)*float64(c.H-8))*10) / 10
	}
	// A down run is a band one run's interval wide (at least 2.2 of 600), ending at the run.
	band := math.Round(math.Min(math.Max(float64(c.W)*float64(interval(series))/float64(span), 2.2), float64(c.W)/4)*10) / 10
	var path strings.Builder
	first2 := true
	var firstX, lastX float64
	for _, l := range series {
		p := chartPoint{X: x(l.Timestamp), Title: fmt.Sprintf("%s UTC — %s", l.Timestamp.UTC().Format("15:04"), l.Status)}
		if l.Status == Down || l.Status == Unknown {
			p.W = band
			p.X = math.Round(math.Max(0, math.Min(p.X-band, float64(c.W)-band))*10) / 10 // inside the chart
			c.Down = append(c.Down, p)
			continue
		}
		p.Y = y(l.LatencyMS)
		p.Title += fmt.Sprintf(", %d ms", l.LatencyMS)
		c.Points = append(c.Points, p)
		if first2 {
			fmt.Fprintf(&path, "M%.1f %.1f", p.X, p.Y)
			firstX, first2 = p.X, false
		} else {
			fmt.Fprintf(&path, " L%.1f %.1f", p.X, p.Y)
		}
		lastX = p.X
	}
	c.Path = path.String()
	if len(c.Points) > 1 {
		c.Area = fmt.Sprintf("%s L%.1f %d L%.1f %d Z", c.Path, lastX, c.H, firstX, c.H)
	}
	if len(lat) > 0 {
		c.Answered = true
		var sum int64
		for _, v := range lat {
			sum += v
		}
		c.AvgMS = sum / int64(len(lat))
		s := slices.Clone(lat)
		slices.Sort(s)
		c.P95MS = s[min(len(s)-1, int(math.Ceil(float64(len(s))*0.95))-1)]
	}
	return c
}

type pageService struct {
	SiteService
	Chart   chart
	Windows []pageWindow
	Days    []pageDay
}

// pageWindow is one uptime figure: the share up, the share degraded (counted apart), and how
// much data it is over when the service has been probed for less than the window.
type pageWindow struct{ Label, Value, Degraded, Over string }

type pageDay struct {
	Class, Title string
}

type pageIncident struct {
	Service, Env, URL, Cause string
	Number                   int
	Opened, Closed, Downtime string
}

// pageComponent is one line of the list at the top: a service and its state.
type pageComponent struct {
	Name, Env, Slug string
	Status          Status
}

type pageData struct {
	Title, Overall, OverallClass string
	Generated, GeneratedISO      string
	MaxAgeSeconds                int64
	StaleBefore                  bool
	Components                   []pageComponent
	Envs                         []pageEnv
	Open, Recent                 []pageIncident
}

type pageEnv struct {
	Name     string
	Services []pageService
}

var statusWords = map[Status]string{Up: "Operational", Degraded: "Degraded", Failing: "Failing · confirming", Down: "Outage", Unknown: "Unknown"}

// banners are the page's headline by the worst state shown: never "operational" while a
// service is failing, confirmed or not.
var banners = map[Status][2]string{
	Up:       {"All systems operational", "up"},
	Unknown:  {"Some systems could not be checked", "degraded"},
	Degraded: {"Some systems are degraded", "degraded"},
	Failing:  {"Some systems are failing — confirming", "failing"},
	Down:     {"Some systems are down", "down"},
}

// dayClass is a day bar's colour: up when at least 99.9% of its runs were up, down when 5% or
// more were down, degraded (partly down, or slow) in between; no data when nothing was measured.
func dayClass(d dayBar) string {
	switch {
	case d.total() == 0:
		return "none"
	case d.share(d.up) >= 0.999:
		return "up"
	case d.share(d.down) >= 0.05:
		return "down"
	}
	return "degraded"
}

func dayTitle(d dayBar) string {
	if d.total() == 0 {
		return d.Date + ": no data"
	}
	t := fmt.Sprintf("%s: %s up", d.Date, pct(d.share(d.up)))
	if d.degraded > 0 {
		t += ", " + pct(d.share(d.degraded)) + " degraded"
	}
	if d.down > 0 {
		t += ", " + pct(d.share(d.down)) + " down"
	}
	return t
}

// coverage says what an uptime figure is over when the data is shorter than its window: "1 run",
// "5h10m of data", "63 days of data".
func coverage(s shares, since, now time.Time, window time.Duration) string {
	span := now.Sub(since)
	switch {
	case since.IsZero() || s.total() == 0 || span >= window:
		return ""
	case span < time.Hour:
		if s.total() == 1 {
			return "1 run"
		}
		return fmt.Sprintf("%d runs", s.total())
	case span < 48*time.Hour:
		return fmtDuration(span) + " of data"
	}
	return fmt.Sprintf("%d days of data", int(span.Hours()/24))
}

func renderPage(ss *SiteStatus) ([]byte, error) {
	t, err := template.New("site").Funcs(template.FuncMap{
		"word": func(s Status) string { return statusWords[s] },
	}).Parse(siteTemplate)
	if err != nil {
		return nil, err
	}
	d := pageData{Title: ss.Title, Generated: ss.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"),
		GeneratedISO: ss.GeneratedAt.UTC().Format(time.RFC3339), MaxAgeSeconds: ss.Heartbeat.MaxAgeSeconds, StaleBefore: ss.Heartbeat.Stale}
	b, ok := banners[ss.Status]
	if !ok {
		b = banners[Unknown]
	}
	d.Overall, d.OverallClass = b[0], b[1]
	for _, s := range ss.Services {
		d.Components = append(d.Components, pageComponent{Name: s.Name, Env: s.Env, Slug: s.Slug, Status: s.Status})
		ps := pageService{SiteService: s, Chart: makeChart(s.series, ss.GeneratedAt)}
		for _, w := range windows {
			u := s.uptime[w.Key]
			pw := pageWindow{Label: w.Label, Value: derefOr(s.Uptime[w.Key], "—"), Over: coverage(u, s.DataSince, ss.GeneratedAt, w.Dur)}
			if u.degraded > 0 {
				pw.Degraded = pct(u.share(u.degraded)) + " degraded"
			}
			ps.Windows = append(ps.Windows, pw)
		}
		for _, day := range s.days {
			ps.Days = append(ps.Days, pageDay{Class: dayClass(day), Title: dayTitle(day)})
		}
		i := slices.IndexFunc(d.Envs, func(e pageEnv) bool { return e.Name == s.Env })
		if i < 0 {
			d.Envs = append(d.Envs, pageEnv{Name: s.Env})
			i = len(d.Envs) - 1
		}
		d.Envs[i].Services = append(d.Envs[i].Services, ps)
	}
	conv := func(in *Incident) pageIncident {
		p := pageIncident{Service: in.Service, Env: in.Env, URL: in.URL, Number: in.Number, Cause: truncateText(in.Cause, 300),
			Opened: in.FailingSince.UTC().Format("2006-01-02 15:04 UTC"), Downtime: fmtDuration(in.Downtime(ss.GeneratedAt))}
		if !in.ClosedAt.IsZero() {
			p.Closed = in.RecoveredAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		return p
	}
	for _, in := range ss.Incidents.Open {
		d.Open = append(d.Open, conv(in))
	}
	for _, in := range ss.Incidents.Recent {
		d.Recent = append(d.Recent, conv(in))
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("status page: %w", err)
	}
	return buf.Bytes(), nil
}
