package build

import (
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/solver/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ConfigError is a build set that cannot be built as described: a dependency cycle, a FROM that
// names an image of the set that does not exist, a bad spec. The CLI exits 2 on it.
type ConfigError struct {
	// Files are the files involved, slash-separated and relative to the build directory.
	Files []string
	// Key is the config key the problem is in ("build.images[2].context"), when it comes from the
	// build: section, so the CLI can point at its line and column.
	Key string
	Msg string
}

func (e *ConfigError) Error() string {
	if len(e.Files) == 0 {
		return e.Msg
	}
	return strings.Join(e.Files, ", ") + ": " + e.Msg
}

// DaemonUnreachableError means no BuildKit daemon answered at Addr. The CLI exits 3 on it.
type DaemonUnreachableError struct {
	Addr string
	Err  error
	// InActions makes the hint the one that works in a GitHub Actions job (a buildx builder)
	// rather than on a workstation (buildkitd).
	InActions bool
}

func (e *DaemonUnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the BuildKit daemon at %s: %v\n%s", e.Addr, e.Err, e.Hint())
}

// Hint says how to get a daemon where the build runs.
func (e *DaemonUnreachableError) Hint() string {
	if e.InActions {
		return "in GitHub Actions, start a builder with `uses: docker/setup-buildx-action@v3` (id: buildx) and pass it with " +
			"`--addr docker-container://buildx_buildkit_${{ steps.buildx.outputs.name }}0`, " +
			"or point --addr or BUILDKIT_HOST at a BuildKit fleet (tcp:// with --tlscacert/--tlscert/--tlskey, kube-pod://)"
	}
	listen := DefaultAddr
	if strings.HasPrefix(e.Addr, "unix://") {
		listen = e.Addr
	}
	return fmt.Sprintf("start one as root: `buildkitd --addr %s` (from https://github.com/moby/buildkit/releases), "+
		"or with Docker: `docker buildx create --name molecule --driver docker-container --bootstrap` and --addr docker-container://buildx_buildkit_molecule0; "+
		"or point --addr or BUILDKIT_HOST at a running daemon (tcp://host:1234 with --tlscacert/--tlscert/--tlskey for a remote pool)", listen)
}

func (e *DaemonUnreachableError) Unwrap() error { return e.Err }

// ImageError is one image that failed to build: where in its Dockerfile, and BuildKit's error
// text verbatim.
type ImageError struct {
	Image      string
	Dockerfile string
	// Line is the Dockerfile line BuildKit blamed; 0 when it named none.
	Line int
	// Output is the tail of the failing step's output (what a RUN printed before it failed).
	Output string
	Err    error
	// Hint, when set, says what probably went wrong, e.g. a FROM that names the base wrongly.
	Hint string
}

func (e *ImageError) Error() string {
	loc := e.Dockerfile
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Dockerfile, e.Line)
	}
	return fmt.Sprintf("build image %q (%s): %v%s", e.Image, loc, e.Err, e.hint())
}

func (e *ImageError) hint() string {
	if e.Hint == "" {
		return ""
	}
	return "\n" + e.Hint
}

func (e *ImageError) Unwrap() error { return e.Err }

// SmokeError is a smoke check that failed inside a built image; the image is not exported.
type SmokeError struct {
	Image   string
	Command string
	// Output is what the command printed.
	Output string
	Err    error
}

func (e *SmokeError) Error() string {
	return fmt.Sprintf("smoke check of image %q failed: %s: %v", e.Image, e.Command, e.Err)
}

func (e *SmokeError) Unwrap() error { return e.Err }

// errSmoke marks the smoke solve inside the build function, so the caller can tell a failed
// smoke command from a failed Dockerfile step.
type smokeFailure struct {
	cmd  string
	step string // the smoke step's progress name, for its output
	err  error
}

func (s *smokeFailure) Error() string { return s.err.Error() }
func (s *smokeFailure) Unwrap() error { return s.err }

// sourceLine returns the Dockerfile line BuildKit attached to err, if any.
func sourceLine(err error) int {
	for _, src := range errdefs.Sources(err) {
		for _, r := range src.Ranges {
			if r.GetStart() != nil && r.GetStart().GetLine() > 0 {
				return int(r.GetStart().GetLine())
			}
		}
	}
	return 0
}

// isUnavailable tells a daemon that cannot be reached from one that answered with an error.
func isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if s, ok := status.FromError(errors.Unwrap(err)); ok && s.Code() == codes.Unavailable {
		return true
	}
	if s, ok := status.FromError(err); ok && s.Code() == codes.Unavailable {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such file or directory") && strings.Contains(msg, "dial")
}
