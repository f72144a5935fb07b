package git

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxRef bounds a revision's length; ref names are far shorter in practice.
const maxRef = 256

// RefError is a revision that is malformed or names no commit in the repository: a usage
// problem (the CLI exits 2), not a tool failure. Callers prefix the flag it came from:
// `--base ref "x": ...`.
type RefError struct {
	Ref    string
	Reason string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("ref %s: %s", strconv.Quote(e.Ref), e.Reason)
}

// ValidateRef accepts what a workflow passes as a revision: a branch, remote-tracking branch or
// tag name, a commit id, and the HEAD~1 / HEAD^ forms. It refuses ranges, reflog and peel syntax,
// paths (a ':'), globs, white space and control characters, and names git-check-ref-format
// forbids. A leading '-' is not refused here: every method passes the ref after
// --end-of-options, where git can only read it as a revision, and no revision is named so.
func ValidateRef(ref string) error {
	bad := func(why string) error { return &RefError{Ref: ref, Reason: why} }
	switch {
	case ref == "":
		return bad("empty")
	case len(ref) > maxRef:
		return &RefError{Ref: ref[:32] + "…", Reason: fmt.Sprintf("longer than %d bytes", maxRef)}
	case !utf8.ValidString(ref):
		return bad("not valid UTF-8")
	case strings.Contains(ref, ".."):
		return bad("contains '..' (give one commit, not a range)")
	case strings.Contains(ref, "@{"):
		return bad("reflog syntax is not accepted")
	case strings.HasSuffix(ref, "/"), strings.HasSuffix(ref, "."), strings.HasSuffix(ref, ".lock"), strings.Contains(ref, "//"):
		return bad("not a valid ref name")
	}
	for _, r := range ref {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`:?*[\{}`, r) {
			return bad(fmt.Sprintf("contains %q, which no ref name or commit id has", r))
		}
	}
	for _, part := range strings.Split(ref, "/") {
		if strings.HasPrefix(part, ".") {
			return bad("a path component starts with '.'")
		}
	}
	return nil
}

// RevParse returns the full id of the commit ref names; an annotated tag gives its commit. A ref
// that is malformed or that git cannot resolve is a *RefError: its reason is git's stderr
// verbatim (Dir is not a repository, or one git refuses to read) or, when git names none, that
// there is no such commit.
func (r Repo) RevParse(ctx context.Context, ref string) (string, error) {
	if err := ValidateRef(ref); err != nil {
		return "", err
	}
	out, err := r.output(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	var ge *Error
	switch {
	case errors.As(err, &ge) && ge.ExitCode() > 0 && ge.Stderr != "":
		return "", &RefError{Ref: ref, Reason: "in " + r.Dir + ": " + ge.Stderr}
	case errors.As(err, &ge) && ge.ExitCode() > 0: // --quiet: no such commit
		return "", &RefError{Ref: ref, Reason: r.notACommit(ctx)}
	case err != nil:
		return "", err
	}
	id := strings.TrimSpace(string(out))
	if !isObjectID(id) {
		return "", fmt.Errorf("git rev-parse %s: unexpected output %s", ref, clip(out))
	}
	return id, nil
}

// notACommit says why a ref was not found, with the fix when the repository is a shallow clone
// (what actions/checkout makes by default).
func (r Repo) notACommit(ctx context.Context) string {
	if shallow, err := r.IsShallow(ctx); err == nil && shallow {
		return "not a commit in this shallow clone: fetch it first (git fetch --depth=1 origin <ref>), or check out with fetch-depth: 0"
	}
	return "not a commit in this repository"
}

// IsShallow reports whether the repository is a shallow clone, whose history and refs are
// partial: a ref it lacks may well exist upstream.
func (r Repo) IsShallow(ctx context.Context) (bool, error) {
	out, err := r.output(ctx, "rev-parse", "--is-shallow-repository")
	return strings.TrimSpace(string(out)) == "true", err
}

// IsObjectID reports whether s is a full object id: 40 (SHA-1) or 64 (SHA-256) lower-case hex
// digits, as git prints them and the GitHub API answers them.
func IsObjectID(s string) bool { return isObjectID(s) }

func isObjectID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// clip quotes at most 80 bytes of b for an error message.
func clip(b []byte) string {
	if len(b) > 80 {
		return strconv.Quote(string(b[:80])) + "…"
	}
	return strconv.Quote(string(b))
}

// CommitTime is the committer time of the commit ref names, in the committer's time zone.
func (r Repo) CommitTime(ctx context.Context, ref string) (time.Time, error) {
	id, err := r.RevParse(ctx, ref)
	if err != nil {
		return time.Time{}, err
	}
	out, err := r.output(ctx, "log", "-1", "--format=%cI", "--end-of-options", id, "--")
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339, strings.TrimSpace(string(out)))
}

// CommonDir is the absolute path of the repository's common git directory: the main checkout's
// .git when Dir is in a linked worktree.
func (r Repo) CommonDir(ctx context.Context) (string, error) {
	out, err := r.output(ctx, "rev-parse", "--path-format=absolute", "--git-common-dir")
	return strings.TrimSpace(string(out)), err
}

// Kinds of Ref.
const (
	Branch = "branch" // refs/heads/
	Tag    = "tag"    // refs/tags/
	Remote = "remote" // refs/remotes/: a remote-tracking branch
)

var refPrefixes = map[string]string{"refs/heads/": Branch, "refs/tags/": Tag, "refs/remotes/": Remote}

// Ref is a branch, tag or remote-tracking branch.
type Ref struct {
	Name   string // the full name: refs/heads/main, refs/tags/v1, refs/remotes/origin/main
	Kind   string // Branch, Tag or Remote
	Commit string // the commit it points to (a tag peeled); "" for a tag of something else
}

// Short is the name without its refs/heads/, refs/tags/ or refs/remotes/ prefix.
func (r Ref) Short() string {
	for p, k := range refPrefixes {
		if k == r.Kind {
			return strings.TrimPrefix(r.Name, p)
		}
	}
	return r.Name
}

// refFormat is one line per ref: object id, its type, the id and type of what a tag points to,
// the target of a symbolic ref, and the name last (ref names hold no spaces).
const refFormat = "%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(symref) %(refname)"

// ListRefs lists the branches, tags and remote-tracking branches, sorted by name. Symbolic refs
// (origin/HEAD) are left out: they are another name for a branch already listed.
func (r Repo) ListRefs(ctx context.Context) ([]Ref, error) {
	out, err := r.output(ctx, "for-each-ref", "--format="+refFormat, "--end-of-options", "refs/heads/", "refs/tags/", "refs/remotes/")
	if err != nil {
		return nil, err
	}
	return parseRefs(out)
}

// parseRefs reads for-each-ref's refFormat output.
func parseRefs(out []byte) ([]Ref, error) {
	text := strings.TrimSuffix(string(out), "\n")
	if text == "" {
		return nil, nil
	}
	var refs []Ref
	for n, line := range strings.Split(text, "\n") {
		f := strings.SplitN(line, " ", 6)
		if len(f) != 6 || !isObjectID(f[0]) || (f[2] != "" && !isObjectID(f[2])) {
			return nil, fmt.Errorf("git for-each-ref line %d: unreadable %s", n+1, clip([]byte(line)))
		}
		ref := Ref{Name: f[5]}
		for p, k := range refPrefixes {
			if strings.HasPrefix(ref.Name, p) && len(ref.Name) > len(p) {
				ref.Kind = k
			}
		}
		if ref.Kind == "" {
			return nil, fmt.Errorf("git for-each-ref line %d: unexpected ref %s", n+1, clip([]byte(ref.Name)))
		}
		switch {
		case f[4] != "": // a symbolic ref
			continue
		case f[1] == "commit":
			ref.Commit = f[0]
		case f[1] == "tag" && f[3] == "commit":
			ref.Commit = f[2]
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// CreateBranch creates the branch name at the commit start names. It fails if the branch exists
// (the migration that asks must not move someone's branch), and runs no hook.
func (r Repo) CreateBranch(ctx context.Context, name, start string) error {
	if err := ValidateRef(name); err != nil {
		return err
	}
	if strings.HasPrefix(name, "-") || strings.ContainsAny(name, "~^") || name == "HEAD" || strings.HasPrefix(name, "refs/") {
		return &RefError{Ref: name, Reason: "not a branch name"}
	}
	id, err := r.RevParse(ctx, start)
	if err != nil {
		return err
	}
	// The empty old value makes git refuse to overwrite an existing branch.
	_, err = r.output(ctx, "update-ref", "-m", "molecule-ci: create branch", "--end-of-options", "refs/heads/"+name, id, "")
	return err
}

// maxPath bounds a path given to Show.
const maxPath = 4096

// Show returns the content of the file at path (slash-separated, relative to the repository
// root) in the commit ref names, bounded by MaxOutput. A path that commit does not have, or a
// ref that names nothing, is an error wrapping fs.ErrNotExist; a directory is an error too.
// The name goes to `git cat-file --batch` on stdin, so no part of it is an argument.
func (r Repo) Show(ctx context.Context, ref, path string) ([]byte, error) {
	if err := ValidateRef(ref); err != nil {
		return nil, err
	}
	if err := validatePath(path); err != nil {
		return nil, err
	}
	spec := ref + ":" + path
	var data []byte
	// The answer's header line comes on top of the file's limit.
	err := r.stream(ctx, strings.NewReader(spec+"\n"), r.limit()+2*maxPath, []string{"cat-file", "--batch"}, func(rd io.Reader) (err error) {
		data, err = readBlob(rd, spec, r.limit())
		return err
	})
	return data, err
}

// validatePath refuses what is not a plain path inside a tree.
func validatePath(p string) error {
	bad := func(why string) error { return fmt.Errorf("path %s: %s", strconv.Quote(p), why) }
	switch {
	case p == "":
		return bad("empty")
	case len(p) > maxPath:
		return fmt.Errorf("path %s…: longer than %d bytes", strconv.Quote(p[:32]), maxPath)
	case strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return bad("contains a control character")
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return bad("not a clean relative path (empty, '.' or '..' component)")
		}
	}
	return nil
}

// notFound is a ref:path that names no file: errors.Is(err, fs.ErrNotExist).
type notFound struct{ spec string }

func (e *notFound) Error() string        { return e.spec + ": no such file, or no such ref" }
func (e *notFound) Is(target error) bool { return target == fs.ErrNotExist }

// readBlob reads one `git cat-file --batch` answer for spec: "<id> <type> <size>\n<content>\n",
// or "<spec> missing\n" (also "ambiguous"). A blob over limit is not read.
func readBlob(rd io.Reader, spec string, limit int64) ([]byte, error) {
	br := bufio.NewReader(rd)
	header, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("git cat-file %s: no answer: %w", spec, err)
	}
	header = strings.TrimSuffix(header, "\n")
	switch header {
	case spec + " missing":
		return nil, &notFound{spec}
	case spec + " ambiguous":
		return nil, fmt.Errorf("%s: the name is ambiguous", spec)
	}
	f := strings.Fields(header)
	if len(f) != 3 || !isObjectID(f[0]) {
		return nil, fmt.Errorf("git cat-file %s: unreadable answer %s", spec, clip([]byte(header)))
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	switch {
	case err != nil || size < 0:
		return nil, fmt.Errorf("git cat-file %s: unreadable size %s", spec, clip([]byte(f[2])))
	case f[1] == "tree":
		return nil, fmt.Errorf("%s: is a directory", spec)
	case f[1] != "blob":
		return nil, fmt.Errorf("%s: is a %s, not a file", spec, f[1])
	case size > limit:
		return nil, &LimitError{Args: []string{"cat-file", spec}, Limit: limit}
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, fmt.Errorf("git cat-file %s: short read: %w", spec, err)
	}
	return data, nil
}

// RemoteURL is the URL of the remote name (origin, usually) as configured, without credentials
// a URL may carry (user:token@host).
func (r Repo) RemoteURL(ctx context.Context, name string) (string, error) {
	if err := ValidateRef(name); err != nil || strings.Contains(name, "/") {
		return "", fmt.Errorf("remote %s: not a remote name", strconv.Quote(name))
	}
	out, err := r.output(ctx, "remote", "get-url", "--end-of-options", name)
	if err != nil {
		return "", err
	}
	u := strings.TrimSpace(string(out))
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		if at := strings.IndexByte(rest, '@'); at >= 0 && at < strings.IndexByte(rest+"/", '/') {
			rest = rest[at+1:]
		}
		u = scheme + "://" + rest
	}
	return u, nil
}

// Archive streams the gzipped tarball of the tree of commit (a full commit id) to read, every
// file under one top directory as GitHub's tarballs have it, at most limit bytes of it.
func (r Repo) Archive(ctx context.Context, commit string, limit int64, read func(io.Reader) error) error {
	if !isObjectID(commit) {
		return &RefError{Ref: commit, Reason: "not a full commit id"}
	}
	return r.stream(ctx, nil, limit, []string{"archive", "--format=tar.gz", "--prefix=tree/", "--end-of-options", commit}, read)
}
