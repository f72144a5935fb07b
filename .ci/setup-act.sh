#!/usr/bin/env bash
# setup-act.sh builds nektos/act (the GitHub Actions runner the end-to-end tests in internal/e2e
# use) at the version tools/act pins, unless that version is already built, and prints the path of
# the binary on stdout. Idempotent and cheap when cached.
#
#   MOLECULE_ACT="$(bash .ci/setup-act.sh)" && export MOLECULE_ACT
#
# Knobs (environment):
#   MOLECULE_ACT_CACHE  where act is kept, per version
#                       (default ${XDG_CACHE_HOME:-$HOME/.cache}/molecule-ci/act)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(awk '$1 == "require" && $2 == "github.com/nektos/act" { print $3 }' "$repo/tools/act/go.mod")"
if [ -z "$version" ]; then
	echo "setup-act: no github.com/nektos/act requirement in tools/act/go.mod" >&2
	exit 1
fi
bin="${MOLECULE_ACT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/molecule-ci/act}/$version"

if [ ! -x "$bin/act" ]; then
	echo "setup-act: building act $version into $bin" >&2
	mkdir -p "$bin"
	# Build to a temporary name and rename, so an interrupted build never leaves a broken binary
	# that the check above would take for a finished one.
	(cd "$repo/tools/act" && CGO_ENABLED=0 go build -trimpath -o "$bin/act.tmp.$$" github.com/nektos/act)
	mv -f "$bin/act.tmp.$$" "$bin/act"
fi
echo "$bin/act"
