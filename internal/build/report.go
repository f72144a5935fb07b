package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

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

// Findings are the failed images as findings at their Dockerfile line, BuildKit's text verbatim.
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
			f.Help = "output: " + lastLines(se.Output, 5)
		case errors.As(i.Err, &ie):
			f.Line = ie.Line
			f.Message = fmt.Sprintf("image %s: %v", i.Name, ie.Err)
		}
		fs = append(fs, f)
	}
	return report.Sort(fs)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Markdown is the job summary table: one row per image.
func (r *Result) Markdown() string {
	var b strings.Builder
	b.WriteString("| Image | Status | Refs | Digest | Steps run | Cached | Note |\n|---|---|---|---|---|---|---|\n")
	for _, i := range r.Images {
		note := strings.ReplaceAll(i.Reason, "\n", " ")
		if len(note) > 200 {
			note = note[:200] + "…"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %s |\n", i.Name, i.Status,
			strings.Join(i.Refs, "<br>"), i.Digest, len(i.Executed), i.Cached, strings.ReplaceAll(note, "|", "\\|"))
	}
	return b.String()
}
