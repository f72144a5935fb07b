// Package contract checks a repository against the organisation's contract for its kind — a
// workspace template, a plugin, a Go plugin or an org template — as lint rules under contract/.
// It replaces the Python validators of molecule-ci (validate-workspace-template.py,
// validate-plugin.py, validate-org-template.py) with the same checks done by real parsers:
// yaml.v3 with positions, BuildKit's Dockerfile parser, a Python tokenizer for imports and
// classes, and mvdan.cc/sh for entrypoint scripts. Every finding has a file, line and column.
//
// The contract's data (known runtimes, required keys, base image, runtime package...) comes from
// config.ContractConfig, whose defaults are the organisation's values.
package contract

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Rule ids. They are part of the CLI surface (CONVENTION-contracts.md): keep them stable.
const (
	RuleConfigFile         = "contract/config-file"
	RuleConfigKey          = "contract/config-key"
	RuleSchemaVersion      = "contract/schema-version"
	RuleRuntime            = "contract/runtime"
	RuleRuntimeRequirement = "contract/runtime-requirement"
	RuleDockerfile         = "contract/dockerfile"
	RuleRuntimeVersionArg  = "contract/runtime-version-arg"
	RuleAgentUser          = "contract/agent-user"
	RuleEntrypoint         = "contract/entrypoint"
	RuleAdapterImport      = "contract/adapter-import"
	RuleAdapterClass       = "contract/adapter-class"
	RulePluginManifest     = "contract/plugin-manifest"
	RulePluginContent      = "contract/plugin-content"
	RuleOrgManifest        = "contract/org-manifest"
	RuleOrgWorkspace       = "contract/org-workspace"
	RuleGoModule           = "contract/go-module"
)

const contractDoc = "https://github.com/Molecule-AI/molecule-ci/blob/main/docs/commands.md#repository-contracts"

// Rules lists the contract rules with their default severity (the highest the rule reports;
// individual findings may be lower, as the Python validators' warnings are).
func Rules() []report.Rule {
	r := func(id string, s report.Severity, doc string) report.Rule {
		return report.Rule{ID: id, Severity: s, Doc: doc, HelpURL: contractDoc}
	}
	return []report.Rule{
		r(RuleConfigFile, report.Error, "workspace template: config.yaml exists at the root, parses as YAML and is a mapping"),
		r(RuleConfigKey, report.Error, "workspace template: config.yaml has every required key with its type; unknown top-level keys warn as drift"),
		r(RuleSchemaVersion, report.Error, "workspace template: template_schema_version is an int the contract knows (a quoted \"1\" is a string); deprecated versions warn"),
		r(RuleRuntime, report.Warning, "workspace template: runtime is one of the known runtimes (lint.contract.workspace-template.extra-runtimes adds one)"),
		r(RuleRuntimeRequirement, report.Error, "workspace template: requirements.txt (or a RUN of the Dockerfile) installs the runtime package"),
		r(RuleDockerfile, report.Error, "workspace template: the Dockerfile parses and its final stage is FROM the contract's base image"),
		r(RuleRuntimeVersionArg, report.Error, "workspace template: ARG RUNTIME_VERSION is declared in a stage and used by a RUN of that stage, so a new runtime busts the pip layer's cache"),
		r(RuleAgentUser, report.Error, "workspace template: the image creates the unprivileged agent user (useradd ... agent) the runtime drops to"),
		r(RuleEntrypoint, report.Error, "workspace template: the image's ENTRYPOINT (or CMD) is molecule-runtime or a script of the repository that runs it"),
		r(RuleAdapterImport, report.Warning, "workspace template: adapter.py exists and does not import the pre-#87 package molecule_ai"),
		r(RuleAdapterClass, report.Error, "workspace template: adapter.py defines a class deriving from the runtime's BaseAdapter, or the runtime silently ignores it"),
		r(RulePluginManifest, report.Error, "plugin: plugin.yaml exists with name, version (digits and dots) and description; runtimes is a list"),
		r(RulePluginContent, report.Error, "plugin: the plugin ships at least one of SKILL.md, hooks/, skills/, rules/; SKILL.md starts with a heading"),
		r(RuleOrgManifest, report.Error, "org template: org.yaml exists with a name and workspaces or defaults"),
		r(RuleOrgWorkspace, report.Error, "org template: every workspace, recursively through children and !include, has a name, a list of plugins, and files that exist"),
		r(RuleGoModule, report.Error, "Go plugin: go.mod exists with a module line; replace directives outside the repository are reported (go mod tidy cannot run in CI)"),
	}
}

// maxFile bounds every file the contract reads; contract files are small, a bigger one is hostile
// or a mistake.
const maxFile = 4 << 20

// Detect recognises the kind of repository at root from its files (see CONVENTION-contracts.md).
// It returns ContractNone when nothing matches.
func Detect(root string) config.ContractKind {
	has := func(name string) bool { _, err := os.Lstat(filepath.Join(root, name)); return err == nil }
	isDir := func(name string) bool { fi, err := os.Stat(filepath.Join(root, name)); return err == nil && fi.IsDir() }
	switch {
	case has("org.yaml"):
		return config.ContractOrgTemplate
	case has("plugin.yaml"):
		return config.ContractPlugin
	case has("adapter.py"), has("config.yaml") && (has("Dockerfile") || has("requirements.txt")):
		return config.ContractWorkspaceTemplate
	case has("go.mod") && isDir("pluginloader"):
		return config.ContractGoPlugin
	}
	return config.ContractNone
}

// Check checks the repository at root against its contract and returns the findings, with
// slash-separated paths relative to root. An error means the check itself could not run (the
// context was cancelled, a file could not be read for a reason other than being absent).
func Check(ctx context.Context, root string, cc config.ContractConfig) ([]report.Finding, error) {
	cc = cc.Resolved()
	kind := cc.Kind
	if kind == config.ContractAuto {
		kind = Detect(root)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	c := &checker{ctx: ctx, root: abs, cc: cc}
	switch kind {
	case config.ContractWorkspaceTemplate:
		c.workspaceTemplate()
	case config.ContractPlugin:
		c.plugin()
	case config.ContractOrgTemplate:
		c.orgTemplate()
	case config.ContractGoPlugin:
		c.goPlugin()
	case config.ContractNone:
	default:
		return nil, fmt.Errorf("unknown contract %q", kind)
	}
	if c.err != nil {
		return nil, c.err
	}
	return report.Sort(c.out), nil
}

type checker struct {
	ctx  context.Context
	root string
	cc   config.ContractConfig
	out  []report.Finding
	err  error // the first tool failure
	// reqSeen are the requirements files already read (findRequirement).
	reqSeen map[string]bool
}

func (c *checker) add(rule string, sev report.Severity, file string, line, col int, help, format string, args ...any) {
	if line < 1 {
		line, col = 1, 1
	}
	if col < 1 {
		col = 1
	}
	c.out = append(c.out, report.Finding{
		Path: file, Line: line, Col: col, Rule: rule, Severity: sev,
		Message: fmt.Sprintf(format, args...), Help: help,
	})
}

// errNotFound marks a contract file that is absent (or not a regular file inside the repository).
var errNotFound = errors.New("not found")

// read returns the contents of the repository file rel. A file that does not exist, is not
// regular, or resolves outside the repository through a symlink (whose content a PR could
// otherwise have quoted into the log) is errNotFound; one over maxFile is reported by the caller.
func (c *checker) read(rel string) ([]byte, error) {
	p := filepath.Join(c.root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errNotFound
		}
		return nil, err
	}
	if !within(c.root, real) {
		return nil, errNotFound
	}
	b, err := fsutil.ReadRegular(real, maxFile)
	var nr *fsutil.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, errNotFound
	case errors.Is(err, fs.ErrNotExist):
		return nil, errNotFound
	}
	return b, err
}

// readOrReport reads rel and turns a failure into a finding of rule (too large) or a tool error.
func (c *checker) readOrReport(rel, rule string) ([]byte, bool) {
	b, err := c.read(rel)
	switch {
	case err == nil:
		return b, true
	case errors.Is(err, errNotFound):
		return nil, false
	case fsutil.IsLimit(err):
		c.add(rule, report.Error, rel, 1, 1, "", "%s is larger than %d MiB; a contract file this size is not a template", rel, maxFile>>20)
		return nil, false
	}
	if c.err == nil {
		c.err = fmt.Errorf("read %s: %w", rel, err)
	}
	return nil, false
}

// exists reports whether rel exists inside the repository (file or directory).
func (c *checker) exists(rel string) bool {
	real, err := filepath.EvalSymlinks(filepath.Join(c.root, filepath.FromSlash(rel)))
	return err == nil && within(c.root, real)
}

func (c *checker) isDir(rel string) bool {
	real, err := filepath.EvalSymlinks(filepath.Join(c.root, filepath.FromSlash(rel)))
	if err != nil || !within(c.root, real) {
		return false
	}
	fi, err := os.Stat(real)
	return err == nil && fi.IsDir()
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// yamlLine finds the line yaml.v3 names in a syntax error ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseYAML parses one YAML document into a node tree. On a syntax error it returns the line the
// parser names and its message.
func parseYAML(src []byte) (*yaml.Node, int, string) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 1
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				line = n
			}
		}
		return nil, line, msg
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], 0, ""
	}
	return nil, 0, "" // empty document
}

// lookup returns the key and value nodes of key in mapping m (the last one, as YAML loaders do).
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Kind == yaml.ScalarNode {
			k, v = m.Content[i], deref(m.Content[i+1])
		}
	}
	return k, v
}

// deref follows an alias to its anchor (once: yaml.v3 does not allow alias chains to loop).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// yamlType names the type a YAML value has after loading, in the contract's vocabulary.
func yamlType(n *yaml.Node) config.KeyType {
	n = deref(n)
	if n == nil {
		return "null"
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return config.TypeList
	case yaml.MappingNode:
		return config.TypeMapping
	}
	switch n.ShortTag() {
	case "!!str":
		return config.TypeString
	case "!!int":
		return config.TypeInt
	case "!!bool":
		return config.TypeBool
	case "!!float":
		return config.TypeFloat
	case "!!null":
		return "null"
	}
	return config.KeyType(strings.TrimPrefix(n.ShortTag(), "!!"))
}

// truthy mirrors Python's truth test on a loaded YAML value, which the validators use for
// "required field present".
func truthy(n *yaml.Node) bool {
	n = deref(n)
	if n == nil {
		return false
	}
	switch n.Kind {
	case yaml.SequenceNode, yaml.MappingNode:
		return len(n.Content) > 0
	}
	switch n.ShortTag() {
	case "!!null":
		return false
	case "!!bool":
		return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		return err != nil || f != 0
	}
	return n.Value != ""
}

// quote shows a value from a repository file in a message: quoted, bounded and on one line.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		s = string(r[:60]) + "…"
	}
	return strconv.Quote(s)
}

func joinSlash(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return path.Join(dir, name)
}
