#!/usr/bin/env bash
# Installs the real coverage producers the coverage tests run: pytest-cov (Debian) for the Python
# fixture and vitest + @vitest/coverage-v8 (npm, pinned by the committed package-lock.json) for the
# TypeScript fixture. Idempotent: each step is skipped when its result is already there. A step that
# cannot run (no apt-get, no npm) prints why and leaves the tests that need it to skip — or, in CI
# (CI=true), fails (.ci/lib.sh).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/.ci/lib.sh"

if /usr/bin/python3 -c 'import pytest_cov' 2>/dev/null; then
  echo "setup-coverage: python3-pytest-cov already installed"
elif command -v apt-get >/dev/null 2>&1; then
  echo "setup-coverage: installing python3-pytest-cov"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || echo "setup-coverage: apt-get update failed"
  apt-get install -y -qq --no-install-recommends python3-pytest-cov >/dev/null ||
    lacking "could not install python3-pytest-cov"
else
  lacking "no apt-get to install python3-pytest-cov"
fi

vitest_dir="$root/testdata/coverage/vitest"
if [ -x "$vitest_dir/node_modules/.bin/vitest" ] &&
  [ "$vitest_dir/node_modules/.package-lock.json" -nt "$vitest_dir/package-lock.json" ]; then
  echo "setup-coverage: vitest fixture node_modules up to date"
elif command -v npm >/dev/null 2>&1; then
  echo "setup-coverage: npm ci in testdata/coverage/vitest"
  (cd "$vitest_dir" && npm ci --no-audit --no-fund --loglevel=error) ||
    lacking "npm ci failed in testdata/coverage/vitest"
else
  lacking "no npm to install vitest in testdata/coverage/vitest"
fi
