package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/baseline"
	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// The organisation's six workflows (issue 9) run end to end under act, each called the way a
// consumer repository of ../shared/corpus calls today's workflow, with only the ref changed:
// green on the real repository, red with the right annotation on a mutated copy.
//
// What act cannot do here, and so what these tests do not cover:
//   - anything that needs the network: pip install of requirements.txt and the adapter import,
//     pulling python:3.11-slim (so the real templates' images), the Trivy scan, the GHCR push,
//     docker/setup-buildx-action and govulncheck. Those steps carry `if: ${{ !env.ACT }}`; the
//     stand-ins they map to fail loudly if one ever runs.
//   - GitHub's resolution of job.workflow_repository/job.workflow_sha: the pinned actions/checkout
//     maps to a stand-in that copies this checkout into .molecule-ci-action.
//   - the fork-pull-request skip of validate-runtime and the merge_group event.
//
// publish-template-image runs the corpus caller (template-openclaw's publish-image.yml) on a
// FROM scratch + busybox template (testdata/build/template), because the real Dockerfile's base
// image cannot be pulled offline; the build and both smoke checks run through the real buildkitd
// (BUILDKIT_HOST). validate-plugin runs workflows-shared/validate-plugin.yml on
// testdata/org/plugin: the corpus has no skill plugin.

// Pinned third-party actions of the six workflows (the SHAs they name).
const (
	orgPinCheckout    = "11bd71901bbe5b1630ceea73d27597364c9af683" // actions/checkout v4.2.2
	orgPinSetupGo     = "d35c59abb061a4a6fb18e82ac0862c26744d6ab5" // actions/setup-go v5.5.0
	orgPinSetupPython = "a26af69be951a213d495a4c3e4e4022e16d87065" // actions/setup-python v5.6.0
	orgPinBuildx      = "e468171a9de216ec08956ac3ada2f0791b6bd435" // docker/setup-buildx-action v3.11.1
	orgPinTrivy       = "ed142fd0673e97e23eac54620cfb913e5ce36c25" // aquasecurity/trivy-action v0.36.0
)

// orgCase is one run: a consumer repository, its caller workflow with one reference replaced,
// an optional second commit (the change a push brings), and what act must print and exit with.
type orgCase struct {
	name string
	// consumer is a directory of ../shared/corpus, or "" for fixture-only repositories.
	consumer string
	// fixture is a directory of this repository laid over the consumer (relative to the root).
	fixture string
	// caller is the workflow act runs, relative to the repository; from -> to is the change,
	// and also -> alsoTo a second one in the same file (a caller that also calls the scan).
	caller       string
	from, to     string
	also, alsoTo string
	// callerSrc, when set, is this repository's caller template copied to caller first.
	callerSrc string
	// remote names the repository (act reads GITHUB_REPOSITORY from the origin URL).
	remote string
	// change is applied in a second commit; the push event goes from the first to it.
	change func(t *testing.T, repo string)
	// needs: "contracts" (lint --contract-only / --secrets-only), "buildkit".
	needs []string
	exit  int
	// must and mustNot are substrings of act's output.
	must, mustNot []string
}

// corpusDir is $MOLECULE_CI_CORPUS, else ../shared/corpus beside the checkout (or beside the
// directory holding the worktrees), else the test is skipped saying so.
func corpusDir(t *testing.T, root string) string {
	t.Helper()
	tried := []string{os.Getenv("MOLECULE_CI_CORPUS")}
	if tried[0] == "" {
		tried = []string{filepath.Join(root, "..", "shared", "corpus"), filepath.Join(root, "..", "..", "shared", "corpus")}
	}
	for _, d := range tried {
		if _, err := os.Stat(filepath.Join(d, "template-openclaw")); err == nil {
			return d
		}
	}
	t.Skipf("the reference corpus is absent (tried %s): set MOLECULE_CI_CORPUS to run the org workflow end-to-end tests", strings.Join(tried, ", "))
	return ""
}

// fakeToken is a PAT in GitHub's real format (its CRC32 checksum holds: a token whose checksum
// fails is no GitHub token and is not reported), made at run time so that no scanner flags this
// file.
var fakeToken = secretstest.New(90).Checksummed("ghp_")

func orgCases() []orgCase {
	appendTo := func(rel, text string) func(t *testing.T, repo string) {
		return func(t *testing.T, repo string) {
			t.Helper()
			p := filepath.Join(repo, rel)
			b, _ := os.ReadFile(p)
			writeFile(t, p, append(b, text...))
		}
	}
	replaceIn := func(rel, old, new string) func(t *testing.T, repo string) {
		return func(t *testing.T, repo string) {
			t.Helper()
			p := filepath.Join(repo, rel)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%s does not contain %q", rel, old)
			}
			writeFile(t, p, bytes.Replace(b, []byte(old), []byte(new), 1))
		}
	}
	remove := func(rel string) func(t *testing.T, repo string) {
		return func(t *testing.T, repo string) {
			t.Helper()
			if err := os.Remove(filepath.Join(repo, rel)); err != nil {
				t.Fatal(err)
			}
		}
	}
	harmless := appendTo("README.md", "\nA harmless line added by the push.\n")
	// baselined passes the caller's baseline to the workflow, as fleet migrate does, and writes it
	// as `molecule-ci lint --write-baseline` would: every finding of a full lint, the contract's
	// and the other rules' (whose entries the contract-only run must not call stale).
	baselined := func(t *testing.T, repo string) {
		t.Helper()
		appendTo(".github/workflows/ci.yml", "    with:\n      baseline: .molecule-ci-baseline.json\n")(t, repo)
		writeBaseline(t, repo, config.ContractWorkspaceTemplate)
	}
	wst := orgCase{
		consumer: "template-openclaw", caller: ".github/workflows/ci.yml",
		from: "validate-workspace-template.yml@main", to: "validate-workspace-template.yml@v1",
		remote: "molecule-ai-workspace-template-openclaw", needs: []string{"contracts"},
	}
	claudeCode := wst
	claudeCode.consumer, claudeCode.remote = "template-claude-code", "molecule-ai-workspace-template-claude-code"
	publish := orgCase{
		consumer: "", fixture: "testdata/build/template",
		caller: ".github/workflows/publish-image.yml", callerSrc: "corpus:template-openclaw/.github/workflows/publish-image.yml",
		from: "publish-template-image.yml@main", to: "publish-template-image.yml@v1",
		remote: "molecule-ai-workspace-template-smoketest", needs: []string{"buildkit"},
	}
	plugin := orgCase{
		fixture: "internal/e2e/testdata/org/plugin", caller: ".github/workflows/ci.yml",
		callerSrc: "workflows-shared/validate-plugin.yml", remote: "molecule-ai-plugin-review",
		needs: []string{"contracts"},
	}
	org := orgCase{
		consumer: "org-template-molecule-dev", caller: ".github/workflows/ci.yml",
		from: "validate-org-template.yml@main", to: "validate-org-template.yml@v1",
		remote: "molecule-ai-org-template-molecule-dev", needs: []string{"contracts"},
	}
	goPlugin := orgCase{
		consumer: "plugin-github-app-auth", caller: ".github/workflows/ci.yml",
		from: "validate-go-plugin.yml@staging", to: "validate-go-plugin.yml@v1",
		// Its ci.yml also calls molecule-core's secret scan, which moves to molecule-ci.
		also:   "Molecule-AI/molecule-core/.github/workflows/secret-scan.yml@staging",
		alsoTo: "Molecule-AI/molecule-ci/.github/workflows/secret-scan.yml@v1",
		remote: "molecule-ai-plugin-github-app-auth", needs: []string{"contracts"},
	}
	scan := orgCase{
		consumer: "template-openclaw", caller: ".github/workflows/secret-scan.yml",
		// The one caller change that is more than a ref: the scan moves from molecule-core.
		from:   "Molecule-AI/molecule-core/.github/workflows/secret-scan.yml@staging",
		to:     "Molecule-AI/molecule-ci/.github/workflows/secret-scan.yml@v1",
		remote: "molecule-ai-workspace-template-openclaw", needs: []string{"contracts"},
	}
	with := func(c orgCase, name string, change func(*testing.T, string), exit int, must, mustNot []string) orgCase {
		c.name, c.change, c.exit, c.must, c.mustNot = name, change, exit, must, mustNot
		return c
	}
	return []orgCase{
		with(wst, "validate-workspace-template/openclaw", harmless, 0,
			[]string{"Template validation passed (static=success, runtime=success)"}, []string{"::error"}),
		with(wst, "validate-workspace-template/quoted-schema-version",
			replaceIn("config.yaml", "template_schema_version: 1", `template_schema_version: "1"`), 1,
			[]string{"file=config.yaml", "title=contract/schema-version", "validate-static did not succeed: failure"}, nil),
		// The real defect the guide records: claude-code's Dockerfile has no ARG RUNTIME_VERSION.
		with(claudeCode, "validate-workspace-template/claude-code-real-defect", harmless, 1,
			[]string{"file=Dockerfile", "title=contract/runtime-version-arg", "validate-static did not succeed: failure"}, nil),
		// The same defect, known by the baseline the migration writes: the check stays green and
		// shows it, and lists none of the lint workflow's entries as no longer matching.
		with(claudeCode, "validate-workspace-template/claude-code-baselined", baselined, 0,
			[]string{"1 known finding in the baseline .molecule-ci-baseline.json", "[contract/runtime-version-arg]",
				"Template validation passed (static=success, runtime=success)"},
			[]string{"::error", "no longer matches"}),
		with(publish, "publish-template-image/smoketest", harmless, 0,
			[]string{"Built ghcr.io/molecule-ai/workspace-template-smoketest (:latest + :sha-", "[smoke] boot /entrypoint.sh serve"}, []string{"::error"}),
		with(publish, "publish-template-image/import-fails",
			appendTo("broken.py", "echo \"ModuleNotFoundError: No module named 'crewai'\" >&2\nexit 1\n"), 1,
			[]string{"file=Dockerfile", "title=smoke-failed", `smoke check "import broken" failed`, "No module named 'crewai'"}, nil),
		with(publish, "publish-template-image/bare-runtime-import",
			appendTo("adapter.py", "from plugins import load_plugins\n"), 1,
			[]string{"::error file=adapter.py,line=2::bare import of a runtime module"}, []string{"Build and smoke-check the image"}),
		with(publish, "publish-template-image/boot-fails",
			replaceIn("entrypoint.sh", `case "${SMOKE_BEHAVIOUR:-pass}" in`, `case "${SMOKE_BEHAVIOUR:-fail}" in`), 1,
			[]string{"file=Dockerfile", "title=smoke-failed", "cannot import name 'FilePart'"}, nil),
		with(plugin, "validate-plugin/review", harmless, 0, nil, []string{"::error"}),
		with(plugin, "validate-plugin/bad-version", replaceIn("plugin.yaml", "version: 1.2.0", "version: one"), 1,
			[]string{"file=plugin.yaml", "title=contract/plugin-manifest"}, nil),
		with(org, "validate-org-template/molecule-dev", harmless, 0, nil, []string{"::error"}),
		with(org, "validate-org-template/missing-child", remove("teams/research.yaml"), 1,
			[]string{"file=teams/pm.yaml", "title=contract/org-workspace"}, nil),
		with(goPlugin, "validate-go-plugin/github-app-auth", harmless, 0,
			[]string{"go test (-race)", "gofmt -l"}, []string{"::error"}),
		with(goPlugin, "validate-go-plugin/unformatted",
			appendTo("internal/githubapp/unformatted.go", "package githubapp\nfunc  badlyFormatted( ) {}\n"), 1,
			[]string{"::error file=internal/githubapp/unformatted.go::not gofmt-formatted"}, nil),
		with(scan, "secret-scan/clean-push", harmless, 0, nil, []string{"::error"}),
		with(scan, "secret-scan/token-in-markdown", appendTo("NOTES.md", "\nDeploy with "+fakeToken+"\n"), 1,
			[]string{"file=NOTES.md", "title=secret-committed"}, []string{fakeToken}),
	}
}

// TestOrgWorkflows runs the cases; see the comment at the top of this file for what they cover.
func TestOrgWorkflows(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	act := actBinary(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	corpus := corpusDir(t, root)
	stubs := orgStubs(t, root)
	have := orgCapabilities(t, root)
	env := actEnv(t)
	for _, c := range orgCases() {
		t.Run(c.name, func(t *testing.T) {
			for _, n := range c.needs {
				if why, ok := have[n]; !ok {
					testenv.Missing(t, "%s", why)
				}
			}
			runOrgCase(t, act, root, corpus, stubs, env, have["buildkit"], c)
		})
	}
}

// orgCapabilities reports what this checkout and machine can run: "contracts" when lint has the
// contract and secret-scan modes, "buildkit" (the daemon address) when BUILDKIT_HOST answers.
// A missing one maps to the reason its cases are skipped.
func orgCapabilities(t *testing.T, root string) map[string]string {
	t.Helper()
	have := map[string]string{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "molecule-ci")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/molecule-ci")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	help, _ := exec.CommandContext(ctx, bin, "lint", "--help").CombinedOutput()
	if bytes.Contains(help, []byte("-contract-only")) && bytes.Contains(help, []byte("-secrets-only")) {
		have["contracts"] = ""
	}
	if addr := os.Getenv("BUILDKIT_HOST"); addr != "" {
		if _, err := os.Stat("/bin/busybox"); err == nil {
			have["buildkit"] = addr
		}
	}
	for n, why := range map[string]string{
		"contracts": "this binary's lint has no --contract-only/--secrets-only",
		"buildkit":  "BUILDKIT_HOST is not set or /bin/busybox is missing: `source .ci/setup-buildkit.sh` to run the publish cases",
	} {
		if _, ok := have[n]; !ok {
			t.Logf("skipping the cases that need %s: %s", n, why)
		}
	}
	return have
}

// orgStubs writes the offline stand-ins: checkout of another repository copies
// $MOLECULE_E2E_SOURCE, setup-go prints the host's Go, and the network-only actions fail if run.
func orgStubs(t *testing.T, root string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	checkout := `name: checkout stand-in
description: Copies $MOLECULE_E2E_SOURCE (this molecule-ci checkout) into path.
inputs:
  repository: {description: Printed., required: false}
  ref: {description: Printed., required: false}
  path: {description: Where to copy., required: false, default: "."}
  persist-credentials: {description: Ignored., required: false}
  fetch-depth: {description: Ignored., required: false}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        DEST: ${{ inputs.path }}
      run: |
        set -euo pipefail
        mkdir -p "$GITHUB_WORKSPACE/$DEST"
        tar -C "$MOLECULE_E2E_SOURCE" --exclude=./.git -cf - . | tar -C "$GITHUB_WORKSPACE/$DEST" -xf -
        echo "checkout stand-in: molecule-ci copied into $DEST"
`
	never := `name: network-only stand-in
description: Steps that need the network are skipped under act; this fails if one runs.
runs:
  using: composite
  steps:
    - shell: bash
      run: |
        echo "::error::a network-only action ran under act"
        exit 1
`
	writeFile(t, filepath.Join(dir, "checkout", "action.yml"), []byte(checkout))
	writeFile(t, filepath.Join(dir, "never", "action.yml"), []byte(never))
	setupGo := filepath.Join(root, "internal", "e2e", "testdata", "stubs", "setup-go")
	return map[string]string{
		"actions/checkout@" + orgPinCheckout:         dir + "/checkout",
		"actions/setup-go@" + orgPinSetupGo:          setupGo,
		"actions/setup-go@v5":                        setupGo,
		"actions/setup-python@" + orgPinSetupPython:  dir + "/never",
		"docker/setup-buildx-action@" + orgPinBuildx: dir + "/never",
		"aquasecurity/trivy-action@" + orgPinTrivy:   dir + "/never",
		"github/codeql-action@v3":                    dir + "/never",
		"Molecule-AI/molecule-ci@v1":                 root,
	}
}

func runOrgCase(t *testing.T, act, root, corpus string, stubs map[string]string, env []string, buildkit string, c orgCase) {
	work := t.TempDir()
	repo := filepath.Join(work, c.remote)
	if c.consumer != "" {
		fsutiltest.CopyTree(t, filepath.Join(corpus, c.consumer), repo, nil)
	}
	if c.fixture != "" {
		fsutiltest.CopyTree(t, filepath.Join(root, c.fixture), repo, nil)
	}
	if c.fixture == "testdata/build/template" {
		bb, err := os.ReadFile("/bin/busybox")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(repo, "busybox"), bb)
		if err := os.Chmod(filepath.Join(repo, "busybox"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if src, ok := strings.CutPrefix(c.callerSrc, "corpus:"); ok {
		fsutiltest.CopyTree(t, filepath.Join(corpus, filepath.Dir(src)), filepath.Join(repo, filepath.Dir(c.caller)), nil)
		if filepath.Base(src) != filepath.Base(c.caller) {
			t.Fatalf("caller %s is not named as %s", c.caller, src)
		}
	} else if c.callerSrc != "" {
		b, err := os.ReadFile(filepath.Join(root, c.callerSrc))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(repo, c.caller), b)
	}
	for _, ch := range [][2]string{{c.from, c.to}, {c.also, c.alsoTo}} {
		if ch[0] == "" {
			continue
		}
		p := filepath.Join(repo, c.caller)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte(ch[0])); n != 1 {
			t.Fatalf("%s: %q occurs %d times, want once", c.caller, ch[0], n)
		}
		writeFile(t, p, bytes.Replace(b, []byte(ch[0]), []byte(ch[1]), 1))
	}
	// The other callers of the corpus repository call workflows act cannot fetch: only the one
	// under test stays.
	others, _ := filepath.Glob(filepath.Join(repo, ".github", "workflows", "*.yml"))
	for _, o := range others {
		if o != filepath.Join(repo, c.caller) {
			os.Remove(o)
		}
	}
	gittest.RunEnv(t, repo, env, "init", "-q", "-b", "main")
	gittest.RunEnv(t, repo, env, "remote", "add", "origin", "https://github.com/Molecule-AI/"+c.remote+".git")
	commit := func(msg string) string {
		gittest.RunEnv(t, repo, env, "add", "-A")
		gittest.RunEnv(t, repo, env, "-c", "user.name=molecule-ci e2e", "-c", "user.email=e2e@molecule-ci.invalid", "commit", "-q", "-m", msg)
		return gittest.RunEnv(t, repo, env, "rev-parse", "HEAD")
	}
	before := commit("consumer")
	if c.change != nil {
		c.change(t, repo)
	}
	after := commit("the change under test")
	event, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": before, "after": after,
		"repository": map[string]any{"name": c.remote, "full_name": "Molecule-AI/" + c.remote},
	})
	eventPath := filepath.Join(work, "event.json")
	writeFile(t, eventPath, event)

	args := []string{
		"push", "-W", c.caller, "-e", eventPath,
		"-P", "ubuntu-latest=-self-hosted",
		"--pull=false", "--action-offline-mode", "--no-cache-server",
		"--action-cache-path", filepath.Join(work, "act-cache"),
	}
	for k, v := range stubs {
		args = append(args, "--local-repository", k+"="+v)
	}
	if buildkit != "" {
		args = append(args, "--env", "BUILDKIT_HOST="+buildkit)
	}
	runAct := func() (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), actTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, act, args...)
		cmd.Dir = repo
		cmd.Env = append(append([]string(nil), env...), "MOLECULE_E2E_SOURCE="+root)
		cmd.WaitDelay = 10 * time.Second
		start := time.Now()
		raw, err := cmd.CombinedOutput()
		code, ok := actExit(err)
		if !ok {
			t.Fatalf("act: %v\n%s", err, raw)
		}
		t.Logf("act ran in %s, exit %d", time.Since(start).Round(time.Millisecond), code)
		if ctx.Err() != nil {
			t.Fatalf("act did not finish within %s:\n%s", actTimeout, raw)
		}
		return string(raw), code
	}
	out, code := runAct()
	// act reads a step's output asynchronously and, on a loaded machine, sometimes loses the
	// last lines of a step that exits at once (seen on failing steps: the exit code and the
	// earlier lines are there, the final annotation is not). When only expected lines are
	// missing and everything else holds, the case runs again, twice at most; a third miss is a failure.
	for rerun := 1; rerun <= 2 && code == c.exit && !slices.ContainsFunc(c.mustNot, func(s string) bool { return strings.Contains(out, s) }) &&
		slices.ContainsFunc(c.must, func(s string) bool { return !strings.Contains(out, s) }); rerun++ {
		t.Logf("act's output lacks an expected line with the expected exit code %d: running the case again, %d of 2 (act can drop a failing step's last lines under load)", code, rerun)
		out, code = runAct()
	}
	failed := false
	if code != c.exit {
		t.Errorf("act exited %d, want %d", code, c.exit)
		failed = true
	}
	for _, s := range offlineBreaches {
		if strings.Contains(out, s) {
			t.Errorf("act tried to fetch from GitHub (%q in its output)", s)
			failed = true
		}
	}
	if strings.Contains(out, "a network-only action ran under act") {
		t.Error("a step that needs the network ran under act")
		failed = true
	}
	for _, s := range c.must {
		if !strings.Contains(out, s) {
			t.Errorf("act's output lacks %q", s)
			failed = true
		}
	}
	for _, s := range c.mustNot {
		if strings.Contains(out, s) {
			t.Errorf("act's output contains %q", s)
			failed = true
		}
	}
	if failed {
		t.Logf("act's output:\n%s", out)
	}
}

// writeBaseline writes repo's .molecule-ci-baseline.json from a full lint of it with the contract
// kind, in-process (what `molecule-ci lint --contract KIND --write-baseline` writes).
func writeBaseline(t *testing.T, repo string, kind config.ContractKind) {
	t.Helper()
	rep, err := lint.Run(context.Background(), lint.Options{WorkDir: repo, Contracts: lint.ContractOptions{Contract: config.ContractConfig{Kind: kind}}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, f := range rep.Findings {
		kinds[strings.SplitN(f.Rule, "/", 2)[0]] = true
	}
	if !kinds["contract"] || len(kinds) < 2 {
		t.Fatalf("want contract findings and others in the baseline, got %v", rep.Findings)
	}
	b := baseline.New(rep.Findings, baseline.Options{WorkDir: repo, Dir: repo, Source: baseline.ReportSource(rep, repo, 0)})
	if err := baseline.Write(filepath.Join(repo, ".molecule-ci-baseline.json"), b); err != nil {
		t.Fatal(err)
	}
}
