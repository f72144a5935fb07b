#!/usr/bin/env bash
# action-install.sh is action.yml's first step: it decides how this run of the action gets its
# molecule-ci binary, and prints step outputs (mode, bin, version) to $GITHUB_OUTPUT.
#
# Release commit (the action's tree holds release/checksums.txt, which only release commits do):
# download that release's binary for the runner's OS/arch from $MOLECULE_CI_RELEASE_URL, verify
# its SHA-256 against the COMMITTED checksums file (the git tree the caller pinned is the trust
# anchor; nothing fetched beside the asset is trusted), keep it in the runner's tool cache and
# print its path. No Go toolchain, nothing put on PATH.
# Any other commit (a branch, a SHA, a local checkout): mode=source, and action.yml builds it.
#
# Environment: ACTION_PATH (github.action_path), MOLECULE_CI_RELEASE_URL (base URL; the asset is
# $MOLECULE_CI_RELEASE_URL/v<version>/molecule-ci_<version>_<os>_<arch>), RUNNER_OS, RUNNER_ARCH,
# RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_OUTPUT.
set -euo pipefail

sums="$ACTION_PATH/release/checksums.txt"
out="${GITHUB_OUTPUT:-/dev/stdout}"

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

source_mode() {
	local rev=""
	# The action's own commit when it is a git checkout (a reusable workflow's checkout at
	# job.workflow_sha); else the ref the caller named; else a local path (uses: ./).
	if [ -e "$ACTION_PATH/.git" ] && rev="$(git -C "$ACTION_PATH" rev-parse --short=12 HEAD 2>/dev/null)"; then :; else rev="${GITHUB_ACTION_REF:-local}"; fi
	echo "molecule-ci: $1: building from source (${rev})" >&2
	{
		echo "mode=source"
		echo "version=source-${rev}"
	} >>"$out"
	exit 0
}

[ -f "$sums" ] || source_mode "not a release commit (no release/checksums.txt)"

case "${RUNNER_OS:-}" in
Linux) os=linux ;;
macOS) os=darwin ;;
*) source_mode "no released binary for RUNNER_OS=${RUNNER_OS:-unset}" ;;
esac
case "${RUNNER_ARCH:-}" in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) source_mode "no released binary for RUNNER_ARCH=${RUNNER_ARCH:-unset}" ;;
esac

# The committed file is sha256sum's format: "<64 hex>  molecule-ci_<version>_<os>_<arch>".
line="$(grep -E "^[0-9a-f]{64}  molecule-ci_[0-9A-Za-z.+-]+_${os}_${arch}\$" "$sums" || true)"
[ -n "$line" ] || source_mode "release/checksums.txt lists no binary for ${os}/${arch}"
if [ "$(printf '%s\n' "$line" | wc -l)" -ne 1 ]; then
	echo "::error title=molecule-ci::release/checksums.txt lists more than one binary for ${os}/${arch}" >&2
	exit 1
fi
want="${line%% *}"
asset="${line##* }"
version="${asset#molecule-ci_}"
version="${version%_"${os}"_"${arch}"}"

dir="${RUNNER_TOOL_CACHE:?}/molecule-ci/${version}/${arch}"
bin="$dir/molecule-ci"
if [ -f "$dir.complete" ] && [ -x "$bin" ] && [ "$(sha256 "$bin")" = "$want" ]; then
	echo "molecule-ci: v${version} for ${os}/${arch} from the tool cache" >&2
else
	url="${MOLECULE_CI_RELEASE_URL%/}/v${version}/${asset}"
	tmp="$(mktemp "${RUNNER_TEMP:-/tmp}/molecule-ci.XXXXXX")"
	trap 'rm -f "$tmp"' EXIT
	echo "molecule-ci: downloading $url" >&2
	curl --fail --silent --show-error --location --retry 3 --retry-delay 1 --connect-timeout 10 --max-time 120 \
		--max-filesize 209715200 --output "$tmp" "$url"
	got="$(sha256 "$tmp")"
	if [ "$got" != "$want" ]; then
		echo "::error title=molecule-ci::checksum mismatch for ${asset} downloaded from ${url}: its SHA-256 is ${got}, but release/checksums.txt committed at this action's commit says ${want}. Refusing to run it." >&2
		exit 1
	fi
	mkdir -p "$dir"
	chmod 0755 "$tmp"
	mv -f "$tmp" "$bin.tmp.$$"
	mv -f "$bin.tmp.$$" "$bin"
	: >"$dir.complete"
	echo "molecule-ci: v${version} for ${os}/${arch}: SHA-256 ${got} verified against release/checksums.txt" >&2
fi
{
	echo "mode=release"
	echo "bin=$bin"
	echo "version=v${version}"
} >>"$out"
