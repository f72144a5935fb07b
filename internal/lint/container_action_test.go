package lint

import (
	"os"
	"path/filepath"
	"testing"
)

func TestContainerAction(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string) string {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	docker := write("a/Dockerfile", "FROM alpine:3.20\n")
	write("a/action.yml", "name: a\ndescription: d\nruns:\n  using: 'docker'\n  image: 'Dockerfile'\n")
	sub := write("b/subdir/Dockerfile", "FROM alpine:3.20\n")
	write("b/action.yaml", "name: b\ndescription: d\nruns:\n  using: docker\n  image: subdir/Dockerfile # built on use\n")
	other := write("c/Dockerfile", "FROM alpine:3.20\n")
	write("c/action.yml", "name: c\ndescription: d\nruns:\n  using: docker\n  image: docker://alpine:3.20\n")
	node := write("d/Dockerfile", "FROM alpine:3.20\n")
	write("d/action.yml", "name: d\ndescription: d\nruns:\n  using: node20\n  main: index.js\n")
	plain := write("e/Dockerfile", "FROM alpine:3.20\n")
	for _, tc := range []struct {
		path string
		want bool
	}{{docker, true}, {sub, true}, {other, false}, {node, false}, {plain, false}} {
		if got := containerAction(tc.path, root); got != tc.want {
			rel, _ := filepath.Rel(root, tc.path)
			t.Errorf("containerAction(%s) = %v, want %v", rel, got, tc.want)
		}
	}
}
