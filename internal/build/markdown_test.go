package build

import (
	"io"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// TestMarkdownHostile: image names come from the repository's config and reasons from BuildKit;
// in the job summary nothing of them pings, links, embeds or hides.
func TestMarkdownHostile(t *testing.T) {
	res := &Result{Images: []ImageResult{
		{Name: "base @octocat", Status: Built, Refs: []string{"ghcr.io/x/base:[x](https://evil.example)"}, Digest: "sha256:0"},
		{Name: "extra<img src=x>", Status: Failed, Dockerfile: "adapters/[x](y)/Dockerfile", Reason: "RUN failed | see #12 <!-- @Molecule-AI/platform-team `x`"},
	}}
	md := report.Markdown(&report.Report{Summary: res})
	markdowntest.Check(t, md)
	want := []string{"base @octocat", "built", "ghcr.io/x/base:[x](https://evil.example)", "sha256:0", "0", "0", "",
		"extra<img src=x>", "failed", "", "", "0", "0", "at adapters/[x](y)/Dockerfile"}
	got := markdowntest.Elements(md, "td")
	if len(got) != len(want) {
		t.Fatalf("cells %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d shows %q, want %q", i, got[i], want[i])
		}
	}
	// The failure itself is shown whole, below the table, in a block nothing in it can close.
	if blocks := markdowntest.Elements(md, "pre"); len(blocks) != 1 || blocks[0] != "RUN failed | see #12 <!-- @Molecule-AI/platform-team `x`\n" {
		t.Errorf("code blocks %q", blocks)
	}
}

// TestFindingOfSilentFailure: an image that failed with an error of no text is still a finding
// every format can write, not a run that fails to report.
func TestFindingOfSilentFailure(t *testing.T) {
	res := &Result{Images: []ImageResult{{Name: "base", Dockerfile: "Dockerfile", Status: Failed}}}
	rep := &report.Report{Findings: res.Findings(), Summary: res}
	for _, format := range report.Formats() {
		if err := report.Write(io.Discard, format, rep, report.Options{}); err != nil {
			t.Errorf("%s: %v", format, err)
		}
	}
	if fs := res.Findings(); len(fs) != 1 || fs[0].Message != "image base failed" {
		t.Errorf("findings %+v", fs)
	}
}
