package reusable

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
)

// corpus is the shared corpus of the organisation's repositories; tests that need it skip without.
func corpus(t *testing.T, parts ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{"..", "..", "..", "shared", "corpus"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("SKIP: the shared corpus is not here (%v)", err)
	}
	return dir
}

// sharedCI makes a git repository of the organisation's shared-CI repository as it stands: main
// without validate-go-plugin.yml (it lives on staging), tag v1 on main, staging one commit ahead,
// and a remote-tracking branch origin/release that exists only as such.
func sharedCI(t *testing.T) (dir string, commits map[string]string) {
	t.Helper()
	src := corpus(t, "molecule-ci-main")
	dir = filepath.Join(t.TempDir(), "molecule-ci")
	gittest.Init(t, dir)
	fsutiltest.CopyTree(t, src, dir, func(rel string) bool { return rel == ".github/workflows/validate-go-plugin.yml" })
	commits = map[string]string{}
	commits["main"] = gittest.Commit(t, dir, "main")
	gittest.Run(t, dir, "tag", "v1")
	gittest.Run(t, dir, "checkout", "-q", "-b", "staging")
	fsutiltest.CopyTree(t, src, dir, nil)
	commits["staging"] = gittest.Commit(t, dir, "staging: validate-go-plugin")
	gittest.Run(t, dir, "update-ref", "refs/remotes/origin/release", commits["staging"])
	gittest.Run(t, dir, "checkout", "-q", "main")
	return dir, commits
}

type fakeRemote struct {
	commits map[string]string // "owner/repo@ref" → commit
	files   map[string]string // "owner/repo@commit:path" → content
	hidden  map[string]bool   // "owner/repo" answering 404
	fail    error
	calls   atomic.Int32
}

func (f *fakeRemote) Commit(_ context.Context, owner, repo, ref string) (string, error) {
	f.calls.Add(1)
	if f.fail != nil {
		return "", f.fail
	}
	if f.hidden[owner+"/"+repo] {
		return "", fmt.Errorf("GET …: 404 Not Found: %w", ErrNoRepo)
	}
	c, ok := f.commits[owner+"/"+repo+"@"+ref]
	if !ok {
		return "", fmt.Errorf("GET …: 422 No commit found for SHA: %s: %w", ref, ErrNoRef)
	}
	return c, nil
}

func (f *fakeRemote) File(_ context.Context, owner, repo, commit, path string) ([]byte, error) {
	f.calls.Add(1)
	s, ok := f.files[owner+"/"+repo+"@"+commit+":"+path]
	if !ok {
		return nil, fmt.Errorf("GET …: 404: %w", ErrNoFile)
	}
	return []byte(s), nil
}

func mustUses(t *testing.T, s string) Uses {
	t.Helper()
	u, err := ParseUses(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// describe is a Resolution in one line, for comparing with expectations.
func describe(res Resolution) string {
	s := res.Status.String()
	if res.Source != "" {
		s += " from " + res.Source
	}
	if res.Interface != nil {
		var names []string
		for _, in := range res.Interface.Inputs {
			names = append(names, in.Name)
		}
		s += " inputs [" + strings.Join(names, " ") + "]"
	}
	if res.Reason != "" {
		s += ": " + res.Reason
	}
	return s
}

func TestResolveCheckout(t *testing.T) {
	ci, commits := sharedCI(t)
	caller := t.TempDir()
	os.MkdirAll(filepath.Join(caller, ".github", "workflows"), 0o755)
	os.WriteFile(filepath.Join(caller, ".github", "workflows", "own.yml"), []byte("on:\n  workflow_call:\n    inputs:\n      a:\n        type: string\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: y\n"), 0o644)
	os.WriteFile(filepath.Join(caller, ".github", "workflows", "plain.yml"), []byte("on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: y\n"), 0o644)

	shallow := filepath.Join(t.TempDir(), "shallow")
	gittest.Run(t, filepath.Dir(shallow), "clone", "-q", "--depth", "1", "--branch", "main", "file://"+ci, shallow)

	r := &Resolver{Checkouts: map[string]string{"molecule-ai/MOLECULE-CI": ci, "Molecule-AI/shallow-ci": shallow, "Molecule-AI/not-git": caller}}
	ctx := context.Background()
	self := Caller{Repo: "Molecule-AI/consumer", Root: caller}
	where := "checkout " + ci
	for _, tc := range []struct{ uses, want string }{
		{"Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@staging", "resolved from " + where + " inputs [go-version packages skip-mod-tidy]"},
		{"Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@release", "resolved from " + where + " inputs [go-version packages skip-mod-tidy]"},
		{"Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@" + commits["staging"], "resolved from " + where + " inputs [go-version packages skip-mod-tidy]"},
		{"Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@" + commits["staging"][:9], "resolved from " + where + " inputs [go-version packages skip-mod-tidy]"},
		{"Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml@v1", "resolved from " + where + " inputs [runtime_name runtime_version]"},
		{"Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@main", "file-missing from " + where + ": Molecule-AI/molecule-ci has no .github/workflows/validate-go-plugin.yml at main (commit " + commits["main"][:12] + ", " + where + ")"},
		{"Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@v9", "ref-missing from " + where + `: ref "v9" does not exist in Molecule-AI/molecule-ci (` + where + ": main, staging, v1, release)"},
		{"Molecule-AI/molecule-ci/.github/workflows/auto-promote-staging.yml@main", "not-callable from " + where + ": Molecule-AI/molecule-ci/.github/workflows/auto-promote-staging.yml at main has no on.workflow_call trigger, so it cannot be called"},
		{"Molecule-AI/shallow-ci/.github/workflows/validate-go-plugin.yml@staging", `unchecked: ref "staging" is not in checkout ` + shallow + ", a shallow clone (fetch it); no GitHub token to read it through the API"},
		{"Molecule-AI/not-git/.github/workflows/x.yml@main", "unchecked: checkout " + caller + " is not a git repository, so Molecule-AI/not-git@main cannot be read from it; no GitHub token to read it through the API"},
		{"Molecule-AI/elsewhere/.github/workflows/x.yml@main", "unchecked: no local checkout of Molecule-AI/elsewhere (lint.reusable.checkouts, or the sibling elsewhere of a fleet run); no GitHub token to read it through the API"},
		{"./.github/workflows/own.yml", "resolved from the caller's files inputs [a]"},
		{"./.github/workflows/missing.yml", "file-missing from the caller's files: the repository has no .github/workflows/missing.yml"},
		{"./.github/workflows/plain.yml", "not-callable from the caller's files: ./.github/workflows/plain.yml has no on.workflow_call trigger, so it cannot be called"},
	} {
		got := describe(r.Resolve(ctx, self, mustUses(t, tc.uses)))
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.uses, got, tc.want)
		}
	}
	// A call into the caller's own repository at a ref reads the caller's git history.
	got := describe(r.Resolve(ctx, Caller{Repo: "Molecule-AI/molecule-ci", Root: ci}, mustUses(t, "Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@staging")))
	if want := "resolved from the caller's clone " + ci; !strings.HasPrefix(got, want) {
		t.Errorf("own repository at a ref: %s", got)
	}
	// A ref the caller's own clone lacks is not taken as missing from the repository: a CI clone
	// often has neither the other branches nor the tags.
	got = describe(r.Resolve(ctx, Caller{Repo: "Molecule-AI/consumer", Root: ci}, mustUses(t, "Molecule-AI/consumer/.github/workflows/validate-go-plugin.yml@v2")))
	if want := `unchecked: ref "v2" is not in the caller's clone ` + ci + " (fetch it, or its tags); no GitHub token to read it through the API"; !strings.HasPrefix(got, want) {
		t.Errorf("own clone without the ref:\n got %s\nwant %s", got, want)
	}
}

func TestResolveRemote(t *testing.T) {
	callee := "on:\n  workflow_call:\n    inputs:\n      x:\n        type: boolean\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: y\n"
	f := &fakeRemote{
		commits: map[string]string{"o/r@v1": "c1", "o/r@main": "c2"},
		files:   map[string]string{"o/r@c1:.github/workflows/a.yml": callee},
		hidden:  map[string]bool{"o/private": true},
	}
	r := &Resolver{Remote: f}
	ctx := context.Background()
	for _, tc := range []struct{ uses, want string }{
		{"o/r/.github/workflows/a.yml@v1", "resolved from the GitHub API inputs [x]"},
		{"o/r/.github/workflows/a.yml@main", "file-missing from the GitHub API: o/r has no .github/workflows/a.yml at main (commit c2)"},
		{"o/r/.github/workflows/a.yml@v2", `ref-missing from the GitHub API: ref "v2" does not exist in o/r (GitHub: no branch, tag or commit of that name)`},
		{"o/private/.github/workflows/a.yml@v1", "unchecked: o/private is not visible to the token"},
	} {
		if got := describe(r.Resolve(ctx, Caller{}, mustUses(t, tc.uses))); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.uses, got, tc.want)
		}
	}
	// Resolved once, however many callers ask at once.
	before := f.calls.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Resolve(ctx, Caller{}, mustUses(t, "o/r/.github/workflows/a.yml@v1"))
		}()
	}
	wg.Wait()
	if n := f.calls.Load() - before; n != 0 {
		t.Errorf("a resolved callee was asked for again %d times", n)
	}
	// An API failure is a reason, verbatim, never a pass.
	broken := &Resolver{Remote: &fakeRemote{fail: fmt.Errorf("GET https://api.github.com/repos/o/r/commits/v1: 503 Service Unavailable")}}
	got := describe(broken.Resolve(ctx, Caller{}, mustUses(t, "o/r/.github/workflows/a.yml@v1")))
	if want := "unchecked: reading o/r@v1 through the GitHub API failed: GET https://api.github.com/repos/o/r/commits/v1: 503 Service Unavailable"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	// A context cancelled mid-resolution is not remembered as the answer.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	flaky := &Resolver{Remote: &fakeRemote{fail: cctx.Err()}}
	flaky.Resolve(cctx, Caller{}, mustUses(t, "o/r/.github/workflows/a.yml@v1"))
	flaky.Remote = f
	if got := describe(flaky.Resolve(ctx, Caller{}, mustUses(t, "o/r/.github/workflows/a.yml@v1"))); !strings.HasPrefix(got, "resolved") {
		t.Errorf("after a cancelled resolution: %s", got)
	}
}

// TestResolveCheckoutThenRemote: a shallow checkout without the ref falls through to the API.
func TestResolveCheckoutThenRemote(t *testing.T) {
	ci, _ := sharedCI(t)
	shallow := filepath.Join(t.TempDir(), "shallow")
	gittest.Run(t, filepath.Dir(shallow), "clone", "-q", "--depth", "1", "--branch", "main", "file://"+ci, shallow)
	f := &fakeRemote{
		commits: map[string]string{"Molecule-AI/molecule-ci@staging": "c9"},
		files:   map[string]string{"Molecule-AI/molecule-ci@c9:.github/workflows/v.yml": "on: workflow_call\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: y\n"},
	}
	r := &Resolver{Checkouts: map[string]string{"Molecule-AI/molecule-ci": shallow}, Remote: f}
	got := describe(r.Resolve(context.Background(), Caller{}, mustUses(t, "Molecule-AI/molecule-ci/.github/workflows/v.yml@staging")))
	if got != "resolved from the GitHub API inputs []" {
		t.Errorf("got %s", got)
	}
}
