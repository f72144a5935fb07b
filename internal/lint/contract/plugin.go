package contract

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// plugin mirrors validate-plugin.py: plugin.yaml's fields and the plugin's content.
func (c *checker) plugin() {
	p := c.cc.Plugin
	const file = "plugin.yaml"
	src, ok := c.readOrReport(file, RulePluginManifest)
	if !ok {
		if c.err == nil {
			c.add(RulePluginManifest, report.Error, file, 1, 1, "", "plugin.yaml is missing at the repository root")
		}
		return
	}
	root, line, msg := parseYAML(src)
	switch {
	case msg != "":
		c.add(RulePluginManifest, report.Error, file, line, 1, "", "plugin.yaml is not valid YAML: %s", msg)
	case root == nil || root.Kind != yaml.MappingNode:
		l, col, got := 1, 1, "an empty document"
		if root != nil {
			l, col, got = root.Line, root.Column, describe(root)
		}
		c.add(RulePluginManifest, report.Error, file, l, col, "", "plugin.yaml must be a mapping of fields, got %s", got)
	default:
		for _, f := range p.RequiredFields {
			k, v := lookup(root, f)
			if !truthy(v) {
				l, col := root.Line, root.Column
				if k != nil {
					l, col = k.Line, k.Column
				}
				c.add(RulePluginManifest, report.Error, file, l, col, "", "plugin.yaml is missing the required field %s", f)
			}
		}
		if _, v := lookup(root, "version"); v != nil && v.Kind == yaml.ScalarNode && yamlType(v) != "null" &&
			strings.Trim(v.Value, "0123456789.") != "" {
			c.add(RulePluginManifest, report.Error, file, v.Line, v.Column, "write it as digits and dots, e.g. 1.2.0",
				"plugin.yaml: invalid version %s", quote(v.Value))
		} else if v != nil && (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) {
			c.add(RulePluginManifest, report.Error, file, v.Line, v.Column, "", "plugin.yaml: version must be digits and dots, got %s", describe(v))
		}
		if _, v := lookup(root, "runtimes"); v != nil && yamlType(v) != "null" && v.Kind != yaml.SequenceNode {
			c.add(RulePluginManifest, report.Error, file, v.Line, v.Column, "", "plugin.yaml: runtimes must be a list, got %s", describe(v))
		}
	}

	found := false
	for _, f := range p.Content {
		if c.exists(f) {
			found = true
			break
		}
	}
	if !found {
		c.add(RulePluginContent, report.Error, file, 1, 1, "",
			"the plugin has none of %s: it installs nothing", contentList(p.Content))
	}
	if skill, err := c.read("SKILL.md"); err == nil {
		first, _, _ := bytes.Cut(skill, []byte("\n"))
		sc := bufio.NewScanner(bytes.NewReader(first))
		sc.Scan()
		if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "#") {
			c.add(RulePluginContent, report.Warning, "SKILL.md", 1, 1, "start it with a heading, e.g. `# Plugin name`",
				"SKILL.md should start with a markdown heading")
		}
	}
}

func contentList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		if strings.Contains(n, ".") {
			out[i] = n
		} else {
			out[i] = n + "/"
		}
	}
	return fmt.Sprint(strings.Join(out, ", "))
}
