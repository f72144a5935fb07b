#!/usr/bin/env bash
# release-checksums.sh vX.Y.Z — prepare a release commit: build the release binaries exactly as
# release.yml will (goreleaser, reproducible flags), and write their SHA-256 to
# release/checksums.txt. Then:
#
#   git switch --detach && git add release/checksums.txt && git commit -m "release vX.Y.Z"
#   git tag -s vX.Y.Z -m vX.Y.Z && git push origin vX.Y.Z
#
# The release commit is the only place release/checksums.txt exists (never merge it into main: a
# tree with that file makes the action download the release instead of building its own source).
# release.yml rebuilds the binaries from the tag and refuses to publish unless their checksums
# equal the committed ones — the git tree the callers pin is the trust anchor.
set -euo pipefail
tag="${1:?usage: release-checksums.sh vX.Y.Z}"
[[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "release-checksums: $tag is not vX.Y.Z" >&2; exit 2; }
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# Exactly go.mod's toolchain, whatever Go the maintainer has (release.yml sets the same): a
# different Go gives different binaries, and release.yml would refuse the release.
GOTOOLCHAIN="$(bash scripts/go-toolchain.sh)"
export GOTOOLCHAIN
echo "release-checksums: building with $(go version)" >&2
bin="${GORELEASER:-}"
if [ -z "$bin" ]; then
	bin="$(mktemp -d)/goreleaser"
	(cd tools/goreleaser && go build -o "$bin" github.com/goreleaser/goreleaser/v2)
fi
"$bin" check
# GORELEASER_CURRENT_TAG stamps the version without the tag existing yet.
GORELEASER_CURRENT_TAG="$tag" "$bin" release --clean --skip=publish,validate,announce,sign
mkdir -p release
cp dist/checksums.txt release/checksums.txt
echo "release-checksums: wrote release/checksums.txt for $tag:" >&2
cat release/checksums.txt >&2
