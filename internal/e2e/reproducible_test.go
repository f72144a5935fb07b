package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// releaseBuildTimeout bounds each release build: three targets, cold, on a loaded two-core
// machine take about six minutes; warm, seconds.
const releaseBuildTimeout = 20 * time.Minute

// TestReleaseReproducible is the release's trust anchor, tested: a maintainer runs
// scripts/release-checksums.sh in their clone, with their own environment, and commits
// release/checksums.txt; release.yml rebuilds the binaries from the tagged release commit in
// another path on a runner and refuses the release unless the checksums are equal. Here both
// happen: the script in one clone (with GOFLAGS, GOAMD64 and GOEXPERIMENT set as a maintainer's
// shell might), release.yml's own goreleaser arguments, toolchain step and checksum check (read
// from the workflow, so they cannot drift from what is tested) in a second clone at another path,
// whose commit holds the checksums file and has another date. The Go build cache is shared, as
// it is safe to: Go keys it by every input of a compile, the directory included unless
// -trimpath, so a path or environment that leaked into a binary would still give a different one.
//
// goreleaser comes from $GORELEASER, else it is built from tools/goreleaser as the script does
// (minutes, once per build cache).
func TestReleaseReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	gittest.Need(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	wf := readReleaseWorkflow(t, root)
	goreleaser := goreleaserBinary(t, root, wf.goreleaserVersion)

	const tag = "v9.9.9"
	work := t.TempDir()
	files := trackedFiles(t, root)

	// The maintainer's clone: release-checksums.sh, in an environment that would change the
	// binaries if it reached the build.
	maint := filepath.Join(work, "home", "maintainer", "src", "molecule-ci")
	copyFiles(t, root, maint, files)
	cloneRepo(t, maint, "2026-01-02T03:04:05Z")
	gittest.Commit(t, maint, "main")
	script := exec.Command("bash", "scripts/release-checksums.sh", tag)
	script.Dir = maint
	script.Env = append(buildEnv(), "GORELEASER="+goreleaser,
		"GOFLAGS=-tags=osusergo,netgo", "GOAMD64=v3", "GOEXPERIMENT=nodwarf5")
	runBuild(t, "release-checksums.sh", script)
	sums, err := os.ReadFile(filepath.Join(maint, "release", "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^[0-9a-f]{64}  molecule-ci_9\.9\.9_darwin_arm64\n[0-9a-f]{64}  molecule-ci_9\.9\.9_linux_amd64\n[0-9a-f]{64}  molecule-ci_9\.9\.9_linux_arm64\n$`)
	if !want.Match(sums) {
		t.Fatalf("release/checksums.txt is not the three release binaries:\n%s", sums)
	}

	// The runner's clone: the release commit (the checksums file committed, another date,
	// another path), tagged, built as release.yml's binaries job builds it.
	runner := filepath.Join(work, "runner", "work", "molecule-ci", "molecule-ci")
	copyFiles(t, root, runner, files)
	cloneRepo(t, runner, "2026-03-04T05:06:07Z")
	gittest.Commit(t, runner, "main")
	writeFile(t, filepath.Join(runner, "release", "checksums.txt"), sums)
	gittest.Commit(t, runner, "release "+tag)
	gittest.Run(t, runner, "tag", tag)

	githubEnv := filepath.Join(work, "github-env")
	step := exec.Command("bash", "-c", wf.toolchainRun)
	step.Dir = runner
	step.Env = append(buildEnv(), "GITHUB_ENV="+githubEnv, "GITHUB_OUTPUT="+filepath.Join(work, "github-output"))
	runBuild(t, "release.yml's toolchain step", step)
	exported, err := os.ReadFile(githubEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(exported), "GOTOOLCHAIN="+goModToolchain(t, root)+"\n"; got != want {
		t.Fatalf("release.yml's toolchain step exported %q, want %q", got, want)
	}

	build := exec.Command(goreleaser, strings.Fields(wf.goreleaserArgs)...)
	build.Dir = runner
	build.Env = append(buildEnv(), strings.TrimSpace(string(exported)))
	runBuild(t, "release.yml's goreleaser", build)
	check := exec.Command("bash", "-c", wf.checkRun)
	check.Dir = runner
	check.Env = append(buildEnv(), "TAG="+tag)
	if out, err := check.CombinedOutput(); err != nil {
		rebuilt, _ := os.ReadFile(filepath.Join(runner, "dist", "checksums.txt"))
		t.Fatalf("release.yml refuses the release: %v\n%s\nthe script's:\n%s\nrelease.yml's:\n%s", err, out, sums, rebuilt)
	}

	// The check can fail: one checksum off, and the release is refused with the reason.
	writeFile(t, filepath.Join(runner, "release", "checksums.txt"), bytes.Replace(sums, sums[:1], []byte{sums[0] ^ 1}, 1))
	check = exec.Command("bash", "-c", wf.checkRun)
	check.Dir = runner
	check.Env = append(buildEnv(), "TAG="+tag)
	out, err := check.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "::error::the binaries built from v9.9.9 differ from the checksums committed in release/checksums.txt; nothing is published") {
		t.Errorf("a wrong checksum: %v\n%s", err, out)
	}
}

// releaseWorkflow is what the test runs of release.yml's binaries job.
type releaseWorkflow struct {
	toolchainRun      string // the step that exports go.mod's toolchain
	goreleaserArgs    string // goreleaser-action's args
	goreleaserVersion string // goreleaser-action's version
	checkRun          string // the step that compares the checksums
}

func readReleaseWorkflow(t *testing.T, root string) releaseWorkflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string
				Uses string
				Run  string
				With map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	var wf releaseWorkflow
	for _, s := range doc.Jobs["binaries"].Steps {
		switch {
		case strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@"):
			wf.goreleaserArgs, wf.goreleaserVersion = s.With["args"], s.With["version"]
		case strings.Contains(s.Run, "scripts/go-toolchain.sh"):
			wf.toolchainRun = s.Run
		case strings.Contains(s.Run, "dist/checksums.txt"):
			wf.checkRun = s.Run
		}
	}
	if wf.goreleaserArgs == "" || wf.toolchainRun == "" || wf.checkRun == "" {
		t.Fatalf("release.yml's binaries job has no goreleaser step, toolchain step or checksum check: %+v", wf)
	}
	return wf
}

// goreleaserBinary is $GORELEASER, or goreleaser built from tools/goreleaser, which must pin the
// version release.yml runs.
func goreleaserBinary(t *testing.T, root, version string) string {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(root, "tools", "goreleaser", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*github\.com/goreleaser/goreleaser/v2 ` + regexp.QuoteMeta(version) + `\b`).Match(gomod) {
		t.Fatalf("release.yml runs goreleaser %s but tools/goreleaser pins another version: the script and the release would build differently", version)
	}
	if p := os.Getenv("GORELEASER"); p != "" {
		return p
	}
	bin := filepath.Join(t.TempDir(), "goreleaser")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "github.com/goreleaser/goreleaser/v2")
	cmd.Dir = filepath.Join(root, "tools", "goreleaser")
	if out, err := cmd.CombinedOutput(); err != nil {
		testenv.Missing(t, "goreleaser does not build from tools/goreleaser (offline, no module cache?), or set GORELEASER to a goreleaser %s: %v\n%s", version, err, out)
	}
	t.Logf("built goreleaser %s in %s", version, time.Since(start).Round(time.Second))
	return bin
}

func goModToolchain(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^toolchain (go\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no toolchain line")
	}
	return string(m[1])
}

// buildEnv is this process's environment without anything that would make the builds differ
// for reasons of the test itself (an outer Actions run, the test's GOFLAGS).
func buildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "GORELEASER"), k == "GOFLAGS", k == "GOTOOLCHAIN":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
}

// runBuild runs cmd within releaseBuildTimeout and logs how long it took, as what.
func runBuild(t *testing.T, what string, cmd *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), releaseBuildTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Dir, c.Env = cmd.Dir, cmd.Env
	start := time.Now()
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s (%s in %s): %v\n%s", what, strings.Join(cmd.Args, " "), cmd.Dir, err, out)
	}
	t.Logf("%s: %s", what, time.Since(start).Round(time.Second))
}

// trackedFiles lists the files of the checkout as a clone would have them: tracked and new,
// without what .gitignore leaves out (dist/, built binaries).
func trackedFiles(t *testing.T, root string) []string {
	t.Helper()
	out := gittest.Run(t, root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f == "" || strings.HasPrefix(f, "release/") {
			continue
		}
		if st, err := os.Lstat(filepath.Join(root, f)); err == nil && st.Mode().IsRegular() {
			files = append(files, f)
		}
	}
	return files
}

func copyFiles(t *testing.T, from, to string, files []string) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, f), b)
		if st, err := os.Stat(filepath.Join(from, f)); err == nil && st.Mode()&0o111 != 0 {
			if err := os.Chmod(filepath.Join(to, f), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// cloneRepo makes dir a repository like a clone of molecule-ci (goreleaser reads the origin
// remote), whose commits are dated date.
func cloneRepo(t *testing.T, dir, date string) {
	t.Helper()
	gittest.Init(t, dir)
	gittest.Run(t, dir, "remote", "add", "origin", "https://github.com/Molecule-AI/molecule-ci.git")
	gittest.Run(t, dir, "config", "user.name", "t")
	gittest.Run(t, dir, "config", "user.email", "t@example.com")
	t.Setenv("GIT_AUTHOR_DATE", date)
	t.Setenv("GIT_COMMITTER_DATE", date)
}
