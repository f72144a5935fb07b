package build

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
)

// ProgressModes are the accepted values of Options.ProgressMode.
var ProgressModes = []string{"auto", "tty", "plain", "rawjson", "quiet"}

// display merges the status streams of every image into one BuildKit progress display.
type display struct {
	ch   chan *client.SolveStatus
	done chan struct{}
	err  error
}

func newDisplay(ctx context.Context, w io.Writer, mode string) (*display, error) {
	if w == nil {
		w = io.Discard
		mode = "quiet"
	}
	if !slices.Contains(ProgressModes, mode) {
		return nil, fmt.Errorf("unknown progress mode %q (valid: %s)", mode, strings.Join(ProgressModes, ", "))
	}
	d, err := progressui.NewDisplay(w, progressui.DisplayMode(mode))
	if err != nil {
		return nil, fmt.Errorf("progress %s: %w", mode, err)
	}
	out := &display{ch: make(chan *client.SolveStatus, 64), done: make(chan struct{})}
	go func() {
		defer close(out.done)
		// The display must drain the channel even after ctx ends, or image goroutines block.
		_, out.err = d.UpdateFrom(context.WithoutCancel(ctx), out.ch)
		for range out.ch {
		}
	}()
	return out, nil
}

func (d *display) close() {
	close(d.ch)
	<-d.done
}

// stepName matches the vertices that are Dockerfile steps ("[2/4] RUN ...", "[base 3/5] COPY
// ...") and smoke checks, as opposed to BuildKit's own bookkeeping (loading the context,
// exporting, pushing).
var stepName = regexp.MustCompile(`^\[(?:[^\]\s]+ )?\d+/\d+\] |^\[smoke\] `)

// tracker follows one image's status stream: it prefixes every vertex with the image name so
// lines are attributable in the merged display, counts which steps ran and which came from the
// cache, and keeps the tail of each step's output for error messages.
type tracker struct {
	image string
	mu    sync.Mutex
	steps map[digest.Digest]*stepState
	order []digest.Digest
}

type stepState struct {
	name      string
	executed  bool
	cached    bool
	completed bool
	err       string
	log       []byte
}

const maxStepLog = 32 << 10

func newTracker(image string) *tracker {
	return &tracker{image: image, steps: map[digest.Digest]*stepState{}}
}

// forward copies in to out, rewriting names and digests; it returns when in is closed.
func (t *tracker) forward(in <-chan *client.SolveStatus, out chan<- *client.SolveStatus) {
	prefix := "[" + t.image + "] "
	rd := func(d digest.Digest) digest.Digest {
		if d == "" {
			return d
		}
		return digest.FromString(t.image + "/" + d.String())
	}
	for s := range in {
		t.record(s)
		c := &client.SolveStatus{}
		for _, v := range s.Vertexes {
			nv := *v
			nv.Digest = rd(v.Digest)
			nv.Inputs = nil
			for _, in := range v.Inputs {
				nv.Inputs = append(nv.Inputs, rd(in))
			}
			nv.Name = prefix + v.Name
			c.Vertexes = append(c.Vertexes, &nv)
		}
		for _, st := range s.Statuses {
			ns := *st
			ns.Vertex = rd(st.Vertex)
			c.Statuses = append(c.Statuses, &ns)
		}
		for _, l := range s.Logs {
			nl := *l
			nl.Vertex = rd(l.Vertex)
			c.Logs = append(c.Logs, &nl)
		}
		for _, w := range s.Warnings {
			nw := *w
			nw.Vertex = rd(w.Vertex)
			c.Warnings = append(c.Warnings, &nw)
		}
		if out != nil {
			out <- c
		}
	}
}

func (t *tracker) record(s *client.SolveStatus) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, v := range s.Vertexes {
		st, ok := t.steps[v.Digest]
		if !ok {
			st = &stepState{name: v.Name}
			t.steps[v.Digest] = st
			t.order = append(t.order, v.Digest)
		}
		if v.Cached {
			st.cached = true
		}
		if v.Error != "" {
			st.err = v.Error
		}
		if v.Completed != nil {
			st.completed = true
		}
		if v.Started != nil && !v.Cached {
			st.executed = true
		}
	}
	for _, l := range s.Logs {
		st, ok := t.steps[l.Vertex]
		if !ok {
			continue
		}
		st.log = append(st.log, l.Data...)
		if len(st.log) > maxStepLog {
			st.log = st.log[len(st.log)-maxStepLog:]
		}
	}
}

// executed returns the Dockerfile steps and smoke checks BuildKit ran (not from the cache),
// leaving out steps whose digest is in skip (the same steps of a base image, which show up again
// in its dependants' streams), and how many steps were served from the cache.
func (t *tracker) executed(skip map[digest.Digest]bool) (ran []string, cached int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range t.order {
		st := t.steps[d]
		if !stepName.MatchString(st.name) || skip[d] {
			continue
		}
		switch {
		case st.cached:
			cached++
		case st.executed && st.completed && st.err == "":
			ran = append(ran, st.name)
		}
	}
	slices.Sort(ran) // arrival order varies between runs; "[n/m]" names sort into step order
	return ran, cached
}

// digests returns every vertex digest seen, for the dependants' skip sets.
func (t *tracker) digests() []digest.Digest {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.order)
}

// failedOutput returns the name and output tail of the step that failed, if one did.
func (t *tracker) failedOutput() (name, out string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range t.order {
		if st := t.steps[d]; st.err != "" && !strings.Contains(st.err, "context canceled") {
			return st.name, string(st.log)
		}
	}
	return "", ""
}

// outputOf returns the output of the step whose name ends with name (the progress names carry
// the image's prefix): a smoke step stopped by cancellation is not a "failed" step above.
func (t *tracker) outputOf(name string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range t.order {
		if st := t.steps[d]; strings.HasSuffix(st.name, name) {
			return string(st.log), true
		}
	}
	return "", false
}
