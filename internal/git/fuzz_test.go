package git

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// FuzzParseRefs: for-each-ref output from a hostile repository never crashes the reader, and
// every ref it accepts has a known kind and, when it has one, a well-formed commit id.
func FuzzParseRefs(f *testing.F) {
	id := strings.Repeat("ab", 20)
	f.Add([]byte(id + " commit   refs/heads/main\n" + id + " tag " + id + " commit  refs/tags/v1\n"))
	f.Add([]byte(id + " commit   refs/remotes/origin/HEAD refs/remotes/origin/main\n"))
	f.Add([]byte(id + " commit   refs/notes/x\n"))
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		refs, err := parseRefs(out)
		if err != nil {
			return
		}
		for _, r := range refs {
			if r.Kind == "" || !strings.HasPrefix(r.Name, "refs/") || (r.Commit != "" && !isObjectID(r.Commit)) || r.Short() == "" {
				t.Fatalf("accepted %+v from %q", r, out)
			}
		}
	})
}

// FuzzReadBlob: a `git cat-file --batch` answer never crashes the reader or makes it return more
// than the bound, and a "missing" answer is fs.ErrNotExist.
func FuzzReadBlob(f *testing.F) {
	id := strings.Repeat("cd", 20)
	f.Add([]byte(id+" blob 3\nabc\n"), int64(8))
	f.Add([]byte("main:a missing\n"), int64(8))
	f.Add([]byte(id+" tree 30\n..."), int64(8))
	f.Add([]byte(id+" blob 99999999999\n"), int64(8))
	f.Fuzz(func(t *testing.T, answer []byte, limit int64) {
		if limit < 0 || limit > 1<<20 {
			return
		}
		data, err := readBlob(bytes.NewReader(answer), "main:a", limit)
		if err == nil && int64(len(data)) > limit {
			t.Fatalf("read %d bytes over the %d bound", len(data), limit)
		}
		if bytes.HasPrefix(answer, []byte("main:a missing\n")) && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("missing answer gave %v", err)
		}
	})
}

// FuzzSplitPaths: a -z path list never crashes the reader, and what it accepts joins back to
// the input.
func FuzzSplitPaths(f *testing.F) {
	f.Add([]byte("a\x00b c\x00"))
	f.Add([]byte("a\x00\x00"))
	f.Add([]byte("no-nul"))
	f.Fuzz(func(t *testing.T, out []byte) {
		paths, err := splitPaths(out)
		if err != nil || len(out) == 0 {
			return
		}
		if got := strings.Join(paths, "\x00") + "\x00"; got != string(out) {
			t.Fatalf("split %q into %q", out, paths)
		}
	})
}
