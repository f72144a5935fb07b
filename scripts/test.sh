#!/usr/bin/env bash
# The whole test suite, on a fresh machine of the project's kind (Debian, Go, root):
#   bash scripts/test.sh
# It installs what the tests need (idempotent: skipped when already there), starts the services
# the integration tests use (a real buildkitd, unless BUILDKIT_HOST already answers), runs every
# Go test with the race detector, and stops the services again. Where something cannot be
# installed or started (no root, no apt-get), it says so and the tests that need it skip with the
# reason — except in CI (CI=true), where that fails the run: see .ci/lib.sh and internal/testenv.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

apt_install() {
	local missing=()
	for pkg in "$@"; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		lacking "missing Debian packages ${missing[*]} (run as root to install them)"
		return 0
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		lacking "missing packages ${missing[*]} and no apt-get to install them"
		return 0
	fi
	echo "test.sh: apt-get install ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Linters the lint tests run for real.
apt_install shellcheck pyflakes3
# The end-to-end workflows use curl (the action's release download) and jq (reading build
# metadata), as hosted runners have them.
apt_install curl jq

# Headless Chromium for the status page tests (internal/probe).
apt_install chromium

# Coverage producers (pytest-cov, vitest) for the coverage tests.
bash .ci/setup-coverage.sh

# act (nektos/act), the real workflow runner, for the end-to-end tests of the composite action
# and the reusable workflow (internal/e2e). Built once from the Go module proxy and cached.
if MOLECULE_ACT="$(bash .ci/setup-act.sh)"; then
	export MOLECULE_ACT
else
	unset MOLECULE_ACT
	lacking "act could not be built (.ci/setup-act.sh)"
fi

# A real BuildKit daemon for the build tests: the one BUILDKIT_HOST names when it answers,
# else a private one, stopped on exit whatever happens.
buildctl="$(bash .ci/setup-buildkit.sh bindir)/buildctl"
if [ -n "${BUILDKIT_HOST:-}" ] && [ -x "$buildctl" ] && "$buildctl" --addr "$BUILDKIT_HOST" debug workers >/dev/null 2>&1; then
	echo "test.sh: using the BuildKit daemon at $BUILDKIT_HOST"
else
	if [ "$(id -u)" = 0 ] && source .ci/setup-buildkit.sh; then
		trap 'buildkit_stop || true' EXIT
	else
		unset BUILDKIT_HOST
		lacking "no BuildKit daemon: BUILDKIT_HOST does not answer and .ci/setup-buildkit.sh (root) could not start one"
	fi
fi

go test -race -count=1 "$@" ./...
