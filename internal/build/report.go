package build

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// MetadataImage is one image in the metadata file.
type MetadataImage struct {
	Ref      string   `json:"ref"`
	Status   Status   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Refs     []string `json:"refs"`
	Digest   string   `json:"digest,omitempty"`
	Pushed   bool     `json:"pushed"`
	Executed []string `json:"executed"`
	Cached   int      `json:"cached"`
}

// Metadata is the JSON metadata file: per image name, its refs and digest.
func (r *Result) Metadata() ([]byte, error) {
	dt, err := json.MarshalIndent(map[string]any{"images": r.metadataImages()}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(dt, '\n'), nil
}

// metadataImages is the metadata of each image, by name.
func (r *Result) metadataImages() map[string]MetadataImage {
	m := map[string]MetadataImage{}
	for _, i := range r.Images {
		m[i.Name] = MetadataImage{
			Ref: i.Ref, Status: i.Status, Reason: i.Reason, Refs: nonNil(i.Refs), Digest: i.Digest,
			Pushed: i.Pushed, Executed: nonNil(i.Executed), Cached: i.Cached,
		}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteMetadata writes Metadata to path.
func (r *Result) WriteMetadata(path string) error {
	dt, err := r.Metadata()
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if err := os.WriteFile(path, dt, 0o644); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	return nil
}

// StepOutputs are the GitHub Actions step outputs: "<name>-digest" and "<name>-refs" (comma
// separated) per exported image, "built", "failed" and "skipped" (comma-separated names) and
// "metadata" (the metadata JSON).
func (r *Result) StepOutputs() (map[string]string, error) {
	out := map[string]string{}
	by := map[Status][]string{}
	for _, i := range r.Images {
		by[i.Status] = append(by[i.Status], i.Name)
		if i.Status == Built {
			out[i.Name+"-digest"] = i.Digest
			out[i.Name+"-refs"] = strings.Join(i.Refs, ",")
		}
	}
	out["built"] = strings.Join(by[Built], ",")
	out["failed"] = strings.Join(by[Failed], ",")
	out["skipped"] = strings.Join(append(by[Skipped], by[Cancelled]...), ",")
	md, err := r.Metadata()
	if err != nil {
		return nil, err
	}
	out["metadata"] = strings.TrimSpace(string(md))
	return out, nil
}

// Findings are the failed images as findings at their Dockerfile line: BuildKit's text verbatim,
// followed by the last lines of what the failing step printed (see OutputTail), so that the
// annotation says why, not only "exit code: 1".
func (r *Result) Findings() []report.Finding {
	var fs []report.Finding
	for _, i := range r.Images {
		for _, n := range i.Notes {
			fs = append(fs, report.Finding{Path: i.Dockerfile, Severity: report.Warning, Rule: "smoke-skipped", Message: "image " + i.Name + ": " + n})
		}
		if i.Status != Failed {
			continue
		}
		// A daemon's error with no text still fails the image: every format refuses an empty message.
		f := report.Finding{Path: i.Dockerfile, Severity: report.Error, Rule: "build-failed", Message: cmp.Or(i.Reason, "image "+i.Name+" failed")}
		var ie *ImageError
		var se *SmokeError
		switch {
		case errors.As(i.Err, &se):
			f.Rule = "smoke-failed"
			f.Message = fmt.Sprintf("image %s: smoke check %q failed: %v", i.Name, se.Command, se.Err)
		case errors.As(i.Err, &ie):
			f.Line = ie.Line
			f.Message = fmt.Sprintf("image %s: %v%s", i.Name, ie.Err, ie.hint())
		}
		if tail := i.OutputTail(); tail != "" {
			f.Message += "\n" + tailHeading + "\n" + tail
		}
		fs = append(fs, f)
	}
	return report.Sort(fs)
}

// Bounds of the output quoted with a failure: the end of a step's log is where its error is, and
// an annotation or a summary is read, not scrolled.
const (
	tailLines    = 20
	tailLineSize = 300
	tailHeading  = "output (last lines):"
)

// OutputTail is the end of what the failed image's failing step (or smoke check) printed: its
// last lines, each cut to a few hundred bytes, with the run's secrets already masked. "" when the
// image did not fail in a step that printed something.
func (i *ImageResult) OutputTail() string {
	var ie *ImageError
	var se *SmokeError
	out := ""
	switch {
	case errors.As(i.Err, &se):
		out = se.Output
	case errors.As(i.Err, &ie):
		out = ie.Output
	}
	out = strings.TrimRight(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	if strings.TrimSpace(out) == "" {
		return ""
	}
	lines := strings.Split(out, "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	for j, l := range lines {
		if len(l) > tailLineSize {
			cut := tailLineSize
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			lines[j] = l[:cut] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

// FailedAt says where a failed image failed, for a table cell: its Dockerfile line, or the smoke
// check; the error itself is said once, below the table or in the annotation.
func (i *ImageResult) FailedAt() string {
	var ie *ImageError
	var se *SmokeError
	switch {
	case errors.As(i.Err, &se):
		return fmt.Sprintf("smoke check %q", se.Command)
	case errors.As(i.Err, &ie) && ie.Line > 0:
		return fmt.Sprintf("at %s:%d", ie.Dockerfile, ie.Line)
	}
	return "at " + i.Dockerfile
}

// JSON lists the members of the --format json document before the findings: "images", the
// metadata of each image by name, as in the metadata file.
func (r *Result) JSON() []report.Member {
	return []report.Member{{Name: "images", Value: r.metadataImages(), Layout: report.Indented}}
}

var statusTones = map[Status]report.Tone{Built: report.Good, Failed: report.Bad, Skipped: report.Doubtful, Cancelled: report.Doubtful}

// Text is the table for a terminal or a log: one row per image in build order, then for each
// failed image BuildKit's error in full and the end of what the failing step printed, then a
// count. A failed image's row says where it failed; its error is said once, below. It says
// everything the failure findings do, so the human format lists none after it.
func (r *Result) Text() report.Doc { return r.text(true) }

// Table is the result whose text leaves out the failures' details: for a log in which the
// annotations (the github format) already say each error with its output.
func (r *Result) Table() report.Summary { return table{r} }

type table struct{ *Result }

func (t table) Text() report.Doc { return t.text(false) }

func (r *Result) text(details bool) report.Doc {
	t := report.Table{KeepTrailingSpace: true, Columns: []report.Column{{Name: "IMAGE"}, {Name: "STATUS"}, {Name: "DIGEST"}, {Name: "REFS"}, {Name: "REASON"}}}
	counts := map[Status]int{}
	for _, im := range r.Images {
		counts[im.Status]++
		reason := report.Text(firstLine(im.Reason))
		switch im.Status {
		case Built:
			reason = report.Markup(fmt.Sprintf("%s run, %d cached", plural(len(im.Executed), "step", "steps"), im.Cached))
		case Failed:
			reason = report.Text(im.FailedAt())
		}
		t.Rows = append(t.Rows, []report.Inline{report.Line(report.Text(im.Name)), report.Line(report.Verdict(string(im.Status), statusTones[im.Status])),
			report.Line(report.Text(cmp.Or(im.Digest, "-"))), report.Line(report.Text(cmp.Or(strings.Join(im.Refs, ","), "-"))), report.Line(reason)})
	}
	d := report.Doc{Blocks: []report.Block{t}, Complete: true}
	for _, im := range r.Images {
		if im.Status != Failed || !details {
			continue
		}
		lines := report.Lines{report.Line(), report.Line(report.Text(im.Name), report.Markup(" failed:"))}
		lines = append(lines, indented("  ", im.Reason)...)
		if out := im.OutputTail(); out != "" {
			lines = append(lines, report.Line(report.Markup("  "+tailHeading)))
			lines = append(lines, indented("    ", out)...)
		}
		d.Blocks = append(d.Blocks, lines)
	}
	var parts []string
	for _, st := range []Status{Built, Failed, Skipped, Cancelled} {
		if counts[st] > 0 || st == Built {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	d.Blocks = append(d.Blocks, report.Lines{report.Line(), report.Line(report.Markup(strings.Join(parts, ", ")))})
	return d
}

// indented is each line of text, as data, after prefix.
func indented(prefix, text string) report.Lines {
	var lines report.Lines
	for _, l := range strings.Split(text, "\n") {
		lines = append(lines, report.Line(report.Markup(prefix), report.Text(l)))
	}
	return lines
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Markdown is the job summary: one row per image, then for each failed image its error and the
// end of its failing step's output in a code block (the error names the image).
func (r *Result) Markdown() report.Doc {
	t := report.Table{Columns: []report.Column{{Name: "Image"}, {Name: "Status"}, {Name: "Refs"}, {Name: "Digest"}, {Name: "Steps run"}, {Name: "Cached"}, {Name: "Note"}}}
	for _, i := range r.Images {
		note := i.Reason
		if i.Status == Failed {
			note = i.FailedAt()
		}
		t.Rows = append(t.Rows, []report.Inline{report.Line(report.Text(i.Name)), report.Line(report.Markup(string(i.Status))),
			report.Line(report.Text(strings.Join(i.Refs, "\n"))), report.Line(report.Text(i.Digest)), report.Line(report.Markup(strconv.Itoa(len(i.Executed)))),
			report.Line(report.Markup(strconv.Itoa(i.Cached))), report.Line(report.Text(truncate(note, 200)))})
	}
	d := report.Doc{Blocks: []report.Block{report.Heading{Level: 2, Text: report.Line(report.Markup("molecule-ci build"))}, t}}
	for _, i := range r.Images {
		if i.Status != Failed {
			continue
		}
		text := i.Reason
		if tail := i.OutputTail(); tail != "" {
			text += "\n\n" + tailHeading + "\n" + tail
		}
		d.Blocks = append(d.Blocks, report.CodeBlock{Text: text})
	}
	return d
}

// truncate cuts s to at most n bytes at a character boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
