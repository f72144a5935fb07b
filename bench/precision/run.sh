#!/usr/bin/env bash
# bench/precision/run.sh — precision and recall of every org lint rule over the labelled set
# (testdata/precision/labels.jsonl: real findings on actionlint's real-world workflows, the org's
# corpus and files of modules in go.mod, each judged true or false with a reason).
#
#   bash bench/precision/run.sh [-diff]
#
# Needs go and the module cache (go mod download); the corpus is read from ../shared/corpus or
# $MOLECULE_CI_CORPUS and skipped with a note when absent. Exit status: 0 every rule meets its
# goal (error >= 90% precise, warning >= 80%, the secret rules' error findings >= 95%), 1 a rule
# misses it, 2 setup failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
go mod download github.com/rhysd/actionlint github.com/moby/buildkit github.com/docker/distribution
tmp=$(mktemp -d "${TMPDIR:-/tmp}/molecule-ci-precision.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/precision" ./bench/precision
"$tmp/precision" "$@"
