#!/usr/bin/env bash
# The probe benchmark of issue #11: `molecule-ci probe` (the built binary, with --state, --site
# and its JSON output) over 500 loopback endpoints answering in 200 ms plus 20 that hang, at the
# default concurrency and timeout, side by side with a sequential curl loop over the same
# endpoints. Prints both wall times, the ideal, the ratio and the peak memory; exits 1 when a goal
# (within 1.3x of the ideal, under 100 MB) is missed. Extra flags go to the program (-curl=false
# skips the ~5-minute curl loop; -timeout 2s shortens both).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec go run ./bench/probe "$@"
