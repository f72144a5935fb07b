package secretscan

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/git"
	"github.com/Molecule-AI/molecule-ci/internal/git/gittest"
	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func renderFindings(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s (%s)\n", f, f.Severity)
	}
	return b.String()
}

// TestTree plants credentials in files of every kind the Python scans missed or covered (a
// README, config.yaml, adapter.py, a file without extension) and in places the scan must skip
// (.git, node_modules, a binary, an ignored directory, a symlink), and compares the findings
// with testdata/tree.golden.
func TestTree(t *testing.T) {
	rng, gen = rand.New(rand.NewPCG(5, 6)), secretstest.New(5)
	dir := t.TempDir()
	write(t, dir, "README.md", "# Setup\n\nexport GITHUB_TOKEN="+ghp()+"\n")
	write(t, dir, "config.yaml", "name: x\nruntime_config:\n  token: "+ghp()+"\n")
	write(t, dir, "adapter.py", "BOT = '"+randStr(1, "123456789")+randStr(9, digits)+":"+tok("AA", b62(33))+"'\n")
	write(t, dir, "scripts/run", "#!/bin/sh\ncurl -H 'Authorization: "+tok("Bear", "er ")+b62(40)+"' x\n")
	write(t, dir, ".env.example", "# copy to .env\nCLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-...\nGH_TOKEN=\nTELEGRAM_BOT_TOKEN=<from @BotFather>\nDB_PASSWORD="+b62(24)+"\nTELEGRAM_CHAT_ID=123456789\nAPI_KEY=\"${API_KEY}\"\n")
	write(t, dir, "ignored/notes.md", ghp()+"\n")
	write(t, dir, "node_modules/pkg/index.js", ghp()+"\n")
	write(t, dir, ".git/config", "url = https://x:"+ghp()+"@github.com/a/b\n")
	write(t, dir, "image.png", "\x89PNG\x00\x00"+ghp()+"\n")
	write(t, dir, "big.txt", strings.Repeat("a", 2<<10)+ghp()+"\n")
	write(t, dir, "workflow.yml", ghp()+"\n") // scanned by the workflow linter, not here
	outside := filepath.Join(t.TempDir(), "outside.md")
	write(t, filepath.Dir(outside), "outside.md", ghp()+"\n")
	if err := os.Symlink(outside, filepath.Join(dir, "link.md")); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		posted []string
	)
	res, err := Tree(context.Background(), TreeOptions{
		WorkDir:     dir,
		SkipDirs:    []string{"node_modules"},
		Ignored:     func(rel string) bool { return rel == "ignored" },
		Skip:        func(rel string) bool { return rel == "workflow.yml" },
		MaxFileSize: 1 << 10,
		Post: func(rel string, src []byte, fs []report.Finding) []report.Finding {
			mu.Lock()
			defer mu.Unlock()
			posted = append(posted, rel)
			return fs
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("files scanned: %d\n%s", res.Files, renderFindings(res.Findings))
	golden.Check(t, filepath.Join("testdata", "tree.golden"), []byte(got))
	if diff := cmp.Diff([]string{".env.example", "README.md", "adapter.py", "config.yaml", "scripts/run"}, sorted(posted)); diff != "" {
		t.Errorf("Post called for (-want +got):\n%s", diff)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestTreeCancelled(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.md", "x\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Tree(ctx, TreeOptions{WorkDir: dir}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestIsExampleEnv(t *testing.T) {
	for name, want := range map[string]bool{
		".env.example": true, "pm/.env.sample": true, ".env.template": true, ".env.dist": true,
		"example.env": true, "prod.env.example": true, ".env.local.example": true,
		".env": false, ".env.local": false, "README.example.md": false, "env.go": false, "config.example.yaml": false,
	} {
		if got := IsExampleEnv(name); got != want {
			t.Errorf("IsExampleEnv(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestDiff runs the diff scan against a real git repository: a credential already in the base,
// one removed, and new ones added to a modified file, a new file with a quoted name, a renamed
// file and a private key added as a block. Only the added ones are reported, at their line and
// column in the new file.
func TestDiff(t *testing.T) {
	dir := gittest.New(t)
	rng, gen = rand.New(rand.NewPCG(9, 10)), secretstest.New(9)
	old := ghp()
	write(t, dir, "docs/old.md", "line 1\nold token: "+old+"\nline 3\n")
	write(t, dir, "gone.md", "a\n"+ghp()+"\n")
	write(t, dir, "moved-before.txt", strings.Repeat("stable line\n", 20))
	base := gittest.Commit(t, dir, "base")

	write(t, dir, "docs/old.md", "line 1\nold token: "+old+"\nline 3\nnew: "+ghp()+"\n")
	if err := os.Remove(filepath.Join(dir, "gone.md")); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "sp ace \"q\".md", "x\n  k = '"+tok("sk-", "ant-", "api03-", b62(80))+"'\n")
	if err := os.Rename(filepath.Join(dir, "moved-before.txt"), filepath.Join(dir, "moved-after.txt")); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "moved-after.txt", strings.Repeat("stable line\n", 20)+"AWS="+gen.AWSKeyID()+"\n")
	write(t, dir, "keys/id", tok("-----BEGIN ", "OPENSSH PRIVATE KEY-----\n")+b62(70)+"\n"+b62(70)+"\n-----END OPENSSH PRIVATE KEY-----\n")
	write(t, dir, "node_modules/x.js", ghp()+"\n")
	write(t, dir, ".env.example", "TOKEN=\nSECRET_KEY="+b62(30)+"\n")
	gittest.Commit(t, dir, "change")

	res, err := Diff(context.Background(), DiffOptions{Dir: dir, Base: base, SkipDirs: []string{"node_modules"}})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("files with added lines: %d\n%s", res.Files, renderFindings(res.Findings))
	golden.Check(t, filepath.Join("testdata", "diff.golden"), []byte(got))
	if strings.Contains(got, old[4:12]) {
		t.Fatal("a finding carries the token")
	}

	// The same change seen from the base itself has nothing added.
	res, err = Diff(context.Background(), DiffOptions{Dir: dir, Base: base, Head: base})
	if err != nil || len(res.Findings) != 0 {
		t.Fatalf("base..base: %v %v", res.Findings, err)
	}

	// A diff over the bound is an error, not a partial scan.
	if _, err := Diff(context.Background(), DiffOptions{Dir: dir, Base: base, MaxDiffBytes: 1 << 10}); err == nil ||
		!strings.HasSuffix(err.Error(), "more than 1 KiB of changes; scan the tree instead") {
		t.Fatalf("over the bound: got %v", err)
	}

	// A base git does not have is a RefError; one shaped like an option reaches git only as a
	// revision, after --end-of-options, and is not one either.
	for _, ref := range []string{strings.Repeat("1", 40), "--output=/tmp/pwned"} {
		_, err = Diff(context.Background(), DiffOptions{Dir: dir, Base: ref})
		var re *git.RefError
		if want := `--diff ref "` + ref + `": not a commit in this repository`; !errors.As(err, &re) || err.Error() != want {
			t.Errorf("unknown base: got %v, want %s", err, want)
		}
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Fatal("git wrote /tmp/pwned")
	}
}

func TestIsNullRef(t *testing.T) {
	for ref, want := range map[string]bool{"": true, strings.Repeat("0", 40): true, "0": true, "abc": false, "00a": false} {
		if got := IsNullRef(ref); got != want {
			t.Errorf("IsNullRef(%q) = %v", ref, got)
		}
	}
}

// FuzzParseDiff: git's output is parsed without panics, and every added line has a positive
// line number.
func FuzzParseDiff(f *testing.F) {
	f.Add([]byte("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,0 +2,2 @@\n+a\n+b\n"))
	f.Add([]byte("+++ \"b/\\303\\251\"\n@@ -0,0 +1 @@\n+x\n"))
	f.Add([]byte("Binary files a/x and b/x differ\n"))
	f.Add([]byte("@@ -1 +0,0 @@\n-x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := parseDiff(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, fl := range files {
			for _, n := range fl.lines {
				if n < 1 {
					t.Fatalf("line %d in %q", n, fl.path)
				}
			}
			_ = fl.text()
		}
	})
}

// FuzzScanExampleEnv: any env-file text is judged without panics, positions inside the text,
// and no finding quotes the value it found.
func FuzzScanExampleEnv(f *testing.F) {
	f.Add([]byte("TOKEN=\nDB_PASSWORD=Zk3mQ9vL2pX8rT1wY6nB4cD7\nexport API_KEY='x'\n"))
	f.Add([]byte("A_SECRET=\"unterminated\nB_TOKEN= # comment\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := strings.Count(string(src), "\n") + 1
		for _, fd := range ScanExampleEnv(".env.example", src) {
			if fd.Line < 1 || fd.Line > lines || fd.Col < 1 {
				t.Fatalf("finding out of range: %v", fd)
			}
		}
	})
}
