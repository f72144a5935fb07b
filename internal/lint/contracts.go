package lint

import (
	"context"
	"errors"
	"path/filepath"
	"sync"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/lint/contract"
	"github.com/Molecule-AI/molecule-ci/internal/lint/secretscan"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ContractOptions are lint's settings for the repository contract and the tree-wide secret scan
// (see CONVENTION-contracts.md for the CLI surface they come from).
type ContractOptions struct {
	// Contract is lint.contract from the config, with the --contract flag applied to Kind.
	Contract config.ContractConfig
	// SecretsOnly runs only the secret scan: no workflow, Dockerfile, config or contract rules.
	SecretsOnly bool
	// ContractOnly runs the contract rules and the secret scan and nothing else: the scope of the
	// Python validators the validate-* workflows ran.
	ContractOnly bool
	// DiffBase, when set, limits the tree-wide secret scan to lines added since it; DiffHead
	// defaults to HEAD. A null base (empty or all zeros) scans the whole tree.
	DiffBase, DiffHead string
	// Git is the git executable for --diff ("" = git on PATH).
	Git string
}

// ErrNothingToScan is a secrets-only run over a tree with no text file: a gate that checked
// nothing must not pass.
var ErrNothingToScan = errors.New("secret scan: no text file to scan")

// runContracts checks the repository contract (when the lint covers the repository root) and
// scans every text file for credentials, except the files lint already scanned whole. It
// returns the findings, with rule configuration applied (Run applies suppressions, once per
// file), the number of files it read, and the text of the files the scan found something in.
func runContracts(ctx context.Context, opts Options, linted []file) ([]report.Finding, int, map[string][]byte, error) {
	co := opts.Contracts
	var out []report.Finding
	root := opts.Root
	if root == "" {
		root = opts.WorkDir
	}
	if !co.SecretsOnly && coversRoot(opts.WorkDir, root, opts.Paths) {
		fs, err := contract.Check(ctx, root, co.Contract)
		if err != nil {
			return nil, 0, nil, err
		}
		if root != opts.WorkDir {
			// Contract findings are relative to the repository root; findings show paths
			// relative to the working directory.
			for i := range fs {
				fs[i].Path = display(opts.WorkDir, filepath.Join(root, filepath.FromSlash(fs[i].Path)))
			}
		}
		out = append(out, applyRuleConfig(fs, root, opts.WorkDir, opts.Rules)...)
	}
	done := map[string]bool{}
	for _, f := range linted {
		done[f.Path] = true
	}
	var mu sync.Mutex
	scanned := map[string][]byte{}
	post := func(rel string, src []byte, fs []report.Finding) []report.Finding {
		mu.Lock()
		scanned[rel] = src
		mu.Unlock()
		return applyRuleConfig(fs, root, opts.WorkDir, opts.Rules)
	}
	// Ignore globs are relative to the repository root; the scans name files relative to the
	// working directory.
	isIgnored := func(rel string) bool {
		return ignored(relTo(root, filepath.Join(opts.WorkDir, filepath.FromSlash(rel))), opts.Ignore)
	}
	var res secretscan.Result
	var err error
	if co.DiffBase != "" && !secretscan.IsNullRef(co.DiffBase) {
		res, err = secretscan.Diff(ctx, secretscan.DiffOptions{
			Dir: opts.WorkDir, Base: co.DiffBase, Head: co.DiffHead, Git: co.Git,
			SkipDirs: skipDirs, Ignored: isIgnored, Post: post,
		})
		if err == nil {
			res.Findings = dropFiles(res.Findings, done)
		}
	} else {
		res, err = secretscan.Tree(ctx, secretscan.TreeOptions{
			WorkDir: opts.WorkDir, Paths: opts.Paths, SkipDirs: skipDirs, Ignored: isIgnored,
			Skip: func(rel string) bool { return done[rel] }, Post: post, Jobs: opts.Jobs,
		})
		if err == nil && co.SecretsOnly && res.Files == 0 {
			err = ErrNothingToScan
		}
	}
	if err != nil {
		return nil, 0, nil, err
	}
	return append(out, res.Findings...), res.Files, scanned, nil
}

// dropFiles removes diff findings in files lint already scanned whole, so one secret is one
// finding.
func dropFiles(fs []report.Finding, done map[string]bool) []report.Finding {
	kept := fs[:0]
	for _, f := range fs {
		if !done[f.Path] {
			kept = append(kept, f)
		}
	}
	return kept
}

// coversRoot reports whether the lint covers the repository root: no path given while working
// in the root, or a path that is the root itself.
func coversRoot(workDir, root string, paths []string) bool {
	wd, err := filepath.Abs(workDir)
	if err != nil {
		return false
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return false
	}
	if len(paths) == 0 {
		return wd == root
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		if filepath.Clean(p) == root {
			return true
		}
	}
	return false
}
