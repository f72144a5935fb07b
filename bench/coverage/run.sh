#!/usr/bin/env bash
# The coverage benchmark of issues #4 and #7: a synthetic ~100 MB Go coverprofile (200k distinct
# blocks repeated 10 times, as -coverpkg writes them) read by the whole `molecule-ci coverage
# --format json` command, by molecule-ci's parser alone and by golang.org/x/tools/cover.ParseProfiles,
# each in its own process, with the same totals. Prints wall time, MB/s, CPU time and peak memory
# for each, the speed-ups and the peak-memory ratio; exits 1 if the totals differ or the targets
# (>= 3x faster, <= half the peak memory) are missed. Extra flags go to the program (e.g. -runs 5,
# -profile FILE).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec go run ./bench/coverage "$@"
