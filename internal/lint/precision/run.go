package precision

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/workflow"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

// Where says where the sources live. An empty field means that kind of source is unavailable:
// its labels are skipped with the reason in Result.Skipped.
type Where struct {
	DatasetZip string // actionlint's testdata/realworld/dataset.zip
	CorpusDir  string // the organisation's corpus (../shared/corpus)
	ModCache   string // GOMODCACHE
	Testdata   string // this repository's testdata/ (testdata: sources)
	TempDir    string // where dataset members are extracted; must exist
}

// Options are the lint options every labelled file is judged with: the org's defaults, main
// behind a merge queue, no external script checkers (their findings are not org rules), and as
// the organisation (lint.org) the owner of the file's repository — as the CLI resolves it.
func Options(org string) workflow.Options {
	return workflow.Options{Org: org, MergeQueueBranches: []string{"main"}}
}

// OrgOf is the owner of a source's repository: a dataset member is named
// OWNER_REPO_.github_workflows_FILE (GitHub owners have no underscore), a module source's path
// is HOST/OWNER/..., and the corpus is the organisation's own.
func OrgOf(src string) string {
	kind, rest, _ := strings.Cut(src, ":")
	switch kind {
	case "dataset":
		if owner, _, ok := strings.Cut(rest, "_"); ok && owner != "" {
			return owner
		}
	case "module":
		mod, _, _ := splitModule(rest)
		if parts := strings.Split(mod, "/"); len(parts) > 1 {
			return parts[1]
		}
	}
	return "Molecule-AI"
}

// Skip is a source Lint could not read. Stale means its place exists but the file does not (the
// label is out of date: an error); otherwise the whole place is absent (no corpus, module not
// downloaded) and its labels are skipped.
type Skip struct {
	Source, Reason string
	Stale          bool
}

func (s Skip) String() string { return s.Source + ": " + s.Reason }

// maxMember bounds one extracted dataset member.
const maxMember = 4 << 20

// Lint lints every file the labels reference and returns the findings by source. Sources that
// cannot be read are listed in skipped with the reason; a failure of the linter itself is an
// error.
func Lint(ctx context.Context, labels []Label, w Where) (map[string][]report.Finding, []Skip, error) {
	return LintSources(ctx, sources(labels), w)
}

// LintSources is Lint for a list of sources.
func LintSources(ctx context.Context, srcs []string, w Where) (map[string][]report.Finding, []Skip, error) {
	groups := map[string][]string{} // group root -> sources
	var skipped []Skip
	var members []string
	for _, s := range srcs {
		kind, rest, _ := strings.Cut(s, ":")
		switch kind {
		case "dataset":
			members = append(members, rest)
		case "corpus":
			if w.CorpusDir == "" {
				skipped = append(skipped, Skip{Source: s, Reason: "no corpus directory (../shared/corpus is absent)"})
				continue
			}
			groups["corpus"] = append(groups["corpus"], s)
		case "module":
			mod, _, _ := splitModule(rest)
			groups["module:"+mod] = append(groups["module:"+mod], s)
		case "testdata":
			if w.Testdata == "" {
				skipped = append(skipped, Skip{Source: s, Reason: "no testdata directory given"})
				continue
			}
			groups["testdata"] = append(groups["testdata"], s)
		}
	}
	out := map[string][]report.Finding{}
	if len(members) > 0 {
		sk, err := lintDataset(ctx, members, w, out)
		if err != nil {
			return nil, nil, err
		}
		skipped = append(skipped, sk...)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, g := range keys {
		var root string
		switch g {
		case "corpus":
			root = w.CorpusDir
		case "testdata":
			var err error
			if root, err = expandTestdata(groups[g], w); err != nil {
				return nil, nil, err
			}
		default:
			mod := strings.TrimPrefix(g, "module:")
			if w.ModCache == "" {
				for _, s := range groups[g] {
					skipped = append(skipped, Skip{Source: s, Reason: "no module cache given"})
				}
				continue
			}
			root = filepath.Join(w.ModCache, escapeModule(mod))
			if st, err := os.Stat(root); err != nil || !st.IsDir() {
				for _, s := range groups[g] {
					skipped = append(skipped, Skip{Source: s, Reason: mod + " is not in the module cache (go mod download " + mod + ")"})
				}
				continue
			}
		}
		var rels []string
		for _, s := range groups[g] {
			rel := sourceRel(s)
			if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil || !st.Mode().IsRegular() {
				skipped = append(skipped, Skip{Source: s, Reason: "no such file under " + root, Stale: true})
				continue
			}
			rels = append(rels, rel)
		}
		if len(rels) == 0 {
			continue
		}
		fs, err := run(ctx, root, rels, OrgOf(groups[g][0]))
		if err != nil {
			return nil, nil, err
		}
		prefix := g + ":"
		if strings.HasPrefix(g, "module:") {
			prefix = g + "/"
		}
		for _, f := range fs {
			s := prefix + f.Path
			out[s] = append(out[s], f)
		}
	}
	return out, skipped, nil
}

// AllSources lists every source that can be sampled: each workflow of the dataset, each
// workflow, action and Dockerfile of the corpus, and each workflow of a module in the module
// cache, sorted.
func AllSources(w Where) ([]string, error) {
	var out []string
	if w.DatasetZip != "" {
		zr, err := zip.OpenReader(w.DatasetZip)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", w.DatasetZip, err)
		}
		for _, f := range zr.File {
			if b := path.Base(f.Name); !f.FileInfo().IsDir() && (strings.HasSuffix(b, ".yml") || strings.HasSuffix(b, ".yaml")) {
				out = append(out, "dataset:"+b)
			}
		}
		zr.Close()
	}
	if w.CorpusDir != "" {
		err := filepath.WalkDir(w.CorpusDir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			rel, _ := filepath.Rel(w.CorpusDir, p)
			rel = filepath.ToSlash(rel)
			b := path.Base(rel)
			yml := strings.HasSuffix(b, ".yml") || strings.HasSuffix(b, ".yaml")
			if d.Type().IsRegular() && (yml && strings.Contains(rel, ".github/workflows/") || b == "action.yml" || b == "action.yaml" ||
				b == "Dockerfile" || strings.HasSuffix(b, ".Dockerfile")) {
				out = append(out, "corpus:"+rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", w.CorpusDir, err)
		}
	}
	if w.ModCache != "" {
		mods, err := moduleWorkflows(w.ModCache)
		if err != nil {
			return nil, err
		}
		out = append(out, mods...)
	}
	slices.Sort(out)
	return out, nil
}

// moduleWorkflows lists the workflows of every module in the module cache (module roots are the
// directories named path@version, two to five levels down), as module: sources.
func moduleWorkflows(cache string) ([]string, error) {
	var out []string
	for depth := 2; depth <= 5; depth++ {
		pattern := filepath.Join(append([]string{cache}, slices.Repeat([]string{"*"}, depth)...)...)
		for _, ext := range []string{"*.yml", "*.yaml"} {
			matches, err := filepath.Glob(filepath.Join(pattern, ".github", "workflows", ext))
			if err != nil {
				return nil, err
			}
			for _, m := range matches {
				rel, err := filepath.Rel(cache, m)
				if err != nil {
					continue
				}
				rel = filepath.ToSlash(rel)
				root, file, ok := strings.Cut(rel, "/.github/")
				if !ok || !strings.Contains(path.Base(root), "@") || strings.HasPrefix(root, "cache/") {
					continue
				}
				out = append(out, "module:"+unescapeModule(root)+"/.github/"+file)
			}
		}
	}
	return out, nil
}

// unescapeModule undoes escapeModule: "!x" is "X".
func unescapeModule(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '!' && i+1 < len(s) {
			i++
			b.WriteString(strings.ToUpper(s[i : i+1]))
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// SourceText reads a source's text, for showing a finding in its context.
func SourceText(src string, w Where) ([]byte, error) {
	kind, rest, _ := strings.Cut(src, ":")
	switch kind {
	case "dataset":
		return os.ReadFile(filepath.Join(w.TempDir, "dataset", ".github", "workflows", rest))
	case "corpus":
		return os.ReadFile(filepath.Join(w.CorpusDir, filepath.FromSlash(rest)))
	case "module":
		mod, file, _ := splitModule(rest)
		return os.ReadFile(filepath.Join(w.ModCache, escapeModule(mod), filepath.FromSlash(file)))
	case "testdata":
		text, err := testdataText(w.Testdata, rest)
		return []byte(text), err
	}
	return nil, fmt.Errorf("unknown source %q", src)
}

// testdataText is a testdata: source with its token markers expanded. Each file's tokens come
// from a generator seeded by its path, so they do not depend on which other files are linted.
func testdataText(dir, rel string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return "", err
	}
	h := fnv.New64a()
	h.Write([]byte(rel))
	text, err := secretstest.New(h.Sum64()).Expand(string(b))
	if err != nil {
		return "", fmt.Errorf("testdata:%s: %w", rel, err)
	}
	return text, nil
}

// expandTestdata writes the testdata: sources, markers expanded, into a tree of their own under
// w.TempDir (a repository: it holds .git) and returns its root. A source that is missing is left
// out; LintSources reports it as stale.
func expandTestdata(srcs []string, w Where) (string, error) {
	root := filepath.Join(w.TempDir, "testdata")
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		return "", err
	}
	for _, s := range srcs {
		rel := sourceRel(s)
		text, err := testdataText(w.Testdata, rel)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		dst := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	return root, nil
}

// sourceRel is a corpus or module source's path below its root.
func sourceRel(s string) string {
	kind, rest, _ := strings.Cut(s, ":")
	if kind == "module" {
		_, file, _ := splitModule(rest)
		return file
	}
	return rest
}

func sources(labels []Label) []string {
	var out []string
	for _, l := range labels {
		out = append(out, l.Source)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lintDataset extracts the referenced members of the dataset into a repository of its own, as
// bench/lint does, and lints them there as .github/workflows/<member>.
func lintDataset(ctx context.Context, members []string, w Where, out map[string][]report.Finding) ([]Skip, error) {
	if w.DatasetZip == "" {
		var sk []Skip
		for _, m := range members {
			sk = append(sk, Skip{Source: "dataset:" + m, Reason: "actionlint's dataset.zip not found (go mod download github.com/rhysd/actionlint)"})
		}
		return sk, nil
	}
	zr, err := zip.OpenReader(w.DatasetZip)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", w.DatasetZip, err)
	}
	defer zr.Close()
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[path.Base(f.Name)] = f
	}
	repo := filepath.Join(w.TempDir, "dataset")
	wf := filepath.Join(repo, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		return nil, err
	}
	var skipped []Skip
	byOrg := map[string][]string{} // each repository's files are linted with its owner as lint.org
	for _, m := range members {
		f := byName[m]
		if f == nil {
			skipped = append(skipped, Skip{Source: "dataset:" + m, Reason: "no such member in " + w.DatasetZip, Stale: true})
			continue
		}
		if err := extract(f, filepath.Join(wf, m)); err != nil {
			return nil, err
		}
		org := OrgOf("dataset:" + m)
		byOrg[org] = append(byOrg[org], ".github/workflows/"+m)
	}
	orgs := make([]string, 0, len(byOrg))
	for o := range byOrg {
		orgs = append(orgs, o)
	}
	slices.Sort(orgs)
	for _, org := range orgs {
		fs, err := run(ctx, repo, byOrg[org], org)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			s := "dataset:" + strings.TrimPrefix(f.Path, ".github/workflows/")
			out[s] = append(out[s], f)
		}
	}
	return skipped, nil
}

func extract(f *zip.File, dst string) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("read %s from the dataset: %w", f.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxMember+1))
	if err != nil {
		return fmt.Errorf("read %s from the dataset: %w", f.Name, err)
	}
	if len(data) > maxMember {
		return fmt.Errorf("dataset member %s is larger than %d bytes", f.Name, maxMember)
	}
	return os.WriteFile(dst, data, 0o644)
}

// run lints rels (slash paths below root) with the labelled set's options, org as lint.org. A
// file lint does not lint as a CI file (a README, an .env.example, a test) is read by the secret
// scan, as a lint of the whole repository reads it: --secrets-only over those files.
func run(ctx context.Context, root string, rels []string, org string) ([]report.Finding, error) {
	var text []string
	for len(rels) > 0 {
		rep, err := lint.Run(ctx, lint.Options{WorkDir: root, Paths: rels, Workflow: Options(org), Jobs: 2})
		var ue *lint.UnknownFileError
		if errors.As(err, &ue) {
			if i := slices.Index(rels, ue.Path); i >= 0 {
				text = append(text, rels[i])
				rels = slices.Delete(slices.Clone(rels), i, i+1)
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("lint %d files under %s: %w", len(rels), root, err)
		}
		if len(text) == 0 {
			return rep.Findings, nil
		}
		more, err := secretsOnly(ctx, root, text)
		return append(rep.Findings, more...), err
	}
	return secretsOnly(ctx, root, text)
}

func secretsOnly(ctx context.Context, root string, rels []string) ([]report.Finding, error) {
	rep, err := lint.Run(ctx, lint.Options{WorkDir: root, Paths: rels, Jobs: 2, Contracts: lint.ContractOptions{SecretsOnly: true}})
	if err != nil {
		return nil, fmt.Errorf("secret scan of %d files under %s: %w", len(rels), root, err)
	}
	return rep.Findings, nil
}

// escapeModule is the module cache's spelling of a module path: upper-case letters become
// "!" and the lower-case letter (golang.org/x/mod/module.EscapePath, without the dependency).
func escapeModule(mod string) string {
	var b strings.Builder
	for _, r := range mod {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Locate finds the sources for a checkout at repoRoot: the module cache and actionlint's module
// (for dataset.zip) through the go command, and the corpus (see CorpusDir). tempDir receives the
// extracted dataset members. notes say what could not be found.
func Locate(repoRoot, corpusOverride, tempDir string) (Where, []string) {
	w := Where{TempDir: tempDir}
	var notes []string
	goCmd := func(args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = repoRoot
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := goCmd("env", "GOMODCACHE"); err == nil && out != "" {
		w.ModCache = out
	} else {
		notes = append(notes, fmt.Sprintf("go env GOMODCACHE: %v; module sources are skipped", err))
	}
	if out, err := goCmd("list", "-m", "-f", "{{.Dir}}", "github.com/rhysd/actionlint"); err == nil && out != "" {
		w.DatasetZip = filepath.Join(out, "testdata", "realworld", "dataset.zip")
	} else {
		notes = append(notes, "actionlint's module is not downloaded (go mod download): dataset sources are skipped")
	}
	w.Testdata = filepath.Join(repoRoot, "testdata")
	w.CorpusDir = CorpusDir(corpusOverride, repoRoot)
	switch {
	case w.CorpusDir == "" && corpusOverride != "":
		notes = append(notes, fmt.Sprintf("no corpus: MOLECULE_CI_CORPUS=%s is not a directory; corpus sources are skipped", corpusOverride))
	case w.CorpusDir == "":
		notes = append(notes, "no corpus: ../shared/corpus does not exist; corpus sources are skipped")
	}
	return w, notes
}

// CorpusDir finds the organisation's corpus: override when set, else ../shared/corpus beside the
// repository at repoRoot, else beside the main checkout when repoRoot is a git worktree (the
// corpus sits beside the main checkout, not beside each worktree). "" when none exists.
func CorpusDir(override, repoRoot string) string {
	if override != "" {
		if st, err := os.Stat(override); err == nil && st.IsDir() {
			return override
		}
		return ""
	}
	cands := []string{filepath.Join(repoRoot, "..", "shared", "corpus")}
	if common, err := (git.Repo{Dir: repoRoot}).CommonDir(context.Background()); err == nil {
		if filepath.Base(common) == ".git" {
			cands = append(cands, filepath.Join(filepath.Dir(common), "..", "shared", "corpus"))
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			if abs, err := filepath.Abs(c); err == nil {
				return abs
			}
			return c
		}
	}
	return ""
}
