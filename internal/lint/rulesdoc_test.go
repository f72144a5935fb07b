package lint

import (
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// TestRulesReference keeps docs/rules.md what the rule registry says: a rule added, changed or
// removed without regenerating the reference fails here (-update rewrites it).
func TestRulesReference(t *testing.T) {
	golden.Check(t, "../../docs/rules.md", []byte(Reference()))
}
