package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// TestActionInstall runs action.yml's install step (scripts/action-install.sh) directly, case by
// case: which path it takes, what it writes to GITHUB_OUTPUT, and what it refuses.
func TestActionInstall(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		testenv.Missing(t, "curl is not installed: the install step downloads with it")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "scripts", "action-install.sh")
	bin := []byte("#!/bin/sh\necho molecule-ci v9.9.9\n")
	sum := sha256.Sum256(bin)
	good := hex.EncodeToString(sum[:])
	var hits atomic.Int32
	served := bin
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/v9.9.9/molecule-ci_9.9.9_linux_amd64" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(served)
	}))
	defer srv.Close()

	type result struct {
		code        int
		out, output string
		downloads   int32
	}
	run := func(t *testing.T, sums *string, runnerOS, toolCache string) result {
		t.Helper()
		action := t.TempDir()
		if sums != nil {
			writeFile(t, filepath.Join(action, "release", "checksums.txt"), []byte(*sums))
		}
		output := filepath.Join(t.TempDir(), "output")
		cmd := exec.Command("bash", script)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ACTION_PATH=" + action, "MOLECULE_CI_RELEASE_URL=" + srv.URL + "/",
			"RUNNER_OS=" + runnerOS, "RUNNER_ARCH=X64", "RUNNER_TOOL_CACHE=" + toolCache, "RUNNER_TEMP=" + t.TempDir(),
			"GITHUB_OUTPUT=" + output, "GITHUB_ACTION_REF=feature/x"}
		before := hits.Load()
		out, err := cmd.CombinedOutput()
		r := result{out: string(out), downloads: hits.Load() - before}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(output)
		r.output = string(b)
		return r
	}
	line := func(hash string) *string {
		s := hash + "  molecule-ci_9.9.9_linux_amd64\n" + strings.Repeat("1", 64) + "  molecule-ci_9.9.9_darwin_arm64\n"
		return &s
	}

	t.Run("not a release commit", func(t *testing.T) {
		r := run(t, nil, "Linux", t.TempDir())
		if r.code != 0 || r.output != "mode=source\nversion=source-feature/x\n" || r.downloads != 0 ||
			!strings.Contains(r.out, "not a release commit (no release/checksums.txt): building from source") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("no binary for the runner", func(t *testing.T) {
		r := run(t, line(good), "Windows", t.TempDir())
		if r.code != 0 || !strings.HasPrefix(r.output, "mode=source\n") || !strings.Contains(r.out, "no released binary for RUNNER_OS=Windows") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("release, then the tool cache", func(t *testing.T) {
		cache := t.TempDir()
		r := run(t, line(good), "Linux", cache)
		wantBin := filepath.Join(cache, "molecule-ci", "9.9.9", "amd64", "molecule-ci")
		if r.code != 0 || r.output != "mode=release\nbin="+wantBin+"\nversion=v9.9.9\n" || r.downloads != 1 ||
			!strings.Contains(r.out, "SHA-256 "+good+" verified against release/checksums.txt") {
			t.Fatalf("%+v", r)
		}
		r = run(t, line(good), "Linux", cache)
		if r.code != 0 || r.downloads != 0 || !strings.Contains(r.out, "from the tool cache") {
			t.Errorf("second use: %+v", r)
		}
		// A binary changed in the tool cache (a shared self-hosted runner) is not trusted: the
		// step downloads and verifies again.
		if err := os.WriteFile(wantBin, []byte("#!/bin/sh\necho evil\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		r = run(t, line(good), "Linux", cache)
		if b, _ := os.ReadFile(wantBin); r.code != 0 || r.downloads != 1 || string(b) != string(bin) {
			t.Errorf("after tampering with the cache: %+v", r)
		}
	})
	t.Run("tampered asset", func(t *testing.T) {
		served = append([]byte(nil), bin...)
		served[len(served)-2] = 'X'
		defer func() { served = bin }()
		cache := t.TempDir()
		r := run(t, line(good), "Linux", cache)
		if r.code != 1 || r.output != "" || !strings.Contains(r.out, "::error title=molecule-ci::checksum mismatch for molecule-ci_9.9.9_linux_amd64") ||
			!strings.Contains(r.out, "Refusing to run it.") {
			t.Errorf("%+v", r)
		}
		if _, err := os.Stat(filepath.Join(cache, "molecule-ci", "9.9.9", "amd64", "molecule-ci")); !os.IsNotExist(err) {
			t.Errorf("the refused binary reached the tool cache: %v", err)
		}
	})
	t.Run("asset missing on the server", func(t *testing.T) {
		s := strings.Replace(*line(good), "9.9.9_linux", "9.9.8_linux", 1)
		r := run(t, &s, "Linux", t.TempDir())
		if r.code == 0 || r.output != "" || !strings.Contains(r.out, "404") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("malformed checksums", func(t *testing.T) {
		s := "not-a-hash  molecule-ci_9.9.9_linux_amd64\n"
		r := run(t, &s, "Linux", t.TempDir())
		if r.code != 0 || !strings.HasPrefix(r.output, "mode=source\n") || !strings.Contains(r.out, "release/checksums.txt lists no binary for linux/amd64") {
			t.Errorf("%+v", r)
		}
	})
}
