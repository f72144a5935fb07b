package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/logsafe"
)

// fleetProgress shows a fleet run as it goes, on stderr: on a terminal one live line (done /
// total, the slowest repository still running, the API budget left), redrawn in place; in a CI
// log one plain line per repository as it finishes, which stays readable when the log is read
// later (a live line would be thousands of lines there).
type fleetProgress struct {
	mu     sync.Mutex
	w      io.Writer
	live   bool
	drawn  bool
	start  time.Time
	last   time.Time
	total  int
	budget func() (github.Budget, bool)
}

// redrawEvery bounds how often the live line is redrawn.
const redrawEvery = 100 * time.Millisecond

func newFleetProgress(w io.Writer, live bool, budget func() (github.Budget, bool)) *fleetProgress {
	return &fleetProgress{w: w, live: live, start: time.Now(), budget: budget}
}

func (p *fleetProgress) event(ev fleet.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = ev.Total
	if !p.live {
		if ev.Finished {
			fmt.Fprintf(p.w, "fleet: [%d/%d] %s: %s (%s)\n", ev.Done, ev.Total, logsafe.Line(ev.Repo.Path), verdict(ev.Result), ev.Result.Duration.Round(time.Millisecond))
		}
		return
	}
	now := time.Now()
	if now.Sub(p.last) < redrawEvery && ev.Done < ev.Total {
		return
	}
	p.last = now
	line := fmt.Sprintf("fleet: %d/%d done", ev.Done, ev.Total)
	if len(ev.Running) > 0 {
		slow := ev.Running[0]
		line += fmt.Sprintf(" · slowest: %s (%s)", logsafe.Line(cutText(slow.Repo.Path, 40)), now.Sub(slow.Since).Round(time.Second))
	}
	line += p.budgetText()
	p.draw(line)
}

func (p *fleetProgress) budgetText() string {
	if p.budget == nil {
		return ""
	}
	b, ok := p.budget()
	if !ok {
		return ""
	}
	s := fmt.Sprintf(" · API budget %d/%d", b.Remaining, b.Limit)
	if b.Remaining == 0 && !b.Reset.IsZero() {
		s += " until " + b.Reset.UTC().Format("15:04:05") + " UTC"
	}
	return s
}

// draw replaces the live line: up one line and erase it, then the new line (logsafe lets these
// cursor sequences through on a terminal only, and writes whole lines).
func (p *fleetProgress) draw(line string) {
	if p.drawn {
		io.WriteString(p.w, "\x1b[1A\x1b[2K")
	}
	io.WriteString(p.w, line+"\n")
	p.drawn = true
}

// finish replaces the live line with the run's last word; a log has had its lines already.
func (p *fleetProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.drawn {
		p.draw(fmt.Sprintf("fleet: %d repositories in %s%s", p.total, time.Since(p.start).Round(100*time.Millisecond), p.budgetText()))
	}
}

// verdict is one finished repository in a few words.
func verdict(r *fleet.RepoResult) string {
	switch {
	case r == nil:
		return "?"
	case r.Error != "":
		return logsafe.Line(cutText(r.Error, 500))
	case r.Skipped != "":
		return "skipped: " + logsafe.Line(r.Skipped)
	}
	e, w, i := r.Counts()
	if e+w+i == 0 {
		return "clean"
	}
	var parts []string
	for _, c := range []struct {
		n         int
		one, many string
	}{{e, "error", "errors"}, {w, "warning", "warnings"}, {i, "info", "info"}} {
		if c.n > 0 {
			parts = append(parts, plural(c.n, c.one, c.many))
		}
	}
	return strings.Join(parts, ", ")
}

func cutText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
