#!/usr/bin/env bash
# The coverage parser benchmark of issue #4: a synthetic ~100 MB Go coverprofile (200k distinct
# blocks repeated 10 times, as -coverpkg writes them) parsed by molecule-ci and by
# golang.org/x/tools/cover.ParseProfiles, each in its own process, with the same totals. Prints
# MB/s for both, the speed-up and the peak-memory ratio; exits 1 if the totals differ or the
# targets (>= 3x faster, <= half the peak memory) are missed. Extra flags go to the program
# (e.g. -runs 5, -profile FILE).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec go run ./bench/coverage "$@"
