package cli

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at link time: -ldflags "-X github.com/Molecule-AI/molecule-ci/internal/cli.version=v1.2.3".
var version = ""

// Version is the release version, or what the Go toolchain recorded when built without ldflags
// (a module version for `go install`, a VCS revision for a checkout build).
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	if rev, modified := buildVCS(info); rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified {
			return "devel-" + rev + "-dirty"
		}
		return "devel-" + rev
	}
	return "devel"
}

// buildVCS is the commit the binary was built from and whether the tree had changes, as the Go
// toolchain recorded them ("" when it did not: -buildvcs=false, or no checkout).
func buildVCS(info *debug.BuildInfo) (rev string, modified bool) {
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return rev, modified
}

func runVersion(_ context.Context, args []string, s Streams, _ Env) error {
	fs := newFlagSet("version", "", "Print the version of molecule-ci.", s.Stderr)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprintf(s.Stdout, "molecule-ci %s\n", Version())
	return err
}
