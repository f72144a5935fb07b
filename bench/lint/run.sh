#!/usr/bin/env bash
# bench/lint/run.sh — benchmark `molecule-ci lint` against actionlint on actionlint's real-world
# corpus (testdata/realworld/dataset.zip of the actionlint version in go.mod: 1,503 workflows).
#
#   bash bench/lint/run.sh [--runs N] [--slow-runs N] [--sample N] [--per-file-every N]
#                          [--actionlint-only] [--no-hyperfine] [--keep]
#
# It builds both CLIs from this module (so actionlint is exactly the go.mod version), extracts the
# corpus into a temporary repository as .github/workflows/*, and measures, in the same run:
#   a. actionlint -shellcheck= -pyflakes=  vs  molecule-ci lint --shellcheck off --pyflakes off
#      (median of --runs; target: ours/actionlint <= 1.25)
#   b. both with shellcheck (and pyflakes when installed) on; molecule-ci with a warm --cache-dir
#      after one untimed warm-up run (actionlint: median of --slow-runs, it runs shellcheck on every
#      script each time and takes minutes; ours: median of --runs; target: actionlint/ours >= 5)
#   d. cold: both with shellcheck on, molecule-ci with --no-cache (every unique script checked,
#      many per shellcheck process), median of --slow-runs each, against the same actionlint
#      figure as b; target: ours/actionlint <= 0.25. CPU seconds (user+sys, tool processes
#      included) are printed too: on a shared machine they compare the work done when wall
#      time mostly measures the neighbours.
#   c. robustness: every molecule-ci run (whole corpus, and one run per file for every
#      --per-file-every'th file) exits 0 or 1 (never 3 = tool failure, nor a crash) and prints no
#      "panic" on stderr.
# Output of the linters goes to /dev/null; timings use hyperfine when installed
# (apt-get install hyperfine), else a timing loop taking the median. A table is printed at the end.
#
# Options:
#   --runs N            timed runs for the fast cases (default 5)
#   --slow-runs N       timed runs of actionlint with shellcheck (default 2)
#   --sample N          use only every N-th workflow of the corpus (default 1 = all)
#   --per-file-every N  for check c, lint every N-th workflow on its own (default 10)
#   --actionlint-only   measure actionlint only (when molecule-ci does not build yet)
#   --no-hyperfine      time with the shell loop even when hyperfine is installed
#   --keep              keep the temporary directory and print its path
#
# Needs: go, unzip, shellcheck (apt-get install shellcheck); optional: pyflakes or pyflakes3,
# hyperfine, jq, git.
# Exit status: 0 all targets met, 1 a target or check missed, 2 bad usage or setup failure.
set -euo pipefail

runs=5 slow_runs=2 sample=1 per_file_every=10 actionlint_only=0 no_hyperfine=0 keep=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?}; shift 2 ;;
    --slow-runs) slow_runs=${2:?}; shift 2 ;;
    --sample) sample=${2:?}; shift 2 ;;
    --per-file-every) per_file_every=${2:?}; shift 2 ;;
    --actionlint-only) actionlint_only=1; shift ;;
    --no-hyperfine) no_hyperfine=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown option \"$1\" (valid: --runs, --slow-runs, --sample, --per-file-every, --actionlint-only, --no-hyperfine, --keep)" >&2; exit 2 ;;
  esac
done
for n in "$runs" "$slow_runs" "$sample" "$per_file_every"; do
  case "$n" in ''|*[!0-9]*|0) echo "run.sh: counts must be positive integers, got \"$n\"" >&2; exit 2 ;; esac
done

die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "== $*" >&2; }

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v go >/dev/null || die "go not found in PATH"
command -v unzip >/dev/null || die "unzip not found (apt-get install unzip)"
shellcheck=$(command -v shellcheck) || die "shellcheck not found (apt-get install shellcheck)"
pyflakes=$(command -v pyflakes || command -v pyflakes3 || true)
hyperfine=$(command -v hyperfine || true)
[ "$no_hyperfine" = 1 ] && hyperfine=""

tmp=$(mktemp -d "${TMPDIR:-/tmp}/molecule-ci-bench.XXXXXX")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { if [ "$keep" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi; }
trap cleanup EXIT

# The benchmarked commands must not act as if they ran inside GitHub Actions.
unset GITHUB_ACTIONS GITHUB_STEP_SUMMARY GITHUB_OUTPUT GITHUB_ENV || true
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"

# 1. Build both CLIs from this module.
log "building actionlint (go.mod version) and molecule-ci"
go build -o "$tmp/actionlint" github.com/rhysd/actionlint/cmd/actionlint || die "building actionlint failed"
al_version=$("$tmp/actionlint" -version | head -n1)
ours="$tmp/molecule-ci"
if [ "$actionlint_only" = 0 ]; then
  go build -o "$ours" ./cmd/molecule-ci ||
    die "building ./cmd/molecule-ci failed; use --actionlint-only to measure actionlint alone"
fi

# 2. The corpus, as the workflows of a repository (.git makes it a project for actionlint).
log "extracting the real-world corpus"
al_dir=$(go list -m -f '{{.Dir}}' github.com/rhysd/actionlint)
repo="$tmp/repo"
wf="$repo/.github/workflows"
mkdir -p "$wf" "$tmp/all"
unzip -q "$al_dir/testdata/realworld/dataset.zip" -d "$tmp/all"
find "$tmp/all" -type f \( -name '*.yml' -o -name '*.yaml' \) | LC_ALL=C sort |
  awk -v n="$sample" '(NR - 1) % n == 0' | while IFS= read -r f; do mv "$f" "$wf/"; done
rm -rf "$tmp/all"
if command -v git >/dev/null; then git init -q "$repo"; else mkdir "$repo/.git"; fi
nfiles=$(find "$wf" -type f | wc -l | tr -d ' ')
[ "$nfiles" -gt 0 ] || die "no workflows extracted"
cd "$repo"

# measure RUNS WARMUP CMD...: sets MEDIAN (seconds) and CODES (exit codes of the timed runs).
measure() {
  local n=$1 warmup=$2 json
  shift 2
  log "timing ($n runs, $warmup warm-up): $*"
  if [ -n "$hyperfine" ]; then
    json=$(mktemp "$tmp/hyperfine.XXXXXX")
    "$hyperfine" -N --style basic --runs "$n" --warmup "$warmup" -i --output=null \
      --export-json "$json" -- "$*" >&2
    if command -v jq >/dev/null; then
      MEDIAN=$(jq -r '.results[0].median' "$json")
      CODES=$(jq -r '.results[0].exit_codes | map(tostring) | join(" ")' "$json")
      CPU=$(jq -r '.results[0].user + .results[0].system' "$json")
    else
      MEDIAN=$(tr -d ' \n' <"$json" | grep -o '"median":[0-9.eE+-]*' | cut -d: -f2)
      CODES=$(tr -d ' \n' <"$json" | grep -o '"exit_codes":\[[^]]*\]' | sed 's/.*\[//; s/\]//; s/,/ /g')
      CPU=$(tr -d ' \n' <"$json" | grep -o '"\(user\|system\)":[0-9.eE+-]*' | head -2 | cut -d: -f2 | awk '{ s += $1 } END { print s }')
    fi
    MEDIAN=$(awk -v m="$MEDIAN" 'BEGIN { printf "%.3f", m }')
    CPU=$(awk -v m="$CPU" 'BEGIN { printf "%.3f", m }')
    return
  fi
  local i rc s e c0 c1 times=() codes=() cpus=()
  for ((i = 0; i < warmup; i++)); do "$@" >/dev/null 2>&1 || true; done
  for ((i = 0; i < n; i++)); do
    children_cpu >"$tmp/cpu0"
    s=$(date +%s%N)
    rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    e=$(date +%s%N)
    children_cpu >"$tmp/cpu1"
    c0=$(cat "$tmp/cpu0") c1=$(cat "$tmp/cpu1")
    times+=("$(((e - s) / 1000))")
    cpus+=("$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')")
    codes+=("$rc")
  done
  CPU=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }')
  MEDIAN=$(printf '%s\n' "${times[@]}" | sort -n |
    awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m / 1e6 }')
  CODES="${codes[*]}"
}

# children_cpu: user+sys seconds of this shell's finished children (bash's `times`, second line).
# `times` must run in this shell, not a $(...) subshell, so it writes to a file first.
children_cpu() {
  times >"$tmp/times"
  sed -n 2p "$tmp/times" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}

# codes_ok CODES: every code is 0 (clean) or 1 (findings).
codes_ok() { local c; for c in $1; do case "$c" in 0|1) ;; *) return 1 ;; esac; done; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
meets() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { exit !((op == "<=") ? v <= t : v >= t) }'; }

fail=0
rows=()
row() { rows+=("$(printf '%-44s %12s %12s  %-22s %-8s %s' "$@")"); }

pyflakes_flag=${pyflakes:-off}

# 3a. Without external tools.
measure "$runs" 1 "$tmp/actionlint" -shellcheck= -pyflakes=
al_a=$MEDIAN al_a_codes=$CODES
if [ "$actionlint_only" = 0 ]; then
  measure "$runs" 1 "$ours" lint --format human --shellcheck off --pyflakes off .
  ours_a=$MEDIAN ours_a_codes=$CODES
  r=$(ratio "$ours_a" "$al_a")
  if meets "$r" "<=" 1.25; then v=ok; else v=MISSED; fail=1; fi
  row "a. shellcheck off (median of $runs)" "${al_a}s" "${ours_a}s" "${r}x ours/actionlint" "<= 1.25" "$v"
else
  row "a. shellcheck off (median of $runs)" "${al_a}s" "-" "-" "<= 1.25" "n/a"
fi

# 3b. With shellcheck (and pyflakes when installed); molecule-ci on a warm cache.
measure "$slow_runs" 0 "$tmp/actionlint" "-shellcheck=$shellcheck" "-pyflakes=${pyflakes}"
al_b=$MEDIAN al_b_cpu=$CPU al_b_codes=$CODES
if [ "$actionlint_only" = 0 ]; then
  cache="$tmp/cache"
  measure "$runs" 1 "$ours" lint --format human --shellcheck "$shellcheck" --pyflakes "$pyflakes_flag" --cache-dir "$cache" .
  ours_b=$MEDIAN ours_b_codes=$CODES
  r=$(ratio "$al_b" "$ours_b")
  if meets "$r" ">=" 5; then v=ok; else v=MISSED; fail=1; fi
  row "b. shellcheck on, ours warm ($slow_runs/$runs runs)" "${al_b}s" "${ours_b}s" "${r}x actionlint/ours" ">= 5" "$v"
else
  row "b. shellcheck on (median of $slow_runs)" "${al_b}s" "-" "-" ">= 5" "n/a"
fi

# 3d. Cold: no cache at all, against the actionlint run of 3b.
if [ "$actionlint_only" = 0 ]; then
  measure "$slow_runs" 0 "$ours" lint --format human --shellcheck "$shellcheck" --pyflakes "$pyflakes_flag" --no-cache .
  ours_d=$MEDIAN ours_d_cpu=$CPU ours_d_codes=$CODES
  r=$(ratio "$ours_d" "$al_b")
  if meets "$r" "<=" 0.25; then v=ok; else v=MISSED; fail=1; fi
  row "d. shellcheck on, ours cold ($slow_runs runs)" "${al_b}s" "${ours_d}s" "${r}x ours/actionlint" "<= 0.25" "$v"
  row "d. same, CPU seconds (user+sys)" "${al_b_cpu}s" "${ours_d_cpu}s" "$(ratio "$ours_d_cpu" "$al_b_cpu")x ours/actionlint" "" "info"
else
  row "d. shellcheck on, cold (median of $slow_runs)" "${al_b}s" "-" "-" "<= 0.25" "n/a"
fi

# 3c. Robustness: exit codes and panics.
codes_ok "$al_a_codes $al_b_codes" || echo "run.sh: note: actionlint exited with $al_a_codes / $al_b_codes" >&2
if [ "$actionlint_only" = 0 ]; then
  panics=0
  for mode in off on; do
    args=(--shellcheck off --pyflakes off)
    [ "$mode" = on ] && args=(--shellcheck "$shellcheck" --pyflakes "$pyflakes_flag" --cache-dir "$cache")
    rc=0
    "$ours" lint --format human "${args[@]}" . >/dev/null 2>"$tmp/stderr.$mode" || rc=$?
    p=$(grep -c 'panic' "$tmp/stderr.$mode" || true)
    panics=$((panics + p))
    if codes_ok "$rc $ours_a_codes $ours_b_codes" && [ "$p" = 0 ]; then v=ok; else v=FAILED; fail=1; fi
    row "c. exit code, whole corpus, shellcheck $mode" "-" "$rc" "panics: $p" "0 or 1" "$v"
    if [ "$rc" -ge 2 ]; then
      echo "run.sh: molecule-ci exited $rc (shellcheck $mode); stderr:" >&2
      head -n 20 "$tmp/stderr.$mode" >&2
    fi
  done

  log "linting every ${per_file_every}th workflow on its own"
  declare -A hist=()
  checked=0 bad=()
  while IFS= read -r f; do
    rc=0
    "$ours" lint --format human --shellcheck "$shellcheck" --pyflakes "$pyflakes_flag" --cache-dir "$cache" "$f" \
      >/dev/null 2>"$tmp/stderr.file" || rc=$?
    hist[$rc]=$((${hist[$rc]:-0} + 1))
    checked=$((checked + 1))
    if grep -q 'panic' "$tmp/stderr.file"; then panics=$((panics + 1)); bad+=("$f (panic)"); fi
    case "$rc" in 0|1) ;; *) bad+=("$f (exit $rc)") ;; esac
  done < <(find .github/workflows -type f | LC_ALL=C sort | awk -v n="$per_file_every" '(NR - 1) % n == 0')
  dist=""
  for k in $(printf '%s\n' "${!hist[@]}" | sort -n); do dist+="$k:${hist[$k]} "; done
  if [ "${#bad[@]}" = 0 ]; then v=ok; else v=FAILED; fail=1; fi
  row "c. exit codes, $checked files one by one" "-" "${dist% }" "exit 3/crash: ${#bad[@]}" "0 or 1" "$v"
  for b in "${bad[@]}"; do echo "run.sh: $b" >&2; done
  row "c. panics on stderr (all molecule-ci runs)" "-" "$panics" "" "0" "$([ "$panics" = 0 ] && echo ok || echo FAILED)"
fi

echo
echo "molecule-ci lint vs $al_version: $nfiles workflows of actionlint's real-world corpus, $(getconf _NPROCESSORS_ONLN) CPUs"
echo "shellcheck: $("$shellcheck" --version | sed -n 's/^version: //p'), pyflakes: ${pyflakes:-not installed}, timing: $([ -n "$hyperfine" ] && echo hyperfine || echo "shell loop")"
echo
printf '%-44s %12s %12s  %-22s %-8s %s\n' "case" "actionlint" "molecule-ci" "result" "target" "verdict"
printf '%s\n' "${rows[@]}"
echo
echo "actionlint exit codes: shellcheck off [$al_a_codes], on [$al_b_codes]${ours_a_codes:+; molecule-ci: off [$ours_a_codes], on warm [$ours_b_codes], cold [$ours_d_codes]}"
exit "$fail"
