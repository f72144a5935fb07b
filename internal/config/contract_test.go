package config

import (
	"slices"
	"strings"
	"testing"
)

func TestContractConfig(t *testing.T) {
	cfg, err := Parse(".molecule-ci.yml", []byte(`lint:
  contract:
    kind: workspace-template
    workspace-template:
      extra-runtimes: [my-runtime]
      required-keys: {name: string, template_schema_version: int}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Lint.Contract.Resolved()
	if c.Kind != ContractWorkspaceTemplate {
		t.Errorf("kind = %q", c.Kind)
	}
	w := c.WorkspaceTemplate
	if !slices.Contains(w.Runtimes, "my-runtime") || !slices.Contains(w.Runtimes, "claude-code") {
		t.Errorf("runtimes = %v, want the defaults plus my-runtime", w.Runtimes)
	}
	if len(w.RequiredKeys) != 2 || w.RequiredKeys["template_schema_version"] != TypeInt {
		t.Errorf("required keys = %v, want the file's two", w.RequiredKeys)
	}
	if w.BaseImage != "python:3.11-slim" || w.RuntimePackage != "molecule-ai-workspace-runtime" {
		t.Errorf("defaults not applied: %+v", w)
	}
	if d := DefaultContract(); !slices.Equal(d.WorkspaceTemplate.Runtimes, []string{"langgraph", "claude-code", "crewai", "autogen", "deepagents", "hermes", "gemini-cli", "openclaw"}) {
		t.Errorf("Resolved modified the defaults: %v", d.WorkspaceTemplate.Runtimes)
	}
}

func TestContractConfigErrors(t *testing.T) {
	for src, want := range map[string]string{
		"lint:\n  contract:\n    kind: library\n":                                          `.molecule-ci.yml:3:11: lint.contract.kind: unknown contract "library" (valid: auto, none, workspace-template, plugin, go-plugin, org-template)`,
		"lint:\n  contract:\n    workspace-template:\n      required-keys: {name: text}\n": `.molecule-ci.yml:4:29: lint.contract.workspace-template.required-keys.name: unknown key type "text" (valid: any, string, int, bool, float, list, mapping)`,
		"lint:\n  contract:\n    plugin:\n      content: SKILL.md\n":                       `.molecule-ci.yml:4:16: lint.contract.plugin.content`,
	} {
		_, err := Parse(".molecule-ci.yml", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want prefix %q", src, err, want)
		}
	}
}
