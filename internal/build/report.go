package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
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
	m := map[string]MetadataImage{}
	for _, i := range r.Images {
		m[i.Name] = MetadataImage{
			Ref: i.Ref, Status: i.Status, Reason: i.Reason, Refs: nonNil(i.Refs), Digest: i.Digest,
			Pushed: i.Pushed, Executed: nonNil(i.Executed), Cached: i.Cached,
		}
	}
	dt, err := json.MarshalIndent(map[string]any{"images": m}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(dt, '\n'), nil
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
		f := report.Finding{Path: i.Dockerfile, Severity: report.Error, Rule: "build-failed", Message: i.Reason}
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

// Markdown is the job summary: one row per image, then for each failed image its error and the
// end of its failing step's output. Names, refs and output come from the repository and BuildKit:
// cells are escaped, and the details are in code blocks whose fence no backtick run inside can
// close.
func (r *Result) Markdown() string {
	var b strings.Builder
	b.WriteString("| Image | Status | Refs | Digest | Steps run | Cached | Note |\n|---|---|---|---|---|---|---|\n")
	for _, i := range r.Images {
		note := i.Reason
		if i.Status == Failed {
			note = i.FailedAt()
		}
		refs := make([]string, len(i.Refs))
		for j, ref := range i.Refs {
			refs[j] = report.MarkdownCell(ref)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %s |\n", report.MarkdownCell(i.Name), i.Status,
			strings.Join(refs, "<br>"), report.MarkdownCell(i.Digest), len(i.Executed), i.Cached, report.MarkdownCell(truncate(note, 200)))
	}
	for _, i := range r.Images {
		if i.Status != Failed {
			continue
		}
		text := i.Reason
		if tail := i.OutputTail(); tail != "" {
			text += "\n\n" + tailHeading + "\n" + tail
		}
		// The error names the image; a heading outside the block would be Markdown to escape.
		fmt.Fprintf(&b, "\n%s\n", codeBlock(text))
	}
	return b.String()
}

// codeBlock fences text so that nothing in it is read as Markdown: the fence is longer than any
// run of backticks inside, and control characters other than newline and tab are dropped.
func codeBlock(text string) string {
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, text)
	longest, run := 0, 0
	for _, c := range text {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + text + "\n" + fence
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
