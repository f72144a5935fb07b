package report

import (
	"path/filepath"
	"testing"
)

func TestScopeCovers(t *testing.T) {
	root := filepath.FromSlash("/repo")
	in := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	contractOnly := &Scope{Paths: []string{root}, Rules: []string{"secret-committed", "contract/runtime-version-arg"}}
	oneDir := &Scope{Paths: []string{in(".github/workflows")}, Partial: []string{"secret-committed"}}
	families := &Scope{Paths: []string{root}, Rules: []string{"actionlint/*"}}
	for _, c := range []struct {
		scope      *Scope
		rule, path string
		want       bool
	}{
		{nil, "floating-ref", in("x.yml"), true},
		{contractOnly, "contract/runtime-version-arg", in("Dockerfile"), true},
		{contractOnly, "secret-committed", in("docs/a.md"), true},
		{contractOnly, "floating-ref", in(".github/workflows/ci.yml"), false},
		{contractOnly, "contract/runtime-version-arg", filepath.FromSlash("/other/Dockerfile"), false},
		{contractOnly, "contract/runtime-version-arg", filepath.FromSlash("/repository/Dockerfile"), false}, // a prefix, not a parent
		{contractOnly, "secret-committed", "", true},
		{oneDir, "floating-ref", in(".github/workflows/ci.yml"), true},
		{oneDir, "floating-ref", in(".github/workflows"), true},
		{oneDir, "docker-root-user", in("Dockerfile"), false},
		{oneDir, "secret-committed", in(".github/workflows/ci.yml"), false}, // --diff: partial
		{families, "actionlint/expression", in("a.yml"), true},
		{families, "actionlint", in("a.yml"), false},
		{families, "buildkit/JSONArgsRecommended", in("Dockerfile"), false},
	} {
		if got := c.scope.Covers(c.rule, c.path); got != c.want {
			t.Errorf("%+v.Covers(%q, %q) = %v, want %v", c.scope, c.rule, c.path, got, c.want)
		}
	}
	merged := oneDir.Merge(&Scope{Paths: []string{in("Dockerfile")}, Partial: []string{"secret-committed"}})
	if !merged.Covers("docker-root-user", in("Dockerfile")) || !merged.Covers("floating-ref", in(".github/workflows/ci.yml")) || merged.Covers("x", in("README.md")) {
		t.Errorf("merged scope %+v: want the paths of both", merged)
	}
	if oneDir.Merge(nil) != nil {
		t.Error("a nil scope (everything) must absorb the other")
	}
}
