package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/github/githubtest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// The commits of the fake molecule-ci repository that tags point at before a release.
const (
	pythonV1   = "5c1e7a0b9d3f4e2a8b6c0d1e2f3a4b5c6d7e8f90" // the Python validators, v1 before molecule-ci
	pythonTag  = "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7" // v1's annotated tag object
	earlierRel = "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1" // an earlier molecule-ci release
	handMade   = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b" // a v0-legacy someone made by hand
)

// releaseJobs are the jobs of release.yml that TestReleaseTags runs as they are written; the
// others (test, binaries, image, publish) become stand-ins that succeed, with the same needs.
var releaseJobs = []string{"v1-plan", "v0-legacy", "v1-impact", "move-tags"}

// TestReleaseTags runs release.yml's moving-tag jobs in act against a fake GitHub API (the refs,
// tag objects and file contents of Molecule-AI/molecule-ci), with the binary of this checkout as
// the release's. It checks what the organisation must be able to rely on:
//   - v1 points at the Python validators: the first release keeps that target as v0-legacy and
//     moves v1 only after `fleet impact --ref v1` over the organisation (githubtest's fake behind
//     the same API) shows no caller of @v1 broken: none pins it, and v1 moves (a second run finds
//     it moved); a repository pinning @v1 a workflow the release lacks keeps v1 where it is;
//   - v1 points at a molecule-ci release and v0-legacy exists: v1 and v1.x move to the release,
//     v0-legacy is not touched;
//   - a v0-legacy made by hand elsewhere is left where it is; a pre-release moves no tag.
//
// Each case's API writes and final tags are compared with testdata/release-tags/<case>.txt.
func TestReleaseTags(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("release.yml runs the linux_amd64 binary; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	act := actBinary(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	stubs, err := filepath.Abs(filepath.Join("testdata", "stubs"))
	if err != nil {
		t.Fatal(err)
	}
	workflow := releaseTagsWorkflow(t, root)
	dist := t.TempDir()
	bin, err := os.ReadFile(releasedBinary(t, root))
	if err != nil {
		t.Fatal(err)
	}
	// The release is v1.4.0 here: the binary's own version string plays no part in moving tags.
	const tag = "v1.4.0"
	if err := os.WriteFile(filepath.Join(dist, "molecule-ci_1.4.0_linux_amd64"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	env := actEnv(t)

	cases := []struct {
		name string
		tag  string
		tags map[string]string // before the release
		runs int
		exit int
		// must are lines act's output must contain (with $RELEASE for the release commit).
		must []string
		// org are the organisation's repositories besides molecule-ci (its Python validators,
		// tagged v1), as fleet impact reads them through the API.
		org []githubtest.RepoSpec
	}{
		{
			// No repository pins @v1 (they call @main): fleet impact proves it, and v1 moves.
			name: "first-move", tag: tag, runs: 2, exit: 0,
			tags: map[string]string{"v1": pythonTag, "v1.0": pythonV1},
			org:  []githubtest.RepoSpec{orgCaller("template-a", "main")},
			must: []string{
				"No caller of `@v1`: 2 repositories read, 1 call into its workflows, none pinning `v1` (`@main` 1).",
				"v1 -> $RELEASE",
			},
		},
		{
			// A repository pins @v1 of a workflow the release does not have: v1 is not moved.
			name: "first-move-breaks", tag: tag, runs: 1, exit: 1,
			tags: map[string]string{"v1": pythonTag, "v1.0": pythonV1},
			org:  []githubtest.RepoSpec{orgCaller("template-a", "main"), orgCaller("plugin-b", "v1")},
			must: []string{
				"Only the 1 call pinning `@v1` checked, against the tree at `v1`; 3 repositories read, 1 call pinning other refs (`@main` 1).",
				"workflow-removed",
			},
		},
		{
			name: "later-release", tag: tag, runs: 1, exit: 0,
			tags: map[string]string{"v1": earlierRel, "v1.3": earlierRel, "v0-legacy": pythonV1},
			must: []string{"v1 -> $RELEASE", "v1.4 -> $RELEASE"},
		},
		{
			name: "legacy-by-hand", tag: tag, runs: 1, exit: 1,
			tags: map[string]string{"v1": pythonV1, "v0-legacy": handMade},
			must: []string{"::warning::v0-legacy already points at " + handMade + ", not at " + pythonV1 + " (v1's target before this release); it is left where it is"},
		},
		{
			name: "pre-release", tag: tag + "-rc.1", runs: 1, exit: 0,
			tags: map[string]string{"v1": earlierRel},
			must: []string{"release-tags: v1.4.0-rc.1 is a pre-release; no moving tag points at it"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			repo := filepath.Join(work, "molecule-ci")
			writeFile(t, filepath.Join(repo, ".github", "workflows", "release.yml"), workflow)
			for _, f := range []string{"scripts/release-tags.sh", "go.mod"} {
				b, err := os.ReadFile(filepath.Join(root, f))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(repo, f), b)
			}
			gittest.RunEnv(t, repo, env, "init", "-q", "-b", "main")
			gittest.RunEnv(t, repo, env, "add", "-A")
			gittest.RunEnv(t, repo, env, "-c", "user.name=molecule-ci e2e", "-c", "user.email=e2e@molecule-ci.invalid", "commit", "-q", "-m", "release")
			gittest.RunEnv(t, repo, env, "remote", "add", "origin", "https://github.com/Molecule-AI/molecule-ci.git")
			release := gittest.RunEnv(t, repo, env, "rev-parse", "HEAD")

			gh := newFakeRefs(tc.tags, map[string]string{
				pythonV1:   "", // no go.mod: the Python validators
				earlierRel: "module github.com/Molecule-AI/molecule-ci\n\ngo 1.26.0\n",
				release:    "module github.com/Molecule-AI/molecule-ci\n\ngo 1.26.0\n",
			})
			if tc.org != nil {
				org := githubtest.New(t)
				org.AddRepos(append([]githubtest.RepoSpec{{Owner: "Molecule-AI", Name: "molecule-ci",
					Branches: map[string]map[string]string{"main": pythonValidators, "legacy": pythonValidators}, Tags: map[string]string{"v1": "legacy"}}}, tc.org...)...)
				gh.org, gh.orgURL = org, strings.TrimSuffix(org.URL, "/api/v3")
			}
			srv := httptest.NewServer(gh)
			gh.selfURL = srv.URL
			t.Cleanup(srv.Close)
			names := map[string]string{release: "$RELEASE", pythonV1: "$PYTHON_V1", pythonTag: "$PYTHON_V1_TAG_OBJECT",
				earlierRel: "$EARLIER_RELEASE", handMade: "$HAND_MADE", srv.URL: "$GITHUB_API_URL", work: "$WORK"}

			event := filepath.Join(work, "event.json")
			writeFile(t, event, []byte(fmt.Sprintf(`{"ref": "refs/tags/%s", "repository": {"name": "molecule-ci", "full_name": "Molecule-AI/molecule-ci", "owner": {"login": "Molecule-AI"}}}`, tc.tag)))
			args := []string{
				"push", "-W", ".github/workflows/release.yml", "-e", event,
				"-P", "ubuntu-latest=-self-hosted",
				"--pull=false", "--action-offline-mode", "--no-cache-server",
				"--action-cache-path", filepath.Join(work, "act-cache"),
				"--local-repository", "actions/checkout@" + pinCheckout + "=" + filepath.Join(stubs, "checkout"),
				"--local-repository", "actions/download-artifact@" + pinDownloadArtifact + "=" + filepath.Join(stubs, "download-artifact-dist"),
				"--env", "GITHUB_API_URL=" + srv.URL, "--secret", "GITHUB_TOKEN=ghs_e2eReleaseToken",
			}
			var out, all []byte
			var err error
			for i := range tc.runs {
				ctx, cancel := context.WithTimeout(context.Background(), actTimeout)
				cmd := exec.CommandContext(ctx, act, args...)
				cmd.Dir = repo
				cmd.Env = append(slices.Clip(env), "MOLECULE_E2E_DIST="+dist, "MOLECULE_E2E_SOURCE="+repo)
				cmd.WaitDelay = 10 * time.Second
				out, err = cmd.CombinedOutput()
				cancel()
				if code, ok := actExit(err); !ok || code != tc.exit {
					t.Fatalf("act run %d of %d: exit %d (%v), want %d:\n%s", i+1, tc.runs, code, err, tc.exit, out)
				}
				all = append(all, out...)
			}
			text := string(all) // every run's: the first moves v1, a second finds it moved
			for _, s := range offlineBreaches {
				if strings.Contains(text, s) {
					t.Errorf("act tried to fetch from GitHub (%q in its output)", s)
				}
			}
			for _, s := range tc.must {
				s = strings.ReplaceAll(s, "$RELEASE", release)
				if !strings.Contains(text, s) {
					t.Errorf("act's output lacks %q:\n%s", s, text)
				}
			}
			golden.Check(t, filepath.Join("testdata", "release-tags", tc.name+".txt"), []byte(gh.record(names)))
		})
	}
}

// pythonValidators stands for the tree v1 points at before the first release: the Python
// validators' reusable workflow, with no molecule-ci in it.
var pythonValidators = map[string]string{
	".github/workflows/validate-plugin.yml": "on:\n  workflow_call:\njobs:\n  validate:\n    runs-on: ubuntu-latest\n    steps:\n      - run: python3 scripts/validate_plugin.py\n",
	"scripts/validate_plugin.py":            "print('ok')\n",
}

// orgCaller is a repository of the organisation calling the Python validators' workflow at ref.
func orgCaller(name, ref string) githubtest.RepoSpec {
	return githubtest.RepoSpec{Owner: "Molecule-AI", Name: name, Branches: map[string]map[string]string{"main": {
		".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  validate:\n    uses: Molecule-AI/molecule-ci/.github/workflows/validate-plugin.yml@" + ref + "\n",
	}}}
}

// releaseTagsWorkflow is release.yml with the jobs before the tags (tests, binaries, image,
// release) as stand-ins that succeed: the jobs under test, their needs, conditions and outputs
// are as written.
func releaseTagsWorkflow(t *testing.T, root string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	jobs := mappingValue(doc.Content[0], "jobs")
	if jobs == nil {
		t.Fatal("release.yml has no jobs")
	}
	found := 0
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		id, job := jobs.Content[i].Value, jobs.Content[i+1]
		if slices.Contains(releaseJobs, id) {
			found++
			continue
		}
		standIn := &yaml.Node{Kind: yaml.MappingNode}
		add := func(k string, v *yaml.Node) {
			standIn.Content = append(standIn.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
		if needs := mappingValue(job, "needs"); needs != nil {
			add("needs", needs)
		}
		add("runs-on", &yaml.Node{Kind: yaml.ScalarNode, Value: "ubuntu-latest"})
		step := &yaml.Node{Kind: yaml.MappingNode}
		step.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Value: "run"}, {Kind: yaml.ScalarNode, Value: "echo stand-in for the " + id + " job"}}
		add("steps", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{step}})
		jobs.Content[i+1] = standIn
	}
	if found != len(releaseJobs) {
		t.Fatalf("release.yml has %d of the jobs %v", found, releaseJobs)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// fakeRefs answers the part of the GitHub REST API that scripts/release-tags.sh calls, for
// Molecule-AI/molecule-ci, as api.github.com does: git refs (get, create, update), annotated tag
// objects, and file contents at a ref, with GitHub's status codes and error bodies, and 401
// without a token. It records every write.
type fakeRefs struct {
	mu      sync.Mutex
	tags    map[string]string // tag name -> commit, or annotated tag object
	objects map[string]string // annotated tag object -> commit
	goMods  map[string]string // commit -> go.mod ("" = none)
	writes  []string
	// writeStatus, when set, answers every write with it (a token without contents: write).
	writeStatus int
	// org answers everything else (/api/v3/...: the organisation fleet impact reads), when set;
	// orgURL is its server's root, selfURL this one's.
	org             http.Handler
	orgURL, selfURL string
}

// relocating rewrites a redirect's Location from one server's root to another's.
type relocating struct {
	http.ResponseWriter
	from, to string
}

func (r relocating) WriteHeader(code int) {
	if loc := r.Header().Get("Location"); r.from != "" && strings.HasPrefix(loc, r.from) {
		r.Header().Set("Location", r.to+strings.TrimPrefix(loc, r.from))
	}
	r.ResponseWriter.WriteHeader(code)
}

func newFakeRefs(tags, goMods map[string]string) *fakeRefs {
	return &fakeRefs{tags: maps.Clone(tags), objects: map[string]string{pythonTag: pythonV1}, goMods: goMods}
}

const refsPrefix = "/repos/Molecule-AI/molecule-ci/"

func (f *fakeRefs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	path, ok := strings.CutPrefix(r.URL.Path, refsPrefix)
	if !ok && f.org != nil {
		// The organisation's fake redirects tarball downloads to its own server; here they come
		// back through this one, so the client keeps its token as it does against one host.
		f.org.ServeHTTP(relocating{w, f.orgURL, f.selfURL}, r)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		ghError(w, http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest")
		return
	}
	if !ok {
		ghError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var in struct {
		Ref   string `json:"ref"`
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			ghError(w, http.StatusBadRequest, "Problems parsing JSON", "https://docs.github.com/rest")
			return
		}
		if f.writeStatus != 0 {
			ghError(w, f.writeStatus, "Resource not accessible by integration", "https://docs.github.com/rest/git/refs")
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(path, "git/ref/tags/"):
		name := strings.TrimPrefix(path, "git/ref/tags/")
		sha, ok := f.tags[name]
		if !ok {
			ghError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/git/refs#get-a-reference")
			return
		}
		typ := "commit"
		if _, annotated := f.objects[sha]; annotated {
			typ = "tag"
		}
		writeJSON(w, http.StatusOK, map[string]any{"ref": "refs/tags/" + name, "object": map[string]string{"sha": sha, "type": typ}})
	case r.Method == http.MethodGet && strings.HasPrefix(path, "git/tags/"):
		obj := strings.TrimPrefix(path, "git/tags/")
		commit, ok := f.objects[obj]
		if !ok {
			ghError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/git/tags#get-a-tag")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"sha": obj, "object": map[string]string{"sha": commit, "type": "commit"}})
	case r.Method == http.MethodGet && path == "contents/go.mod":
		mod, ok := f.goMods[r.URL.Query().Get("ref")]
		if !ok || mod == "" {
			ghError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/contents#get-repository-content")
			return
		}
		// GitHub wraps the base64 content at 60 characters.
		enc := base64.StdEncoding.EncodeToString([]byte(mod))
		var wrapped strings.Builder
		for len(enc) > 60 {
			wrapped.WriteString(enc[:60] + "\n")
			enc = enc[60:]
		}
		wrapped.WriteString(enc + "\n")
		writeJSON(w, http.StatusOK, map[string]any{"type": "file", "name": "go.mod", "path": "go.mod", "encoding": "base64", "content": wrapped.String()})
	case r.Method == http.MethodPost && path == "git/refs":
		name, ok := strings.CutPrefix(in.Ref, "refs/tags/")
		if !ok || in.SHA == "" {
			ghError(w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/'", "https://docs.github.com/rest/git/refs#create-a-reference")
			return
		}
		if _, exists := f.tags[name]; exists {
			ghError(w, http.StatusUnprocessableEntity, "Reference already exists", "https://docs.github.com/rest/git/refs#create-a-reference")
			return
		}
		f.tags[name] = in.SHA
		f.writes = append(f.writes, fmt.Sprintf("create %s -> %s", name, in.SHA))
		writeJSON(w, http.StatusCreated, map[string]any{"ref": in.Ref, "object": map[string]string{"sha": in.SHA, "type": "commit"}})
	case r.Method == http.MethodPatch && strings.HasPrefix(path, "git/refs/tags/"):
		name := strings.TrimPrefix(path, "git/refs/tags/")
		if _, exists := f.tags[name]; !exists {
			ghError(w, http.StatusUnprocessableEntity, "Reference does not exist", "https://docs.github.com/rest/git/refs#update-a-reference")
			return
		}
		f.tags[name] = in.SHA
		f.writes = append(f.writes, fmt.Sprintf("move %s -> %s (force %v)", name, in.SHA, in.Force))
		writeJSON(w, http.StatusOK, map[string]any{"ref": "refs/tags/" + name, "object": map[string]string{"sha": in.SHA, "type": "commit"}})
	default:
		ghError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
	}
}

// record is the writes and the final tags, with commits shown by name.
func (f *fakeRefs) record(names map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := func(s string) string {
		for k, v := range names {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	var b strings.Builder
	b.WriteString("writes:\n")
	for _, w := range f.writes {
		b.WriteString("  " + name(w) + "\n")
	}
	b.WriteString("tags after:\n")
	var tags []string
	for t := range f.tags {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	for _, t := range tags {
		b.WriteString("  " + t + " -> " + name(f.tags[t]) + "\n")
	}
	return b.String()
}

func ghError(w http.ResponseWriter, status int, msg, doc string) {
	writeJSON(w, status, map[string]string{"message": msg, "documentation_url": doc, "status": fmt.Sprint(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// TestReleaseTagsScript runs scripts/release-tags.sh on its own against the fake API, for what an
// act run cannot easily stage: v1 moved by someone else between the plan and the move, GitHub
// refusing a write, bad arguments. Each case states the exact output and exit code.
func TestReleaseTagsScript(t *testing.T) {
	gittest.Need(t)
	if _, err := exec.LookPath("jq"); err != nil {
		testenv.Missing(t, "jq is not installed (GitHub's runners have it; scripts/test.sh installs it): %v", err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	const release = "1234567890123456789012345678901234567890"
	cases := []struct {
		name        string
		args        []string
		tags        map[string]string
		writeStatus int
		noToken     bool
		exit        int
		out         string
	}{
		{
			name: "moved since planned", args: []string{"move", "v1.4.0", release, pythonV1},
			tags: map[string]string{"v1": earlierRel}, exit: 1,
			out: "::error::v1 points at " + earlierRel + " now, not at " + pythonV1 + " as when this release was planned; v1 is not moved (run the release again)\n",
		},
		{
			name: "created since planned", args: []string{"move", "v1.4.0", release, ""},
			tags: map[string]string{"v1": earlierRel}, exit: 1,
			out: "::error::v1 points at " + earlierRel + " now, not at nothing as when this release was planned; v1 is not moved (run the release again)\n",
		},
		{
			name: "first v1", args: []string{"move", "v1.4.0", release, ""},
			tags: map[string]string{}, exit: 0,
			out: "v1 -> " + release + "\nv1.4 -> " + release + "\n",
		},
		{
			name: "write refused", args: []string{"legacy", pythonV1},
			tags: map[string]string{"v1": pythonV1}, writeStatus: http.StatusForbidden, exit: 3,
			out: "release-tags: POST git/refs: HTTP 403: Resource not accessible by integration\n",
		},
		{
			name: "plan without v1", args: []string{"plan", "v1.0.0"},
			tags: map[string]string{}, exit: 0,
			out: "major=v1\nminor=v1.0\nmajor-sha=\nfirst-move=false\n",
		},
		{
			name: "plan, annotated v1 at the Python validators", args: []string{"plan", "v1.0.0"},
			tags: map[string]string{"v1": pythonTag}, exit: 0,
			out: "major=v1\nminor=v1.0\nmajor-sha=" + pythonV1 + "\nfirst-move=true\n",
		},
		{
			name: "plan, v1 at molecule-ci", args: []string{"plan", "v1.5.0"},
			tags: map[string]string{"v1": earlierRel}, exit: 0,
			out: "major=v1\nminor=v1.5\nmajor-sha=" + earlierRel + "\nfirst-move=false\n",
		},
		{
			name: "not a version", args: []string{"plan", "v1.0"},
			exit: 2, out: "release-tags: \"v1.0\" is not vX.Y.Z\n",
		},
		{
			name: "not a SHA", args: []string{"legacy", "main"},
			exit: 2, out: "release-tags: \"main\" is not a full commit SHA\n",
		},
		{
			name: "no token", args: []string{"plan", "v1.0.0"}, noToken: true,
			exit: 2, out: "release-tags: GITHUB_TOKEN is not set (a token that can read, and for legacy and move write, the repository's tags)\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gh := newFakeRefs(tc.tags, map[string]string{earlierRel: "module github.com/Molecule-AI/molecule-ci\n\ngo 1.26.0\n"})
			gh.writeStatus = tc.writeStatus
			srv := httptest.NewServer(gh)
			t.Cleanup(srv.Close)
			cmd := exec.Command("bash", append([]string{"scripts/release-tags.sh"}, tc.args...)...)
			cmd.Dir = root
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GITHUB_API_URL=" + srv.URL, "GITHUB_REPOSITORY=Molecule-AI/molecule-ci"}
			if !tc.noToken {
				cmd.Env = append(cmd.Env, "GITHUB_TOKEN=ghs_e2eReleaseToken")
			}
			out, err := cmd.CombinedOutput()
			code, ok := actExit(err)
			if !ok {
				t.Fatal(err)
			}
			if code != tc.exit || string(out) != tc.out {
				t.Errorf("exit %d, output:\n%s\nwant exit %d, output:\n%s", code, out, tc.exit, tc.out)
			}
		})
	}
}

// releaseChangelog is a CHANGELOG.md with a release, its release candidate and an older one.
const releaseChangelog = `# Changelog

## [Unreleased]

- not released yet

## [1.0.0] - 2026-12-10

### Added
- molecule-ci replaces the Python validators.

## [1.0.0-rc.1] - 2026-12-01

- the candidate

## [0.9.0] - 2026-11-01

- before
`

// TestReleaseNotes runs scripts/release-notes.sh as release.yml's publish job does: the tag's
// CHANGELOG.md section, the paragraph naming v0-legacy on the first move of v1, the image line;
// a tag without a section and bad arguments are refused. The transcript is
// testdata/release-notes.golden.
func TestReleaseNotes(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "release-notes.sh"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "scripts", "release-notes.sh"), script)
	writeFile(t, filepath.Join(dir, "CHANGELOG.md"), []byte(releaseChangelog))
	var b strings.Builder
	for _, tc := range []struct {
		args  []string
		image string
	}{
		{args: []string{"v1.0.0"}},
		{args: []string{"v1.0.0", pythonV1}, image: "sha256:" + strings.Repeat("ab", 32)},
		{args: []string{"v1.0.0-rc.1"}},
		{args: []string{"v1.2.0"}},
		{args: []string{"v1.0"}},
		{args: []string{"v1.0.0", "main"}},
	} {
		cmd := exec.Command("bash", append([]string{"scripts/release-notes.sh"}, tc.args...)...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		if tc.image != "" {
			cmd.Env = append(cmd.Env, "IMAGE_DIGEST="+tc.image)
		}
		out, err := cmd.CombinedOutput()
		code, ok := actExit(err)
		if !ok {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "$ IMAGE_DIGEST=%s release-notes.sh %s\n%sexit %d\n", tc.image, strings.Join(tc.args, " "), out, code)
	}
	golden.Check(t, filepath.Join("testdata", "release-notes.golden"), []byte(b.String()))
}
