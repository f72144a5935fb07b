// Package browsertest runs pages in headless Chromium for the tests of the static pages the tool
// writes (the fleet dashboard; next, the status page): a browser context, and a screenshot
// compared loosely with a golden one so that font differences between machines do not matter.
// Only tests import it.
package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// ChromiumPath is Debian's chromium; tests skip (fail in CI), saying why, when it is not installed.
const ChromiumPath = "/usr/bin/chromium"

// New starts headless Chromium for the test and returns its context (bounded to a minute).
func New(t testing.TB) context.Context {
	t.Helper()
	if _, err := exec.LookPath(ChromiumPath); err != nil {
		testenv.Missing(t, "no %s (%v): install Debian's chromium to run the browser tests", ChromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// OverflowJS lists the elements wider than the viewport: a page that scrolls sideways on a
// phone fails.
const OverflowJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const over = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5)) over.push(el.tagName + '.' + (typeof el.className === 'string' ? el.className : el.className.baseVal));
  }
  return {Overflowing: over.slice(0, 10), ScrollWidth: document.documentElement.scrollWidth, ClientWidth: vw};
})()`

// Overflow is what OverflowJS reports.
type Overflow struct {
	Overflowing              []string
	ScrollWidth, ClientWidth int
}

// CheckScreenshot compares a screenshot with the golden one at path over a grid of 24 px cells:
// the mean colour of each cell may differ by 40 (of 255) per channel in at most 4% of the cells,
// and the heights by 15%. With -update it writes the screenshot.
func CheckScreenshot(t testing.TB, got []byte, path string) {
	t.Helper()
	if golden.Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantB, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	gi, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	wi, err := png.Decode(bytes.NewReader(wantB))
	if err != nil {
		t.Fatal(err)
	}
	gb, wb := gi.Bounds(), wi.Bounds()
	if gb.Dx() != wb.Dx() || math.Abs(float64(gb.Dy()-wb.Dy())) > 0.15*float64(wb.Dy()) {
		t.Fatalf("screenshot is %v, golden %v", gb.Size(), wb.Size())
	}
	const cell = 24
	h := min(gb.Dy(), wb.Dy())
	cells, bad := 0, 0
	for y := 0; y+cell <= h; y += cell {
		for x := 0; x+cell <= gb.Dx(); x += cell {
			cells++
			a, b := meanColor(gi, x, y, cell), meanColor(wi, x, y, cell)
			for c := range 3 {
				if math.Abs(a[c]-b[c]) > 40 {
					bad++
					break
				}
			}
		}
	}
	if frac := float64(bad) / float64(cells); frac > 0.04 {
		out := filepath.Join(t.TempDir(), filepath.Base(path))
		os.WriteFile(out, got, 0o644)
		t.Errorf("%.1f%% of the screenshot's cells differ from %s (wrote %s)", frac*100, path, out)
	}
}

func meanColor(img image.Image, x0, y0, n int) [3]float64 {
	var s [3]float64
	b := img.Bounds()
	for y := y0; y < y0+n; y++ {
		for x := x0; x < x0+n; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			s[0] += float64(r >> 8)
			s[1] += float64(g >> 8)
			s[2] += float64(bl >> 8)
		}
	}
	for i := range s {
		s[i] /= float64(n * n)
	}
	return s
}
