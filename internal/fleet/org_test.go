package fleet

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

type tarEntry struct {
	name     string
	typ      byte
	body     string
	linkname string
}

func makeTarball(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.linkname}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if e.typ == tar.TypeXGlobalHeader {
			h = &tar.Header{Typeflag: e.typ, PAXRecords: map[string]string{"comment": "abc"}}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// listFiles lists the files under dir as "path: content".
func listFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() {
			out = append(out, rel+": NOT REGULAR")
			return nil
		}
		b, _ := os.ReadFile(p)
		out = append(out, filepath.ToSlash(rel)+": "+string(b))
		return nil
	})
	return out
}

// TestExtractHostile: a tarball is hostile. Names leading out of the directory, links, devices,
// files over the limit and entries outside the top directory are left out and noted; only plain
// files inside are written.
func TestExtractHostile(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	os.MkdirAll(outside, 0o755)
	tb := makeTarball(t, []tarEntry{
		{name: "pax_global_header", typ: tar.TypeXGlobalHeader},
		{name: "o-r-abc/", typ: tar.TypeDir},
		{name: "o-r-abc/.github/workflows/ci.yml", typ: tar.TypeReg, body: "on: push\n"},
		{name: "o-r-abc/../../escape.txt", typ: tar.TypeReg, body: "x"},
		{name: "o-r-abc/a/../../../escape2.txt", typ: tar.TypeReg, body: "x"},
		{name: "/etc/absolute.txt", typ: tar.TypeReg, body: "x"},
		{name: "other-top/file.txt", typ: tar.TypeReg, body: "x"},
		{name: "o-r-abc/link", typ: tar.TypeSymlink, linkname: outside},
		{name: "o-r-abc/link/through.txt", typ: tar.TypeReg, body: "through the link"},
		{name: "o-r-abc/hard", typ: tar.TypeLink, linkname: "o-r-abc/.github/workflows/ci.yml"},
		{name: "o-r-abc/fifo", typ: tar.TypeFifo},
		{name: "o-r-abc/big.bin", typ: tar.TypeReg, body: strings.Repeat("b", 100)},
		{name: "o-r-abc/.git/config", typ: tar.TypeReg, body: "[core]\n\tfsmonitor = evil\n"},
		{name: "o-r-abc/dup.txt", typ: tar.TypeReg, body: "first"},
		{name: "o-r-abc/dup.txt", typ: tar.TypeReg, body: "second"},
		{name: "o-r-abc/ctl\x1b[31m.txt", typ: tar.TypeReg, body: "x"},
	})
	dst := filepath.Join(dir, "files")
	notes, err := Extract(context.Background(), bytes.NewReader(tb), dst, 50)
	if err != nil {
		t.Fatal(err)
	}
	got := listFiles(t, dst)
	// A name under a link's name is a plain directory here: the link was not made, so nothing
	// leads out of dst.
	want := []string{".github/workflows/ci.yml: on: push\n", "dup.txt: first", "link/through.txt: through the link"}
	if !slices.Equal(got, want) {
		t.Errorf("files %q\nwant %q", got, want)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("a file was written through the link: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape.txt")); err == nil {
		t.Error("a .. name escaped the directory")
	}
	wantNotes := []string{
		"1 files over the 50-byte limit not read: big.bin",
		"2 links not followed: link, hard",
		"2 entries that are not regular files or directories, or clash, not read: fifo, dup.txt",
		"6 entries named outside the repository's directory, or inside .git, not read: o-r-abc/../../escape.txt, o-r-abc/a/../../../escape2.txt, /etc/absolute.txt, other-top/file.txt, o-r-abc/.git/config and 1 more",
	}
	if !slices.Equal(notes, wantNotes) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
	}
}

func TestExtractRefuses(t *testing.T) {
	if _, err := Extract(context.Background(), strings.NewReader("not gzip"), filepath.Join(t.TempDir(), "x"), 0); err == nil || !strings.Contains(err.Error(), "not a gzipped tarball") {
		t.Errorf("not gzip: %v", err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write([]byte("garbage that is not a tar stream but long enough to fill a header block......"))
	gz.Close()
	if _, err := Extract(context.Background(), &buf, filepath.Join(t.TempDir(), "x"), 0); err == nil {
		t.Error("a gzipped non-tarball was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, bytes.NewReader(makeTarball(t, []tarEntry{{name: "a/b", typ: tar.TypeReg, body: "x"}})), filepath.Join(t.TempDir(), "x"), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// stubAPI serves repositories from memory and counts what it is asked.
type stubAPI struct {
	mu       sync.Mutex
	repos    []RemoteRepo
	heads    map[string][2]string // name → commit, tree
	tarballs map[string][]byte    // commit → tarball
	fail     map[string]error     // name → BranchHead error
	fetched  atomic.Int32
}

func (s *stubAPI) Repositories(context.Context, string) ([]RemoteRepo, error) { return s.repos, nil }

func (s *stubAPI) BranchHead(_ context.Context, _, repo, _ string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail[repo]; err != nil {
		return "", "", err
	}
	h := s.heads[repo]
	return h[0], h[1], nil
}

func (s *stubAPI) Tarball(_ context.Context, _, _, commit string, limit int64, read func(io.Reader) error) error {
	s.fetched.Add(1)
	b := s.tarballs[commit]
	if int64(len(b)) > limit {
		return fmt.Errorf("larger than %d bytes", limit)
	}
	return read(bytes.NewReader(b))
}

func sha(c byte) string { return strings.Repeat(string(c), 40) }

// TestOrgSourceCache: a tree is fetched once and then read from the cache, by its SHA, also by
// another repository with the same tree, also by several goroutines at once; archived
// repositories and forks are left out unless asked for.
func TestOrgSourceCache(t *testing.T) {
	api := &stubAPI{
		repos: []RemoteRepo{{Owner: "o", Name: "a", DefaultBranch: "main"}, {Owner: "o", Name: "b", DefaultBranch: "main"},
			{Owner: "o", Name: "old", DefaultBranch: "main", Archived: true}, {Owner: "o", Name: "copy", DefaultBranch: "main", Fork: true},
			{Owner: "o", Name: "empty"}},
		heads: map[string][2]string{"a": {sha('1'), sha('a')}, "b": {sha('2'), sha('a')}},
		tarballs: map[string][]byte{
			sha('1'): makeTarball(t, []tarEntry{{name: "o-a-1/x.txt", typ: tar.TypeReg, body: "x"}}),
			sha('2'): makeTarball(t, []tarEntry{{name: "o-b-2/x.txt", typ: tar.TypeReg, body: "x"}}),
		},
		fail: map[string]error{},
	}
	src := &OrgSource{API: api, Org: "o", CacheDir: t.TempDir()}
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range repos {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "empty"}) || src.LeftOut.Archived != 1 || src.LeftOut.Forks != 1 {
		t.Fatalf("listed %v, left out %+v", names, src.LeftOut)
	}
	var wg sync.WaitGroup
	for range 8 {
		for _, r := range repos[:2] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				co, err := src.Open(context.Background(), r)
				if err != nil {
					t.Error(err)
					return
				}
				if got := listFiles(t, co.Dir); !slices.Equal(got, []string{"x.txt: x"}) {
					t.Errorf("%s: %v", r.Name, got)
				}
			}()
		}
	}
	wg.Wait()
	if n := api.fetched.Load(); n < 1 || n > 16 {
		t.Errorf("%d downloads", n)
	}
	before := api.fetched.Load()
	for _, r := range repos[:2] {
		if _, err := src.Open(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if n := api.fetched.Load() - before; n != 0 {
		t.Errorf("a cached tree was downloaded again %d times", n)
	}
	if _, err := src.Open(context.Background(), repos[2]); err == nil || !strings.Contains(err.Error(), "no default branch") {
		t.Errorf("empty repository: %v", err)
	}
	api.fail["a"] = errors.New("GET …/branches/main: 500 Internal Server Error")
	if _, err := src.Open(context.Background(), repos[0]); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("API error: %v", err)
	}
	if err := src.Prune(0); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(src.CacheDir, "trees")); len(entries) != 0 {
		t.Errorf("prune left %v", entries)
	}
}
