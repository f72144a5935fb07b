package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The third-party actions the reusable workflows and action.yml pin, by full commit SHA; the
// harness maps each to its offline stand-in under testdata/stubs.
const (
	pinCheckout = "11bd71901bbe5b1630ceea73d27597364c9af683" // actions/checkout v4.2.2
	pinSetupGo  = "d35c59abb061a4a6fb18e82ac0862c26744d6ab5" // actions/setup-go v5.5.0
	pinCodeQL   = "51f77329afa6477de8c49fc9c7046c15b9a4e79d" // github/codeql-action v3.29.5

	pinSetupBuildx      = "e468171a9de216ec08956ac3ada2f0791b6bd435" // docker/setup-buildx-action v3.11.1
	pinDownloadArtifact = "d3f86a106a0bac45b974a628896c90dbdf5c8093" // actions/download-artifact v4.3.0
	pinUploadArtifact   = "ea165f8d65b6e75b540449e92b4886f43607fa02" // actions/upload-artifact v4.6.2
	pinCache            = "5a3ec84eff668545956fd18022155c47e93e2684" // actions/cache v4.2.3
	pinUploadPages      = "56afc609e74202658d3ffba0e8f6dda462b719fa" // actions/upload-pages-artifact v3.0.1
	pinDeployPages      = "d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e" // actions/deploy-pages v4.0.5
)

// releaseVersion is the version of the release-commit stand-in; never a real release.
const releaseVersion = "9.9.9"

var releaseBinary struct {
	once sync.Once
	path string
	err  error
}

// releasedBinary builds molecule-ci once per test process the way .goreleaser.yaml does
// (CGO_ENABLED=0 -trimpath -buildvcs=false, version stamped), for the host's OS and arch: the
// binary a release would publish for this runner.
func releasedBinary(t *testing.T, root string) string {
	t.Helper()
	releaseBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "molecule-ci-release-")
		if err != nil {
			releaseBinary.err = err
			return
		}
		releaseBinary.path = filepath.Join(dir, "molecule-ci")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
			"-ldflags", "-s -w -X github.com/Molecule-AI/molecule-ci/internal/cli.version=v"+releaseVersion,
			"-o", releaseBinary.path, "./cmd/molecule-ci")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			releaseBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if releaseBinary.err != nil {
		t.Fatal(releaseBinary.err)
	}
	return releaseBinary.path
}

// releaseFixture makes a release-commit stand-in of molecule-ci: only action.yml, the install
// script and release/checksums.txt, as committed at a release tag (no Go source, so a wrong
// decision to build from source fails loudly). A loopback HTTP server plays the GitHub release
// download URL; with mode "tampered" it serves the binary with one byte changed. It returns the
// stand-in's directory, the server's base URL, and the run-dependent strings (URL, checksums) a
// transcript shows by name.
func releaseFixture(t *testing.T, root, mode string) (dir, url string, names map[string]string) {
	t.Helper()
	if mode != "good" && mode != "tampered" {
		t.Fatalf("release: %q (want good or tampered)", mode)
	}
	bin, err := os.ReadFile(releasedBinary(t, root))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	asset := fmt.Sprintf("molecule-ci_%s_%s_%s", releaseVersion, runtime.GOOS, runtime.GOARCH)
	dir = filepath.Join(t.TempDir(), "molecule-ci-release")
	for _, f := range []string{"action.yml", "scripts/action-install.sh"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), b)
	}
	// Other platforms' lines, as goreleaser writes them, so the script must pick the right one.
	sums := fmt.Sprintf("%s  %s\n%s  molecule-ci_%s_windows_amd64\n",
		hex.EncodeToString(sum[:]), asset, strings.Repeat("0", 64), releaseVersion)
	writeFile(t, filepath.Join(dir, "release", "checksums.txt"), []byte(sums))

	served := bin
	if mode == "tampered" {
		served = bytes.Clone(bin)
		served[len(served)/2] ^= 0xff
	}
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v"+releaseVersion+"/"+asset, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(served)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if hits.Load() == 0 {
			t.Errorf("the release server was never asked for %s", asset)
		}
	})
	servedSum := sha256.Sum256(served)
	names = map[string]string{srv.URL: "$RELEASE_URL", hex.EncodeToString(sum[:]): "$SHA256"}
	if mode == "tampered" {
		names[hex.EncodeToString(servedSum[:])] = "$TAMPERED_SHA256"
	}
	return dir, srv.URL, names
}

// replaceInTree replaces old with new in every regular file under dir.
func replaceInTree(t *testing.T, dir, old, new string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(old)) {
			return os.WriteFile(p, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
