package git

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
)

// DiffOptions selects a diff: from the commit Base names to the one Head names, or to the
// working tree when Head is "".
type DiffOptions struct {
	Base, Head string
	// Relative limits the diff to Dir and prints paths relative to it; otherwise paths are
	// relative to the repository root, whatever diff.relative says.
	Relative bool
	// Filter is --diff-filter, such as "AMRC" (added, modified, renamed, copied); "" is every change.
	Filter string
	// Renames finds renamed files, so only their changed lines are added; otherwise a rename is a
	// deletion and an addition.
	Renames bool
}

// Diff resolves Base and Head to commits (a *RefError when one names none) and hands the
// `git diff --unified=0` between them to read: a/ and b/ prefixes, no colour, no external
// diff or textconv driver, paths unquoted unless they hold a control character or a quote.
func (r Repo) Diff(ctx context.Context, o DiffOptions, read func(io.Reader) error) error {
	args, err := r.diffArgs(ctx, o, "--unified=0", "--src-prefix=a/", "--dst-prefix=b/")
	if err != nil {
		return err
	}
	return r.stream(ctx, nil, r.limit(), args, read)
}

// ChangedFiles lists the tracked files under Dir whose content differs between the commit base
// names and the working tree (committed or not), relative to Dir and slash-separated. A rename
// counts as both its paths: moving a file out of a directory changes that directory too.
func (r Repo) ChangedFiles(ctx context.Context, base string) ([]string, error) {
	args, err := r.diffArgs(ctx, DiffOptions{Base: base, Relative: true}, "--name-only", "-z")
	if err != nil {
		return nil, err
	}
	out, err := r.output(ctx, args...)
	if err != nil {
		return nil, err
	}
	return splitPaths(out)
}

// Untracked lists the files under Dir that git neither tracks nor ignores, relative to Dir.
func (r Repo) Untracked(ctx context.Context) ([]string, error) {
	out, err := r.output(ctx, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	return splitPaths(out)
}

// diffArgs is a `git diff` command line for o, with the revisions resolved to commit ids.
func (r Repo) diffArgs(ctx context.Context, o DiffOptions, extra ...string) ([]string, error) {
	if strings.Trim(o.Filter, "ACDMRTUXBacdmrtuxb*") != "" {
		return nil, fmt.Errorf("git diff: invalid --diff-filter %q", o.Filter)
	}
	args := append([]string{"diff", "--no-color", "--no-ext-diff", "--no-textconv"}, extra...)
	if o.Relative {
		args = append(args, "--relative")
	} else {
		args = append(args, "--no-relative")
	}
	if o.Renames {
		args = append(args, "--find-renames")
	} else {
		args = append(args, "--no-renames")
	}
	if o.Filter != "" {
		args = append(args, "--diff-filter="+o.Filter)
	}
	revs := []string{o.Base}
	if o.Head != "" {
		revs = append(revs, o.Head)
	}
	args = append(args, "--end-of-options")
	for _, ref := range revs {
		id, err := r.RevParse(ctx, ref)
		if err != nil {
			return nil, err
		}
		args = append(args, id)
	}
	return append(args, "--"), nil
}

// splitPaths reads the NUL-terminated paths of a -z listing.
func splitPaths(out []byte) ([]string, error) {
	if len(out) == 0 {
		return nil, nil
	}
	if out[len(out)-1] != 0 {
		return nil, fmt.Errorf("git: path list does not end with NUL: %s", clip(out[max(0, len(out)-80):]))
	}
	var paths []string
	for p := range bytes.SplitSeq(out[:len(out)-1], []byte{0}) {
		if len(p) == 0 {
			return nil, fmt.Errorf("git: empty path in a path list")
		}
		paths = append(paths, string(p))
	}
	return paths, nil
}
