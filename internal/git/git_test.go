package git

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixture is a repository with two commits on main, an annotated and a lightweight tag, a
// remote-tracking branch with its symbolic origin/HEAD, and a tag of a tree.
type fixture struct {
	dir, first, second string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := gittest.New(t)
	write(t, dir, "a.txt", "one\n")
	write(t, dir, "sub/b.txt", "b\n")
	first := gittest.Commit(t, dir, "first")
	gittest.Run(t, dir, "tag", "-a", "-m", "v1", "v1")
	write(t, dir, "a.txt", "one\ntwo\n")
	second := gittest.Commit(t, dir, "second")
	gittest.Run(t, dir, "tag", "light")
	gittest.Run(t, dir, "update-ref", "refs/remotes/origin/main", first)
	gittest.Run(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	gittest.Run(t, dir, "tag", "-a", "-m", "tree", "tree-tag", second+"^{tree}")
	return fixture{dir, first, second}
}

func TestValidateRef(t *testing.T) {
	for _, ok := range []string{"HEAD", "main", "origin/staging", "refs/heads/feature/x", "8e304e69", strings.Repeat("a", 40),
		"v1.2.3", "HEAD~1", "HEAD^", "release-1.x", "--output=/tmp/x", "-p", "ünïcode"} {
		if err := ValidateRef(ok); err != nil {
			t.Errorf("ValidateRef(%q) = %v", ok, err)
		}
	}
	for ref, want := range map[string]string{
		"":                       `ref "": empty`,
		"a..b":                   `ref "a..b": contains '..' (give one commit, not a range)`,
		"main@{1}":               `ref "main@{1}": reflog syntax is not accepted`,
		"a b":                    `ref "a b": contains ' ', which no ref name or commit id has`,
		"a\nb":                   `ref "a\nb": contains '\n', which no ref name or commit id has`,
		"HEAD:secret.txt":        `ref "HEAD:secret.txt": contains ':', which no ref name or commit id has`,
		"HEAD^{tree}":            `ref "HEAD^{tree}": contains '{', which no ref name or commit id has`,
		"v*":                     `ref "v*": contains '*', which no ref name or commit id has`,
		"refs/heads/.hidden":     `ref "refs/heads/.hidden": a path component starts with '.'`,
		"branch.lock":            `ref "branch.lock": not a valid ref name`,
		"main/":                  `ref "main/": not a valid ref name`,
		"a//b":                   `ref "a//b": not a valid ref name`,
		"\xff":                   `ref "\xff": not valid UTF-8`,
		strings.Repeat("a", 300): `ref "` + strings.Repeat("a", 32) + `…": longer than 256 bytes`,
	} {
		err := ValidateRef(ref)
		var re *RefError
		if !errors.As(err, &re) || err.Error() != want {
			t.Errorf("ValidateRef(%q) = %v, want %s", ref, err, want)
		}
	}
}

// argvRecorder is a git executable that appends its arguments to log, one invocation a line,
// then runs the real git.
func argvRecorder(t *testing.T) (exe, log string) {
	t.Helper()
	dir := t.TempDir()
	real, err := lookGit()
	if err != nil {
		testenv.Missing(t, "git is not installed: apt-get install git")
	}
	log = filepath.Join(dir, "argv.log")
	exe = filepath.Join(dir, "git")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '[%s] ' \"$a\" >> '" + log + "'; done\necho >> '" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe, log
}

func lookGit() (string, error) {
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(d, "git")
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fs.ErrNotExist
}

// TestHostileRefIsARevision passes an option-shaped ref to every method: each must hand it to
// git after --end-of-options (the recorded command lines are the golden file), and fail as a
// revision that names no commit, never as an option git obeys.
func TestHostileRefIsARevision(t *testing.T) {
	f := newFixture(t)
	exe, log := argvRecorder(t)
	target := filepath.Join(t.TempDir(), "x")
	hostile := "--output=" + target
	r := Repo{Dir: f.dir, Exe: exe}
	ctx := context.Background()
	calls := map[string]func() error{
		"RevParse":     func() error { _, err := r.RevParse(ctx, hostile); return err },
		"CommitTime":   func() error { _, err := r.CommitTime(ctx, hostile); return err },
		"ChangedFiles": func() error { _, err := r.ChangedFiles(ctx, hostile); return err },
		"Diff base":    func() error { return r.Diff(ctx, DiffOptions{Base: hostile}, discard) },
		"Diff head":    func() error { return r.Diff(ctx, DiffOptions{Base: "HEAD", Head: hostile}, discard) },
		"CreateBranch": func() error { return r.CreateBranch(ctx, "new", hostile) },
	}
	want := `ref "--output=$TARGET": not a commit in this repository`
	for _, name := range []string{"RevParse", "CommitTime", "ChangedFiles", "Diff base", "Diff head", "CreateBranch"} {
		err := calls[name]()
		var re *RefError
		if !errors.As(err, &re) || strings.ReplaceAll(err.Error(), target, "$TARGET") != want {
			t.Errorf("%s: error %v, want %s", name, err, want)
		}
	}
	// Show sends the name on stdin, where it is no option either.
	if _, err := r.Show(ctx, hostile, "a.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Show: error %v, want not found", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("git wrote %s", target)
	}
	// The same methods with refs that exist show the whole command lines.
	if _, err := os.Stat(log); err != nil {
		t.Fatal(err)
	}
	_, _ = r.ChangedFiles(ctx, "v1")
	_ = r.Diff(ctx, DiffOptions{Base: "v1", Head: "main", Filter: "AMRC", Renames: true}, discard)
	_, _ = r.Show(ctx, "main", "a.txt")
	_, _ = r.ListRefs(ctx)
	_, _ = r.CommitTime(ctx, "main")
	_ = r.CreateBranch(ctx, "new", "main")
	_, _ = r.Untracked(ctx)
	argv, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "[" + strings.Join(hardening, "] [") + "] "
	var got strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(string(argv), "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			t.Errorf("git ran without the hardening options: %s", line)
		}
		got.WriteString(rest + "\n")
	}
	golden.Check(t, filepath.Join("testdata", "argv.golden"), []byte(f.replace(got.String(), target, "$TARGET")))
}

// replace puts names in place of the fixture's commit ids, and of each old, new pair given.
func (f fixture) replace(s string, oldnew ...string) string {
	return strings.NewReplacer(append(oldnew, f.first, "$FIRST", f.second, "$SECOND")...).Replace(s)
}

func discard(rd io.Reader) error { _, err := io.Copy(io.Discard, rd); return err }

// TestErrors are the texts of the failures a user sees, with git's stderr verbatim.
func TestErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	notRepo := t.TempDir()
	shallow := filepath.Join(t.TempDir(), "shallow")
	gittest.Run(t, f.dir, "clone", "-q", "--depth=1", "file://"+f.dir, shallow)
	r := Repo{Dir: f.dir}
	var b strings.Builder
	add := func(what string, err error) {
		msg := "<nil>"
		if err != nil {
			msg = err.Error()
		}
		msg = f.replace(msg, shallow, "$SHALLOW", notRepo, "$NOTREPO", f.dir, "$REPO")
		fmt.Fprintf(&b, "%s:\n\t%s\n", what, strings.ReplaceAll(msg, "\n", "\n\t"))
	}
	_, err := r.RevParse(ctx, "no-such-branch")
	add("unknown ref", err)
	_, err = Repo{Dir: shallow}.RevParse(ctx, f.first)
	add("unknown ref in a shallow clone", err)
	_, err = Repo{Dir: notRepo}.RevParse(ctx, "HEAD")
	add("not a repository", err)
	_, err = Repo{Dir: notRepo}.ListRefs(ctx)
	add("a command outside a repository", err)
	_, err = Repo{Dir: f.dir, Exe: filepath.Join(notRepo, "no-git")}.RevParse(ctx, "HEAD")
	add("no git executable", err)
	add("output over the bound", Repo{Dir: f.dir, MaxOutput: 50}.Diff(ctx, DiffOptions{Base: f.first}, discard))
	_, err = r.Show(ctx, "main", "nope.txt")
	add("Show: no such file", err)
	_, err = r.Show(ctx, "main", "sub")
	add("Show: a directory", err)
	_, err = r.Show(ctx, "main", "../etc/passwd")
	add("Show: not a clean path", err)
	_, err = Repo{Dir: f.dir, MaxOutput: 4}.Show(ctx, "main", "a.txt")
	add("Show: over the bound", err)
	add("CreateBranch: exists", r.CreateBranch(ctx, "main", "HEAD"))
	add("CreateBranch: option-shaped name", r.CreateBranch(ctx, "-f", "HEAD"))
	add("Diff: bad filter", r.Diff(ctx, DiffOptions{Base: "HEAD", Filter: "--output=x"}, discard))
	golden.Check(t, filepath.Join("testdata", "errors.golden"), []byte(b.String()))
}

func TestRevParseAndRefs(t *testing.T) {
	f := newFixture(t)
	r := Repo{Dir: f.dir}
	ctx := context.Background()
	for ref, want := range map[string]string{"main": f.second, "HEAD~1": f.first, "v1": f.first, "light": f.second, "origin/main": f.first, f.first[:8]: f.first} {
		if got, err := r.RevParse(ctx, ref); err != nil || got != want {
			t.Errorf("RevParse(%s) = %s, %v; want %s", ref, got, err, want)
		}
	}
	refs, err := r.ListRefs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{
		{Name: "refs/heads/main", Kind: Branch, Commit: f.second},
		{Name: "refs/remotes/origin/main", Kind: Remote, Commit: f.first},
		{Name: "refs/tags/light", Kind: Tag, Commit: f.second},
		{Name: "refs/tags/tree-tag", Kind: Tag},
		{Name: "refs/tags/v1", Kind: Tag, Commit: f.first},
	}
	if d := cmp.Diff(want, refs); d != "" {
		t.Errorf("ListRefs (-want +got):\n%s", d)
	}
	var short []string
	for _, ref := range refs {
		short = append(short, ref.Short())
	}
	if got := strings.Join(short, " "); got != "main origin/main light tree-tag v1" {
		t.Errorf("Short names: %s", got)
	}
	if refs, err := (Repo{Dir: t.TempDir()}).ListRefs(ctx); err == nil {
		t.Errorf("ListRefs outside a repository: %v, want an error", refs)
	}

	when, err := r.CommitTime(ctx, "v1")
	if err != nil || time.Since(when) > time.Hour || when.After(time.Now().Add(time.Minute)) {
		t.Errorf("CommitTime(v1) = %v, %v", when, err)
	}

	if err := r.CreateBranch(ctx, "feature/x", "v1"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.RevParse(ctx, "feature/x"); err != nil || got != f.first {
		t.Errorf("created branch at %s, %v; want %s", got, err, f.first)
	}

	wt := filepath.Join(t.TempDir(), "wt")
	gittest.Run(t, f.dir, "worktree", "add", "-q", wt, "feature/x")
	common, err := Repo{Dir: wt}.CommonDir(ctx)
	if want, _ := filepath.EvalSymlinks(filepath.Join(f.dir, ".git")); err != nil || common != want {
		t.Errorf("CommonDir in a worktree = %s, %v; want %s", common, err, want)
	}
}

func TestShow(t *testing.T) {
	f := newFixture(t)
	r := Repo{Dir: f.dir}
	ctx := context.Background()
	for _, tc := range []struct{ ref, path, want string }{
		{"main", "a.txt", "one\ntwo\n"},
		{"v1", "a.txt", "one\n"},
		{f.first, "sub/b.txt", "b\n"},
	} {
		got, err := r.Show(ctx, tc.ref, tc.path)
		if err != nil || string(got) != tc.want {
			t.Errorf("Show(%s, %s) = %q, %v; want %q", tc.ref, tc.path, got, err, tc.want)
		}
	}
	// A file of exactly the bound is read; an empty one is empty, not missing.
	write(t, f.dir, "eight.txt", "12345678")
	write(t, f.dir, "empty.txt", "")
	gittest.Commit(t, f.dir, "sizes")
	if got, err := (Repo{Dir: f.dir, MaxOutput: 8 + 64}).Show(ctx, "HEAD", "eight.txt"); err != nil || string(got) != "12345678" {
		t.Errorf("Show(eight.txt) = %q, %v", got, err)
	}
	if got, err := r.Show(ctx, "HEAD", "empty.txt"); err != nil || len(got) != 0 {
		t.Errorf("Show(empty.txt) = %q, %v", got, err)
	}
}

// TestChangedFiles: committed and uncommitted changes under Dir, a rename as both its paths,
// names with spaces, quotes, newlines and non-ASCII letters as they are, untracked files apart.
func TestChangedFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	write(t, f.dir, "sub/new \"q\"\nx ü.txt", "n\n")
	gittest.Run(t, f.dir, "mv", "sub/b.txt", "sub/moved.txt")
	gittest.Commit(t, f.dir, "third")
	write(t, f.dir, "a.txt", "uncommitted\n")
	write(t, f.dir, "sub/untracked.txt", "u\n")
	write(t, f.dir, ".gitignore", "*.log\n")
	write(t, f.dir, "sub/ignored.log", "i\n")

	got, err := Repo{Dir: f.dir}.ChangedFiles(ctx, f.second)
	if d := cmp.Diff([]string{"a.txt", "sub/b.txt", "sub/moved.txt", "sub/new \"q\"\nx ü.txt"}, got); err != nil || d != "" {
		t.Errorf("ChangedFiles (-want +got) %v:\n%s", err, d)
	}
	got, err = Repo{Dir: filepath.Join(f.dir, "sub")}.ChangedFiles(ctx, f.second)
	if d := cmp.Diff([]string{"b.txt", "moved.txt", "new \"q\"\nx ü.txt"}, got); err != nil || d != "" {
		t.Errorf("ChangedFiles in sub/ (-want +got) %v:\n%s", err, d)
	}
	got, err = Repo{Dir: filepath.Join(f.dir, "sub")}.Untracked(ctx)
	if d := cmp.Diff([]string{"untracked.txt"}, got); err != nil || d != "" {
		t.Errorf("Untracked in sub/ (-want +got) %v:\n%s", err, d)
	}
}

func TestDiff(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	write(t, f.dir, "sub/b.txt", "b\nc\n")
	diff := func(r Repo, o DiffOptions) string {
		t.Helper()
		var out []byte
		if err := r.Diff(ctx, o, func(rd io.Reader) (err error) { out, err = io.ReadAll(rd); return }); err != nil {
			t.Fatal(err)
		}
		var keep []string // the lines that matter: names and hunks, not index lines with ids
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "index ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	got := diff(Repo{Dir: f.dir}, DiffOptions{Base: "v1", Head: "main"})
	want := "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,0 +2 @@ one\n+two\n"
	if got != want {
		t.Errorf("v1..main:\n%s\nwant:\n%s", got, want)
	}
	got = diff(Repo{Dir: filepath.Join(f.dir, "sub")}, DiffOptions{Base: "main", Relative: true})
	want = "diff --git a/b.txt b/b.txt\n--- a/b.txt\n+++ b/b.txt\n@@ -1,0 +2 @@ b\n+c\n"
	if got != want {
		t.Errorf("main..worktree in sub/:\n%s\nwant:\n%s", got, want)
	}
	got = diff(Repo{Dir: f.dir}, DiffOptions{Base: "main", Filter: "A"})
	if got != "" {
		t.Errorf("--diff-filter=A with only a modification: %q", got)
	}
}

// TestRepositoryConfigRunsNothing: a repository whose config names an fsmonitor hook, an
// external diff, a textconv driver and a pager, and an environment pointing GIT_DIR elsewhere,
// change nothing a read does.
func TestRepositoryConfigRunsNothing(t *testing.T) {
	f := newFixture(t)
	marker := filepath.Join(t.TempDir(), "ran")
	prog := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho \"$0 $*\" >> '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"core.fsmonitor", prog}, {"diff.external", prog}, {"diff.evil.textconv", prog}, {"core.pager", prog}, {"diff.noprefix", "true"}, {"diff.relative", "true"}} {
		gittest.Run(t, f.dir, "config", kv[0], kv[1])
	}
	write(t, f.dir, ".gitattributes", "*.txt diff=evil\n")
	write(t, f.dir, "a.txt", "changed\n")
	t.Setenv("GIT_DIR", t.TempDir())
	t.Setenv("GIT_EXTERNAL_DIFF", prog)

	r := Repo{Dir: f.dir}
	ctx := context.Background()
	var out []byte
	if err := r.Diff(ctx, DiffOptions{Base: "HEAD"}, func(rd io.Reader) (err error) { out, err = io.ReadAll(rd); return }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "+++ b/a.txt\n") || !strings.Contains(string(out), "+changed\n") {
		t.Errorf("diff is not git's own text diff with a/ b/ prefixes:\n%s", out)
	}
	if _, err := r.ChangedFiles(ctx, "HEAD"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Show(ctx, "HEAD", "a.txt"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(marker); err == nil {
		t.Errorf("a program from the repository's config ran:\n%s", b)
	}
}

func TestCancel(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Repo{Dir: f.dir}).RevParse(ctx, "HEAD"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}

// TestArchiveAndRemoteURL: a commit's tree as a gzipped tarball under one top directory, a
// ref that is not a full commit id refused; the remote's URL without the credentials it holds.
func TestArchiveAndRemoteURL(t *testing.T) {
	f := newFixture(t)
	r := Repo{Dir: f.dir}
	ctx := context.Background()
	var names []string
	err := r.Archive(ctx, f.first, 1<<20, func(rd io.Reader) error {
		gz, err := gzip.NewReader(rd)
		if err != nil {
			return err
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if h.Typeflag != tar.TypeXGlobalHeader {
				names = append(names, h.Name)
			}
		}
	})
	if err != nil || strings.Join(names, " ") != "tree/ tree/a.txt tree/sub/ tree/sub/b.txt" {
		t.Errorf("Archive: %q, %v", names, err)
	}
	var re *RefError
	if err := r.Archive(ctx, "--output=/tmp/x", 1<<20, discard); !errors.As(err, &re) {
		t.Errorf("Archive of an option: %v", err)
	}
	if err := r.Archive(ctx, f.first, 10, discard); !errors.As(err, new(*LimitError)) {
		t.Errorf("Archive over the bound: %v", err)
	}
	gittest.Run(t, f.dir, "remote", "add", "origin", "https://x-access-token:ghs_secret@github.com/Molecule-AI/molecule-ci.git")
	gittest.Run(t, f.dir, "remote", "add", "ssh", "git@github.com:Molecule-AI/molecule-ci.git")
	for name, want := range map[string]string{"origin": "https://github.com/Molecule-AI/molecule-ci.git", "ssh": "git@github.com:Molecule-AI/molecule-ci.git"} {
		if got, err := r.RemoteURL(ctx, name); err != nil || got != want {
			t.Errorf("RemoteURL(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := r.RemoteURL(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "No such remote 'nope'") {
		t.Errorf("RemoteURL of no remote: %v", err)
	}
	if _, err := r.RemoteURL(ctx, "--upload-pack=x"); err == nil {
		t.Error("RemoteURL of an option: no error")
	}
}
