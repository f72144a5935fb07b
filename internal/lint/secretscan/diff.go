package secretscan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// DiffOptions says which change the diff scan covers.
type DiffOptions struct {
	// Dir is the git working tree; finding paths are relative to it.
	Dir string
	// Base and Head are the ends of the change (Head "" means HEAD). internal/git validates them
	// and passes them after --end-of-options, so a ref cannot become an option.
	Base, Head string
	// Git is the git executable ("" means git on PATH).
	Git string
	// SkipDirs, Ignored and Post are as in TreeOptions.
	SkipDirs []string
	Ignored  func(rel string) bool
	Post     func(rel string, src []byte, fs []report.Finding) []report.Finding
	// MaxDiffBytes bounds git's output; 0 means 256 MiB.
	MaxDiffBytes int64
}

// IsNullRef reports whether base means "no previous commit": empty, or all zeros as GitHub sends
// for a new branch's push event. The whole tree is then new, as secret-scan.yml treats it.
func IsNullRef(base string) bool {
	return strings.Trim(base, "0") == ""
}

// Diff scans only the lines added between opts.Base and opts.Head (files added, modified, renamed
// or copied), as secret-scan.yml does: a credential already in the base is not this change's
// doing, and a PR that removes one must not fail. Each file is scanned as its new version with
// every line that is not added blanked out, so line and column numbers are the file's own and a
// private key added as a block is still seen whole.
func Diff(ctx context.Context, opts DiffOptions) (Result, error) {
	head := opts.Head
	if head == "" {
		head = "HEAD"
	}
	limit := opts.MaxDiffBytes
	if limit <= 0 {
		limit = 256 << 20
	}
	var files []*addedFile
	repo := git.Repo{Dir: opts.Dir, Exe: opts.Git, MaxOutput: limit}
	err := repo.Diff(ctx, git.DiffOptions{Base: opts.Base, Head: head, Filter: "AMRC", Renames: true}, func(r io.Reader) (err error) {
		files, err = parseDiff(r)
		return err
	})
	var re *git.RefError
	var le *git.LimitError
	var ge *git.Error
	switch {
	case ctx.Err() != nil:
		return Result{}, ctx.Err()
	case errors.As(err, &re) && re.Ref != opts.Base: // a usage problem, naming the ref
		return Result{}, fmt.Errorf("--diff-head %w", err)
	case errors.As(err, &re): // --diff ref "x": why
		return Result{}, fmt.Errorf("--diff %w", err)
	case errors.As(err, &le):
		return Result{}, fmt.Errorf("git diff %s %s: more than %s of changes; scan the tree instead", opts.Base, head, size(limit))
	case errors.As(err, &ge): // names the command and carries git's stderr
		return Result{}, err
	case err != nil: // the diff is unreadable
		return Result{}, fmt.Errorf("git diff %s %s: %w", opts.Base, head, err)
	}

	var res Result
	for _, f := range files {
		if skipped(f.path, opts.SkipDirs, opts.Ignored) {
			continue
		}
		src := f.text()
		res.Files++
		fs := ScanText(f.path, src)
		if len(fs) > 0 && opts.Post != nil {
			fs = opts.Post(f.path, src, fs)
		}
		res.Findings = append(res.Findings, fs...)
	}
	return res, nil
}

func skipped(rel string, skipDirs []string, ignored func(string) bool) bool {
	dirs := strings.Split(path.Dir(rel), "/")
	if slices.Contains(dirs, ".git") {
		return true
	}
	for _, d := range dirs {
		if slices.Contains(skipDirs, d) {
			return true
		}
	}
	if ignored == nil {
		return false
	}
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if ignored(p) {
			return true
		}
	}
	return false
}

// addedFile is the added lines of one file, by their line number in the new version.
type addedFile struct {
	path  string
	lines []int
	texts [][]byte
}

// text is the file's new version with every line that was not added left empty.
func (f *addedFile) text() []byte {
	var b bytes.Buffer
	line := 1
	for i, n := range f.lines {
		for ; line < n; line++ {
			b.WriteByte('\n')
		}
		b.Write(f.texts[i])
		b.WriteByte('\n')
		line++
	}
	return b.Bytes()
}

// maxDiffLine bounds one line of diff output held in memory (a minified file's single line).
const maxDiffLine = 8 << 20

// parseDiff reads `git diff --unified=0` output: `+++ b/<path>` names the file, `@@ -a,b +c,d @@`
// where its added lines start, `+` lines are added. Binary files carry no lines.
func parseDiff(r io.Reader) ([]*addedFile, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var files []*addedFile
	var cur *addedFile
	next := 0
	inHunk := false
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			switch {
			case bytes.HasPrefix(line, []byte("diff --git ")):
				cur, inHunk = nil, false
			case !inHunk && bytes.HasPrefix(line, []byte("+++ ")):
				// git ends the name with a tab when it contains a space.
				name := string(bytes.TrimRight(line[4:], "\r\t"))
				if name == "/dev/null" {
					cur = nil
					break
				}
				p, uerr := unquotePath(name)
				if uerr != nil {
					return nil, uerr
				}
				cur = &addedFile{path: strings.TrimPrefix(p, "b/")}
				files = append(files, cur)
			case bytes.HasPrefix(line, []byte("@@ ")):
				n, ok := hunkStart(line)
				if !ok {
					return nil, fmt.Errorf("unreadable hunk header %q", truncate(line))
				}
				next, inHunk = n, true
			case inHunk && len(line) > 0 && line[0] == '+' && cur != nil:
				cur.lines = append(cur.lines, next)
				cur.texts = append(cur.texts, slices.Clone(line[1:]))
				next++
			case inHunk && len(line) > 0 && line[0] == ' ':
				next++
			}
		}
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readLine returns one line without its newline; a line longer than maxDiffLine is cut there.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(out)+len(chunk) <= maxDiffLine {
			out = append(out, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(out, []byte("\n")), err
	}
}

// hunkStart returns c from `@@ -a[,b] +c[,d] @@`.
func hunkStart(line []byte) (int, bool) {
	i := bytes.Index(line, []byte(" +"))
	if i < 0 {
		return 0, false
	}
	rest := line[i+2:]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil {
		return 0, false
	}
	if n == 0 { // an empty new side (+0,0): no added lines follow
		n = 1
	}
	return n, true
}

// unquotePath undoes git's C-style quoting of a path with special characters.
func unquotePath(s string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		return s, nil
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		return "", fmt.Errorf("unreadable quoted path %s", truncate([]byte(s)))
	}
	return u, nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		b = b[:80]
	}
	return strconv.Quote(string(b))
}
