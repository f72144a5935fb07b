package contract_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/contract"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// The cross-check runs today's Python validators (and secret-scan.yml's pattern set) and
// molecule-ci on the organisation's real repositories and on mutated copies of them, and
// requires the two verdicts to agree — or the difference to be listed, with its reason, in the
// "Verdict differences" table of MIGRATING.md. A difference that is not listed fails the test,
// and so does a listed one that no longer happens: the document cannot drift from the tools.

// corpusDir finds ../shared/corpus beside the checkout (or beside the worktrees' directory), or
// $MOLECULE_CI_CORPUS.
func corpusDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("MOLECULE_CI_CORPUS"); d != "" {
		return d
	}
	root := repoRoot(t)
	for _, rel := range []string{"../shared/corpus", "../../shared/corpus"} {
		d := filepath.Join(root, rel)
		if fi, err := os.Stat(filepath.Join(d, "molecule-ci-main", "scripts")); err == nil && fi.IsDir() {
			return d
		}
	}
	t.Skipf("cross-check skipped: the organisation's corpus is not at %s or %s (set MOLECULE_CI_CORPUS to run it)",
		filepath.Join(root, "../shared/corpus"), filepath.Join(root, "../../shared/corpus"))
	return ""
}

func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatal("no go.mod above the test")
		}
	}
}

const python = "/usr/bin/python3"

// Tokens are assembled at run time so that no credential is stored in this repository.
var rng = rand.New(rand.NewPCG(11, 12))

func b62(n int) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	for range n {
		b.WriteByte(a[rng.IntN(len(a))])
	}
	return b.String()
}

func join(parts ...string) string { return strings.Join(parts, "") }

// A case is a repository (a corpus consumer or one built from pieces) with an optional mutation,
// and the validator pipeline it is checked by.
type xcase struct {
	id     string
	repo   string            // directory under the corpus; "" for pieces only
	pieces map[string]string // files written on top (after copying repo)
	mutate func(t *testing.T, dir string)
	kind   string // workspace-template, plugin, org-template: a validate-* workflow; secret-scan
}

func edit(file, old, new string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		p := filepath.Join(dir, file)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("mutation: %q not in %s", old, file)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func appendTo(file, text string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(dir, file), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
	}
}

func cases() []xcase {
	gen := secretstest.New(11) // GitHub's real format: the checksum holds
	ghp := gen.Checksummed("ghp_")
	ghs := gen.Checksummed("ghs_")
	ant := join("sk-", "ant-", "api03-", b62(93))
	tg := "7" + fmt.Sprint(rng.IntN(899999999)+100000000) + ":" + join("AA", b62(33))
	sha := strings.Repeat("0123456789abcdef", 3)[:40]
	const unusedArg = ` && \
    if [ -n "${RUNTIME_VERSION}" ]; then \
      pip install --no-cache-dir --upgrade "molecule-ai-workspace-runtime==${RUNTIME_VERSION}"; \
    fi`
	plugin := map[string]string{
		"plugin.yaml": "name: careful-bash\nversion: 1.2.0\ndescription: refuses destructive shell\nruntimes: [claude-code]\n",
		"SKILL.md":    "# Careful bash\n\nRefuse rm -rf /.\n",
	}
	return []xcase{
		// The real repositories, as they are.
		{id: "claude-code", repo: "template-claude-code", kind: "workspace-template"},
		{id: "openclaw", repo: "template-openclaw", kind: "workspace-template"},
		{id: "org-template", repo: "org-template-molecule-dev", kind: "org-template"},
		{id: "github-app-auth-secret-scan", repo: "plugin-github-app-auth", kind: "secret-scan"},
		{id: "openclaw-secret-scan", repo: "template-openclaw", kind: "secret-scan"},
		{id: "org-template-secret-scan", repo: "org-template-molecule-dev", kind: "secret-scan"},
		{id: "molecule-core-secret-scan", repo: "molecule-core-head", kind: "secret-scan"},
		{id: "molecule-core-workspace-template-secret-scan", repo: "molecule-core-8e304e69", kind: "secret-scan"},
		{id: "molecule-ci-secret-scan", repo: "molecule-ci-main", kind: "secret-scan"},
		{id: "status-secret-scan", repo: "molecule-ai-status", kind: "secret-scan"},

		// Workspace template mutations.
		{id: "openclaw-quoted-schema-version", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("config.yaml", "template_schema_version: 1", `template_schema_version: "1"`)},
		{id: "openclaw-unused-runtime-version-arg", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("Dockerfile", unusedArg, "")},
		{id: "claude-code-runtime-version-arg-in-comment", repo: "template-claude-code", kind: "workspace-template",
			mutate: edit("Dockerfile", "WORKDIR /app\n", "WORKDIR /app\nARG RUNTIME_VERSION=\n# pip cache key: ${RUNTIME_VERSION}\n")},
		{id: "openclaw-missing-useradd", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("Dockerfile", "RUN useradd -u 1000 -m -s /bin/bash agent\n", "")},
		{id: "openclaw-root-entrypoint", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("Dockerfile", `ENTRYPOINT ["molecule-runtime"]`, "USER root\n"+`ENTRYPOINT ["/bin/sh", "-c", "sleep infinity"]`)},
		{id: "openclaw-unknown-runtime", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("config.yaml", "runtime: openclaw", "runtime: my-own-runtime")},
		{id: "openclaw-legacy-import", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("adapter.py", "import asyncio\n", "import asyncio\nfrom molecule_ai import compat\n")},
		{id: "openclaw-legacy-import-in-docstring", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("adapter.py", `"""OpenClaw adapter`, `"""Formerly: from molecule_ai import x. OpenClaw adapter`)},
		{id: "openclaw-runtime-requirement-commented-out", repo: "template-openclaw", kind: "workspace-template",
			mutate: edit("requirements.txt", "molecule-ai-workspace-runtime>=0.1.0", "# molecule-ai-workspace-runtime>=0.1.0")},
		{id: "openclaw-token-in-markdown", repo: "template-openclaw", kind: "workspace-template",
			mutate: appendTo("README.md", "\nexport GITHUB_TOKEN="+ghp+"\n")},
		{id: "openclaw-anthropic-key-in-markdown", repo: "template-openclaw", kind: "workspace-template",
			mutate: appendTo("runbooks/local-dev-setup.md", "\nANTHROPIC_API_KEY="+ant+"\n")},
		{id: "openclaw-ghs-token-in-config", repo: "template-openclaw", kind: "workspace-template",
			mutate: appendTo("config.yaml", "bridge:\n  token: "+ghs+"\n")},
		{id: "openclaw-quoted-commit-sha", repo: "template-openclaw", kind: "workspace-template",
			mutate: appendTo("config.yaml", "governance:\n  pinned: \""+sha+"\"\n")},

		// Org template mutations.
		{id: "org-template-missing-child", repo: "org-template-molecule-dev", kind: "org-template",
			mutate: edit("teams/dev.yaml", "  - !include ../fullstack-engineer/workspace.yaml\n", "  - !include ../fullstack-engineer/workspace.yaml\n  - !include ../release-manager-2/workspace.yaml\n")},
		{id: "org-template-missing-prompt-file", repo: "org-template-molecule-dev", kind: "org-template",
			mutate: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "pm", "initial-prompt.md")); err != nil {
					t.Fatal(err)
				}
			}},
		{id: "org-template-unnamed-workspace", repo: "org-template-molecule-dev", kind: "org-template",
			mutate: edit("org.yaml", "  - !include teams/marketing.yaml\n", "  - !include teams/marketing.yaml\n  - role: an inline workspace without a name\n")},
		{id: "org-template-token-in-markdown", repo: "org-template-molecule-dev", kind: "org-template",
			mutate: appendTo("pm/system-prompt.md", "\nUse "+ghp+" for the API.\n")},

		// Plugins, built from pieces (no plugin repository is in the corpus).
		{id: "plugin", pieces: plugin, kind: "plugin"},
		{id: "plugin-missing-version", pieces: plugin, kind: "plugin", mutate: edit("plugin.yaml", "version: 1.2.0\n", "")},
		{id: "plugin-no-content", pieces: plugin, kind: "plugin", mutate: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "SKILL.md")); err != nil {
				t.Fatal(err)
			}
		}},

		// secret-scan.yml's pattern set over the whole tree (its "no BASE" mode).
		{id: "github-app-auth-ghs-token", repo: "plugin-github-app-auth", kind: "secret-scan",
			mutate: appendTo("known-issues.md", "\n"+ghs+"\n")},
		{id: "github-app-auth-telegram-token", repo: "plugin-github-app-auth", kind: "secret-scan",
			mutate: appendTo("README.md", "\nbot: "+tg+"\n")},
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func runPython(t *testing.T, dir string, args ...string) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GITHUB_WORKSPACE="+dir)
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("python3 %v: %v", args, err)
	}
	return err == nil, string(out)
}

// secretScanYML runs secret-scan.yml's own pattern set, read from the corpus file, the way its
// "no BASE" branch does: every file, each pattern through grep -E.
func secretScanYML(t *testing.T, corpus, dir string) (bool, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, "molecule-core-head/.github/workflows/secret-scan.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, m := range regexp.MustCompile(`(?m)^\s+'([^']+)'\s+#`).FindAllStringSubmatch(string(b), -1) {
		patterns = append(patterns, m[1])
	}
	if len(patterns) < 10 {
		t.Fatalf("read only %d patterns from secret-scan.yml", len(patterns))
	}
	// One grep over the tree with every pattern: the same verdict as the workflow's loop over
	// files and patterns (any match fails), in one process.
	args := []string{"-rlE"}
	for _, p := range patterns {
		args = append(args, "-e", p)
	}
	out, err := exec.Command("grep", append(args, "--", dir)...).Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	hits := strings.Fields(strings.ReplaceAll(string(out), dir+"/", ""))
	return len(hits) == 0, strings.Join(hits, "\n")
}

func pythonVerdict(t *testing.T, corpus, dir, kind string) (bool, string) {
	scripts := filepath.Join(corpus, "molecule-ci-main")
	secretsOK, secretsOut := runPython(t, dir, filepath.Join(scripts, "scripts/check-secrets.py"))
	var ok bool
	var out string
	switch kind {
	case "workspace-template":
		ok, out = runPython(t, dir, filepath.Join(scripts, "scripts/validate-workspace-template.py"), "--static-only")
	case "plugin":
		ok, out = runPython(t, dir, filepath.Join(scripts, ".molecule-ci/scripts/validate-plugin.py"))
	case "org-template":
		ok, out = runPython(t, dir, filepath.Join(scripts, ".molecule-ci/scripts/validate-org-template.py"))
	case "secret-scan":
		return secretScanYML(t, corpus, dir)
	}
	return ok && secretsOK, out + secretsOut
}

func moleculeVerdict(t *testing.T, dir, kind string) (bool, string) {
	co := lint.ContractOptions{ContractOnly: true, Contract: config.ContractConfig{Kind: config.ContractKind(kind)}}
	if kind == "secret-scan" {
		co = lint.ContractOptions{SecretsOnly: true}
	}
	rep, err := lint.Run(context.Background(), lint.Options{WorkDir: dir, Contracts: co})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	ok := true
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "%s (%s)\n", f, f.Severity)
		if f.Severity == report.Error {
			ok = false
		}
	}
	return ok, b.String()
}

// listedDifference is one row of MIGRATING.md's "Verdict differences" table:
// | `case-id` | today | molecule-ci | why |
type listedDifference struct{ python, molecule, why string }

var diffRow = regexp.MustCompile("^\\|\\s*`([a-z0-9-]+)`\\s*\\|\\s*(pass|fail)\\s*\\|\\s*(pass|fail)\\s*\\|(.+)\\|\\s*$")

func listedDifferences(t *testing.T) map[string]listedDifference {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "MIGRATING.md"))
	if err != nil {
		t.Fatalf("MIGRATING.md: %v", err)
	}
	_, section, ok := strings.Cut(string(b), "## Verdict differences")
	if !ok {
		t.Fatal(`MIGRATING.md has no "## Verdict differences" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	out := map[string]listedDifference{}
	for _, l := range strings.Split(section, "\n") {
		if m := diffRow.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			if why := strings.TrimSpace(m[4]); len(why) < 20 {
				t.Errorf("MIGRATING.md: the difference %s gives no reason", m[1])
			}
			out[m[1]] = listedDifference{m[2], m[3], strings.TrimSpace(m[4])}
		}
	}
	return out
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}

func TestCrossCheckWithPythonValidators(t *testing.T) {
	corpus := corpusDir(t)
	if _, err := os.Stat(python); err != nil {
		testenv.Missing(t, "cross-check skipped: %s is not installed", python)
	}
	if err := exec.Command(python, "-c", "import yaml").Run(); err != nil {
		testenv.Missing(t, "cross-check skipped: PyYAML is not importable by %s", python)
	}
	listed := listedDifferences(t)
	seen := map[string]bool{}
	for _, c := range cases() {
		seen[c.id] = true
		t.Run(c.id, func(t *testing.T) {
			dir := t.TempDir()
			if c.repo != "" {
				copyTree(t, filepath.Join(corpus, c.repo), dir)
			}
			for name, body := range c.pieces {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.mutate != nil {
				c.mutate(t, dir)
			}
			pyOK, pyOut := pythonVerdict(t, corpus, dir, c.kind)
			mcOK, mcOut := moleculeVerdict(t, dir, c.kind)
			t.Logf("today: %s\n%s\nmolecule-ci: %s\n%s", verdict(pyOK), pyOut, verdict(mcOK), mcOut)
			d, isListed := listed[c.id]
			switch {
			case pyOK == mcOK && isListed:
				t.Errorf("MIGRATING.md lists %s as a difference, but both verdicts are %s: remove the row", c.id, verdict(pyOK))
			case pyOK != mcOK && !isListed:
				t.Errorf("verdicts differ (today %s, molecule-ci %s) and MIGRATING.md's table does not list %s with its reason",
					verdict(pyOK), verdict(mcOK), c.id)
			case pyOK != mcOK && (d.python != verdict(pyOK) || d.molecule != verdict(mcOK)):
				t.Errorf("MIGRATING.md says %s is today %s / molecule-ci %s, but it is %s / %s",
					c.id, d.python, d.molecule, verdict(pyOK), verdict(mcOK))
			}
		})
	}
	var stale []string
	for id := range listed {
		if !seen[id] {
			stale = append(stale, id)
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Errorf("MIGRATING.md lists differences for cases the cross-check does not run: %v", stale)
	}
}

// TestREADMEListsEveryContractRule keeps the documentation's rules table (docs/rules.md) and its
// contract sections (docs/commands.md) in step with the code.
func TestREADMEListsEveryContractRule(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rules := read("rules.md")
	_, contracts, ok := strings.Cut(read("commands.md"), "### Repository contracts")
	if !ok {
		t.Fatal(`docs/commands.md has no "### Repository contracts" section`)
	}
	for _, r := range contract.Rules() {
		row := fmt.Sprintf("| `%s` | %s | %s |", r.ID, r.Severity, r.Doc)
		if !strings.Contains(rules, row) {
			t.Errorf("docs/rules.md's rules table lacks the row\n%s", row)
		}
		if !strings.Contains(contracts, "`"+r.ID+"`") {
			t.Errorf("docs/commands.md's Repository contracts section does not mention %s", r.ID)
		}
	}
}
