package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
)

// templateLayout is a base and one adapter that says `FROM workspace-template:base`, as the
// organisation's adapters do, in a checkout whose directory is named after its repository, not
// "workspace-template". extra files are laid over it.
func templateLayout(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "molecule-ai-workspace-template-demo")
	files := map[string]string{
		".git/HEAD":                  "ref: refs/heads/main\n",
		"Dockerfile":                 "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\nRUN echo from-the-base > /base-marker\n",
		"adapters/demo/Dockerfile":   "FROM workspace-template:base\nRUN cat /base-marker\n",
		"adapters/demo/requirements": "x\n",
	}
	for p, c := range extra {
		files[p] = c
	}
	withBusybox(t, dir, files)
	return dir
}

// TestBuildWorkspaceTemplateBaseName: in a workspace template (config.yaml beside the
// Dockerfile, as the contract recognises one) the convention's base is workspace-template:base,
// so an adapter's `FROM workspace-template:base` builds on the base just built, against the real
// daemon, with no registry.
func TestBuildWorkspaceTemplateBaseName(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := templateLayout(t, map[string]string{"config.yaml": "name: demo\nruntime: demo\n"})
	code, stdout, stderr := runIn(t, dir, map[string]string{"BUILDKIT_HOST": addr}, "build", "--progress", "plain")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for name, ref := range map[string]string{"base": "workspace-template:base", "demo": "workspace-template:demo"} {
		if row := tableRow(stdout, name); len(row) < 4 || row[1] != "built" || row[3] != ref {
			t.Errorf("row of %s = %q, want built as %s:\n%s", name, row, ref, stdout)
		}
	}
	if !strings.Contains(stderr, "from-the-base") {
		t.Errorf("the adapter's RUN did not read the base's file:\n%s", stderr)
	}
}

// TestBuildBaseNameMismatch: outside a workspace template the base is named after the directory;
// the adapter's `FROM workspace-template:base` is then looked up in a registry, and the failure
// names the base that was built and the setting that fixes it. build.base-name fixes it.
func TestBuildBaseNameMismatch(t *testing.T) {
	addr := buildtest.Daemon(t)
	dir := templateLayout(t, nil)
	code, stdout, stderr := runIn(t, dir, map[string]string{"BUILDKIT_HOST": addr}, "build", "--progress", "quiet", "--format", "github")
	want := "FROM workspace-template:base is not the base this build made, which is molecule-ai-workspace-template-demo:base, " +
		"so it was looked up in a registry; set build.base-name: workspace-template in .molecule-ci.yml to build the base under the name the adapters use"
	if code != 1 || !strings.Contains(stdout, "::error endLine=1,file=adapters/demo/Dockerfile,line=1,title=build-failed::image demo: ") ||
		!strings.Contains(stdout, "%0A"+want+"\n") {
		t.Fatalf("exit %d, want 1 and an annotation ending in\n%s\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}

	writeFiles(t, dir, map[string]string{".molecule-ci.yml": "build:\n  base-name: workspace-template\n"})
	code, stdout, stderr = runIn(t, dir, map[string]string{"BUILDKIT_HOST": addr}, "build", "--progress", "quiet")
	if code != 0 || tableRow(stdout, "demo")[1] != "built" {
		t.Fatalf("with build.base-name: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
