package contract

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// workspaceTemplate mirrors validate-workspace-template.py: Dockerfile, config.yaml,
// requirements.txt and adapter.py, in that order.
func (c *checker) workspaceTemplate() {
	w := c.cc.WorkspaceTemplate
	df, haveDF := c.readOrReport("Dockerfile", RuleDockerfile)
	reqs, haveReqs := c.readOrReport("requirements.txt", RuleRuntimeRequirement)
	var reqPkg *reqLine
	if haveReqs {
		reqPkg = c.findRequirement("requirements.txt", reqs, w.RuntimePackage, 0)
	}
	if haveDF {
		c.dockerfile(df, reqPkg != nil)
	} else {
		c.add(RuleDockerfile, report.Warning, "Dockerfile", 1, 1, "",
			"no Dockerfile: the container checks are skipped (a library-only template?)")
	}
	c.configYAML()
	switch {
	case !haveReqs:
		c.add(RuleRuntimeRequirement, report.Warning, "requirements.txt", 1, 1, "",
			"no requirements.txt: the Dockerfile must install %s by other means", w.RuntimePackage)
	case reqPkg == nil:
		c.add(RuleRuntimeRequirement, report.Error, "requirements.txt", 1, 1,
			fmt.Sprintf("add a line such as `%s>=0.1.0`", w.RuntimePackage),
			"requirements.txt does not declare %s", w.RuntimePackage)
	}
	c.adapter()
}

func (c *checker) configYAML() {
	w := c.cc.WorkspaceTemplate
	const file = "config.yaml"
	src, ok := c.readOrReport(file, RuleConfigFile)
	if !ok {
		if c.err == nil && !c.exists(file) {
			c.add(RuleConfigFile, report.Error, file, 1, 1, "", "config.yaml is missing at the repository root")
		}
		return
	}
	root, line, msg := parseYAML(src)
	if msg != "" {
		c.add(RuleConfigFile, report.Error, file, line, 1, "", "config.yaml is not valid YAML: %s", msg)
		return
	}
	if root == nil || root.Kind != yaml.MappingNode {
		got := "an empty document"
		l, col := 1, 1
		if root != nil {
			got, l, col = describe(root), root.Line, root.Column
		}
		c.add(RuleConfigFile, report.Error, file, l, col, "", "config.yaml must be a mapping of keys, got %s", got)
		return
	}

	// template_schema_version first: without a version the rest cannot be judged.
	k, v := lookup(root, "template_schema_version")
	if k == nil || yamlType(v) == "null" {
		l, col := 1, 1
		if k != nil {
			l, col = k.Line, k.Column
		}
		c.add(RuleSchemaVersion, report.Error, file, l, col, "add `template_schema_version: 1`",
			"config.yaml is missing the required key template_schema_version")
		return
	}
	if yamlType(v) != config.TypeInt {
		c.add(RuleSchemaVersion, report.Error, file, v.Line, v.Column, "write the number without quotes: `template_schema_version: 1`",
			"template_schema_version must be an int, got %s %s", yamlType(v), quote(v.Value))
		return
	}
	sv, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
	if err != nil {
		c.add(RuleSchemaVersion, report.Error, file, v.Line, v.Column, "", "template_schema_version %s is not a number this contract can read", quote(v.Value))
		return
	}
	switch {
	case slices.Contains(w.DeprecatedSchemaVersions, int(sv)):
		latest := slices.Max(w.SchemaVersions)
		c.add(RuleSchemaVersion, report.Warning, file, v.Line, v.Column,
			fmt.Sprintf("migrate with `python3 scripts/migrate-template.py --to %d .`", latest),
			"template_schema_version %d is deprecated; migrate to %d", sv, latest)
	case !slices.Contains(w.SchemaVersions, int(sv)):
		valid := append(slices.Clone(w.SchemaVersions), w.DeprecatedSchemaVersions...)
		slices.Sort(valid)
		c.add(RuleSchemaVersion, report.Error, file, v.Line, v.Column, "",
			"template_schema_version %d is unknown (valid: %s)", sv, joinInts(valid))
		return
	}

	required := make([]string, 0, len(w.RequiredKeys))
	for key := range w.RequiredKeys {
		required = append(required, key)
	}
	sort.Strings(required)
	for _, key := range required {
		if key == "template_schema_version" {
			continue
		}
		want := w.RequiredKeys[key]
		k, v := lookup(root, key)
		switch {
		case k == nil:
			c.add(RuleConfigKey, report.Error, file, root.Line, root.Column, "",
				"config.yaml is missing the required key %s", key)
		case want != config.TypeAny && yamlType(v) != want:
			c.add(RuleConfigKey, report.Error, file, valuePos(k, v).Line, valuePos(k, v).Column, "",
				"%s must be %s, got %s", key, article(want), describe(v))
		}
	}

	if _, rt := lookup(root, "runtime"); rt != nil && yamlType(rt) == config.TypeString && rt.Value != "" &&
		!slices.Contains(w.Runtimes, rt.Value) {
		c.add(RuleRuntime, report.Warning, file, rt.Line, rt.Column,
			"a custom runtime is allowed; if it is canonical, add it to lint.contract.workspace-template.extra-runtimes",
			"runtime %s is not a known runtime (%s)", quote(rt.Value), strings.Join(w.Runtimes, ", "))
	}

	known := map[string]bool{}
	for key := range w.RequiredKeys {
		known[key] = true
	}
	for _, key := range w.OptionalKeys {
		known[key] = true
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn := root.Content[i]
		if kn.Kind == yaml.ScalarNode && kn.Tag == "!!merge" {
			continue
		}
		if !known[kn.Value] {
			c.add(RuleConfigKey, report.Warning, file, kn.Line, kn.Column,
				"if it is intentional, add it to lint.contract.workspace-template.optional-keys",
				"unknown top-level key %s in config.yaml: drift?", quote(kn.Value))
		}
	}
}

func valuePos(k, v *yaml.Node) *yaml.Node {
	if v != nil && v.Line > 0 {
		return v
	}
	return k
}

func article(t config.KeyType) string {
	switch t {
	case config.TypeInt:
		return "an int"
	case config.TypeAny:
		return "any value"
	}
	return "a " + string(t)
}

// describe says what a YAML value is, for messages: `a string "1"`, `a list`, `null`.
func describe(n *yaml.Node) string {
	t := yamlType(n)
	switch t {
	case "null":
		return "null"
	case config.TypeList, config.TypeMapping:
		return "a " + string(t)
	}
	return fmt.Sprintf("%s %s", article(t), quote(n.Value))
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

// reqLine is a requirement found in a requirements file.
type reqLine struct {
	file      string
	line, col int
}

// reqName is the distribution name at the start of a requirement line (PEP 508).
var reqName = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)`)

// normalize is PEP 503's name normalisation: case-insensitive, runs of -_. are equal.
var separators = regexp.MustCompile(`[-_.]+`)

func normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

// findRequirement looks for pkg among the requirements of a pip requirements file, following
// `-r other.txt` includes inside the repository (a few levels deep). Comments do not count.
func (c *checker) findRequirement(file string, src []byte, pkg string, depth int) *reqLine {
	// Each file is read once, however many times it is included: `-r a.txt` repeated a thousand
	// times in a thousand files must not multiply.
	if c.reqSeen == nil {
		c.reqSeen = map[string]bool{}
	}
	if c.reqSeen[file] || len(c.reqSeen) >= 64 {
		return nil
	}
	c.reqSeen[file] = true
	want := normalize(pkg)
	lines := strings.Split(string(src), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		// Continuation lines join the next line.
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, "\\") + lines[i]
		}
		if j := strings.Index(l, " #"); j >= 0 {
			l = l[:j]
		}
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if f, ok := strings.CutPrefix(t, "-r"); ok || strings.HasPrefix(t, "--requirement") {
			if !ok {
				f = strings.TrimPrefix(t, "--requirement")
			}
			f = strings.TrimSpace(strings.TrimPrefix(f, "="))
			if depth < 4 && f != "" {
				inc := joinSlash(pathDir(file), f)
				if b, err := c.read(inc); err == nil {
					if r := c.findRequirement(inc, b, pkg, depth+1); r != nil {
						return r
					}
				}
			}
			continue
		}
		if strings.HasPrefix(t, "-") {
			// -e git+https://...#egg=name installs name too.
			if _, egg, ok := strings.Cut(t, "#egg="); ok && (strings.HasPrefix(t, "-e") || strings.HasPrefix(t, "--editable")) {
				if m := reqName.FindString(egg); m != "" && normalize(m) == want {
					return &reqLine{file: file, line: i + 1, col: strings.Index(l, "#egg=") + 6}
				}
			}
			continue
		}
		if m := reqName.FindString(t); m != "" && normalize(m) == want {
			return &reqLine{file: file, line: i + 1, col: strings.Index(l, m) + 1}
		}
	}
	return nil
}

func pathDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// adapter checks adapter.py statically: legacy imports, and a class deriving from BaseAdapter.
func (c *checker) adapter() {
	w := c.cc.WorkspaceTemplate
	const file = "adapter.py"
	src, ok := c.readOrReport(file, RuleAdapterImport)
	if !ok {
		if c.err == nil {
			c.add(RuleAdapterImport, report.Warning, file, 1, 1, "",
				"no adapter.py: the runtime will use the default langgraph executor from the wheel")
		}
		return
	}
	imports, classes := pyParse(string(src))
	for _, im := range imports {
		for _, legacy := range w.LegacyModules {
			if im.Module == legacy || strings.HasPrefix(im.Module, legacy+".") {
				c.add(RuleAdapterImport, report.Warning, file, im.Line, im.Col,
					fmt.Sprintf("import from %s instead", w.RuntimeModule),
					"adapter.py imports %s, the package's pre-#87 name", quote(im.Module))
			}
		}
	}

	// Which expressions name BaseAdapter in this file: a name imported as BaseAdapter from the
	// runtime, or a dotted path ending in .BaseAdapter that starts at a name bound to the runtime
	// or one of its modules (b.BaseAdapter, molecule_runtime.adapters.base.BaseAdapter).
	direct := map[string]bool{}
	modules := map[string]bool{}
	rt := w.RuntimeModule
	for _, im := range imports {
		if im.Module != rt && !strings.HasPrefix(im.Module, rt+".") {
			continue
		}
		switch {
		case im.From && im.Name == "BaseAdapter":
			direct[cmpOr(im.Alias, im.Name)] = true
		case im.From && im.Name == "*":
			direct["BaseAdapter"] = true
		case im.From:
			modules[cmpOr(im.Alias, im.Name)] = true
		case im.Alias != "":
			modules[im.Alias] = true
		default:
			modules[strings.SplitN(im.Module, ".", 2)[0]] = true
		}
	}
	isBase := func(b string) bool {
		if direct[b] {
			return true
		}
		first, _, _ := strings.Cut(b, ".")
		return strings.HasSuffix(b, ".BaseAdapter") && modules[first]
	}
	// A class derives from BaseAdapter directly or through classes of this file.
	derived := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, cl := range classes {
			if derived[cl.Name] {
				continue
			}
			for _, b := range cl.Bases {
				if isBase(b) || derived[b] {
					derived[cl.Name] = true
					changed = true
					break
				}
			}
		}
	}
	if len(derived) == 0 {
		c.add(RuleAdapterClass, report.Error, file, 1, 1,
			fmt.Sprintf("define `class MyAdapter(BaseAdapter)` with `from %s.adapters.base import BaseAdapter`, or delete adapter.py if the default executor is intended", rt),
			"adapter.py defines no class deriving from %s's BaseAdapter: the runtime's adapter discovery ignores this file", rt)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
