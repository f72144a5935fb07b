#!/usr/bin/env bash
# bench/action/run.sh: the composite action's own overhead on a cold runner, release path vs
# build from source, measured in the same run with hyperfine and printed side by side.
#
#   release path:  action.yml's install step (scripts/action-install.sh) with an EMPTY tool cache:
#                  download the release binary from a loopback release server, check its SHA-256
#                  against release/checksums.txt, install it in the tool cache, then `version`.
#   source path:   what the action does on any other ref (and what it did on every ref before):
#                  `go build` of ./cmd/molecule-ci with an EMPTY Go build cache, then `version`.
#
# Not included, on purpose and said in the output: the network (the release server is on
# loopback: add the asset's size over the runner's download speed), actions/setup-go on the source
# path (seconds to a minute on a hosted runner), and module downloads (the source path uses this
# machine's module cache; with an empty one the issue measured 2 min 27 s).
#
#   bench/action/run.sh [-runs N]     (default 3; hyperfine and python3 must be installed)
set -euo pipefail
runs=3
if [ "${1:-}" = "-runs" ]; then runs="${2:?-runs N}"; fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v hyperfine >/dev/null || { echo "bench/action: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench/action: python3 is needed for the loopback release server" >&2; exit 2; }
work="$(mktemp -d)"
server=""
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

version=9.9.9
case "$(uname -s)/$(uname -m)" in
Linux/x86_64) os=linux arch=amd64 runner_os=Linux runner_arch=X64 ;;
Linux/aarch64) os=linux arch=arm64 runner_os=Linux runner_arch=ARM64 ;;
Darwin/arm64) os=darwin arch=arm64 runner_os=macOS runner_arch=ARM64 ;;
*) echo "bench/action: no release binary for $(uname -s)/$(uname -m)" >&2; exit 2 ;;
esac
asset="molecule-ci_${version}_${os}_${arch}"

# The release: built the way .goreleaser.yaml builds it, served by a loopback HTTP server.
mkdir -p "$work/releases/v$version" "$work/action/scripts" "$work/action/release"
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X github.com/Molecule-AI/molecule-ci/internal/cli.version=v$version" \
	-o "$work/releases/v$version/$asset" ./cmd/molecule-ci)
cp "$repo/action.yml" "$work/action/"
cp "$repo/scripts/action-install.sh" "$work/action/scripts/"
(cd "$work/releases/v$version" && sha256sum "$asset") >"$work/action/release/checksums.txt"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/releases" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done

size="$(wc -c <"$work/releases/v$version/$asset")"
echo "bench/action: $(go version | cut -d' ' -f3), $(nproc) CPUs, release asset $asset: $((size / 1024 / 1024)) MiB, runs: $runs"
echo

export ACTION_PATH="$work/action" MOLECULE_CI_RELEASE_URL="http://127.0.0.1:$port" \
	RUNNER_OS="$runner_os" RUNNER_ARCH="$runner_arch" RUNNER_TOOL_CACHE="$work/toolcache" \
	RUNNER_TEMP="$work/tmp" GITHUB_OUTPUT="$work/output" GOCACHE="$work/gocache" \
	GOFLAGS="-mod=mod -buildvcs=false" GOPROXY=off REPO="$repo" WORK="$work"
mkdir -p "$work/tmp"
# shellcheck disable=SC2016 # the commands are expanded by the shell hyperfine starts, from the exports
hyperfine --runs "$runs" --style basic \
	--prepare 'rm -rf "$RUNNER_TOOL_CACHE" "$GOCACHE" "$WORK/src" && : > "$GITHUB_OUTPUT"' \
	--command-name "release path (download + verify + tool cache + version)" \
	'bash "$ACTION_PATH/scripts/action-install.sh" 2>/dev/null && "$(sed -n "s/^bin=//p" "$GITHUB_OUTPUT")" version' \
	--command-name "build from source (empty build cache, modules cached, no setup-go)" \
	'cd "$REPO" && CGO_ENABLED=0 go build -trimpath -o "$WORK/src/molecule-ci" ./cmd/molecule-ci && "$WORK/src/molecule-ci" version'
echo
echo "Target: the release path <= 10 s on a cold hosted runner. Add the asset's download from"
echo "GitHub's release CDN (here loopback) to the first figure; add actions/setup-go and any module"
echo "downloads to the second."
