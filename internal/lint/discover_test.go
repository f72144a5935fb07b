package lint

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
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
	got, err := discover(dir, nil, []string{"legacy"})
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

	// Explicit files: any YAML is a workflow; other files are refused by name.
	got, err = discover(dir, []string{"workflows-shared/lint.yml", "Dockerfile"}, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("explicit files: %v %v", got, err)
	}
	_, err = discover(dir, []string{"main.go"}, nil)
	var ue *UnknownFileError
	if !errors.As(err, &ue) || ue.Path != "main.go" {
		t.Errorf("explicit unknown file: got %v, want *UnknownFileError for main.go", err)
	}
	if _, err := discover(dir, []string{"missing"}, nil); err == nil {
		t.Error("missing path: want an error")
	}
}
