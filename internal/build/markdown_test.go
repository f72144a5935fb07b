package build

import (
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
