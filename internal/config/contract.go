package config

import (
	"fmt"
	"slices"
	"strings"
)

// ContractKind names a repository contract: the set of files and rules a kind of repository of
// the organisation must satisfy.
type ContractKind string

// The contract kinds. ContractAuto recognises the kind from the repository's files.
const (
	ContractAuto              ContractKind = "auto"
	ContractNone              ContractKind = "none"
	ContractWorkspaceTemplate ContractKind = "workspace-template"
	ContractPlugin            ContractKind = "plugin"
	ContractGoPlugin          ContractKind = "go-plugin"
	ContractOrgTemplate       ContractKind = "org-template"
)

// ContractKinds lists every valid kind, in the order they are documented.
var ContractKinds = []ContractKind{ContractAuto, ContractNone, ContractWorkspaceTemplate, ContractPlugin, ContractGoPlugin, ContractOrgTemplate}

// ParseContractKind returns the kind named s, or an error listing the valid names.
func ParseContractKind(s string) (ContractKind, error) {
	for _, k := range ContractKinds {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(ContractKinds))
	for i, k := range ContractKinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown contract %q (valid: %s)", s, strings.Join(names, ", "))
}

// UnmarshalText makes the config loader reject an unknown kind at its line and column.
func (k *ContractKind) UnmarshalText(b []byte) error {
	v, err := ParseContractKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// KeyType is the type a config.yaml key of a workspace template must have.
type KeyType string

// The key types a contract can require.
const (
	TypeAny     KeyType = "any"
	TypeString  KeyType = "string"
	TypeInt     KeyType = "int"
	TypeBool    KeyType = "bool"
	TypeFloat   KeyType = "float"
	TypeList    KeyType = "list"
	TypeMapping KeyType = "mapping"
)

var keyTypes = []KeyType{TypeAny, TypeString, TypeInt, TypeBool, TypeFloat, TypeList, TypeMapping}

// UnmarshalText rejects an unknown type name at its position in the config file.
func (t *KeyType) UnmarshalText(b []byte) error {
	for _, k := range keyTypes {
		if string(k) == string(b) {
			*t = k
			return nil
		}
	}
	names := make([]string, len(keyTypes))
	for i, k := range keyTypes {
		names[i] = string(k)
	}
	return fmt.Errorf("unknown key type %q (valid: %s)", b, strings.Join(names, ", "))
}

// ContractConfig is `lint.contract:`: which contract a repository is held to and the contracts'
// data. Every field left empty takes the organisation's value from DefaultContract, so the
// section is usually absent; adding a runtime is `extra-runtimes: [name]`.
type ContractConfig struct {
	// Kind is ContractAuto (the default, also when empty), ContractNone or a contract kind.
	Kind              ContractKind              `yaml:"kind" json:"kind,omitempty"`
	WorkspaceTemplate WorkspaceTemplateContract `yaml:"workspace-template" json:"workspace-template"`
	Plugin            PluginContract            `yaml:"plugin" json:"plugin"`
}

// WorkspaceTemplateContract is the data of docs/template-contract.md.
type WorkspaceTemplateContract struct {
	// BaseImage is the image the final stage must be FROM (tag included, digest allowed).
	BaseImage string `yaml:"base-image" json:"base-image,omitempty"`
	// RuntimePackage is the pip distribution that must be installed.
	RuntimePackage string `yaml:"runtime-package" json:"runtime-package,omitempty"`
	// RuntimeModule is the Python package adapters import BaseAdapter from.
	RuntimeModule string `yaml:"runtime-module" json:"runtime-module,omitempty"`
	// LegacyModules are former names of RuntimeModule that must no longer be imported.
	LegacyModules []string `yaml:"legacy-modules" json:"legacy-modules,omitempty"`
	// RuntimeCommand is what the image's ENTRYPOINT must end at.
	RuntimeCommand string `yaml:"runtime-command" json:"runtime-command,omitempty"`
	// RuntimeVersionArg is the build argument that busts the pip layer's cache.
	RuntimeVersionArg string `yaml:"runtime-version-arg" json:"runtime-version-arg,omitempty"`
	// User is the unprivileged user the image must create.
	User string `yaml:"user" json:"user,omitempty"`
	// Runtimes replaces the known runtimes; ExtraRuntimes adds to them.
	Runtimes      []string `yaml:"runtimes" json:"runtimes,omitempty"`
	ExtraRuntimes []string `yaml:"extra-runtimes" json:"extra-runtimes,omitempty"`
	// SchemaVersions are the template_schema_version values understood; deprecated ones warn.
	SchemaVersions           []int `yaml:"schema-versions" json:"schema-versions,omitempty"`
	DeprecatedSchemaVersions []int `yaml:"deprecated-schema-versions" json:"deprecated-schema-versions,omitempty"`
	// RequiredKeys maps each required config.yaml key to its type.
	RequiredKeys map[string]KeyType `yaml:"required-keys" json:"required-keys,omitempty"`
	// OptionalKeys are the other keys config.yaml may have; any other key warns as drift.
	OptionalKeys []string `yaml:"optional-keys" json:"optional-keys,omitempty"`
}

// PluginContract is the data of validate-plugin.py.
type PluginContract struct {
	// RequiredFields must be present and non-empty in plugin.yaml.
	RequiredFields []string `yaml:"required-fields" json:"required-fields,omitempty"`
	// Content are the files or directories of which a plugin must have at least one.
	Content []string `yaml:"content" json:"content,omitempty"`
}

// DefaultContract is the organisation's contract data as its validators and
// docs/template-contract.md define it.
func DefaultContract() ContractConfig {
	return ContractConfig{
		Kind: ContractAuto,
		WorkspaceTemplate: WorkspaceTemplateContract{
			BaseImage:         "python:3.11-slim",
			RuntimePackage:    "molecule-ai-workspace-runtime",
			RuntimeModule:     "molecule_runtime",
			LegacyModules:     []string{"molecule_ai"},
			RuntimeCommand:    "molecule-runtime",
			RuntimeVersionArg: "RUNTIME_VERSION",
			User:              "agent",
			Runtimes:          []string{"langgraph", "claude-code", "crewai", "autogen", "deepagents", "hermes", "gemini-cli", "openclaw"},
			SchemaVersions:    []int{1},
			RequiredKeys:      map[string]KeyType{"name": TypeString, "runtime": TypeString, "template_schema_version": TypeInt},
			OptionalKeys: []string{"description", "version", "tier", "model", "models", "runtime_config", "env",
				"skills", "tools", "a2a", "delegation", "prompt_files", "bridge", "governance"},
		},
		Plugin: PluginContract{
			RequiredFields: []string{"name", "version", "description"},
			Content:        []string{"SKILL.md", "hooks", "skills", "rules"},
		},
	}
}

// Resolved returns c with every empty field filled from DefaultContract and the extra runtimes
// merged in. Slices and maps given in the file replace the defaults.
func (c ContractConfig) Resolved() ContractConfig {
	d := DefaultContract()
	if c.Kind == "" {
		c.Kind = d.Kind
	}
	w, dw := &c.WorkspaceTemplate, d.WorkspaceTemplate
	str := func(p *string, def string) {
		if *p == "" {
			*p = def
		}
	}
	str(&w.BaseImage, dw.BaseImage)
	str(&w.RuntimePackage, dw.RuntimePackage)
	str(&w.RuntimeModule, dw.RuntimeModule)
	str(&w.RuntimeCommand, dw.RuntimeCommand)
	str(&w.RuntimeVersionArg, dw.RuntimeVersionArg)
	str(&w.User, dw.User)
	if w.LegacyModules == nil {
		w.LegacyModules = dw.LegacyModules
	}
	if w.Runtimes == nil {
		w.Runtimes = dw.Runtimes
	}
	w.Runtimes = append(slices.Clone(w.Runtimes), w.ExtraRuntimes...)
	w.ExtraRuntimes = nil
	if w.SchemaVersions == nil {
		w.SchemaVersions = dw.SchemaVersions
	}
	if w.RequiredKeys == nil {
		w.RequiredKeys = dw.RequiredKeys
	}
	if w.OptionalKeys == nil {
		w.OptionalKeys = dw.OptionalKeys
	}
	if c.Plugin.RequiredFields == nil {
		c.Plugin.RequiredFields = d.Plugin.RequiredFields
	}
	if c.Plugin.Content == nil {
		c.Plugin.Content = d.Plugin.Content
	}
	return c
}
