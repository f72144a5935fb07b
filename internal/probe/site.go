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
	Name        string             `json:"name"`
	Slug        string             `json:"slug"`
	Env         string             `json:"env"`
	URL         string             `json:"url"`
	Status      Status             `json:"status"`
	Observed    Status             `json:"observed"`
	Since       time.Time          `json:"since,omitzero"`
	Reason      string             `json:"reason,omitempty"`
	LastChecked time.Time          `json:"last_checked,omitzero"`
	Uptime      map[string]*string `json:"uptime"` // "99.95%", or null when nothing was measured
	LatencyMS   int64              `json:"latency_ms"`
	Points      int                `json:"points"`

	uptime map[string]float64 // NaN when unmeasured
	series []HistoryLine
	days   []dayBar
}

type dayBar struct {
	Date   string
	Uptime float64 // NaN: no data
	Down   int
	Runs   int
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
			Since: s.Since, Reason: s.Reason, LastChecked: now, Uptime: map[string]*string{}, uptime: map[string]float64{}}
		if sst != nil {
			svc.LastChecked = sst.LastChecked
		}
		lines, _ := parseHistory(files[historyPath(s.Slug)])
		if len(lines) == 0 { // stateless: this run is all there is
			lines = []HistoryLine{lineFor(opts.Config, s, now)}
		}
		rollups := parseRollups(files[rollupPath(s.Slug)])
		for _, w := range windows {
			u := uptimeOver(lines, rollups, now, w.Dur)
			svc.uptime[w.Key] = u
			if !math.IsNaN(u) {
				t := pct(u)
				svc.Uptime[w.Key] = &t
			} else {
				svc.Uptime[w.Key] = nil
			}
		}
		for _, l := range lines {
			if now.Sub(l.Timestamp) <= 24*time.Hour {
				svc.series = append(svc.series, l)
			}
		}
		svc.Points = len(svc.series)
		svc.LatencyMS = meanLatency(svc.series)
		svc.days = dayBars(lines, rollups, now, 90)
		if s.Status.rank() > ss.Status.rank() {
			ss.Status = s.Status
		}
		ss.Services = append(ss.Services, svc)

		sum := upptimeSummary{Name: s.Name, URL: s.URL, Slug: s.Slug, Status: s.Status, DailyMinutesDown: map[string]int{}}
		all := uptimeOver(lines, rollups, now, 10*365*24*time.Hour)
		sum.Uptime = pct(orOne(all))
		sum.UptimeDay, sum.UptimeWeek, sum.UptimeMonth = pct(orOne(svc.uptime["day"])), pct(orOne(svc.uptime["week"])), pct(orOne(svc.uptime["month"]))
		sum.UptimeYear = pct(orOne(uptimeOver(lines, rollups, now, 365*24*time.Hour)))
		sum.Time = float64(meanLatency(lines))
		sum.TimeDay = float64(svc.LatencyMS)
		sum.TimeWeek = float64(meanLatency(since(lines, now, 7*24*time.Hour)))
		sum.TimeMonth = float64(meanLatency(since(lines, now, 30*24*time.Hour)))
		sum.TimeYear = sum.Time
		for _, d := range svc.days {
			if d.Down > 0 {
				sum.DailyMinutesDown[d.Date] = d.Down * int(math.Round(interval(lines).Minutes()))
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

// uptimeOver is the share of measured runs in the last d that were up or degraded. Unknown runs
// measured nothing and count neither way. NaN when nothing was measured.
func uptimeOver(lines []HistoryLine, rollups []Rollup, now time.Time, d time.Duration) float64 {
	var good, total float64
	for _, l := range lines {
		if now.Sub(l.Timestamp) > d || l.Status == Unknown {
			continue
		}
		total++
		if l.Status == Up || l.Status == Degraded {
			good++
		}
	}
	from := now.Add(-d).UTC().Format(time.DateOnly)
	for _, r := range rollups {
		if r.Date < from {
			continue
		}
		total += float64(r.Runs - r.Unknown)
		good += float64(r.Up + r.Degraded)
	}
	if total == 0 {
		return math.NaN()
	}
	return good / total
}

func meanLatency(lines []HistoryLine) int64 {
	var sum, n int64
	for _, l := range lines {
		if l.Status == Up || l.Status == Degraded {
			sum += l.LatencyMS
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

func dayBars(lines []HistoryLine, rollups []Rollup, now time.Time, n int) []dayBar {
	type agg struct{ good, total, down int }
	byDate := map[string]*agg{}
	for _, r := range rollups {
		byDate[r.Date] = &agg{good: r.Up + r.Degraded, total: r.Runs - r.Unknown, down: r.Down}
	}
	for _, l := range lines {
		d := l.Timestamp.UTC().Format(time.DateOnly)
		a := byDate[d]
		if a == nil {
			a = &agg{}
			byDate[d] = a
		}
		if l.Status == Unknown {
			continue
		}
		a.total++
		if l.Status == Up || l.Status == Degraded {
			a.good++
		} else {
			a.down++
		}
	}
	out := make([]dayBar, n)
	for i := range n {
		d := now.UTC().AddDate(0, 0, -(n - 1 - i)).Format(time.DateOnly)
		out[i] = dayBar{Date: d, Uptime: math.NaN()}
		if a := byDate[d]; a != nil && a.total > 0 {
			out[i].Uptime = float64(a.good) / float64(a.total)
			out[i].Down, out[i].Runs = a.down, a.total
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
		color := map[Status]string{Up: "brightgreen", Degraded: "yellow", Down: "red", Unknown: "lightgrey"}[s.Status]
		for name, bd := range map[string]badge{
			"status":        {1, s.Name, string(s.Status), color},
			"uptime":        {1, "uptime 30d", derefOr(s.Uptime["month"], "no data"), uptimeColor(s.uptime["month"])},
			"response-time": {1, "response time", fmt.Sprintf("%d ms", s.LatencyMS), "blue"},
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

// chart is an SVG response-time chart of the last 24 hours: a line through the runs that
// answered, a red mark for each run that was down. Plain SVG: no script draws it.
type chart struct {
	W, H         int
	Path         string
	Area         string
	Points       []chartPoint
	Down         []chartPoint
	MaxLabel     string
	GridY        []int
	Start, End   string
	Empty        bool
	AvgMS, P95MS int64
}

type chartPoint struct {
	X, Y  float64
	Title string
}

func makeChart(series []HistoryLine, now time.Time) chart {
	c := chart{W: 600, H: 120, Start: now.Add(-24 * time.Hour).UTC().Format("15:04"), End: now.UTC().Format("15:04")}
	var lat []int64
	for _, l := range series {
		if l.Status != Down && l.Status != Unknown {
			lat = append(lat, l.LatencyMS)
		}
	}
	if len(series) == 0 {
		c.Empty = true
		return c
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
	start := now.Add(-24 * time.Hour)
	x := func(t time.Time) float64 {
		f := float64(t.Sub(start)) / float64(24*time.Hour)
		return math.Round(math.Max(0, math.Min(1, f))*float64(c.W)*10) / 10
	}
	y := func(v int64) float64 {
		return math.Round((float64(c.H)-float64(v)/float64(maxMS)*float64(c.H-8))*10) / 10
	}
	var path strings.Builder
	first := true
	var firstX, lastX float64
	for _, l := range series {
		p := chartPoint{X: x(l.Timestamp), Title: fmt.Sprintf("%s UTC — %s", l.Timestamp.UTC().Format("15:04"), l.Status)}
		if l.Status == Down || l.Status == Unknown {
			p.X = min(p.X, float64(c.W)-2.2) // the band is 2.2 wide: keep it inside the chart
			c.Down = append(c.Down, p)
			continue
		}
		p.Y = y(l.LatencyMS)
		p.Title += fmt.Sprintf(", %d ms", l.LatencyMS)
		c.Points = append(c.Points, p)
		if first {
			fmt.Fprintf(&path, "M%.1f %.1f", p.X, p.Y)
			firstX, first = p.X, false
		} else {
			fmt.Fprintf(&path, " L%.1f %.1f", p.X, p.Y)
		}
		lastX = p.X
	}
	c.Path = path.String()
	if c.Path != "" {
		c.Area = fmt.Sprintf("%s L%.1f %d L%.1f %d Z", c.Path, lastX, c.H, firstX, c.H)
	}
	if len(lat) > 0 {
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

type pageWindow struct{ Label, Value string }

type pageDay struct {
	Class, Title string
}

type pageIncident struct {
	Service, Env, URL, Cause string
	Number                   int
	Opened, Closed, Downtime string
}

type pageData struct {
	Title, Overall, OverallClass string
	Generated, GeneratedISO      string
	MaxAgeSeconds                int64
	StaleBefore                  bool
	Envs                         []pageEnv
	Open, Recent                 []pageIncident
}

type pageEnv struct {
	Name     string
	Services []pageService
}

var statusWords = map[Status]string{Up: "Operational", Degraded: "Degraded", Down: "Outage", Unknown: "Unknown"}

func renderPage(ss *SiteStatus) ([]byte, error) {
	t, err := template.New("site").Funcs(template.FuncMap{
		"word": func(s Status) string { return statusWords[s] },
	}).Parse(siteTemplate)
	if err != nil {
		return nil, err
	}
	d := pageData{Title: ss.Title, Generated: ss.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"),
		GeneratedISO: ss.GeneratedAt.UTC().Format(time.RFC3339), MaxAgeSeconds: ss.Heartbeat.MaxAgeSeconds, StaleBefore: ss.Heartbeat.Stale}
	switch ss.Status {
	case Up:
		d.Overall, d.OverallClass = "All systems operational", "up"
	case Degraded, Unknown:
		d.Overall, d.OverallClass = "Some systems are degraded", "degraded"
	default:
		d.Overall, d.OverallClass = "Some systems are down", "down"
	}
	for _, s := range ss.Services {
		ps := pageService{SiteService: s, Chart: makeChart(s.series, ss.GeneratedAt)}
		for _, w := range windows {
			ps.Windows = append(ps.Windows, pageWindow{w.Label, derefOr(s.Uptime[w.Key], "—")})
		}
		for _, day := range s.days {
			pd := pageDay{Class: "none", Title: day.Date + ": no data"}
			if !math.IsNaN(day.Uptime) {
				pd.Title = fmt.Sprintf("%s: %s up", day.Date, pct(day.Uptime))
				switch {
				case day.Uptime >= 0.999:
					pd.Class = "up"
				case day.Uptime >= 0.95:
					pd.Class = "degraded"
				default:
					pd.Class = "down"
				}
			}
			ps.Days = append(ps.Days, pd)
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
