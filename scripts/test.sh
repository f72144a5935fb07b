#!/usr/bin/env bash
# The whole test suite, on a fresh machine of the project's kind (Debian, Go, root):
#   bash scripts/test.sh
# It installs what the tests need (idempotent: skipped when already there), starts the services
# the integration tests use (a real buildkitd), runs every Go test with the race detector, and
# stops the services again. Tests that need something this machine cannot provide skip with a
# printed reason.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "test.sh: missing Debian packages ${missing[*]} (run as root to install them)" >&2
      return 0
    fi
    echo "test.sh: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Linters the lint tests run for real.
apt_install shellcheck pyflakes3
# The end-to-end workflows use curl (the action's release download) and jq (reading build
# metadata), as hosted runners have them.
apt_install curl jq

# Headless Chromium for the status page tests (internal/probe).
apt_install chromium

# Coverage producers (pytest-cov, vitest) for the coverage tests.
if [ -f .ci/setup-coverage.sh ]; then
  bash .ci/setup-coverage.sh
fi

# act (nektos/act), the real workflow runner, for the end-to-end tests of the composite action
# and the reusable workflow (internal/e2e). Built once from the Go module proxy and cached.
MOLECULE_ACT="$(bash .ci/setup-act.sh)"
export MOLECULE_ACT

# A real BuildKit daemon for the build tests; stopped on exit whatever happens.
if [ -f .ci/setup-buildkit.sh ]; then
  # shellcheck source=/dev/null
  source .ci/setup-buildkit.sh
  trap 'buildkit_stop || true' EXIT
fi

go test -race -count=1 "$@" ./...
