package workflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProjectConfig checks that a repository's .github/actionlint.yaml is honoured as the
// actionlint CLI would (runner labels, ignore patterns per path) and that Options.RunnerLabels
// add to it.
func TestProjectConfig(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		".git/HEAD":               "ref: refs/heads/main\n",
		".github/actionlint.yaml": "self-hosted-runner:\n  labels: [repo-label]\npaths:\n  .github/workflows/ignored.yml:\n    ignore: ['label \"other\" is unknown']\n",
	})
	wf := "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: [self-hosted, repo-label, opt-label, other]\n    timeout-minutes: 5\n    steps:\n      - run: echo hi\n"
	writeFiles(t, root, map[string]string{".github/workflows/ci.yml": wf, ".github/workflows/ignored.yml": wf})

	l, err := New(Options{WorkDir: root, RunnerLabels: []string{"opt-label"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range []string{".github/workflows/ci.yml", ".github/workflows/ignored.yml"} {
		fs, err := l.Lint(p, []byte(wf), KindWorkflow)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			msg, _, _ := strings.Cut(f.Message, ". available labels")
			got = append(got, f.Path+": "+msg+" ["+f.Rule+"]")
		}
	}
	want := []string{`.github/workflows/ci.yml: label "other" is unknown [actionlint/runner-label]`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestBrokenProjectConfigIsAToolError(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		".git/HEAD":               "ref: refs/heads/main\n",
		".github/workflows/x.yml": "on: push\n",
		".github/actionlint.yaml": "self-hosted-runner: [\n",
	})
	l, err := New(Options{WorkDir: root})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Lint(".github/workflows/x.yml", []byte("on: push\n"), KindWorkflow)
	if err == nil || !strings.Contains(err.Error(), "load actionlint project") {
		t.Fatalf("want a tool error naming the project, got %v", err)
	}
}

// TestLintIncludesSecretScan: literal credentials in workflows and action metadata are reported
// by Lint itself (the lead does not run secretscan separately on these kinds).
func TestLintIncludesSecretScan(t *testing.T) {
	token := secretstest.New(1).Checksummed("ghp_") // made at run time: no token is stored here
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind Kind
		src  string
		want string
	}{
		{KindWorkflow, "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    env:\n      T: " + token + "\n    steps:\n      - run: echo hi\n",
			"w.yml:8:10: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)\n"},
		{KindAction, "name: a\ndescription: b\nruns:\n  using: composite\n  steps:\n    - run: curl -u x:" + token + " https://example.com\n      shell: bash\n",
			"w.yml:6:22: GitHub personal access token (ghp_…, 40 chars, checksum valid) committed in plain text [secret-committed] (error)\n"},
	}
	for _, tc := range tests {
		fs, err := l.Lint("w.yml", []byte(tc.src), tc.kind)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(fs); got != tc.want {
			t.Errorf("kind %d: got\n%s\nwant\n%s", tc.kind, got, tc.want)
		}
		if strings.Contains(render(fs), token[4:12]) {
			t.Error("finding leaks the token")
		}
	}
}

func BenchmarkLint(b *testing.B) {
	var srcs [][]byte
	for _, p := range []string{"rules/gate-cannot-fail.bad.yml", "rules/secret-exposure.bad.yml", "shell/positions.yml", "rules/excessive-permissions.good.yml"} {
		src, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	l, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.Lint("w.yml", srcs[i%len(srcs)], KindWorkflow); err != nil {
				b.Error(err)
			}
			i++
		}
	})
}
