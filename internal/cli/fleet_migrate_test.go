package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/impact/impacttest"
	"github.com/Molecule-AI/molecule-ci/internal/migrate"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// TestFleetMigrateDryRun migrates the organisation's corpus with a checkout of the successor (this
// repository's workflows, tagged v1) beside it: every call migrated and pinned to the tag's
// commit, each repository's diff applies with git apply from its root, the migrated repositories
// keep their inputs and lint adds no finding.
func TestFleetMigrateDryRun(t *testing.T) {
	parent, corpus := impacttest.CorpusFleet(t)
	succ, commit := impacttest.Successor(t, parent)
	code, stdout, stderr := runIn(t, t.TempDir(), nil, "fleet", "migrate", "--dry-run", "--dir", parent, "--owner", "Molecule-AI", "--ref", "v1")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	golden.Check(t, filepath.Join("testdata", "fleet-migrate.golden"), []byte(strings.ReplaceAll(stdout, commit, "$COMMIT")))
	sections := regexp.MustCompile(`(?m)^# ([a-z0-9-]+) \(`).FindAllStringSubmatchIndex(stdout, -1)
	if len(sections) != 12 {
		t.Fatalf("%d repositories in the output, want 12", len(sections))
	}
	for i, s := range sections {
		end := len(stdout)
		if i+1 < len(sections) {
			end = sections[i+1][0]
		}
		name, patch := stdout[s[2]:s[3]], stdout[s[0]:end]
		if !strings.Contains(patch, "lint after:") || !strings.Contains(patch, "; 0 findings added by the migration") {
			t.Errorf("%s: the migration adds lint findings:\n%s", name, patch)
		}
		repo := filepath.Join(t.TempDir(), name)
		src := filepath.Join(corpus, name)
		if _, err := os.Stat(src); err != nil {
			src = filepath.Join(corpus, "fleet-sample", name)
		}
		fsutiltest.CopyTree(t, src, repo, nil)
		gittest.Init(t, repo)
		gittest.Commit(t, repo, "as it is")
		cmd := exec.Command("git", "apply", "--verbose", "-")
		cmd.Dir, cmd.Stdin = repo, strings.NewReader(patch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: git apply: %v\n%s", name, err, out)
			continue
		}
		// The applied repository lints clean against the baseline the migration wrote, at the
		// lowest threshold (the reusable lint workflow fails on warnings), the calls pinned and
		// checked by reusable-call against the successor's checkout (on GitHub the lint workflow
		// reads it through the API with its token). No corpus repository has a config of its own.
		if _, err := os.Stat(filepath.Join(repo, ".molecule-ci.yml")); err == nil {
			t.Fatalf("%s has a .molecule-ci.yml: the test would overwrite it", name)
		}
		writeFiles(t, repo, map[string]string{".molecule-ci.yml": fmt.Sprintf("version: 1\nlint:\n  reusable:\n    checkouts:\n      Molecule-AI/molecule-ci: %q\n", succ)})
		args := []string{"lint", "--format", "json", "--fail-on", "info"}
		if _, err := os.Stat(filepath.Join(repo, migrate.BaselineFile)); err == nil {
			args = append(args, "--baseline", migrate.BaselineFile)
		}
		code, out, _ := runIn(t, repo, nil, args...)
		if code != ExitOK || strings.Contains(out, `"rule": "floating-ref"`) && strings.Contains(out, "reusable workflow") {
			t.Errorf("%s: lint --baseline after git apply: exit %d\n%s", name, code, out)
		}
		// As the validate-* workflows run it with the baseline they are now passed: the findings
		// the repository had (claude-code's contract/runtime-version-arg) do not fail, and none
		// of the lint workflow's entries is listed as stale.
		if _, err := os.Stat(filepath.Join(repo, migrate.BaselineFile)); err == nil {
			code, out, _ := runIn(t, repo, nil, "lint", "--contract-only", "--fail-on", "error", "--format", "json", "--baseline", migrate.BaselineFile)
			if code != ExitOK || !strings.Contains(out, `"stale": []`) {
				t.Errorf("%s: lint --contract-only --baseline after git apply: exit %d\n%s", name, code, out)
			}
		}
		assertSameInputs(t, name, src, repo)
	}
}

// assertSameInputs checks that every call of the repository at before passes the same inputs
// and secrets, with the same values, at after (the migration changes refs, nothing else), and
// that after calls the successor's lint workflow with the baseline it wrote, as it calls the
// validate-* workflows and the secret scan (they declare a baseline input; the publish workflow
// does not).
func assertSameInputs(t *testing.T, name, before, after string) {
	t.Helper()
	called := map[string]string{} // the workflow each call calls, after
	calls := func(root string) map[string]string {
		out := map[string]string{}
		paths, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
		for _, abs := range paths {
			p := ".github/workflows/" + filepath.Base(abs)
			src, err := os.ReadFile(abs)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := reusable.Calls(p, src)
			if err != nil {
				t.Fatalf("%s %s: %v", name, p, err)
			}
			for _, c := range cs {
				var b strings.Builder
				for _, in := range c.Inputs {
					fmt.Fprintf(&b, "input %s=%s\n", in.Name, in.Value)
				}
				for _, sc := range c.Secrets {
					fmt.Fprintf(&b, "secret %s\n", sc.Name)
				}
				fmt.Fprintf(&b, "inherit %v\n", c.InheritSecrets)
				out[p+" "+c.Job] = b.String()
				called[p+" "+c.Job] = c.Uses.Path
			}
		}
		return out
	}
	was, is := calls(before), calls(after)
	_, err := os.Stat(filepath.Join(after, migrate.BaselineFile))
	baselined := err == nil
	passed := "input baseline=" + migrate.BaselineFile + "\n"
	for k, v := range was {
		got := is[k]
		switch base := path.Base(called[k]); {
		case !baselined || base == "publish-template-image.yml":
		case strings.HasPrefix(base, "validate-") || base == "secret-scan.yml":
			if !strings.Contains(got, passed) {
				t.Errorf("%s: %s: a baseline is written, but %s is called with\n%s", name, k, base, got)
			}
			got = strings.Replace(got, passed, "", 1)
		}
		if got != v {
			t.Errorf("%s: %s: inputs and secrets were\n%sare\n%s", name, k, v, is[k])
		}
	}
	lint, ok := is[migrate.LintWorkflow+" lint"]
	if _, had := was[migrate.LintWorkflow+" lint"]; !had && (!ok || len(is) != len(was)+1) {
		t.Errorf("%s: the migration added %d calls, want the lint workflow's", name, len(is)-len(was))
	}
	if _, err := os.Stat(filepath.Join(after, migrate.BaselineFile)); err == nil && !strings.Contains(lint, "input baseline="+migrate.BaselineFile+"\n") {
		t.Errorf("%s: a baseline is written, but the lint workflow is called with\n%s", name, lint)
	}
}

// TestFleetMigrateLatestRelease: without --ref, the successor checkout's highest vX.Y.Z tag.
func TestFleetMigrateLatestRelease(t *testing.T) {
	parent, _ := impacttest.CorpusFleet(t)
	dir, commit := impacttest.Successor(t, parent)
	for _, tag := range []string{"v1.2.0", "v1.10.0", "v1.9.3", "v2.0.0-rc1", "release"} {
		gittest.Run(t, dir, "tag", tag, commit)
	}
	code, stdout, stderr := runIn(t, t.TempDir(), nil, "fleet", "migrate", "--dry-run", "--no-lint", "--dir", parent, "--owner", "Molecule-AI", "--format", "json")
	if code != ExitOK || !strings.Contains(stderr, "--ref v1.10.0, the successor's latest release") || !strings.Contains(stdout, `"ref": "v1.10.0"`) || !strings.Contains(stdout, "@"+commit+" # v1.10.0") {
		t.Errorf("exit %d\n%s\n%s", code, stderr, stdout[:min(len(stdout), 500)])
	}
}

// TestFleetMigrateExplain: MIGRATING.md's table is what fleet migrate --explain prints for the
// organisation's corpus (regenerate with go test ./internal/cli -run TestFleetMigrateExplain -update).
func TestFleetMigrateExplain(t *testing.T) {
	parent, _ := impacttest.CorpusFleet(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runIn(t, t.TempDir(), nil, "fleet", "migrate", "--explain", "--dir", parent, "--owner", "Molecule-AI", "--ref", "v1", "--successor", root)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	path := filepath.Join("..", "..", "MIGRATING.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- fleet migrate --explain: begin -->\n", "<!-- fleet migrate --explain: end -->\n"
	i, j := strings.Index(string(b), begin), strings.Index(string(b), end)
	if i < 0 || j < i {
		t.Fatalf("MIGRATING.md has no %q ... %q section", begin, end)
	}
	want := string(b[:i+len(begin)]) + stdout + string(b[j:])
	if golden.Update() {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != string(b) {
		t.Errorf("MIGRATING.md's caller table is stale: run go test ./internal/cli -run TestFleetMigrateExplain -update\n--- fleet migrate --explain:\n%s", stdout)
	}
}

// TestFleetMigratePR opens one pull request per repository of the organisation through the fake
// GitHub API, finds and leaves them on a second run, updates the one whose repository moved on
// on a third, and lists their checks with --status.
func TestFleetMigratePR(t *testing.T) {
	corpus := impacttest.CorpusDir(t)
	f := githubtest.New(t)
	var names []string
	for _, rel := range impacttest.CorpusCallers(t, corpus) {
		name := filepath.Base(rel)
		names = append(names, name)
		f.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: name, Branches: map[string]map[string]string{"main": fsutiltest.ReadTree(t, filepath.Join(corpus, rel))}})
	}
	f.AddRepos(githubtest.RepoSpec{Owner: "Molecule-AI", Name: "molecule-ci", Branches: map[string]map[string]string{"main": prefixed(".github/", fsutiltest.ReadTree(t, filepath.Join("..", "..", ".github")))},
		Tags: map[string]string{"v1": "main"}})
	vars := map[string]string{"FLEET_TOKEN": "ghs_fleet", "GITHUB_API_URL": f.URL}
	work := t.TempDir()
	for run, want := range []string{"created", "unchanged"} {
		code, stdout, stderr := runIn(t, work, vars, "fleet", "migrate", "--org", "Molecule-AI", "--ref", "v1", "--format", "json", "--no-cache")
		if code != ExitOK {
			t.Fatalf("run %d: exit %d\n%s\n%s", run+1, code, stdout, stderr)
		}
		var doc migrate.Document
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Repos) != 12 || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(doc.Pin) {
			t.Fatalf("run %d: %d repositories, pin %q", run+1, len(doc.Repos), doc.Pin)
		}
		for _, r := range doc.Repos {
			if r.PR == nil || r.PR.Action != want || r.PR.Number != 1 {
				t.Errorf("run %d: %s: %+v (error %q), want %s #1", run+1, r.Repo, r.PR, r.Error, want)
			}
		}
	}
	for _, name := range names {
		if name == "molecule-ai-status" || name == "molecule-ai-workspace-runtime" || name == "molecule-mcp-server" {
			continue // no call to migrate
		}
		if pulls := f.Pulls("Molecule-AI", name); len(pulls) != 1 || pulls[0].Head != "molecule-ci/migrate" || pulls[0].State != "open" || !strings.Contains(pulls[0].Body, "\n```text\ndiff --git a/.github/workflows/") {
			t.Errorf("%s: pull requests %+v, want one open", name, pulls)
		}
	}
	files, _ := f.BranchFiles("Molecule-AI", "template-claude-code", "molecule-ci/migrate")
	if !strings.Contains(files[".github/workflows/ci.yml"], "uses: Molecule-AI/molecule-ci/.github/workflows/validate-workspace-template.yml@") {
		t.Errorf("the branch's ci.yml:\n%s", files[".github/workflows/ci.yml"])
	}

	// The repository's main moves on (a new caller of an old shared workflow): the third run
	// updates that repository's branch and pull request in place, and leaves the others.
	extra := "name: scan\non: [push]\npermissions: {contents: read}\njobs:\n  scan:\n    uses: Molecule-AI/molecule-core/.github/workflows/secret-scan.yml@staging\n"
	f.SetFile("Molecule-AI", "template-claude-code", "main", ".github/workflows/scan.yml", &extra)
	code, stdout, stderr := runIn(t, work, vars, "fleet", "migrate", "--org", "Molecule-AI", "--ref", "v1", "--format", "json", "--no-cache")
	if code != ExitOK {
		t.Fatalf("run 3: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var doc migrate.Document
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Repos {
		want := "unchanged"
		if r.Repo == "template-claude-code" {
			want = "updated"
		}
		if r.PR == nil || r.PR.Action != want || r.PR.Number != 1 {
			t.Errorf("run 3: %s: %+v (error %q), want %s #1", r.Repo, r.PR, r.Error, want)
		}
	}
	if pulls := f.Pulls("Molecule-AI", "template-claude-code"); len(pulls) != 1 || pulls[0].State != "open" || !strings.Contains(pulls[0].Body, "scan.yml") {
		t.Errorf("run 3: template-claude-code's pull requests %+v, want the one, its description naming scan.yml", pulls)
	}
	files, _ = f.BranchFiles("Molecule-AI", "template-claude-code", "molecule-ci/migrate")
	if got := files[".github/workflows/scan.yml"]; !strings.Contains(got, "uses: Molecule-AI/molecule-ci/.github/workflows/secret-scan.yml@") || strings.Contains(got, "@staging") {
		t.Errorf("run 3: the branch's scan.yml:\n%s", got)
	}
	f.SetCheckRuns("Molecule-AI", "template-claude-code", "molecule-ci/migrate", githubtest.CheckRun{Name: "Template validation", Status: "completed", Conclusion: "failure"})
	code, stdout, stderr = runIn(t, work, vars, "fleet", "migrate", "--org", "Molecule-AI", "--status", "--no-cache")
	if code != ExitOK {
		t.Fatalf("--status: exit %d\n%s\n%s", code, stdout, stderr)
	}
	golden.Check(t, filepath.Join("testdata", "fleet-migrate-status.golden"), []byte(stdout))
}

func prefixed(prefix string, files map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[prefix+k] = v
	}
	return out
}

func TestFleetMigrateUsage(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"repo/README.md": "x"})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "migrate", "--dir", dir, "--dry-run"}, "--ref REF names the successor's ref to call (required until the first release: no vX.Y.Z tag in the successor's checkout)"},
		{[]string{"fleet", "migrate", "--dir", dir, "--ref", "v1", "--dry-run", "--explain"}, "one at a time"},
		{[]string{"fleet", "migrate", "--dir", dir, "--ref", "a..b", "--dry-run"}, `--ref: ref "a..b": contains '..'`},
		{[]string{"fleet", "migrate", "--ref", "v1", "--dry-run"}, "fleet migrate: name the repositories"},
		{[]string{"fleet", "migrate", "--dir", dir, "--ref", "v1", "--dry-run", "--successor", filepath.Join(dir, "x")}, "--successor " + filepath.Join(dir, "x") + ": not a directory"},
	} {
		code, _, stderr := runIn(t, dir, nil, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
