package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/secrets/secretstest"
)

// Linting in parallel must give exactly the output of linting one file at a time.
func TestRunDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 40; i++ {
		write(fmt.Sprintf(".github/workflows/w%02d.yml", i), "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go vet ./... || true\n      - uses: some/action@v1\n")
		write(fmt.Sprintf("images/i%02d/Dockerfile", i), "FROM alpine:latest\nRUN pip install x || true\n")
	}
	run := func(jobs int) *report.Report {
		rep, err := Run(context.Background(), Options{WorkDir: dir, Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	one := run(1)
	if one.FilesChecked != 80 || len(one.Findings) == 0 {
		t.Fatalf("checked %d files with %d findings; want 80 files and some findings", one.FilesChecked, len(one.Findings))
	}
	for i := 0; i < 3; i++ {
		if many := run(8); !reflect.DeepEqual(one.Findings, many.Findings) {
			t.Fatalf("parallel run %d differs from the sequential one", i)
		}
	}
}

func TestRunUnknownRuleInOptions(t *testing.T) {
	_, err := Run(context.Background(), Options{WorkDir: t.TempDir(), Rules: map[string]RuleConfig{"no-such-rule": {}}})
	if err == nil || err.Error() != `unknown rule "no-such-rule" in configuration (run `+"`molecule-ci lint --list-rules`"+`)` {
		t.Errorf("got %v", err)
	}
}

func TestKnownRule(t *testing.T) {
	for id, want := range map[string]bool{
		"gate-cannot-fail": true, "docker-root-user": true, "actionlint/expression": true,
		"buildkit/StageNameCasing": true, "actionlint/*": true, "actionlint/": false, "nope": false,
		"suppression": true, "config": true,
	} {
		if got := KnownRule(id); got != want {
			t.Errorf("KnownRule(%q) = %v, want %v", id, got, want)
		}
	}
}

// A secret in a Dockerfile is reported once, as docker-secret, not also by BuildKit's check and
// the token scan.
func TestDockerfileSecretReportedOnce(t *testing.T) {
	dir := t.TempDir()
	token := secretstest.New(2).Checksummed("ghp_") // made at run time so no scanner flags this file
	src := "FROM alpine:3.20\nARG GITHUB_TOKEN\nENV GH=" + token + "\nRUN echo " + token + "\nUSER 1000\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%d:%s", f.Line, f.Rule))
	}
	want := []string{"2:docker-secret", "3:docker-secret", "4:secret-committed"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
