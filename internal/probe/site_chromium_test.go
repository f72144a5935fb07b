package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/Molecule-AI/molecule-ci/internal/browsertest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// pageFacts is what the browser reports about the rendered page.
type pageFacts struct {
	Services []struct {
		Name, State, Slug string
		Points, Downs     int
		Right             float64
	}
	// Components is the list at the top, one line each.
	Components []struct {
		Name, State   string
		Height, Lines float64
	}
	ScrollWidth, ClientWidth int
	Overflowing              []string
	Banner                   string
	Incidents                int
	Stale                    bool
	// The vertical order of the page: the banner, the active incidents, the components, the
	// first card.
	BannerBottom, ActiveTop, ComponentsTop, FirstCardTop float64
	Legend                                               string
}

const factsJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5)) over.push(el.tagName + '.' + (typeof el.className === 'string' ? el.className : el.className.baseVal));
  }
  return {
    Services: [...document.querySelectorAll('section.service')].map(s => ({
      Name: s.querySelector('.name').textContent.trim(),
      State: s.querySelector('.state').textContent.trim(),
      Slug: s.dataset.slug,
      Points: s.querySelectorAll('svg.chart .pt').length,
      Downs: s.querySelectorAll('svg.chart rect.dn').length,
      Right: s.getBoundingClientRect().right,
    })),
    ScrollWidth: document.documentElement.scrollWidth,
    ClientWidth: vw,
    Overflowing: over.slice(0, 10),
    Components: [...document.querySelectorAll('li.component')].map(li => {
      const r = li.getBoundingClientRect(), lh = parseFloat(getComputedStyle(li).lineHeight);
      return {Name: li.querySelector('a').textContent.trim(), State: li.querySelector('.word').textContent.trim(),
        Height: r.height, Lines: Math.round((r.height - 14) / lh * 10) / 10};
    }),
    Banner: document.querySelector('.banner').textContent.trim(),
    Incidents: document.querySelectorAll('.inc').length,
    Stale: document.getElementById('stale').classList.contains('show'),
    BannerBottom: document.querySelector('.banner').getBoundingClientRect().bottom,
    ActiveTop: (document.getElementById('active') || {getBoundingClientRect: () => ({top: -1})}).getBoundingClientRect().top,
    ComponentsTop: document.querySelector('ul.components').getBoundingClientRect().top,
    FirstCardTop: document.querySelector('section.service').getBoundingClientRect().top,
    Legend: [...document.querySelectorAll('.legend span')].map(s => s.textContent.trim()).join(', '),
  };
})()`

// checkLayout states what every status page shows, whatever its services: the active incidents
// (when any) right under the banner, then the components one line each, the legend of the day
// bars, then the cards; nothing wider than the viewport.
func checkLayout(t *testing.T, facts pageFacts, width int64, services []SiteService) {
	t.Helper()
	if facts.ScrollWidth > facts.ClientWidth || len(facts.Overflowing) > 0 {
		t.Errorf("at %d px the page is %d px wide; overflowing: %v", width, facts.ScrollWidth, facts.Overflowing)
	}
	if len(facts.Components) != len(services) {
		t.Fatalf("%d components listed, want %d", len(facts.Components), len(services))
	}
	for i, s := range services {
		c := facts.Components[i]
		if c.Name != s.Name || c.State != statusWords[s.Status] || c.Lines >= 1.5 {
			t.Errorf("component %d: %q %q on %.1f lines, want %q %q on one", i, c.Name, c.State, c.Lines, s.Name, statusWords[s.Status])
		}
	}
	top := facts.ComponentsTop
	if facts.ActiveTop >= 0 {
		top = facts.ActiveTop
		if facts.ActiveTop > facts.ComponentsTop {
			t.Errorf("the active incidents (%.0f px) come after the components (%.0f px)", facts.ActiveTop, facts.ComponentsTop)
		}
	}
	if gap := top - facts.BannerBottom; gap < 0 || gap > 80 {
		t.Errorf("%.0f px between the banner and what follows it", gap)
	}
	if facts.FirstCardTop < facts.ComponentsTop {
		t.Errorf("a card (%.0f px) comes before the components (%.0f px)", facts.FirstCardTop, facts.ComponentsTop)
	}
	if facts.Legend != "up, degraded or partly down, down, no data" {
		t.Errorf("legend %q", facts.Legend)
	}
}

// TestStatusPageInChromium renders the status page in headless Chromium at a phone's 390 px and
// a desktop's 1000 px (1180 px tall): every service shows its name and state, every chart has data points,
// nothing is wider than the viewport, and a screenshot resembles the golden one (loosely: a
// coarse grid of mean colours, so font differences between machines do not matter).
func TestStatusPageInChromium(t *testing.T) {
	ctx := browsertest.New(t)
	dir := t.TempDir()
	// Generated now, as the workflow does, so the page's heartbeat script sees a fresh page (the
	// golden files of TestSiteGolden use a fixed time instead).
	ss := fixtureSiteAt(t, dir, time.Now().UTC().Truncate(time.Minute))
	url := "file://" + filepath.Join(dir, "index.html")
	for _, width := range []int64{390, 1000} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			// Navigate waits for the load event; the viewport applies to the page it loaded.
			err := chromedp.Do(ctx,
				chromedp.Navigate(url),
				chromedp.EmulateViewport(width, 1180),
			)
			if err != nil {
				t.Fatal(err)
			}
			facts, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](factsJS))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()) // the first screen
			if err != nil {
				t.Fatal(err)
			}
			if len(facts.Services) != len(ss.Services) {
				t.Fatalf("%d services on the page, want %d", len(facts.Services), len(ss.Services))
			}
			for i, s := range ss.Services {
				got := facts.Services[i]
				if got.Name != s.Name || got.State != statusWords[s.Status] || got.Slug != s.Slug {
					t.Errorf("service %d: %q %q (%s), want %q %q (%s)", i, got.Name, got.State, got.Slug, s.Name, statusWords[s.Status], s.Slug)
				}
				if got.Points+got.Downs != s.Points || got.Points == 0 {
					t.Errorf("%s: chart has %d points and %d down marks, want %d runs", s.Slug, got.Points, got.Downs, s.Points)
				}
			}
			if facts.Services[4].Downs != 8 { // the control plane: down for the last 40 minutes
				t.Errorf("control plane chart shows %d down runs, want 8", facts.Services[4].Downs)
			}
			checkLayout(t, facts, width, ss.Services)
			if facts.ActiveTop < 0 {
				t.Error("no active incidents section: the control plane's incident is open")
			}
			if facts.Banner != "Some systems are down" || facts.Incidents != 2 {
				t.Errorf("banner %q, %d incidents", facts.Banner, facts.Incidents)
			}
			if facts.Stale {
				t.Errorf("a page generated at %s, viewed at %s, warns that it is stale", ss.GeneratedAt, time.Now().UTC())
			}
			checkScreenshot(t, shot, filepath.Join("testdata", "site", fmt.Sprintf("screenshot-%d.png", width)))
		})
	}
}

// TestFirstRunPageInChromium is the first day of a new user, in the browser at 390 and 1000 px:
// six services, three failing on the first run. The banner does not say operational, the three
// failing services say so in the list and on their cards, there is no incident yet, and each
// chart shows its one run.
func TestFirstRunPageInChromium(t *testing.T) {
	ctx := browsertest.New(t)
	dir := t.TempDir()
	firstRun(t, dir, time.Now().UTC().Truncate(time.Minute))
	var ss SiteStatus
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "site/api/v1/status.json")), &ss); err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.Join(dir, "site", "index.html")
	for _, width := range []int64{390, 1000} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.EmulateViewport(width, 1180)); err != nil {
				t.Fatal(err)
			}
			facts, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](factsJS))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, facts, width, ss.Services)
			if facts.Banner != "Some systems are failing — confirming" || facts.Incidents != 0 || facts.ActiveTop >= 0 || facts.Stale {
				t.Errorf("banner %q, %d incidents (active section at %.0f), stale %v", facts.Banner, facts.Incidents, facts.ActiveTop, facts.Stale)
			}
			var states []string
			for i, s := range facts.Services {
				states = append(states, s.State)
				if want := map[bool]int{true: 1, false: 0}[s.State == "Operational"]; s.Points != want || s.Downs != 1-want {
					t.Errorf("service %d: %d points and %d down bands, want its one run", i, s.Points, s.Downs)
				}
			}
			want := "Operational,Operational,Failing · confirming,Operational,Failing · confirming,Failing · confirming"
			if strings.Join(states, ",") != want {
				t.Errorf("states %s, want %s", strings.Join(states, ","), want)
			}
			checkScreenshot(t, shot, filepath.Join("testdata", "site", fmt.Sprintf("first-run-%d.png", width)))
		})
	}
}

// TestStatusPageStaleInChromium: a page whose last check is older than heartbeat-max-age tells
// the reader so, in the browser, even though nothing regenerated it.
func TestStatusPageStaleInChromium(t *testing.T) {
	ctx := browsertest.New(t)
	dir := t.TempDir()
	fixtureSiteAt(t, dir, time.Now().UTC().Add(-2*time.Hour))
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.Join(dir, "index.html"))); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('stale').className + ': ' + document.getElementById('stale').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	// 120 or 121 minutes: the fixture's time is truncated to the minute.
	if want := regexp.MustCompile(`^stale show: These results are stale: the last check ran 12[01] minutes ago\. The monitor itself may have stopped\.$`); !want.MatchString(text) {
		t.Errorf("got %q, want a match of %s", text, want)
	}
}

// checkScreenshot compares a screenshot with the golden one (browsertest.CheckScreenshot); with
// -update it also writes the README's image from the 1000 px one.
func checkScreenshot(t *testing.T, got []byte, path string) {
	t.Helper()
	browsertest.CheckScreenshot(t, got, path)
	if golden.Update() && strings.HasSuffix(path, "-1000.png") {
		writeReadmeShot(t, got)
	}
}

// readmeShot is the README's picture of the status page: the desktop screenshot, recompressed.
const readmeShot = "../../testdata/probe/status-page.png"

func writeReadmeShot(t *testing.T, full []byte) {
	img, err := png.Decode(bytes.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(readmeShot, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
