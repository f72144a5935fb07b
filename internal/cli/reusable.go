package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/github"
	"github.com/Molecule-AI/molecule-ci/internal/lint"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// The wiring of the reusable-call rule: where a called workflow is read — the repository's own
// files, local checkouts (lint.reusable.checkouts; a fleet's siblings), and the GitHub API when a
// token is there. Without a token nothing goes to the network: lint stays offline and fast, and
// says which calls it could not check.

// lintClientOptions are added to lint's GitHub client: tests give it the fake's clock and a
// short backoff.
var lintClientOptions []github.Option

// callMaxWait is the longest lint waits for a rate limit before it reports the calls it could not
// check: a lint step must not hang until the hour is over for an info finding.
const callMaxWait = 30 * time.Second

// maxCallee bounds a called workflow read through the API, as the resolver bounds the others.
const maxCallee = 1 << 20

// noTokenLint is why lint did not ask the API.
const noTokenLint = "no GitHub token (GITHUB_TOKEN, or the action's github-token) to read it through the API"

// reusableAPI adapts the GitHub client to reusable.Remote.
type reusableAPI struct{ c *github.Client }

func (a reusableAPI) Commit(ctx context.Context, owner, repo, ref string) (string, error) {
	sha, err := a.c.CommitSHA(ctx, owner, repo, ref)
	var rl *github.RateLimitError
	switch {
	case errors.As(err, &rl):
		return "", rateLimited(rl)
	case errors.Is(err, github.ErrNoCommit):
		return "", fmt.Errorf("%w: %w", reusable.ErrNoRef, err)
	case errors.Is(err, github.ErrNotFound):
		return "", fmt.Errorf("%w: %w", reusable.ErrNoRepo, err)
	}
	return sha, err
}

func (a reusableAPI) File(ctx context.Context, owner, repo, commit, path string) ([]byte, error) {
	b, err := a.c.FileAt(ctx, owner, repo, commit, path, maxCallee)
	if rl := (*github.RateLimitError)(nil); errors.As(err, &rl) {
		return nil, rateLimited(rl)
	}
	if errors.Is(err, github.ErrNotFound) {
		// The commit exists (Commit found it): a 404 is the file.
		return nil, fmt.Errorf("%w: %w", reusable.ErrNoFile, err)
	}
	return b, err
}

// rateLimited says that GitHub refused for its rate limit, and for how long, in the few words
// of a "call not checked" reason: the request and GitHub's answer are in the client's log line.
func rateLimited(rl *github.RateLimitError) error {
	if rl.Wait > 0 {
		return fmt.Errorf("GitHub's API rate limit is spent for %v more, longer than this run waits", rl.Wait.Round(time.Second))
	}
	return fmt.Errorf("GitHub's API rate limit is spent (%d %s)", rl.Status, rl.Message)
}

// newCallResolver is the resolver of one run: checkouts by OWNER/REPO, named in messages
// relative to workDir, the API through client (nil: none, and noRemote says why).
func newCallResolver(workDir string, checkouts map[string]string, client *github.Client, noRemote string) *reusable.Resolver {
	r := &reusable.Resolver{Checkouts: checkouts, NoRemote: noRemote, Display: func(d string) string { return relPath(workDir, d) }}
	if client != nil {
		r.Remote = reusableAPI{client}
	}
	return r
}

// lintCalls reads callees for `molecule-ci lint`: the API client is made once, on the first
// repository, when GITHUB_TOKEN (or the action's github-token) is set.
type lintCalls struct {
	env    Env
	stderr io.Writer
	cache  string // the cache directory, "" for none
	done   bool
	client *github.Client
}

// resolver is the resolver of one repository: its config's lint.reusable.checkouts (relative to
// the config file) and the run's API client.
func (lc *lintCalls) resolver(cfg *config.Config) (*reusable.Resolver, error) {
	if !lc.done {
		lc.done = true
		gctx, err := lc.env.Actions.Context()
		if err != nil {
			return nil, usagef("lint: %v", err)
		}
		if gctx.Token != "" {
			opts := []github.Option{github.WithMaxWait(callMaxWait), github.WithLogf(func(format string, args ...any) {
				fmt.Fprintf(lc.stderr, "molecule-ci: "+format+"\n", args...)
			})}
			if lc.cache != "" {
				opts = append(opts, github.WithCache(filepath.Join(lc.cache, "github")))
			}
			if lc.client, err = github.NewClient(gctx.Token, gctx.APIURL, append(opts, lintClientOptions...)...); err != nil {
				return nil, usagef("lint: %v", err)
			}
		}
	}
	checkouts := map[string]string{}
	for repo, dir := range cfg.Lint.Reusable.Checkouts {
		checkouts[repo] = cfg.Resolve(dir)
	}
	return newCallResolver(lc.env.WorkDir, checkouts, lc.client, noTokenLint), nil
}

// callerRepository is OWNER/REPO of the repository at root: GITHUB_REPOSITORY for the run's own
// workspace, else its origin remote's, else "" (unknown: no call is taken as into itself).
func callerRepository(root string, env Env, f lintFlags) string {
	if f.run.Owner != "" && f.run.Name != "" && env.Actions.Getenv("GITHUB_REPOSITORY") != "" && isRunWorkspace(root, env) {
		return f.run.Owner + "/" + f.run.Name
	}
	return lint.OriginRepository(root)
}

// callResolver is the fleet's one resolver of reusable-workflow callees, shared by every
// repository so that each callee is read once: the fleet's checkouts (under --dir or --repo,
// every listed repository, not only this shard's — a callee OWNER/NAME is the sibling NAME), and
// the API when the fleet reads it (--org) or a token is there. A repository's own
// lint.reusable.checkouts is not used: a repository of an organisation does not choose which
// directories of the machine the fleet reads.
func (r *fleetRun) callResolver(repos []fleet.Repo) (*reusable.Resolver, error) {
	var checkouts map[string]string
	if r.org == nil {
		checkouts = fleet.Checkouts(repos)
	}
	if r.client == nil && r.fleetToken() == "" {
		return newCallResolver(r.env.WorkDir, checkouts, nil, noTokenFleet), nil
	}
	client, err := r.githubClient()
	if err != nil {
		return nil, err
	}
	return newCallResolver(r.env.WorkDir, checkouts, client, ""), nil
}

// noTokenFleet is why a fleet run did not ask the API.
const noTokenFleet = "no GitHub token (FLEET_TOKEN or GITHUB_TOKEN) to read it through the API"
