package cli

import (
	"errors"
	"flag"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/lint/secretscan"
)

// contractFlags are lint's flags for repository contracts and the secret scan; their meaning is
// fixed in CONVENTION-contracts.md, which the reusable workflows rely on.
type contractFlags struct {
	fs           *flag.FlagSet
	kind         *string
	secretsOnly  *bool
	contractOnly *bool
	diffBase     *string
	diffHead     *string
}

func registerContractFlags(fs *flag.FlagSet) *contractFlags {
	return &contractFlags{
		fs:           fs,
		kind:         fs.String("contract", "", "repository contract to check: auto, none, workspace-template, plugin, go-plugin, org-template (default from lint.contract.kind, else auto)"),
		secretsOnly:  fs.Bool("secrets-only", false, "run only the secret scan (every text file), no other rule"),
		contractOnly: fs.Bool("contract-only", false, "run only the repository contract and the secret scan (the scope of the validate-* workflows)"),
		diffBase:     fs.String("diff", "", "scan for secrets only the lines added since this commit or ref (empty or all zeros: the whole tree)"),
		diffHead:     fs.String("diff-head", "HEAD", "the other end of --diff"),
	}
}

// options applies the flags to the config's contract section.
func (f *contractFlags) options(cc config.ContractConfig) (lint.ContractOptions, error) {
	if *f.kind != "" {
		k, err := config.ParseContractKind(*f.kind)
		if err != nil {
			return lint.ContractOptions{}, usagef("--contract: %v", err)
		}
		cc.Kind = k
	}
	headSet := false
	f.fs.Visit(func(fl *flag.Flag) { headSet = headSet || fl.Name == "diff-head" })
	if headSet && *f.diffBase == "" {
		return lint.ContractOptions{}, usagef("--diff-head needs --diff BASE")
	}
	if *f.diffBase != "" && !secretscan.IsNullRef(*f.diffBase) {
		for _, fr := range [][2]string{{"--diff", *f.diffBase}, {"--diff-head", *f.diffHead}} {
			if err := git.ValidateRef(fr[1]); err != nil {
				return lint.ContractOptions{}, usagef("%s %v", fr[0], err)
			}
		}
	}
	return lint.ContractOptions{Contract: cc, SecretsOnly: *f.secretsOnly, ContractOnly: *f.contractOnly, DiffBase: *f.diffBase, DiffHead: *f.diffHead}, nil
}

// contractRunError turns a --diff ref git cannot resolve, and a secret scan with no text file to
// read, into usage errors (exit 2).
func contractRunError(err error) error {
	var re *git.RefError
	if errors.As(err, &re) || errors.Is(err, lint.ErrNothingToScan) {
		return usagef("%v", err)
	}
	return err
}
