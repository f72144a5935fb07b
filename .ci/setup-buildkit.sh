#!/usr/bin/env bash
# setup-buildkit.sh starts a private BuildKit daemon for the build integration tests and the
# benchmark, and stops it again.
#
#   source .ci/setup-buildkit.sh          # installs, builds, starts; exports BUILDKIT_HOST
#   buildkit_stop                         # stops the daemon started above
#   .ci/setup-buildkit.sh start|stop|env  # the same as a command; `start` and `env` print
#                                         # `export BUILDKIT_HOST=...` for eval
#
# Knobs (environment):
#   MOLECULE_BUILDKIT_RUN    private state dir: socket, root, pid, log  (default /tmp/molecule-ci-buildkit)
#   MOLECULE_BUILDKIT_CACHE  where buildkitd/buildctl binaries are kept, per version
#                            (default ${XDG_CACHE_HOME:-$HOME/.cache}/molecule-ci/buildkit)
#   MOLECULE_BUILDKIT_SNAPSHOTTER  force overlayfs or native (default: overlayfs when it mounts)
#
# The binaries are built from tools/buildkit (which pins the version) once per version and reused:
# compiling buildkitd takes minutes.

_bk_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_bk_run="${MOLECULE_BUILDKIT_RUN:-/tmp/molecule-ci-buildkit}"

_bk_version() {
	awk '$1 == "require" && $2 == "github.com/moby/buildkit" { print $3 }' "$_bk_repo/tools/buildkit/go.mod"
}

_bk_bindir() {
	echo "${MOLECULE_BUILDKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/molecule-ci/buildkit}/$(_bk_version)"
}

# buildkit_install puts runc and a static busybox on the machine (Debian) and builds buildkitd and
# buildctl unless this version is already built.
buildkit_install() {
	local missing=()
	command -v runc >/dev/null 2>&1 || missing+=(runc)
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "setup-buildkit: apt-get install ${missing[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
			{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } ||
			return 1
	fi
	local bin; bin="$(_bk_bindir)"
	if [ -x "$bin/buildkitd" ] && [ -x "$bin/buildctl" ]; then
		return 0
	fi
	echo "setup-buildkit: building buildkitd and buildctl $(_bk_version) into $bin (takes a few minutes)" >&2
	mkdir -p "$bin" &&
		(cd "$_bk_repo/tools/buildkit" && CGO_ENABLED=0 go build -trimpath -o "$bin/" \
			github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl)
}

_bk_snapshotter() {
	if [ -n "${MOLECULE_BUILDKIT_SNAPSHOTTER:-}" ]; then
		echo "$MOLECULE_BUILDKIT_SNAPSHOTTER"
		return
	fi
	# The overlayfs snapshotter needs overlay mounts on the filesystem under the root dir; try one.
	local t; t="$(mktemp -d "$_bk_run/ovl.XXXXXX")"
	mkdir -p "$t/l" "$t/u" "$t/w" "$t/m"
	if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
		umount "$t/m"
		echo overlayfs
	else
		echo native
	fi
	rm -rf "$t"
}

# buildkit_start starts buildkitd as root on $MOLECULE_BUILDKIT_RUN/buildkitd.sock, waits until it
# answers, and exports BUILDKIT_HOST.
buildkit_start() {
	buildkit_install || { echo "setup-buildkit: install failed" >&2; return 1; }
	local bin; bin="$(_bk_bindir)"
	mkdir -p "$_bk_run"
	local addr="unix://$_bk_run/buildkitd.sock"
	if [ -f "$_bk_run/buildkitd.pid" ] && kill -0 "$(cat "$_bk_run/buildkitd.pid")" 2>/dev/null; then
		export BUILDKIT_HOST="$addr"
		return 0
	fi
	local snap; snap="$(_bk_snapshotter)"
	"$bin/buildkitd" \
		--addr "$addr" \
		--root "$_bk_run/root" \
		--oci-worker=true --containerd-worker=false \
		--oci-worker-snapshotter="$snap" \
		--oci-worker-binary="$(command -v runc)" \
		--oci-worker-gc=false \
		>"$_bk_run/buildkitd.log" 2>&1 &
	echo $! >"$_bk_run/buildkitd.pid"
	for _ in $(seq 1 120); do
		if "$bin/buildctl" --addr "$addr" debug workers >/dev/null 2>&1; then
			export BUILDKIT_HOST="$addr"
			echo "setup-buildkit: buildkitd $(_bk_version) ready at $addr (snapshotter $snap)" >&2
			return 0
		fi
		if ! kill -0 "$(cat "$_bk_run/buildkitd.pid")" 2>/dev/null; then
			break
		fi
		sleep 0.5
	done
	echo "setup-buildkit: buildkitd did not answer at $addr; log:" >&2
	tail -n 30 "$_bk_run/buildkitd.log" >&2
	buildkit_stop
	return 1
}

# buildkit_stop stops the daemon this script started (by its recorded pid) and removes its state.
buildkit_stop() {
	local pidf="$_bk_run/buildkitd.pid"
	if [ -f "$pidf" ]; then
		local pid; pid="$(cat "$pidf")"
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
			if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
		fi
		rm -f "$pidf"
	fi
	if [ "${MOLECULE_BUILDKIT_KEEP_ROOT:-}" != 1 ] && [ -d "$_bk_run/root" ]; then
		# runc/overlay mounts may linger briefly under the root dir.
		{ grep -o " $_bk_run/root[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
		rm -rf "$_bk_run/root"
	fi
	unset BUILDKIT_HOST
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case "${1:-start}" in
	start) buildkit_start; echo "export BUILDKIT_HOST=$BUILDKIT_HOST" ;;
	stop) buildkit_stop ;;
	env) echo "export BUILDKIT_HOST=unix://$_bk_run/buildkitd.sock" ;;
	bindir) _bk_bindir ;;
	install) buildkit_install ;;
	*) echo "usage: $0 start|stop|env|bindir|install" >&2; exit 2 ;;
	esac
else
	buildkit_start
fi
