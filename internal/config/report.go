package config

import (
	"strings"
	"unicode"
)

// ReportConfig is the `report:` section of .molecule-ci.yml: how what molecule-ci writes on
// GitHub presents itself.
//
//	report:
//	  identity: "[devops-agent]"
type ReportConfig struct {
	// Identity is a first line put on every issue and comment the tool writes (incidents,
	// coverage comments, the triage tracking issue), so humans and other agents can attribute
	// them at a glance. Empty (the default): none.
	Identity string `yaml:"identity" json:"identity,omitempty"`
}

// maxIdentity bounds the identity line: a signature, not a paragraph.
const maxIdentity = 100

// Validate keeps the identity one short visible line: a line break would let it carry more than a
// signature, and an HTML comment would hide it (and could forge the hidden markers that find the
// tool's own comments).
func (c *ReportConfig) Validate(v *Validation) {
	id := c.Identity
	switch {
	case id == "":
	case strings.TrimSpace(id) != id:
		v.Errorf("identity", "must not start or end with blanks")
	case len([]rune(id)) > maxIdentity:
		v.Errorf("identity", "at most %d characters, got %d", maxIdentity, len([]rune(id)))
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		v.Errorf("identity", "must be one line without control characters")
	case strings.Contains(id, "<!--") || strings.Contains(id, "-->"):
		v.Errorf("identity", "must not contain an HTML comment (it would be hidden)")
	}
}
