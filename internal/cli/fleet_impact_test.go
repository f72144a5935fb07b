package cli

import (
	"encoding/json"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/impact/impacttest"
)

// TestFleetImpact runs `fleet impact` over the fake fleet: the candidate making every kind of
// interface change fails (exit 1) in every format; declared in the pull request it passes with
// the declaration named; the job summary and one sticky comment are written.
func TestFleetImpact(t *testing.T) {
	f := impacttest.New(t)
	work := t.TempDir()
	vars := map[string]string{"GITHUB_REPOSITORY": "Molecule-AI/molecule-ci"}
	for _, format := range []string{"human", "json", "markdown"} {
		code, stdout, stderr := runIn(t, work, vars, "fleet", "impact", "--candidate", f.Candidate, "--dir", f.Parent, "--format", format, "--no-cache")
		if code != ExitFindings {
			t.Fatalf("%s: exit %d, want 1\n%s", format, code, stderr)
		}
		golden.Check(t, filepath.Join("testdata", "fleet-impact."+format+".golden"), f.Stable([]byte(stdout)))
	}

	// The pull request declares it, in Actions: exit 0, the job summary, outputs and one comment.
	gh := &fakePRComments{issue: "Molecule-AI/molecule-ci/issues/7"}
	api := httptest.NewServer(gh)
	defer api.Close()
	event := filepath.Join(work, "event.json")
	writeFiles(t, work, map[string]string{"event.json": `{"pull_request":{"number":7,"body":"Renames inputs.\nBREAKING: publish-template-image takes runtime-version and a registry","labels":[]}}`})
	summary, outputs := filepath.Join(work, "summary.md"), filepath.Join(work, "outputs")
	actions := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Molecule-AI/molecule-ci", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": event, "GITHUB_TOKEN": "ghs_test", "GITHUB_API_URL": api.URL, "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": outputs}
	for run := 0; run < 2; run++ {
		code, stdout, stderr := runIn(t, work, actions, "fleet", "impact", "--candidate", f.Candidate, "--dir", f.Parent, "--pr-comment", "--no-cache", "--verdicts", "off")
		if code != ExitOK {
			t.Fatalf("declared: exit %d, want 0\n%s\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "The pull request declares the break, so the check passes: BREAKING: publish-template-image takes") {
			t.Errorf("the report does not name the declaration:\n%s", stdout)
		}
	}
	if len(gh.comments) != 1 || !strings.HasPrefix(gh.comments[0]["body"].(string), impactMarker+"\n## molecule-ci fleet impact") {
		t.Errorf("comments after two runs: %v (%q), want one, updated in place", gh.comments, gh.requests)
	}
	b, _ := os.ReadFile(outputs)
	for _, want := range []string{"breaks<<", "declared<<"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("outputs lack %s:\n%s", want, b)
		}
	}
	if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "## molecule-ci fleet impact") {
		t.Errorf("job summary:\n%s", b)
	}
}

// TestFleetImpactUnchanged: the base itself as the candidate, its repository read from its git
// remote; JSON as documented.
func TestFleetImpactUnchanged(t *testing.T) {
	f := impacttest.New(t)
	gittest.Run(t, f.Base, "remote", "add", "origin", "git@github.com:Molecule-AI/molecule-ci.git")
	code, stdout, stderr := runIn(t, t.TempDir(), nil, "fleet", "impact", "--candidate", f.Base, "--dir", f.Parent, "--format", "json", "--no-cache")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var doc struct {
		Callers  int               `json:"callers"`
		Breaks   []json.RawMessage `json:"breaks"`
		Verdicts []json.RawMessage `json:"verdicts"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Callers != 21 || len(doc.Breaks) != 0 || doc.Verdicts == nil {
		t.Errorf("callers %d, breaks %d, verdicts %v", doc.Callers, len(doc.Breaks), doc.Verdicts)
	}
}

// TestFleetImpactUnread: with no checkout of the base in the fleet and no token, no call can be
// checked; a required check that passed then could not fail, so it exits 3 and says why.
func TestFleetImpactUnread(t *testing.T) {
	f := impacttest.New(t)
	candidate := filepath.Join(t.TempDir(), "molecule-ci")
	if err := os.Rename(f.Base, candidate); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_REPOSITORY": "Molecule-AI/molecule-ci"}
	code, stdout, stderr := runIn(t, t.TempDir(), vars, "fleet", "impact", "--candidate", candidate, "--dir", f.Parent, "--no-cache")
	if code != ExitTool {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	// stderr without the progress lines, whose order is the run's.
	var errLines []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(l, "fleet: [") {
			errLines = append(errLines, l)
		}
	}
	golden.Check(t, filepath.Join("testdata", "fleet-impact-unread.golden"), f.Stable([]byte(stdout+"-- stderr --\n"+strings.Join(errLines, ""))))
}

func TestFleetImpactUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "impact", "--dir", dir}, "fleet impact: --candidate DIR names the changed tree"},
		{[]string{"fleet", "impact", "--candidate", dir}, "fleet impact: name the repositories: --dir PARENT, --repo DIR (repeatable) or --org NAME"},
		{[]string{"fleet", "impact", "--candidate", filepath.Join(dir, "nope"), "--dir", dir}, "--candidate " + filepath.Join(dir, "nope") + ": not a directory"},
		{[]string{"fleet", "impact", "--candidate", dir, "--dir", dir, "--format", "sarif"}, `unknown format "sarif"`},
		{[]string{"fleet", "impact", "--candidate", dir, "--dir", dir, "--verdicts", "maybe"}, `--verdicts "maybe": want auto or off`},
		{[]string{"fleet", "impact", "--candidate", dir, "--dir", dir}, "the candidate's repository is GITHUB_REPOSITORY, else its git remote origin, and neither is set"},
	} {
		code, _, stderr := runIn(t, dir, nil, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestFleetImpactVerdicts: the base is a molecule-ci tree (this repository at HEAD, tagged v1 in
// the fleet's checkout) and the candidate makes missing-timeout an error: the repository that
// calls it and has a job without a timeout goes green to red, with the finding that changed;
// each side's rules are the binary built from its own tree.
func TestFleetImpactVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two molecule-ci binaries: skipped in -short mode")
	}
	gittest.Need(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skipf("the repository is not a git checkout (%v): its tree at HEAD is the base", err)
	}
	parent := t.TempDir()
	base := filepath.Join(parent, "molecule-ci")
	archive(t, root, base)
	gittest.Init(t, base)
	gittest.Commit(t, base, "molecule-ci")
	gittest.Run(t, base, "tag", "v1")
	candidate := filepath.Join(t.TempDir(), "candidate")
	archive(t, root, candidate)
	// missing-timeout made an error, wherever the rule's table says its severity.
	stricter := regexp.MustCompile(`(RuleTimeout,\s*(?:Severity:\s*)?)report\.Warning`)
	files, _ := filepath.Glob(filepath.Join(candidate, "internal", "lint", "workflow", "*.go"))
	edited := 0
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if out := stricter.ReplaceAll(b, []byte("${1}report.Error")); string(out) != string(b) {
			edited++
			if err := os.WriteFile(p, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if edited != 1 {
		t.Fatalf("the candidate's edit applies to %d files, want 1: missing-timeout's severity is no longer written as RuleTimeout, Severity: report.Warning", edited)
	}
	writeFiles(t, parent, map[string]string{
		"service/.github/workflows/ci.yml": "name: ci\non: push\npermissions:\n  contents: read\njobs:\n  validate:\n    uses: Molecule-AI/molecule-ci/.github/workflows/validate-plugin.yml@v1\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo test\n",
		"bystander/README.md":              "calls nothing\n",
	})
	vars := map[string]string{"GITHUB_REPOSITORY": "Molecule-AI/molecule-ci"}
	code, stdout, stderr := runIn(t, t.TempDir(), vars, "fleet", "impact", "--candidate", candidate, "--dir", parent, "--format", "json", "--cache-dir", t.TempDir())
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	golden.Check(t, filepath.Join("testdata", "fleet-impact-verdicts.json.golden"), []byte(stdout))

	// The same fleet through the API: the base's tree is the tarball of the commit v1 names, and
	// its rules, built from it, say the same.
	api := githubtest.New(t)
	for _, name := range []string{"molecule-ci", "service", "bystander"} {
		api.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: name, Branches: map[string]map[string]string{"main": fsutiltest.ReadTree(t, filepath.Join(parent, name))},
			Tags: map[string]string{"v1": "main"}})
	}
	vars["FLEET_TOKEN"], vars["GITHUB_API_URL"] = "ghs_fleet", api.URL
	code, orgOut, stderr := runIn(t, t.TempDir(), vars, "fleet", "impact", "--candidate", candidate, "--org", "Molecule-AI", "--format", "json", "--cache-dir", t.TempDir())
	if code != ExitFindings || orgOut != stdout {
		t.Errorf("--org: exit %d, want 1 and the report of the checkouts\n%s\n%s", code, orgOut, stderr)
	}
}

// archive writes the tree of the repository at root's HEAD into dst.
func archive(t *testing.T, root, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `git -C "$1" archive --format=tar HEAD | tar -x -C "$2"`, "archive", root, dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git archive: %v\n%s", err, out)
	}
}

// TestFleetImpactOrg reads the fleet and the base through the fake GitHub API: the callers'
// bases come from the API at each caller's ref, a repository whose tarball is not a tarball is a
// line of the report (exit 1 still wins: a caller breaks), and the API's errors are quoted.
func TestFleetImpactOrg(t *testing.T) {
	f := impacttest.New(t)
	api := githubtest.New(t)
	entries, err := os.ReadDir(f.Parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir, _ := filepath.EvalSymlinks(filepath.Join(f.Parent, e.Name()))
		files := fsutiltest.ReadTree(t, dir)
		spec := githubtest.RepoSpec{Owner: "Molecule-AI", Name: e.Name(), Branches: map[string]map[string]string{"main": files}}
		if e.Name() == "molecule-ci" {
			spec.Branches["staging"] = files
		}
		api.AddRepos(spec)
	}
	api.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: "broken", Branches: map[string]map[string]string{"main": {"README.md": "x"}}, Tarball: []byte("not a tarball")})
	vars := map[string]string{"GITHUB_REPOSITORY": "Molecule-AI/molecule-ci", "FLEET_TOKEN": "ghs_fleet", "GITHUB_API_URL": api.URL}
	code, stdout, stderr := runIn(t, t.TempDir(), vars, "fleet", "impact", "--candidate", f.Candidate, "--org", "Molecule-AI", "--format", "json", "--no-cache")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	var doc struct {
		Callers    int               `json:"callers"`
		Breaks     []json.RawMessage `json:"breaks"`
		Unreadable []struct{ Repo, Error string }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Callers != 21 || len(doc.Breaks) != 26 {
		t.Errorf("through the API: %d callers, %d breaks; want 21 and 26 as from the checkouts", doc.Callers, len(doc.Breaks))
	}
	if len(doc.Unreadable) != 1 || doc.Unreadable[0].Repo != "broken" || !strings.Contains(doc.Unreadable[0].Error, "cannot be read: tarball of Molecule-AI/broken at") || !strings.Contains(doc.Unreadable[0].Error, "not a gzipped tarball") {
		t.Errorf("unreadable: %+v", doc.Unreadable)
	}
	if !strings.Contains(stdout, `"reason":"already broken at its base: ref \"v9\" does not exist in Molecule-AI/molecule-ci (GitHub: no branch, tag or commit of that name)"`) {
		t.Errorf("the v9 call's reason is not GitHub's:\n%s", stdout)
	}
}

// TestFleetImpactRef is the release's check before v1 moves: only the calls pinning the ref are
// checked, against the candidate's repository at the ref (here the Python validators tagged v1:
// interface only, and the report says so). Without a caller of @v1 the candidate that breaks
// every @main caller passes, and the report proves it (every repository read, the refs the
// other calls pin); a caller of @v1 it breaks fails it, the only call checked.
func TestFleetImpactRef(t *testing.T) {
	f := impacttest.New(t)
	gittest.Run(t, f.Base, "tag", "v1")
	vars := map[string]string{"GITHUB_REPOSITORY": "Molecule-AI/molecule-ci"}
	work := t.TempDir()
	for _, format := range []string{"human", "json"} {
		code, stdout, stderr := runIn(t, work, vars, "fleet", "impact", "--candidate", f.Candidate, "--dir", f.Parent, "--ref", "v1", "--format", format, "--no-cache")
		if code != ExitOK {
			t.Fatalf("%s: exit %d, want 0\n%s\n%s", format, code, stdout, stderr)
		}
		golden.Check(t, filepath.Join("testdata", "fleet-impact-ref-none."+format+".golden"), f.Stable([]byte(stdout)))
	}
	writeFiles(t, filepath.Join(f.Parent, "pins-v1"), map[string]string{".github/workflows/publish.yml": `on: push
permissions:
  contents: read
  packages: write
jobs:
  publish:
    uses: Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml@v1
    with:
      runtime_name: hermes
  later:
    uses: Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml@main
    with:
      runtime_name: hermes
`})
	code, stdout, stderr := runIn(t, work, vars, "fleet", "impact", "--candidate", f.Candidate, "--dir", f.Parent, "--ref", "v1", "--no-cache")
	if code != ExitFindings {
		t.Fatalf("a caller of @v1: exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	golden.Check(t, filepath.Join("testdata", "fleet-impact-ref-caller.human.golden"), f.Stable([]byte(stdout)))
	code, _, stderr = runIn(t, work, vars, "fleet", "impact", "--candidate", f.Candidate, "--dir", f.Parent, "--ref", "v1..x")
	if code != ExitUsage || !strings.Contains(stderr, "--ref: ") {
		t.Errorf("--ref v1..x: exit %d, %s", code, stderr)
	}
}
