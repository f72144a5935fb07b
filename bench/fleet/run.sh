#!/usr/bin/env bash
# The fleet benchmarks of issue #19, printing figures (nothing is asserted on time):
#
#   1. bench/fleet/main.go: `molecule-ci fleet --dir` over the organisation's repositories of
#      ../shared/corpus (18 of them) vs a loop of `molecule-ci lint` in each, the built binary,
#      same machine, same run, cold and warm (goal: fleet <= 0.5x the loop's wall time).
#   2. BenchmarkFleetOrgRequests (internal/cli): `fleet --org` against the fake GitHub API serving
#      1,000 generated repositories: API requests per repository cold (goal <= 2) and counted warm
#      (goal 0: 304s), and the peak resident memory of the built binary (goal < 500 MB).
#   3. BenchmarkFleetSimulation (internal/cli): 10,000 generated repositories, one token with
#      GitHub's 5,000 requests an hour on a simulated clock, the run split into shards: the
#      rate-limit arithmetic of docs/fleet.md, checked against the fake.
#
#   4. BenchmarkFleetImpact (internal/cli, issue #20): `fleet impact` over 40 repositories (the
#      corpus, generated callers, copies) with a candidate changing two workflows, next to the same
#      fleet's `fleet` run, both cold (goal: impact under 10 s on 2 cores).
#
#   bash bench/fleet/run.sh [-runs N]     (flags go to bench/fleet/main.go)
#
# Needs: go, shellcheck (for the cold cases to mean something), ../shared/corpus.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
echo "== 1. fleet vs a loop of lint over the corpus"
go run ./bench/fleet "$@"
echo
echo "== 2-4. fleet --org against the fake GitHub API; fleet impact next to fleet"
go test -run '^$' -bench 'BenchmarkFleet(OrgRequests|Simulation|Impact)' -benchtime 1x -timeout 60m ./internal/cli/
