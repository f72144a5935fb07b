#!/usr/bin/env bash
# Runs every native Go fuzz target of the module for a bounded time each (the readers of hostile
# input: workflows, actions, Dockerfiles, shell, config, coverage reports, diffs, baselines,
# suppressions, escaping, redaction, fleet reports, the triage queue's Markdown, dotenv files,
# the Markdown renderer). CI runs it after the tests; a crash fails the run and Go writes the
# failing input under the package's testdata/fuzz/<Target>/, to be committed with the fix so that
# it stays a regression test.
#
#   bash scripts/fuzz.sh                 # every target, FUZZTIME each (default 5s)
#   FUZZTIME=1m bash scripts/fuzz.sh ./internal/coverage   # longer, one package
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-5s}"
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
  mapfile -t pkgs < <(grep -rl --include='*_test.go' '^func Fuzz' internal cmd 2>/dev/null | xargs -n1 dirname | sort -u | sed 's|^|./|')
fi
total=0 failed=0
for pkg in "${pkgs[@]}"; do
  mapfile -t targets < <(grep -h '^func Fuzz' "$pkg"/*_test.go | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' | sort -u)
  for t in "${targets[@]}"; do
    total=$((total + 1))
    echo "== fuzz $pkg $t ($fuzztime)"
    # -parallel 2: the machines have two cores; the deadline bounds each target.
    if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" -parallel 2 "$pkg" >/tmp/molecule-ci-fuzz.log 2>&1; then
      failed=$((failed + 1))
      cat /tmp/molecule-ci-fuzz.log
      echo "FAIL: $pkg $t"
    else
      tail -n 1 /tmp/molecule-ci-fuzz.log
    fi
  done
done
echo "fuzz: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
