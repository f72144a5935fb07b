#!/usr/bin/env bash
# bench/contracts/run.sh — time `molecule-ci lint --contract-only` and `--secrets-only` against the
# Python scripts they replace, on the organisation's corpus (../shared/corpus or $MOLECULE_CI_CORPUS):
#
#   template-openclaw:          validate-workspace-template.py --static-only   vs  lint --contract-only
#   org-template-molecule-dev:  validate-org-template.py                       vs  lint --contract-only
#   org-template-molecule-dev:  check-secrets.py (.yaml .yml .md .py .sh only)  vs  lint --secrets-only (every text file)
#
#   bash bench/contracts/run.sh [--runs N]
#
# Whole commands with their output (to /dev/null), as a user runs them; hyperfine when installed,
# else a median of N runs. Needs go and /usr/bin/python3 with PyYAML.
set -euo pipefail
runs=10
[ "${1:-}" = "--runs" ] && runs=${2:?}
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${MOLECULE_CI_CORPUS:-}
for c in "$root/../shared/corpus" "$root/../../shared/corpus"; do
  [ -z "$corpus" ] && [ -d "$c/molecule-ci-main" ] && corpus=$(cd "$c" && pwd)
done
[ -n "$corpus" ] || { echo "corpus not found (set MOLECULE_CI_CORPUS)" >&2; exit 2; }
bin=$(mktemp -d)/molecule-ci
trap 'rm -rf "$(dirname "$bin")"' EXIT
(cd "$root" && go build -o "$bin" ./cmd/molecule-ci)
scripts=$corpus/molecule-ci-main

bench() { # name dir cmd...
  local name=$1 dir=$2; shift 2
  if command -v hyperfine >/dev/null; then
    (cd "$dir" && hyperfine -N --warmup 2 --runs "$runs" --style none --export-json /dev/stdout "$*" 2>/dev/null) |
      python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print("%-58s median %7.1f ms  (min %.1f)" % (sys.argv[1], r["median"]*1000, r["min"]*1000))' "$name"
  else
    local ts=()
    for _ in $(seq "$runs"); do
      s=$(date +%s%N); (cd "$dir" && { "$@" >/dev/null 2>&1 || true; }); e=$(date +%s%N); ts+=($(( (e-s)/1000000 )))
    done
    printf '%-58s median %7s ms\n' "$name" "$(printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (runs+1)/2 ))p")"
  fi
}
bench "openclaw: validate-workspace-template.py --static-only" "$corpus/template-openclaw" /usr/bin/python3 "$scripts/scripts/validate-workspace-template.py" --static-only
bench "openclaw: molecule-ci lint --contract-only" "$corpus/template-openclaw" "$bin" lint --contract-only --format json
bench "org template: validate-org-template.py" "$corpus/org-template-molecule-dev" /usr/bin/python3 "$scripts/.molecule-ci/scripts/validate-org-template.py"
bench "org template: molecule-ci lint --contract-only" "$corpus/org-template-molecule-dev" "$bin" lint --contract-only --format json
bench "org template: check-secrets.py" "$corpus/org-template-molecule-dev" env GITHUB_WORKSPACE=. /usr/bin/python3 "$scripts/scripts/check-secrets.py"
bench "org template: molecule-ci lint --secrets-only" "$corpus/org-template-molecule-dev" "$bin" lint --secrets-only --format json
