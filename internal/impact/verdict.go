package impact

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Verdicts compare two versions of the same rules: the base's and the candidate's. Each version
// runs as the molecule-ci executable built from its own tree (Build), and lints a repository
// the way the shared workflows do, through `molecule-ci lint --format json` in the repository's
// root, with the repository's own .molecule-ci.yml. Running both sides the same way — a process
// of each version, its JSON read back — is what makes the comparison fair: the running binary's
// in-process lint would be a third version whenever it is neither tree.

// RulesMarker is the file that makes a tree a molecule-ci tree, whose rules can be built and run.
const RulesMarker = "cmd/molecule-ci/main.go"

// Rules lints a repository with one version of molecule-ci's rules.
type Rules interface {
	Lint(ctx context.Context, dir string) ([]report.Finding, error)
}

// Binary is a molecule-ci executable; its rules are its lint command.
type Binary struct {
	Exe string
	// Env is the environment lint runs in (see ChildEnv).
	Env []string
	// Timeout bounds one repository's lint (default 5 minutes).
	Timeout time.Duration
}

// maxLintOutput bounds the JSON report read back from one lint.
const maxLintOutput = 256 << 20

// Lint runs `Exe lint --format json --fail-on never` in dir and returns its findings. Exit
// codes 0 and 1 are a report; anything else is an error with lint's stderr verbatim.
func (b Binary) Lint(ctx context.Context, dir string) ([]report.Finding, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(b.Timeout, 5*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, b.Exe, "lint", "--format", "json", "--fail-on", "never")
	cmd.Dir, cmd.Env = dir, b.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limitWriter{buf: &stdout, max: maxLintOutput}, &limitWriter{buf: &stderr, max: 64 << 10}
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s lint: %w", b.Exe, ctx.Err())
	case errors.As(err, &ee) && ee.ExitCode() == 1, err == nil:
	default:
		return nil, fmt.Errorf("%s lint (in %s): %v: %s", b.Exe, dir, err, strings.TrimSpace(stderr.String()))
	}
	var doc struct {
		Findings []report.JSONFinding `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("%s lint (in %s): not a JSON report: %w", b.Exe, dir, err)
	}
	out := make([]report.Finding, 0, len(doc.Findings))
	for _, j := range doc.Findings {
		f, err := j.Finding()
		if err != nil {
			return nil, fmt.Errorf("%s lint (in %s): %w", b.Exe, dir, err)
		}
		out = append(out, f)
	}
	return out, nil
}

type limitWriter struct {
	buf *bytes.Buffer
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// ChildEnv is env (the process's environment, from the caller) without what would make a child
// molecule-ci act as a step of the current workflow run (GITHUB_*, RUNNER_*, INPUT_*, ACTIONS_*:
// the job summary, step outputs, check runs, annotations) or colour its output, and without
// credentials (FLEET_TOKEN, anything named *TOKEN*, *SECRET*, *PASSWORD*, *_KEY): the verdicts
// lint offline, and a built tree's binary gets nothing it could send anywhere.
func ChildEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if strings.HasPrefix(name, "GITHUB_") || strings.HasPrefix(name, "RUNNER_") || strings.HasPrefix(name, "INPUT_") ||
			strings.HasPrefix(name, "ACTIONS_") || name == "CI" || name == "NO_COLOR" ||
			strings.Contains(upper, "TOKEN") || strings.Contains(upper, "SECRET") || strings.Contains(upper, "PASSWORD") || strings.HasSuffix(upper, "_KEY") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "NO_COLOR=1")
}

// Build builds the molecule-ci executable of the molecule-ci tree at src into out (a directory,
// created), and returns its path. -trimpath keeps the build cache shared between trees at
// different paths; the error carries the go command's output verbatim.
func Build(ctx context.Context, src, out string, env []string) (string, error) {
	if _, err := os.Stat(filepath.Join(src, filepath.FromSlash(RulesMarker))); err != nil {
		return "", fmt.Errorf("%s is not a molecule-ci tree (no %s)", src, RulesMarker)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	exe := filepath.Join(out, "molecule-ci")
	tmp := exe + ".tmp"
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-o", tmp, "./cmd/molecule-ci")
	cmd.Dir, cmd.Env = src, append(slices.Clone(env), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	var output limitWriter
	output.buf, output.max = &bytes.Buffer{}, 64<<10
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("go build ./cmd/molecule-ci (in %s): %v: %s", src, err, strings.TrimSpace(output.buf.String()))
	}
	if err := os.Rename(tmp, exe); err != nil {
		return "", err
	}
	return exe, nil
}

// Target is a repository whose verdicts are compared: its checkout and the base rules of the
// ref it calls the candidate's repository at (a repository calling at two refs is compared with
// the first).
type Target struct {
	Repo string
	Dir  string
	Base Rules
}

// CompareVerdicts lints every target with its base's rules and the candidate's, jobs at a time,
// and returns the repositories whose verdict flips, sorted, and those it could not lint.
func CompareVerdicts(ctx context.Context, targets []Target, cand Rules, jobs int) ([]Verdict, []RepoError, error) {
	results := make([]*Verdict, len(targets))
	errs := make([]string, len(targets))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	var mu sync.Mutex
	for i, t := range targets {
		g.Go(func() error {
			before, err := t.Base.Lint(gctx, t.Dir)
			if err != nil {
				mu.Lock()
				errs[i] = "the base's rules: " + err.Error()
				mu.Unlock()
				return nil
			}
			after, err := cand.Lint(gctx, t.Dir)
			if err != nil {
				mu.Lock()
				errs[i] = "the candidate's rules: " + err.Error()
				mu.Unlock()
				return nil
			}
			results[i] = Diff(t.Repo, before, after)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var out []Verdict
	var bad []RepoError
	for i, v := range results {
		switch {
		case errs[i] != "":
			bad = append(bad, RepoError{Repo: targets[i].Repo, Error: errs[i]})
		case v != nil && v.Before != v.After:
			out = append(out, *v)
		}
	}
	slices.SortFunc(out, func(a, b Verdict) int { return strings.Compare(a.Repo, b.Repo) })
	return out, bad, nil
}

// Diff is the verdict of a repository from the findings of the base's rules and the candidate's:
// red when there is an error finding, and the findings one side has and the other does not
// (compared whole, position included: both sides read the same files).
func Diff(repo string, before, after []report.Finding) *Verdict {
	v := &Verdict{Repo: repo, Before: colour(before), After: colour(after), Findings: []ChangedFinding{}}
	count := func(fs []report.Finding) map[report.Finding]int {
		m := map[report.Finding]int{}
		for _, f := range fs {
			m[f]++
		}
		return m
	}
	b, a := count(before), count(after)
	for _, f := range report.Sort(slices.Clone(after)) {
		if b[f] > 0 {
			b[f]--
			continue
		}
		v.Findings = append(v.Findings, ChangedFinding{Change: "new", JSONFinding: report.JSONFindings([]report.Finding{f})[0]})
	}
	for _, f := range report.Sort(slices.Clone(before)) {
		if a[f] > 0 {
			a[f]--
			continue
		}
		v.Findings = append(v.Findings, ChangedFinding{Change: "gone", JSONFinding: report.JSONFindings([]report.Finding{f})[0]})
	}
	return v
}

func colour(fs []report.Finding) string {
	for _, f := range fs {
		if f.Severity == report.Error {
			return Red
		}
	}
	return Green
}
