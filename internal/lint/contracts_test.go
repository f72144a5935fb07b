package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

// token is a GitHub token in GitHub's format (its checksum holds), made at run time so that no
// credential is stored in this file.
func token() string { return secretstest.New(1).Checksummed("ghp_") }

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func lines(t *testing.T, opts Options) string {
	t.Helper()
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "%s\n", f)
	}
	fmt.Fprintf(&b, "files: %d\n", rep.FilesChecked)
	return b.String()
}

// TestContractHook: the contract runs when lint covers the root, rule configuration and
// suppression comments apply to contract and tree-scan findings, and --secrets-only leaves the
// other linters out.
func TestContractHook(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"plugin.yaml":      "name: p\ndescription: d\n",
		"SKILL.md":         "# P\n",
		"docs/a.md":        "t: " + token() + "\n",
		"docs/b.md":        "t: " + token() + " <!-- # molecule-ci: ignore[secret-committed] revoked, kept as a test vector -->\n",
		"vendored/c.md":    token() + "\n",
		".github/x/y.yaml": "k: v\n",
	})
	opts := Options{WorkDir: dir, Ignore: []string{"vendored"}, Rules: map[string]RuleConfig{}}
	want := "docs/a.md:1:4: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed]\n" +
		"plugin.yaml:1:1: plugin.yaml is missing the required field version [contract/plugin-manifest]\n" +
		"files: 5\n"
	if got := lines(t, opts); got != want {
		t.Errorf("lint:\n%s\nwant:\n%s", got, want)
	}
	// The contract is not checked when lint covers only a subdirectory.
	opts.Paths = []string{"docs"}
	if got := lines(t, opts); strings.Contains(got, "contract/") {
		t.Errorf("contract checked for a subdirectory:\n%s", got)
	}
	opts.Paths = nil
	opts.Rules["contract/plugin-manifest"] = RuleConfig{Disabled: true}
	opts.Contracts.SecretsOnly = true
	want = "docs/a.md:1:4: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed]\nfiles: 5\n"
	if got := lines(t, opts); got != want {
		t.Errorf("--secrets-only:\n%s\nwant:\n%s", got, want)
	}
	// A forced kind overrides the recognised one.
	opts = Options{WorkDir: dir, Contracts: ContractOptions{ContractOnly: true, Contract: config.ContractConfig{Kind: config.ContractOrgTemplate}}}
	if got := lines(t, opts); !strings.Contains(got, "org.yaml:1:1: org.yaml is missing at the repository root [contract/org-manifest]") {
		t.Errorf("forced org-template:\n%s", got)
	}
}

// TestSecretExposureAlias: secret-exposure, the id committed credentials were reported under
// before secret-committed split from it, still suppresses and configures them until v2, and
// says so with an info finding where it is written.
func TestSecretExposureAlias(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.md":        "t: " + token() + " <!-- # molecule-ci: ignore[secret-exposure] revoked, kept as a test vector -->\n",
		"b.md":        "# molecule-ci: ignore[secret-exposure, secret-committed] both named: no notice\nt: " + token() + "\n",
		"c.md":        "t: " + token() + "\n",
		"legacy/d.md": "t: " + token() + "\n",
	})
	opts := Options{WorkDir: dir}
	want := "a.md:1:50: ignore[secret-exposure] hid a secret-committed finding: that rule was split from secret-exposure, which stops covering it in v2; write ignore[secret-committed] [suppression]\n" +
		"c.md:1:4: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed]\n" +
		"legacy/d.md:1:4: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed]\n" +
		"files: 4\n"
	if got := lines(t, opts); got != want {
		t.Errorf("suppressions:\n%s\nwant:\n%s", got, want)
	}
	// lint.rules.secret-exposure configures secret-committed too, with a notice at the entry.
	opts.Rules = map[string]RuleConfig{"secret-exposure": {Ignore: []string{"legacy/**"}, Path: ".molecule-ci.yml", Line: 4, Col: 5}}
	want = ".molecule-ci.yml:4:5: lint.rules.secret-exposure also configures secret-committed, the rule split from it; it stops doing so in v2: add a lint.rules.secret-committed entry (an empty one keeps secret-committed's defaults) [config]\n" +
		"a.md:1:50: ignore[secret-exposure] hid a secret-committed finding: that rule was split from secret-exposure, which stops covering it in v2; write ignore[secret-committed] [suppression]\n" +
		"c.md:1:4: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed]\n" +
		"files: 4\n"
	if got := lines(t, opts); got != want {
		t.Errorf("lint.rules alias:\n%s\nwant:\n%s", got, want)
	}
	// An entry of its own wins, and the notice goes.
	opts.Rules["secret-committed"] = RuleConfig{}
	if got := lines(t, opts); strings.Contains(got, "[config]") || !strings.Contains(got, "legacy/d.md:1:4") {
		t.Errorf("with lint.rules.secret-committed:\n%s", got)
	}
}

func TestSecretsOnlyNothingToScan(t *testing.T) {
	_, err := Run(context.Background(), Options{WorkDir: t.TempDir(), Contracts: ContractOptions{SecretsOnly: true}})
	if !errors.Is(err, ErrNothingToScan) {
		t.Fatalf("got %v, want ErrNothingToScan", err)
	}
}

// TestDiffHook runs --secrets-only --diff through lint on a real git repository.
func TestDiffHook(t *testing.T) {
	dir := gittest.New(t)
	writeFiles(t, dir, map[string]string{"old.md": "t: " + token() + "\n", "new.md": "x\n"})
	base := gittest.Commit(t, dir, "base")
	writeFiles(t, dir, map[string]string{"new.md": "x\ny: " + token() + "\n"})
	gittest.Commit(t, dir, "change")

	opts := Options{WorkDir: dir, Contracts: ContractOptions{SecretsOnly: true, DiffBase: base}}
	want := "new.md:2:4: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed]\nfiles: 1\n"
	if got := lines(t, opts); got != want {
		t.Errorf("--diff:\n%s\nwant:\n%s", got, want)
	}
	opts.Contracts.DiffBase = strings.Repeat("0", 40) // a new branch: the whole tree
	if got := lines(t, opts); !strings.Contains(got, "old.md:1:4") || !strings.Contains(got, "new.md:2:4") {
		t.Errorf("--diff with a null base should scan the tree:\n%s", got)
	}
	opts.Contracts.DiffBase = "refs/heads/nope"
	_, err := Run(context.Background(), opts)
	var re *git.RefError
	if !errors.As(err, &re) {
		t.Errorf("unknown base: got %v, want a RefError", err)
	}
}

// TestContractSuppressions: a suppression comment covers a contract finding like any other, in a
// file lint does not read itself, and is judged once with every finding of its file: one that
// covers nothing is reported.
func TestContractSuppressions(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"plugin.yaml": "# molecule-ci: ignore[contract/plugin-manifest] the version comes from the release tag\n" +
			"name: p\ndescription: d\n",
		"SKILL.md": "# P\n",
	})
	opts := Options{WorkDir: dir, Rules: map[string]RuleConfig{}}
	if got, want := lines(t, opts), "files: 2\n"; got != want {
		t.Errorf("suppressed contract finding:\n%s\nwant:\n%s", got, want)
	}

	writeFiles(t, dir, map[string]string{
		"plugin.yaml": "# molecule-ci: ignore[contract/plugin-content] no such finding here\n" +
			"name: p\ndescription: d\n",
	})
	want := "plugin.yaml:1:1: suppression of contract/plugin-content matches no finding on this line or the next; remove it [suppression]\n" +
		"plugin.yaml:2:1: plugin.yaml is missing the required field version [contract/plugin-manifest]\n" +
		"files: 2\n"
	if got := lines(t, opts); got != want {
		t.Errorf("unused suppression:\n%s\nwant:\n%s", got, want)
	}
}
