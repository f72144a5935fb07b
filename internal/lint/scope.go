package lint

import (
	"path/filepath"

	"github.com/Molecule-AI/molecule-ci/internal/lint/contract"
	"github.com/Molecule-AI/molecule-ci/internal/lint/secretscan"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// scope is what a run with opts checks (see report.Scope): a baseline compared with the run
// lists as stale only the entries the run could have found. The validate-* workflows run
// --contract-only with the caller's full baseline; the secret scan runs --diff.
func scope(opts Options) *report.Scope {
	s := &report.Scope{}
	wd, err := filepath.Abs(opts.WorkDir)
	if err != nil {
		wd = opts.WorkDir
	}
	for _, p := range orDot(opts.Paths) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		s.Paths = append(s.Paths, filepath.Clean(p))
	}
	co := opts.Contracts
	root := opts.Root
	if root == "" {
		root = opts.WorkDir
	}
	contractRan := !co.SecretsOnly && coversRoot(opts.WorkDir, root, opts.Paths)
	switch {
	case co.SecretsOnly:
		s.Rules = []string{secretscan.Rule}
	case co.ContractOnly:
		s.Rules = []string{secretscan.Rule}
		if contractRan {
			s.Rules = append(s.Rules, contractRuleIDs()...)
		}
	case !contractRan:
		// Every rule but the contract's, which checks the repository root only.
		s.Partial = contractRuleIDs()
	}
	if co.DiffBase != "" && !secretscan.IsNullRef(co.DiffBase) {
		// Only the lines added since the base were scanned: an entry of a secret on any other
		// line may well still be there.
		s.Partial = append(s.Partial, secretscan.Rule)
	}
	return s
}

func contractRuleIDs() []string {
	rs := contract.Rules()
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}
