package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// reusableRemote reads called workflows through the GitHub API for reusable.Resolver, turning
// GitHub's answers into the resolver's sentinel errors.
type reusableRemote struct{ c *github.Client }

// maxRemoteCallee bounds a called workflow read through the API.
const maxRemoteCallee = 1 << 20

func (r reusableRemote) Commit(ctx context.Context, owner, repo, ref string) (string, error) {
	sha, err := r.c.CommitSHA(ctx, owner, repo, ref)
	switch {
	case errors.Is(err, github.ErrNoCommit):
		return "", fmt.Errorf("%w: %w", reusable.ErrNoRef, err)
	case errors.Is(err, github.ErrNotFound):
		return "", fmt.Errorf("%w: %w", reusable.ErrNoRepo, err)
	}
	return sha, err
}

func (r reusableRemote) File(ctx context.Context, owner, repo, commit, path string) ([]byte, error) {
	b, err := r.c.FileAt(ctx, owner, repo, commit, path, maxRemoteCallee)
	if errors.Is(err, github.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", reusable.ErrNoFile, err)
	}
	return b, err
}
