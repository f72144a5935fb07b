package contract

import (
	"errors"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Bounds on an org tree a PR controls: how deep children and includes may nest, and how many
// workspaces one template may hold in all.
const (
	maxOrgDepth      = 64
	maxOrgWorkspaces = 10000
	// maxOrgKeys bounds the keys read over all workspace visits: a file included ten thousand
	// times is parsed once but walked each time.
	maxOrgKeys = 4 << 20
)

// orgTemplate mirrors validate-org-template.py, and goes further where it stopped: its loader
// turned every `!include` into a plain string and skipped it, so no included workspace — most
// of a real template — was ever checked. Here includes are followed (relative to the including
// file, inside the repository, without cycles) and a missing one is a finding.
func (c *checker) orgTemplate() {
	const file = "org.yaml"
	src, ok := c.readOrReport(file, RuleOrgManifest)
	if !ok {
		if c.err == nil {
			c.add(RuleOrgManifest, report.Error, file, 1, 1, "", "org.yaml is missing at the repository root")
		}
		return
	}
	root, line, msg := parseYAML(src)
	switch {
	case msg != "":
		c.add(RuleOrgManifest, report.Error, file, line, 1, "", "org.yaml is not valid YAML: %s", msg)
		return
	case root == nil || root.Kind != yaml.MappingNode:
		l, col, got := 1, 1, "an empty document"
		if root != nil {
			l, col, got = root.Line, root.Column, describe(root)
		}
		c.add(RuleOrgManifest, report.Error, file, l, col, "", "org.yaml must be a mapping, got %s", got)
		return
	}
	if k, v := lookup(root, "name"); !truthy(v) {
		l, col := root.Line, root.Column
		if k != nil {
			l, col = k.Line, k.Column
		}
		c.add(RuleOrgManifest, report.Error, file, l, col, "", "org.yaml is missing the required field name")
	}
	_, ws := lookup(root, "workspaces")
	if _, defs := lookup(root, "defaults"); !truthy(ws) && !truthy(defs) {
		c.add(RuleOrgManifest, report.Error, file, root.Line, root.Column, "", "org.yaml must have workspaces or defaults")
	}
	o := &orgWalk{c: c}
	o.children(file, ws, "", []string{file}, 0, "workspaces")
}

type orgWalk struct {
	c     *checker
	count int
	keys  int
	// stopped is set once a bound is reached (reported once).
	stopped bool
	// parsed caches included files by path: a file included from many places is read once.
	parsed map[string]parsedInclude
}

type parsedInclude struct {
	root *yaml.Node
	line int
	msg  string
	err  error
}

func (o *orgWalk) children(file string, seq *yaml.Node, parent string, stack []string, depth int, key string) {
	seq = deref(seq)
	if seq == nil || yamlType(seq) == "null" {
		return
	}
	if seq.Kind != yaml.SequenceNode {
		o.c.add(RuleOrgWorkspace, report.Error, file, seq.Line, seq.Column, "", "%s must be a list of workspaces, got %s", key, describe(seq))
		return
	}
	for _, item := range seq.Content {
		if o.c.ctx.Err() != nil {
			return
		}
		o.item(file, deref(item), parent, stack, depth)
	}
}

func (o *orgWalk) item(file string, n *yaml.Node, parent string, stack []string, depth int) {
	if n == nil {
		return
	}
	if depth >= maxOrgDepth {
		o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "", "workspaces nest more than %d levels deep", maxOrgDepth)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!include" {
		o.include(file, n, parent, stack, depth)
		return
	}
	if n.Kind != yaml.MappingNode {
		return // other tags resolve at platform load time, as the Python validator assumed
	}
	o.workspace(file, n, parent, stack, depth)
}

func (o *orgWalk) include(file string, n *yaml.Node, parent string, stack []string, depth int) {
	target := path.Clean(joinSlash(pathDir(file), strings.TrimSpace(n.Value)))
	switch {
	case n.Value == "" || path.IsAbs(n.Value):
		o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "", "!include needs a path relative to %s, got %s", file, quote(n.Value))
		return
	case target == ".." || strings.HasPrefix(target, "../"):
		o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "", "!include %s leaves the repository", quote(n.Value))
		return
	case slices.Contains(stack, target):
		o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "", "!include %s includes itself (%s)", quote(n.Value), strings.Join(append(stack, target), " -> "))
		return
	}
	if o.parsed == nil {
		o.parsed = map[string]parsedInclude{}
	}
	p, ok := o.parsed[target]
	if !ok {
		src, err := o.c.read(target)
		p.err = err
		if err == nil {
			p.root, p.line, p.msg = parseYAML(src)
		}
		o.parsed[target] = p
	}
	if err := p.err; err != nil {
		switch {
		case errors.Is(err, errNotFound):
			o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "",
				"!include %s: the child workspace file %s does not exist", quote(n.Value), target)
		default:
			o.c.readOrReport(target, RuleOrgWorkspace)
		}
		return
	}
	root, line, msg := p.root, p.line, p.msg
	switch {
	case msg != "":
		if !ok { // reported once, where the file is, however often it is included
			o.c.add(RuleOrgWorkspace, report.Error, target, line, 1, "", "%s (included from %s) is not valid YAML: %s", target, file, msg)
		}
	case root == nil || root.Kind != yaml.MappingNode:
		got := "an empty document"
		if root != nil {
			got = describe(root)
		}
		o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "", "!include %s: %s must be a workspace mapping, got %s", quote(n.Value), target, got)
	default:
		o.workspace(target, root, parent, append(slices.Clone(stack), target), depth)
	}
}

func (o *orgWalk) workspace(file string, ws *yaml.Node, parent string, stack []string, depth int) {
	o.keys += len(ws.Content) / 2
	if o.count++; o.count > maxOrgWorkspaces || o.keys > maxOrgKeys {
		if !o.stopped {
			o.stopped = true
			o.c.add(RuleOrgWorkspace, report.Error, file, ws.Line, ws.Column, "",
				"the org template has more than %d workspaces or %d keys in them; the rest was not checked", maxOrgWorkspaces, maxOrgKeys)
		}
		return
	}
	_, nameNode := lookup(ws, "name")
	name := "<unnamed>"
	if nameNode != nil && nameNode.Kind == yaml.ScalarNode && nameNode.Value != "" {
		name = nameNode.Value
	}
	full := name
	if parent != "" {
		full = parent + "/" + name
	}
	if !truthy(nameNode) {
		o.c.add(RuleOrgWorkspace, report.Error, file, ws.Line, ws.Column, "", "workspace %s has no name", quote(full))
	}
	if _, p := lookup(ws, "plugins"); truthy(p) && p.Kind != yaml.SequenceNode {
		o.c.add(RuleOrgWorkspace, report.Error, file, p.Line, p.Column, "", "workspace %s: plugins must be a list, got %s", quote(full), describe(p))
	}
	if _, fd := lookup(ws, "files_dir"); fd != nil && fd.Kind == yaml.ScalarNode && fd.Value != "" && !strings.Contains(fd.Value, "${") {
		dir := path.Clean(fd.Value)
		if path.IsAbs(dir) || dir == ".." || strings.HasPrefix(dir, "../") || !o.c.isDir(dir) {
			o.c.add(RuleOrgWorkspace, report.Error, file, fd.Line, fd.Column, "",
				"workspace %s: files_dir %s is not a directory of the template", quote(full), quote(fd.Value))
		} else {
			o.promptFiles(file, ws, dir, full)
		}
	}
	_, ch := lookup(ws, "children")
	o.children(file, ch, full, stack, depth+1, "children of "+quote(full))
}

// promptKeys name files of a workspace, relative to its files_dir, that the platform reads at
// import; a missing one breaks the workspace only when it is provisioned.
var promptKeys = []string{"initial_prompt_file", "idle_prompt_file", "system_prompt_file"}

func (o *orgWalk) promptFiles(file string, ws *yaml.Node, dir, full string) {
	check := func(n *yaml.Node, key string) {
		if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" || strings.Contains(n.Value, "${") {
			return
		}
		p := path.Clean(joinSlash(dir, n.Value))
		if path.IsAbs(n.Value) || p == ".." || strings.HasPrefix(p, "../") {
			o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "",
				"workspace %s: %s %s leaves the template", quote(full), key, quote(n.Value))
			return
		}
		if !o.c.exists(p) || o.c.isDir(p) {
			o.c.add(RuleOrgWorkspace, report.Error, file, n.Line, n.Column, "",
				"workspace %s: %s %s does not exist (%s)", quote(full), key, quote(n.Value), p)
		}
	}
	for _, k := range promptKeys {
		_, v := lookup(ws, k)
		check(v, k)
	}
	if _, sched := lookup(ws, "schedules"); sched != nil && sched.Kind == yaml.SequenceNode {
		for _, s := range sched.Content {
			_, v := lookup(s, "prompt_file")
			check(v, "schedule prompt_file")
		}
	}
}
