package cli

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The documentation is tested like code: a workflow or .molecule-ci.yml it shows must pass
// molecule-ci's own lint when pasted into a repository, every link must lead somewhere, and the
// layout map must name every package.

// docsRepo is the repository this package's tests run in.
const docsRepo = "../.."

// docFiles are the Markdown files the tests read: the README, MIGRATING.md and docs/*.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(docsRepo, "docs", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	return append([]string{filepath.Join(docsRepo, "README.md"), filepath.Join(docsRepo, "MIGRATING.md")}, files...)
}

// docFence is one fenced code block: its info string, the line of its first content line, its body.
type docFence struct {
	lang string
	line int
	body string
}

// docFences splits a Markdown file into its fenced code blocks and the text outside them.
func docFences(src string) (blocks []docFence, prose string) {
	var out strings.Builder
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimLeft(lines[i], " ")
		if !strings.HasPrefix(l, "```") {
			out.WriteString(lines[i] + "\n")
			continue
		}
		f := docFence{lang: strings.TrimSpace(strings.TrimPrefix(l, "```")), line: i + 2}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[i], " "), "```"); i++ {
			body = append(body, lines[i])
		}
		f.body = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, f)
		out.WriteString("\n")
	}
	return blocks, out.String()
}

var docConfigSections = []string{"version", "lint", "build", "coverage", "probe", "triage", "report"}

// docPlace is where a YAML document goes in a repository, by what it is: a workflow (top-level on:
// and jobs:) at the path its first comment names (`# .github/workflows/x.yml`), else
// .github/workflows/doc.yml; a config file (only config sections and x- keys) at
// .molecule-ci.yml. Anything else (a step, a fragment of a section) is not a file: "".
func docPlace(body string) string {
	var doc yaml.Node
	if yaml.Unmarshal([]byte(body), &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return ""
	}
	keys := map[string]bool{}
	config := true
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		keys[k] = true
		config = config && (slices.Contains(docConfigSections, k) || strings.HasPrefix(k, "x-"))
	}
	switch {
	case keys["on"] && keys["jobs"]:
		if m := docWorkflowPath.FindStringSubmatch(body); m != nil {
			return m[1]
		}
		return ".github/workflows/doc.yml"
	case config:
		return ".molecule-ci.yml"
	}
	return ""
}

var (
	docWorkflowPath = regexp.MustCompile(`\A#\s*(\.(?:github|gitea)/workflows/[\w.-]+\.ya?ml)\b`)
	docCopyTo       = regexp.MustCompile(`\A# Copy to (\.(?:github|gitea)/workflows/[\w.-]+\.ya?ml)\b`)
)

// lintPasted writes body at rel in a fresh repository and lints that file in-process, as a user who
// pasted it would; it returns the exit code and what lint printed.
func lintPasted(t *testing.T, rel, body string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{rel: body})
	code, stdout, stderr := runIn(t, dir, nil, "lint", "--format", "human", "--color", "never", "--no-cache", rel)
	return code, stdout + stderr
}

// TestDocsYAMLLintsClean: every YAML block of the README and docs/ that is a workflow or a
// .molecule-ci.yml, and every caller of workflows-shared/ at the path its first line says to copy
// it to, passes `molecule-ci lint` with no finding.
func TestDocsYAMLLintsClean(t *testing.T) {
	linted, fragments := 0, 0
	for _, file := range docFiles(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(docsRepo, file)
		if name == filepath.Join("docs", "rules.md") {
			// Generated from the rule registry, half of its workflows fail on purpose;
			// internal/lint's TestRuleExamples lints each (the failing one with findings of its rule
			// only, the passing one with none).
			continue
		}
		blocks, _ := docFences(string(src))
		for _, b := range blocks {
			if b.lang != "yaml" && b.lang != "yml" {
				continue
			}
			rel := docPlace(b.body)
			if rel == "" {
				fragments++
				continue
			}
			linted++
			t.Run(fmt.Sprintf("%s:%d", name, b.line), func(t *testing.T) {
				if code, out := lintPasted(t, rel, b.body); code != 0 {
					t.Errorf("%s:%d: the %s shown there fails molecule-ci lint (exit %d):\n%s", name, b.line, rel, code, out)
				}
			})
		}
	}
	callers, err := filepath.Glob(filepath.Join(docsRepo, "workflows-shared", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	gitea, _ := filepath.Glob(filepath.Join(docsRepo, "workflows-shared", "gitea", "*.yml"))
	for _, file := range append(callers, gitea...) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(docsRepo, file)
		m := docCopyTo.FindSubmatch(src)
		if m == nil {
			t.Errorf("%s: the first line must say where to copy the caller: `# Copy to .github/workflows/<name>.yml ...`", name)
			continue
		}
		linted++
		t.Run(name, func(t *testing.T) {
			if code, out := lintPasted(t, string(m[1]), string(src)); code != 0 {
				t.Errorf("%s copied to %s fails molecule-ci lint (exit %d):\n%s", name, m[1], code, out)
			}
		})
	}
	// The README shows three callers, docs/ a config reference and more: a parser that found none
	// would pass everything.
	if linted < 15 || fragments == 0 {
		t.Errorf("linted %d YAML files and skipped %d fragments; the block extraction is broken", linted, fragments)
	}
}

// docLink is a Markdown link or image target outside code: [text](target).
var docLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// docSlug is the anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens.
func docSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// docAnchors are the heading docAnchors of a Markdown file, with GitHub's -1, -2 for repeats.
func docAnchors(src string) map[string]bool {
	_, prose := docFences(src)
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range strings.Split(prose, "\n") {
		h := strings.TrimLeft(l, "#")
		if len(h) == len(l) || !strings.HasPrefix(h, " ") {
			continue
		}
		s := docSlug(strings.TrimSpace(h))
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// TestDocsLinks: every relative link of the README and docs/ leads to a file of the repository,
// and every #anchor to a heading of its file; every page of docs/ is linked from the README, so
// nothing moved out of the README is out of reach.
func TestDocsLinks(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(docsRepo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range docFiles(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(docsRepo, file)
		_, prose := docFences(string(src))
		for _, m := range docLink.FindAllStringSubmatch(prose, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %s: %v", name, target, err)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			if filepath.Ext(dest) != ".md" {
				t.Errorf("%s: link %s: an anchor into a file that is not Markdown", name, target)
				continue
			}
			body, err := os.ReadFile(dest)
			if err != nil {
				t.Fatal(err)
			}
			if !docAnchors(string(body))[anchor] {
				t.Errorf("%s: link %s: no heading with the anchor #%s in %s", name, target, anchor, filepath.Base(dest))
			}
		}
		// docs/notes-*.md are a helper's notes waiting to be folded into a page: not linked yet.
		if base := filepath.Base(file); strings.HasPrefix(name, "docs") && !strings.HasPrefix(base, "notes-") && !bytes.Contains(readme, []byte("](docs/"+base)) {
			t.Errorf("README.md does not link docs/%s", base)
		}
	}
}

// TestLayoutMapNamesEveryPackage: docs/development.md's layout map has a line for every
// directory of the module that holds Go files.
func TestLayoutMapNamesEveryPackage(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(docsRepo, "docs", "development.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, _ := docFences(string(src))
	var layout string
	for _, b := range blocks {
		if b.lang == "text" && strings.Contains(b.body, "cmd/molecule-ci/") {
			layout = b.body
		}
	}
	if layout == "" {
		t.Fatal("docs/development.md has no layout map (a ```text block naming cmd/molecule-ci/)")
	}
	named := map[string]bool{}
	for _, l := range strings.Split(layout, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			named[strings.TrimSuffix(f[0], "/")] = true
		}
	}
	var missing []string
	err = filepath.WalkDir(docsRepo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(docsRepo, p)
		if d.IsDir() {
			if b := d.Name(); rel != "." && (strings.HasPrefix(b, ".") || b == "testdata" || b == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if dir := filepath.ToSlash(filepath.Dir(rel)); strings.HasSuffix(p, ".go") && dir != "." && !named[dir] && !slices.Contains(missing, dir) {
			missing = append(missing, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("docs/development.md's layout map does not name %s", strings.Join(missing, ", "))
	}
}

// TestDocsTriageOutput: the triage output the README and docs/triage.md show is the output the
// triage tests produce (testdata/triage/queue.txt, the golden of the fake organisation): every
// line of each shown excerpt is, in order, a line of the golden; "…" stands for lines left out.
func TestDocsTriageOutput(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join(docsRepo, "testdata", "triage", "queue.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The fake API's address stands as $GITHUB_API in the golden; the docs show GitHub's.
	want := strings.Split(strings.ReplaceAll(string(golden), "$GITHUB_API/api/v3/", "https://api.github.com/"), "\n")
	for _, name := range []string{"README.md", filepath.Join("docs", "triage.md")} {
		src, err := os.ReadFile(filepath.Join(docsRepo, name))
		if err != nil {
			t.Fatal(err)
		}
		blocks, _ := docFences(string(src))
		shown := 0
		for _, b := range blocks {
			lines := strings.Split(strings.TrimSuffix(b.body, "\n"), "\n")
			if b.lang != "console" || !strings.Contains(lines[0], "molecule-ci triage") {
				continue
			}
			shown++
			// next is the golden line the next shown line must match, or a later one after "…" (an
			// excerpt may start anywhere: the golden begins with what only the Actions log shows).
			next, skip := 0, true
			for i, l := range lines[1:] {
				if l == "…" {
					skip = true
					continue
				}
				j := next
				for j < len(want) && want[j] != l && skip {
					j++
				}
				if j >= len(want) || want[j] != l {
					t.Errorf("%s:%d: %q is not the triage output's next line (testdata/triage/queue.txt)", name, b.line+1+i, l)
					break
				}
				next, skip = j+1, false
			}
		}
		if shown == 0 {
			t.Errorf("%s shows no `molecule-ci triage` output", name)
		}
	}
}
