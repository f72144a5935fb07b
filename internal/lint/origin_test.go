package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOwnerOf(t *testing.T) {
	for remote, want := range map[string]string{
		"git@github.com:acme/app.git":                           "acme",
		"github.com:acme/app":                                   "acme",
		"https://github.com/Acme-Corp/app":                      "Acme-Corp",
		"https://github.com/acme/app.git":                       "acme",
		"https://x-access-token:ghs_secret@github.com/acme/app": "acme",
		"ssh://git@github.example.com:2222/acme/app.git":        "acme",
		"https://gitea.example.com/acme.team/app":               "acme.team",
		"/srv/git/app.git":                                      "",
		"../app":                                                "",
		"file:///srv/git/acme/app":                              "",
		"https://github.com/acme":                               "",
		"https://github.com/":                                   "",
		"git@github.com:/acme/app":                              "acme",
		"https://github.com/ac me/app":                          "",
		"C:/repos/app":                                          "",
		"":                                                      "",
		"https://github.com/" + strings.Repeat("a", 101) + "/repo": "",
	} {
		if got := ownerOf(remote); got != want {
			t.Errorf("ownerOf(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestOriginURL(t *testing.T) {
	for cfg, want := range map[string]string{
		"[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:acme/app.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n": "git@github.com:acme/app.git",
		"[remote \"upstream\"]\n\turl = git@github.com:up/app.git\n[remote \"origin\"]\n\tURL = \"https://github.com/acme/app\" ; mine\n":   "https://github.com/acme/app",
		"[Remote \"origin\"] url = https://github.com/acme/app\n":                                                                           "https://github.com/acme/app",
		"[remote \"Origin\"]\n\turl = git@github.com:acme/app.git\n":                                                                        "",
		"[remote \"origin\"]\n\tfetch = x\n[branch \"main\"]\n\turl = nope\n":                                                               "",
		"[remote \"origin\"\n\turl = broken\n":                                                                                              "",
		"":                                                                                                                                  "",
	} {
		if got := originURL([]byte(cfg)); got != want {
			t.Errorf("originURL(%q) = %q, want %q", cfg, got, want)
		}
	}
}

// TestOriginOwner reads the owner from a repository's .git/config, from a worktree through its
// .git file and commondir, and finds none where there is no repository or no origin.
func TestOriginOwner(t *testing.T) {
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main")
	write(filepath.Join(main, ".git", "config"), "[remote \"origin\"]\n\turl = git@github.com:acme/app.git\n")
	wt := filepath.Join(dir, "wt")
	write(filepath.Join(main, ".git", "worktrees", "wt", "commondir"), "../..\n")
	write(filepath.Join(wt, ".git"), "gitdir: "+filepath.Join(main, ".git", "worktrees", "wt")+"\n")
	noOrigin := filepath.Join(dir, "no-origin")
	write(filepath.Join(noOrigin, ".git", "config"), "[core]\n\tbare = false\n")
	huge := filepath.Join(dir, "huge")
	write(filepath.Join(huge, ".git", "config"), "[remote \"origin\"]\n\turl = git@github.com:acme/app.git\n"+strings.Repeat("#", maxGitConfig))
	for root, want := range map[string]string{main: "acme", wt: "acme", noOrigin: "", huge: "", filepath.Join(dir, "none"): ""} {
		if got := OriginOwner(root); got != want {
			t.Errorf("OriginOwner(%s) = %q, want %q", root, got, want)
		}
	}
}

func FuzzOriginURL(f *testing.F) {
	f.Add([]byte("[remote \"origin\"]\n\turl = git@github.com:acme/app.git\n"), "https://u:p@github.com/acme/app")
	f.Add([]byte("[remote \"origin\"] url = \"a\\\"b\" # c\n"), "git@h:/o/r")
	f.Fuzz(func(t *testing.T, cfg []byte, remote string) {
		u := originURL(cfg)
		if strings.ContainsAny(u, "\n") {
			t.Fatalf("url %q spans lines", u)
		}
		owner := ownerOf(remote)
		if owner != "" && (!validOwner(owner) || !strings.Contains(remote, owner)) {
			t.Fatalf("ownerOf(%q) = %q, not a name from the URL", remote, owner)
		}
	})
}

func TestRepoOf(t *testing.T) {
	for remote, want := range map[string]string{
		"git@github.com:Molecule-AI/molecule-ci.git":          "Molecule-AI/molecule-ci",
		"https://x-access-token:ghs_abc@github.com/Acme/app":  "Acme/app",
		"https://github.com/Acme/app.git/":                    "Acme/app",
		"ssh://git@github.example.com:2222/Acme/tools.v2.git": "Acme/tools.v2",
		"/srv/git/app.git":              "",
		"https://github.com/Acme":       "",
		"https://github.com/Acme/a%20b": "",
	} {
		if got := repoOf(remote); got != want {
			t.Errorf("repoOf(%q) = %q, want %q", remote, got, want)
		}
	}
}
