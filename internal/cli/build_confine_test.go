package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
)

const outsideSecret = "TOP-SECRET-OUTSIDE-THE-CHECKOUT"

// escapeLayout is a checkout (repo, with .git) next to a directory it must not read (outside),
// which holds a secret and a Dockerfile that COPYs it and prints it.
func escapeLayout(t *testing.T, config string) (tmp, repo string) {
	t.Helper()
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo = filepath.Join(tmp, "repo")
	writeFiles(t, repo, map[string]string{
		".git/HEAD":        "ref: refs/heads/main\n",
		".molecule-ci.yml": config,
		"Dockerfile":       "FROM scratch\n",
	})
	withBusybox(t, filepath.Join(tmp, "outside"), map[string]string{
		"secret.txt": outsideSecret + "\n",
		"Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\nCOPY secret.txt /s\nRUN [\"/bin/busybox\", \"cat\", \"/s\"]\n",
	})
	return tmp, repo
}

// TestBuildRefusesPathsOutsideTheRepository: a build: section that points a context or a
// Dockerfile out of the checkout (by .. or a symlink) is refused with exit 2 at the config's
// line and column, before the daemon is contacted, and nothing of the outside file is printed.
// Run against the real daemon, the same config built and printed the secret before.
func TestBuildRefusesPathsOutsideTheRepository(t *testing.T) {
	addr := buildtest.Daemon(t)
	for _, tc := range []struct {
		name, config string
		link         string // repo/ctx -> ../outside when set
		want         string
	}{
		{"context dotdot", "build:\n  images:\n    - name: evil\n      context: ../outside\n", "",
			`molecule-ci: .molecule-ci.yml:4:16: build.images[0].context: "../outside" resolves to <tmp>/outside, outside the repository (<tmp>/repo): a build reads only files of the checkout`},
		{"context symlink", "build:\n  images:\n    - name: evil\n      context: ctx\n", "ctx",
			`molecule-ci: .molecule-ci.yml:4:16: build.images[0].context: "ctx" is a symlink to <tmp>/outside, outside the repository (<tmp>/repo): a build reads only files of the checkout`},
		{"dockerfile dotdot", "build:\n  images:\n    - name: evil\n      dockerfile: ../outside/Dockerfile\n", "",
			`molecule-ci: .molecule-ci.yml:4:19: build.images[0].dockerfile: "../outside/Dockerfile" resolves to <tmp>/outside/Dockerfile, outside the repository (<tmp>/repo): a build reads only files of the checkout`},
		{"convention adapter symlink", "", "adapters/evil",
			`molecule-ci: adapters/evil/Dockerfile: is a symlink to <tmp>/outside/Dockerfile, outside the repository (<tmp>/repo): a build reads only files of the checkout`},
		{"secret file", "build:\n  secrets:\n    - id=t,src=../outside/secret.txt\n", "",
			`molecule-ci: .molecule-ci.yml:3:7: build.secrets[0]: src "../outside/secret.txt" resolves to <tmp>/outside/secret.txt, outside the repository (<tmp>/repo): a secret file the config names must be in the checkout; give others with --secret`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp, repo := escapeLayout(t, tc.config)
			if tc.link != "" {
				p := filepath.Join(repo, tc.link)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				target, _ := filepath.Rel(filepath.Dir(p), filepath.Join(tmp, "outside"))
				if err := os.Symlink(target, p); err != nil {
					t.Fatal(err)
				}
			}
			// The real daemon, and one that does not exist: the same refusal, so it came first.
			for _, host := range []string{addr, "unix://" + filepath.Join(tmp, "no-daemon.sock")} {
				code, stdout, stderr := runIn(t, repo, map[string]string{"BUILDKIT_HOST": host}, "build", "--progress", "plain")
				got := strings.ReplaceAll(strings.TrimSpace(stderr), tmp, "<tmp>")
				if code != 2 || got != tc.want || stdout != "" {
					t.Errorf("BUILDKIT_HOST=%s: exit %d, stderr\n  %s\nwant exit 2 and\n  %s\nstdout: %q", host, code, got, tc.want, stdout)
				}
				if strings.Contains(stdout+stderr, outsideSecret) {
					t.Errorf("the outside secret was printed:\n%s%s", stdout, stderr)
				}
			}
		})
	}
}

// TestBuildSymlinkInContextStaysInContext: a symlink inside an accepted context that points out
// of it is sent to BuildKit as a symlink, which resolves it inside the context: the COPY finds
// nothing, and the file outside is neither in the image nor printed.
func TestBuildSymlinkInContextStaysInContext(t *testing.T) {
	addr := buildtest.Daemon(t)
	tmp, repo := escapeLayout(t, "")
	withBusybox(t, repo, map[string]string{
		"Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\nCOPY link /s\nRUN [\"/bin/busybox\", \"cat\", \"/s\"]\n",
	})
	if err := os.Symlink(filepath.Join(tmp, "outside", "secret.txt"), filepath.Join(repo, "link")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runIn(t, repo, map[string]string{"BUILDKIT_HOST": addr}, "build", "--progress", "plain")
	if code != 1 || !strings.Contains(stdout, `"/link": not found`) {
		t.Errorf("exit %d, want 1 with BuildKit's \"/link\": not found\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, outsideSecret) {
		t.Errorf("the outside secret was printed:\n%s%s", stdout, stderr)
	}
}
