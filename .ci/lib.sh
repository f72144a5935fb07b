# shellcheck shell=bash
# lib.sh: what the setup scripts share; sourced, not run.
#
# lacking WHAT... says that something the tests need cannot be had here. In CI (CI set to a true
# value, as .ci/run runs) it fails the run: a CI machine missing a tool must not pass with less
# tested. Elsewhere it says so and returns, and the tests that need it skip with the reason
# (internal/testenv decides the same for each test).
in_ci() {
	case "${CI:-}" in
	1 | t | T | true | TRUE | True) return 0 ;;
	esac
	return 1
}

lacking() {
	if in_ci; then
		echo "${0##*/}: $* (CI=true: this fails the run instead of skipping the tests that need it)" >&2
		exit 1
	fi
	echo "${0##*/}: $*: the tests that need it skip" >&2
}
