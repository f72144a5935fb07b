#!/usr/bin/env bash
# go-toolchain.sh — print the Go toolchain the release is built with: go.mod's `toolchain` line
# (e.g. go1.26.8), the one place it is pinned. scripts/release-checksums.sh and the workflows that
# build or test release binaries export it as GOTOOLCHAIN, so a maintainer's Go and the runner's
# setup-go build with exactly that Go (Go 1.26.0 and 1.26.8 give different binaries, and the
# release would be refused). GOTOOLCHAIN=goX.Y.Z runs the local go when it is that version, else
# downloads that toolchain through the module proxy.
set -euo pipefail
gomod="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/go.mod"
toolchain="$(sed -n 's/^toolchain \(go[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\)[[:space:]]*$/\1/p' "$gomod")"
if [ -z "$toolchain" ] || [ "$(printf '%s\n' "$toolchain" | wc -l)" -ne 1 ]; then
	echo "go-toolchain: $gomod has no single 'toolchain goX.Y.Z' line; the release builds only with a pinned Go (go mod edit -toolchain=goX.Y.Z)" >&2
	exit 2
fi
echo "$toolchain"
