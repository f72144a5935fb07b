// Package testenv owns what a test does when the machine lacks something it needs — a tool
// (shellcheck, git, Chromium, act), a service (a BuildKit daemon) or a file a tool provides: on a
// developer's machine the test skips, saying what is missing and how to get it; in CI it fails,
// because a CI machine missing a tool would otherwise pass with less tested and nobody would
// notice. Only tests import it.
//
// What is absent by design is not "missing": the organisation's corpus (../shared/corpus, absent
// from a user's fresh clone), -short, another operating system. Those tests call t.Skip.
package testenv

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// InCI reports whether the tests run in CI: CI set to a true value, as GitHub Actions, Gitea
// Actions, GitLab and most CI systems set it, and as .ci/run does.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Missing stops a test that cannot run because something it needs is missing; the message says
// what and how to get it. It skips the test, or fails it when InCI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s\n(CI=true: a missing tool fails the run instead of skipping the test; scripts/test.sh installs what the tests need)", msg)
	}
	t.Skip(msg)
}
