// Package buildtest holds what tests of the build capability share: finding the real BuildKit
// daemon that .ci/setup-buildkit.sh starts, and the static busybox test images are made from.
package buildtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/Molecule-AI/molecule-ci/internal/testenv"
)

// BusyboxPath is the static busybox (Debian busybox-static) copied into FROM scratch test images
// so that RUN works with no registry to pull a base image from.
const BusyboxPath = "/bin/busybox"

// Daemon returns the address of a reachable BuildKit daemon (BUILDKIT_HOST) with the static
// busybox installed, or skips the test saying how to get them.
func Daemon(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("BUILDKIT_HOST")
	if addr == "" {
		testenv.Missing(t, "BUILDKIT_HOST is not set; start a daemon with `source .ci/setup-buildkit.sh` to run the BuildKit integration tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.New(ctx, addr)
	if err == nil {
		_, err = c.ListWorkers(ctx)
		c.Close()
	}
	if err != nil {
		testenv.Missing(t, "BuildKit daemon at %s is unreachable (%v); start one with `source .ci/setup-buildkit.sh`", addr, err)
	}
	if _, err := os.Stat(BusyboxPath); err != nil {
		testenv.Missing(t, "%s missing: apt-get install busybox-static (the test images are FROM scratch with it)", BusyboxPath)
	}
	return addr
}
