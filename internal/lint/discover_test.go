package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		path string
		want FileKind
	}{
		{".github/workflows/ci.yml", KindWorkflow},
		{".github/workflows/ci.yaml", KindWorkflow},
		{".github/workflows/README.md", KindUnknown},
		{".github/workflows/sub/x.yml", KindUnknown}, // GitHub ignores subfolders
		{"svc/.github/workflows/ci.yml", KindWorkflow},
		{".gitea/workflows/build.yaml", KindWorkflow},
		{".github/workflows/action.yml", KindWorkflow}, // a workflow, whatever its name
		{".gitea/workflows/action.yaml", KindWorkflow},
		{"svc/.github/workflows/action.yml", KindWorkflow},
		{".github/workflows/sub/action.yml", KindAction},
		{"action.yml", KindAction},
		{"actions/setup/action.yaml", KindAction},
		{"workflows-shared/lint.yml", KindWorkflow},
		{"workflows-shared/go/test.yaml", KindWorkflow},
		{"Dockerfile", KindDockerfile},
		{"adapters/x/Dockerfile", KindDockerfile},
		{"build/app.Dockerfile", KindDockerfile},
		{"Dockerfile.dev", KindDockerfile},
		{".molecule-ci.yml", KindConfig},
		{"config.yml", KindUnknown},
		{"Dockerfiles/readme.txt", KindUnknown},
	}
	for _, tt := range tests {
		if got := classify(tt.path); got != tt.want {
			t.Errorf("classify(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{
		".github/workflows/ci.yml", ".github/workflows/notes.txt", "action.yml", "Dockerfile",
		"adapters/a/Dockerfile", "node_modules/pkg/Dockerfile", ".git/hooks/Dockerfile",
		"legacy/Dockerfile", "workflows-shared/lint.yml", ".molecule-ci.yml", "main.go",
	} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := discover(context.Background(), dir, dir, nil, []string{"legacy"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range got {
		paths = append(paths, f.Path+" "+f.Kind.String())
	}
	want := []string{
		".github/workflows/ci.yml workflow",
		".molecule-ci.yml molecule-ci config",
		"Dockerfile Dockerfile",
		"action.yml action metadata",
		"adapters/a/Dockerfile Dockerfile",
		"workflows-shared/lint.yml workflow",
	}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("discover:\n got %q\nwant %q", paths, want)
	}

	// Explicit files are classified by place, then by content; others are refused by name.
	got, err = discover(context.Background(), dir, dir, []string{"workflows-shared/lint.yml", "Dockerfile"}, nil, 0)
	if err != nil || len(got) != 2 {
		t.Fatalf("explicit files: %v %v", got, err)
	}
	_, err = discover(context.Background(), dir, dir, []string{"main.go"}, nil, 0)
	var ue *UnknownFileError
	if !errors.As(err, &ue) || ue.Path != "main.go" {
		t.Errorf("explicit unknown file: got %v, want *UnknownFileError for main.go", err)
	}
	if _, err := discover(context.Background(), dir, dir, []string{"missing"}, nil, 0); err == nil {
		t.Error("missing path: want an error")
	}
}

// TestDiscoverPaths: the directories a user names (.github, .github/workflows, a subfolder of
// the repository) lint what they hold; a directory or file with nothing lintable is an error
// saying so, never a clean run of zero files.
func TestDiscoverPaths(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		".github/workflows/ci.yml":       "on: push\njobs: {}\n",
		".github/workflows/notes.md":     "",
		".github/dependabot.yml":         "version: 2\n",
		"docs/readme.md":                 "",
		"config.yaml":                    "name: x\nruntime: y\n",
		"ci/build.yml":                   "on: push\njobs:\n  b: {}\n",
		"ci/my-action.yaml":              "name: a\nruns:\n  using: composite\n",
		"empty.yml":                      "",
		"list.yml":                       "- on\n- jobs\n",
		"legacy/.github/workflows/a.yml": "on: push\n",
		"only-legacy/legacy/Dockerfile":  "FROM scratch\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	for _, paths := range [][]string{
		{".github"}, {".github/workflows"}, {".github/workflows/"}, {"./.github/workflows/ci.yml"},
		{"ci/build.yml", "ci/my-action.yaml"}, {"docs"}, {"config.yaml"}, {"empty.yml"},
		{"list.yml"}, {"docs/readme.md"}, {"legacy"}, {"legacy/.github"}, {"only-legacy"}, {"nope"}, {".github/dependabot.yml"},
	} {
		got, err := discover(context.Background(), dir, dir, paths, []string{"legacy/**", "**/legacy"}, 0)
		fmt.Fprintf(&b, "lint %s\n", strings.Join(paths, " "))
		if err != nil {
			fmt.Fprintf(&b, "  error: %v\n", err)
			continue
		}
		for _, f := range got {
			fmt.Fprintf(&b, "  %s (%s)\n", f.Path, f.Kind)
		}
	}
	golden.Check(t, "testdata/discover-paths.golden", []byte(b.String()))
}

// FuzzClassifyExplicit: any content of an explicit YAML file is classified without a panic, and
// only as a workflow, action metadata or nothing.
func FuzzClassifyExplicit(f *testing.F) {
	f.Add("on: push\njobs: {}\n")
	f.Add("runs:\n  using: composite\n")
	f.Add("a: &a [*a]\n")
	f.Add("- on\n")
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, src string) {
		k, err := classifyExplicit("x/config.yaml", func() ([]byte, error) { return []byte(src), nil })
		if err != nil {
			t.Fatal(err)
		}
		if k != KindUnknown && k != KindWorkflow && k != KindAction {
			t.Fatalf("kind %v", k)
		}
	})
}

// TestRunNothingToLint: a run that checked nothing at all — no CI file, no text file for the
// secret scan, no contract — is an error naming the path, never a clean run of zero files.
func TestRunNothingToLint(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"node_modules/pkg/index.js": "module.exports = 1\n",
		"assets/logo.png":           "\x89PNG\x00\x00binary",
		"docs/readme.md":            "# docs\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	for _, paths := range [][]string{{"node_modules"}, {"assets"}, {"assets", "node_modules"}, {"docs"}} {
		rep, err := Run(context.Background(), Options{WorkDir: dir, Paths: paths})
		var pe *PathError
		switch {
		case err != nil:
			fmt.Fprintf(&b, "lint %s: PathError=%v: %v\n", strings.Join(paths, " "), errors.As(err, &pe), err)
		default:
			fmt.Fprintf(&b, "lint %s: %d files checked\n", strings.Join(paths, " "), rep.FilesChecked)
		}
	}
	golden.Check(t, "testdata/nothing-to-lint.golden", []byte(b.String()))
}

// A workflow named action.yml in .github/workflows is linted as the workflow GitHub runs, not
// as action metadata (which reported its missing name, description and runs: as five errors).
func TestWorkflowNamedAction(t *testing.T) {
	dir := t.TempDir()
	src := "name: action\non: push\npermissions: {contents: read}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: echo hi\n"
	p := filepath.Join(dir, ".github", "workflows", "action.yml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FilesChecked == 0 || len(rep.Findings) != 0 {
		t.Errorf("checked %d files, findings %v; want the workflow checked with no finding", rep.FilesChecked, rep.Findings)
	}
}
