// Package impacttest builds the fake fleet of the impact and migration tests from the
// organisation's corpus: the real callers (../shared/corpus and its fleet-sample), the shared-CI
// repository as a git checkout named molecule-ci (today's tree on main and staging, plus two
// generated workflows), generated callers that pass inputs and secrets and read outputs, and a
// candidate tree that makes every kind of interface change. Only tests import it.
package impacttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil/fsutiltest"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
)

// Fleet is the fake fleet.
type Fleet struct {
	// Parent holds one directory per repository (the --dir of the commands): the corpus's
	// callers (links to the read-only corpus), the generated callers, and molecule-ci.
	Parent string
	// Base is Parent/molecule-ci, a git checkout with branches main and staging (the same
	// commit: today's shared-CI tree and the generated workflows).
	Base string
	// Candidate is the candidate tree: the base's files with every interface change applied.
	Candidate string
	// Corpus is the corpus directory the fleet was made from.
	Corpus string
}

// CorpusDir returns ../shared/corpus seen from a package two levels below the repository root,
// and skips the test when it is absent (a user's fresh clone has no ../shared).
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "molecule-ci-main")); err != nil {
		t.Skipf("the organisation's corpus is not at %s (a fresh clone has no ../shared): %v", dir, err)
	}
	return dir
}

// CorpusCallers are the corpus's repositories that call shared workflows, as their directories
// relative to the corpus.
func CorpusCallers(t testing.TB, corpus string) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"*", "fleet-sample/*"} {
		matches, err := filepath.Glob(filepath.Join(corpus, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			base := filepath.Base(m)
			if st, err := os.Stat(m); err != nil || !st.IsDir() || base == "fleet-sample" || base == "molecule-ci-main" || strings.HasPrefix(base, "molecule-core") {
				continue
			}
			rel, _ := filepath.Rel(corpus, m)
			out = append(out, rel)
		}
	}
	return out
}

// New builds the fake fleet in a temporary directory; it skips without the corpus or git.
func New(t testing.TB) *Fleet {
	t.Helper()
	gittest.Need(t)
	parent, corpus := CorpusFleet(t)
	f := &Fleet{Parent: parent, Corpus: corpus}
	for name, files := range generatedCallers {
		for p, content := range files {
			write(t, filepath.Join(f.Parent, name, p), content)
		}
	}
	f.Base = filepath.Join(f.Parent, "molecule-ci")
	fsutiltest.CopyTree(t, filepath.Join(corpus, "molecule-ci-main"), f.Base, nil)
	for p, content := range generatedCallees {
		write(t, filepath.Join(f.Base, p), content)
	}
	gittest.Init(t, f.Base)
	gittest.Commit(t, f.Base, "today's shared CI")
	gittest.Run(t, f.Base, "branch", "staging")

	f.Candidate = filepath.Join(t.TempDir(), "candidate")
	fsutiltest.CopyTree(t, f.Base, f.Candidate, func(rel string) bool { return rel == ".git" || strings.HasPrefix(rel, ".git/") })
	for p, edit := range candidateEdits {
		full := filepath.Join(f.Candidate, filepath.FromSlash(p))
		b, err := os.ReadFile(full)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out, rename := edit(string(b))
		if err := os.Remove(full); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if out != "" {
			target := full
			if rename != "" {
				target = filepath.Join(f.Candidate, filepath.FromSlash(rename))
			}
			write(t, target, out)
		}
	}
	return f
}

// Stable replaces the fleet's temporary directories in out with $FLEET and $CANDIDATE, for
// golden files.
func (f *Fleet) Stable(out []byte) []byte {
	s := strings.ReplaceAll(string(out), f.Parent, "$FLEET")
	return []byte(strings.ReplaceAll(s, filepath.Dir(f.Candidate), "$CANDIDATE"))
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// generatedCallees are added to the base: a workflow with a secret and an output, and one the
// candidate removes.
var generatedCallees = map[string]string{
	".github/workflows/deploy.yml": `name: deploy
on:
  workflow_call:
    inputs:
      environment:
        type: string
        required: true
    secrets:
      DEPLOY_KEY:
        required: false
    outputs:
      url:
        value: ${{ jobs.deploy.outputs.url }}
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    outputs:
      url: ${{ steps.d.outputs.url }}
    steps:
      - id: d
        run: echo "url=https://example.com/$ENVIRONMENT" >> "$GITHUB_OUTPUT"
        env:
          ENVIRONMENT: ${{ inputs.environment }}
`,
	".github/workflows/notify.yml": `name: notify
on:
  workflow_call:
    inputs:
      channel:
        type: string
        default: ci
permissions: {}
jobs:
  notify:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo notify
`,
}

// generatedCallers pass inputs and secrets by name and read outputs, which no corpus caller
// does.
var generatedCallers = map[string]map[string]string{
	"gen-template": {".github/workflows/publish.yml": `name: publish
on:
  push:
    branches: [main]
permissions:
  contents: read
  packages: write
jobs:
  publish:
    uses: Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml@main
    with:
      runtime_name: hermes
      runtime_version: "0.4.2"
  announce:
    needs: publish
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - run: echo "$IMAGE"
        env:
          IMAGE: ${{ needs.publish.outputs.image }}:${{ needs.publish.outputs.sha }}
`},
	"gen-service": {".github/workflows/deploy.yml": `name: deploy
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  deploy:
    uses: Molecule-AI/molecule-ci/.github/workflows/deploy.yml@main
    with:
      environment: production
    secrets:
      DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}
  notify:
    uses: Molecule-AI/molecule-ci/.github/workflows/notify.yml@main
  go:
    uses: Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml@staging
    with:
      go-version: "1.25"
  old:
    uses: Molecule-AI/molecule-ci/.github/workflows/deploy.yml@v9
    with:
      environment: staging
`},
}

// candidateEdits make the candidate: each returns the new content ("" deletes the file) and,
// when the file moves, its new path.
var candidateEdits = map[string]func(string) (string, string){
	// input renamed, input removed, a new required input, a new required secret, an output removed
	".github/workflows/publish-template-image.yml": func(s string) (string, string) {
		s = replace(s, "      runtime_version:\n", "      runtime-version:\n")
		s = cut(s, "      runtime_name:\n", "      runtime-version:\n")
		s = replace(s, "    outputs:\n      image:\n", "      registry:\n        description: The registry to push to.\n        required: true\n        type: string\n    secrets:\n      REGISTRY_TOKEN:\n        required: true\n    outputs:\n      image:\n")
		s = cut(s, "      image:\n", "      sha:\n")
		return s, ""
	},
	// type changes: boolean to string (a caller passes true), string to number (a caller passes a quoted string)
	".github/workflows/validate-go-plugin.yml": func(s string) (string, string) {
		s = replace(s, "1.25 is the org default.\"\n        type: string\n", "1.25 is the org default.\"\n        type: number\n")
		s = replace(s, "default: \"1.25\"", "default: 1.25")
		s = replace(s, "        type: boolean\n        required: false\n        default: false", "        type: string\n        required: false\n        default: \"false\"")
		return s, ""
	},
	// renamed
	".github/workflows/validate-plugin.yml": func(s string) (string, string) { return s, ".github/workflows/validate-plugins.yml" },
	// on.workflow_call removed
	".github/workflows/validate-org-template.yml": func(s string) (string, string) {
		return replace(s, "on:\n  workflow_call:\n", "on:\n  push:\n"), ""
	},
	// not a workflow any more: a tab where YAML wants spaces
	".github/workflows/validate-workspace-template.yml": func(s string) (string, string) {
		return replace(s, "on:\n  workflow_call:\n", "on:\n\tworkflow_call:\n"), ""
	},
	// a secret the caller passes removed
	".github/workflows/deploy.yml": func(s string) (string, string) {
		return cut(s, "    secrets:\n", "    outputs:\n"), ""
	},
	// removed
	".github/workflows/notify.yml": func(string) (string, string) { return "", "" },
}

// replace replaces the first old in s, and panics when there is none: a corpus file that no
// longer has the text the fixture edits must fail the test loudly, not weaken it.
func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("impacttest: the text to edit is not there: " + old)
	}
	return strings.Replace(s, old, new, 1)
}

// cut removes s from the first from up to (not including) the first to after it.
func cut(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		panic("impacttest: the text to cut is not there: " + from)
	}
	j := strings.Index(s[i+len(from):], to)
	if j < 0 {
		panic("impacttest: the end of the cut is not there: " + to)
	}
	return s[:i] + s[i+len(from)+j:]
}

// Successor makes parent/molecule-ci a git checkout of this repository's shared workflows (its
// .github directory, read from the repository root two levels above the test's package) tagged
// v1, the successor a migration calls, and returns its directory and the tag's commit.
func Successor(t testing.TB, parent string) (dir, commit string) {
	t.Helper()
	gittest.Need(t)
	dir = filepath.Join(parent, "molecule-ci")
	fsutiltest.CopyTree(t, filepath.Join("..", "..", ".github"), filepath.Join(dir, ".github"), nil)
	gittest.Init(t, dir)
	commit = gittest.Commit(t, dir, "molecule-ci")
	gittest.Run(t, dir, "tag", "v1")
	return dir, commit
}

// CorpusFleet is a directory holding a link to each of the corpus's callers.
func CorpusFleet(t testing.TB) (parent, corpus string) {
	t.Helper()
	corpus = CorpusDir(t)
	parent = t.TempDir()
	for _, rel := range CorpusCallers(t, corpus) {
		if err := os.Symlink(filepath.Join(corpus, rel), filepath.Join(parent, filepath.Base(rel))); err != nil {
			t.Fatal(err)
		}
	}
	return parent, corpus
}
