package fleet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/Molecule-AI/molecule-ci/internal/browsertest"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

type siteFacts struct {
	Repos []struct {
		Name, State, Status string
		Calls, Findings     int
	}
	Banner  string
	Callees int
	browsertest.Overflow
}

const siteFactsJS = `(() => {
  const o = ` + browsertest.OverflowJS + `;
  o.Repos = [...document.querySelectorAll('section.repo')].map(s => ({
    Name: s.querySelector('.name').textContent.trim(),
    State: s.querySelector('.state').textContent.trim(),
    Status: s.dataset.status,
    Calls: s.querySelectorAll('.calls li').length,
    Findings: s.querySelectorAll('ol.findings li').length,
  }));
  o.Banner = document.querySelector('.banner').textContent.trim();
  o.Callees = document.querySelectorAll('table.callees tbody tr').length;
  return o;
})()`

// TestSiteInChromium renders the dashboard of the fixture fleet, with an unreadable repository of
// a long name and error, in headless Chromium at a phone's 390 px and a desktop's 1000 px: every
// repository shows its name, verdict, calls and findings, nothing is wider than the viewport,
// and a screenshot resembles the golden one.
func TestSiteInChromium(t *testing.T) {
	ctx := browsertest.New(t)
	d := runDir(t, fixtureFleet(t), Options{})
	long := strings.Repeat("very-long-repository-name-", 4)
	d.Repos = append(d.Repos, RepoDoc{Name: long, Owner: "Acme", Path: "Acme/" + long, Kind: "none", Findings: []report.JSONFinding{}, Calls: []CallDoc{},
		Error: "cannot be read: GET https://api.github.com/repos/Acme/" + long + "/tarball/" + strings.Repeat("0", 40) + ": 502 Bad Gateway"})
	d.Summarize()
	dir := t.TempDir()
	if err := WriteSite(dir, d, SiteOptions{Title: "Acme CI fleet", Generated: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), Version: "test"}); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int64{390, 1000} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.Join(dir, "index.html")), chromedp.EmulateViewport(width, 1180)); err != nil {
				t.Fatal(err)
			}
			// The findings are shown open, as a reader who expands them sees them.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelectorAll("details").forEach(d => d.open = true), true)`)); err != nil {
				t.Fatal(err)
			}
			facts, err := chromedp.Run(ctx, chromedp.Evaluate[siteFacts](siteFactsJS))
			if err != nil {
				t.Fatal(err)
			}
			if len(facts.Repos) != len(d.Repos) {
				t.Fatalf("%d repositories on the page, want %d", len(facts.Repos), len(d.Repos))
			}
			for i, r := range d.Repos {
				got := facts.Repos[i]
				if got.Name != r.Name || got.Status != r.Status() || got.State != statusWords[r.Status()] || got.Calls != len(r.calledWorkflows()) || got.Findings != len(r.Findings) {
					t.Errorf("repository %d: %+v, want %s %s, %d calls, %d findings", i, got, r.Name, r.Status(), len(r.calledWorkflows()), len(r.Findings))
				}
			}
			if facts.Banner != "2 of 5 repositories failing, 1 not read" || facts.Callees != len(d.Summary.Callees) {
				t.Errorf("banner %q, %d callees", facts.Banner, facts.Callees)
			}
			if facts.ScrollWidth > facts.ClientWidth || len(facts.Overflowing) > 0 {
				t.Errorf("at %d px the page is %d px wide; overflowing: %v", width, facts.ScrollWidth, facts.Overflowing)
			}
			shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			browsertest.CheckScreenshot(t, shot, filepath.Join("testdata", fmt.Sprintf("site-%d.png", width)))
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "fleet.json")); err != nil {
		t.Error(err)
	}
}
