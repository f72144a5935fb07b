#!/usr/bin/env bash
# bench/build/run.sh: one command, self-contained. Starts its own buildkitd (built once from
# tools/buildkit and cached; see .ci/setup-buildkit.sh) on a private socket and root dir, runs the
# benchmark in bench/build (molecule-ci's build library vs a sequential `buildctl build` loop and
# vs the critical path, the base plus the slowest adapter alone, over a base + 8 adapters with
# ~2 s RUN steps), prints the figures and where the time went, and stops the daemon.
#
#   bench/build/run.sh [-runs 3] [-sleep 2] [-parallel 9] [-keep]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export MOLECULE_BUILDKIT_RUN="${MOLECULE_BUILDKIT_RUN:-/tmp/molecule-ci-bench-buildkit}"
# shellcheck disable=SC1091  # sourced from the repository root
source "$repo/.ci/setup-buildkit.sh"
trap buildkit_stop EXIT
cd "$repo"
go run ./bench/build -addr "$BUILDKIT_HOST" -buildctl "$(_bk_bindir)/buildctl" "$@"
