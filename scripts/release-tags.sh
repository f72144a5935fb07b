#!/usr/bin/env bash
# release-tags.sh — the moving tags of a release (release.yml runs it; see docs/release.md):
#
#   release-tags.sh plan   TAG          what the release of TAG does to its major tag, as
#                                       NAME=VALUE lines for $GITHUB_OUTPUT (below)
#   release-tags.sh legacy SHA          create v0-legacy at SHA, once: never moved afterwards
#   release-tags.sh move   TAG SHA OLD  point the major (v1) and minor (v1.2) tags at SHA, after
#                                       checking that the major still points at OLD ("" = absent)
#
# `uses: Molecule-AI/molecule-ci@v1` is what the organisation was promised, and v1 already exists:
# before molecule-ci's first release it points at the Python validators. So the first release
# that moves v1 must not surprise a caller of @v1: release.yml keeps the old target reachable as
# v0-legacy and runs `fleet impact` with it as the base before v1 moves.
#
# plan prints:
#   major=v1  minor=v1.2      the tags a release moves ("" for a pre-release: vX.Y.Z-rc.1 moves none)
#   major-sha=SHA             the commit v1 points at now ("" when there is no v1)
#   first-move=true|false     true when v1 exists and its tree is not molecule-ci (its go.mod does
#                             not declare the module): the switch from what v1 was before
#
# It talks to the REST API at $GITHUB_API_URL (default https://api.github.com) for $GITHUB_REPOSITORY
# with $GITHUB_TOKEN, through curl and jq, and shows GitHub's own error text when a call fails.
set -euo pipefail

api="${GITHUB_API_URL:-https://api.github.com}"
repo="${GITHUB_REPOSITORY:-}"
[ -n "$repo" ] || { echo "release-tags: GITHUB_REPOSITORY is not set (owner/name)" >&2; exit 2; }
[ -n "${GITHUB_TOKEN:-}" ] || { echo "release-tags: GITHUB_TOKEN is not set (a token that can read, and for legacy and move write, the repository's tags)" >&2; exit 2; }
legacy_tag=v0-legacy
module='module github.com/Molecule-AI/molecule-ci'

# call METHOD PATH [JSON] — sets $status (the HTTP status) and $body (the response, at most
# 1 MiB). Bounded in time and size: a hung or hostile server cannot hold the release.
status=0 body=
call() {
	local method="$1" path="$2" data="${3:-}" out
	out="$(mktemp)"
	local args=(-sS -o "$out" -w '%{http_code}' -X "$method" --max-time 60 --max-filesize 10485760
		-H "Authorization: Bearer $GITHUB_TOKEN" -H 'Accept: application/vnd.github+json'
		-H 'X-GitHub-Api-Version: 2022-11-28')
	if [ -n "$data" ]; then
		args+=(-H 'Content-Type: application/json' --data "$data")
	fi
	if ! status="$(curl "${args[@]}" "$api/repos/$repo/$path")"; then
		rm -f "$out"
		echo "release-tags: $method $path: the request failed" >&2
		exit 3
	fi
	body="$(head -c 1048576 "$out")"
	rm -f "$out"
}

# fail METHOD PATH — the failed call's status and GitHub's message, verbatim, and stop.
fail() {
	local msg
	msg="$(printf '%s' "$body" | jq -r '.message // empty' 2>/dev/null | head -c 1000 || true)"
	echo "release-tags: $1 $2: HTTP $status${msg:+: $msg}" >&2
	exit 3
}

# commit_of TAG — the commit a tag points at ("" when there is no such tag); an annotated tag is
# followed to its commit.
commit_of() {
	local type sha
	call GET "git/ref/tags/$1"
	case "$status" in
	200) ;;
	404) return 0 ;;
	*) fail GET "git/ref/tags/$1" ;;
	esac
	type="$(printf '%s' "$body" | jq -r '.object.type')"
	sha="$(printf '%s' "$body" | jq -r '.object.sha')"
	if [ "$type" = tag ]; then
		call GET "git/tags/$sha"
		[ "$status" = 200 ] || fail GET "git/tags/$sha"
		sha="$(printf '%s' "$body" | jq -r '.object.sha')"
	fi
	[[ "$sha" =~ ^[0-9a-f]{40}$ ]] || { echo "release-tags: tag $1 points at \"$sha\", not a commit SHA" >&2; exit 3; }
	echo "$sha"
}

# is_molecule_ci SHA — whether the tree at SHA is molecule-ci: its go.mod declares the module.
is_molecule_ci() {
	call GET "contents/go.mod?ref=$1"
	case "$status" in
	200) printf '%s' "$body" | jq -r '.content // empty' | base64 -d 2>/dev/null | grep -qx "$module" ;;
	404) return 1 ;;
	*) fail GET "contents/go.mod?ref=$1" ;;
	esac
}

# set_tag TAG SHA — create the tag, or move it (force) when it exists.
set_tag() {
	call GET "git/ref/tags/$1"
	case "$status" in
	200)
		call PATCH "git/refs/tags/$1" "{\"sha\":\"$2\",\"force\":true}"
		[ "$status" = 200 ] || fail PATCH "git/refs/tags/$1"
		;;
	404)
		call POST git/refs "{\"ref\":\"refs/tags/$1\",\"sha\":\"$2\"}"
		[ "$status" = 201 ] || fail POST git/refs
		;;
	*) fail GET "git/ref/tags/$1" ;;
	esac
	echo "$1 -> $2"
}

check_sha() {
	[[ "$1" =~ ^[0-9a-f]{40}$ ]] || { echo "release-tags: \"$1\" is not a full commit SHA" >&2; exit 2; }
}

check_tag() {
	[[ "$1" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "release-tags: \"$1\" is not vX.Y.Z" >&2; exit 2; }
}

case "${1:-}" in
plan)
	tag="${2:?usage: release-tags.sh plan TAG}"
	check_tag "$tag"
	if [[ "$tag" == *-* ]]; then
		# A pre-release is published, but no moving tag points at it.
		printf 'major=\nminor=\nmajor-sha=\nfirst-move=false\n'
		exit 0
	fi
	major="${tag%%.*}"
	minor="${tag%.*}"
	sha="$(commit_of "$major")"
	first=false
	if [ -n "$sha" ] && ! is_molecule_ci "$sha"; then
		first=true
	fi
	printf 'major=%s\nminor=%s\nmajor-sha=%s\nfirst-move=%s\n' "$major" "$minor" "$sha" "$first"
	;;
legacy)
	sha="${2:?usage: release-tags.sh legacy SHA}"
	check_sha "$sha"
	have="$(commit_of "$legacy_tag")"
	if [ -z "$have" ]; then
		call POST git/refs "{\"ref\":\"refs/tags/$legacy_tag\",\"sha\":\"$sha\"}"
		[ "$status" = 201 ] || fail POST git/refs
		echo "$legacy_tag -> $sha (created; it is never moved)"
	elif [ "$have" = "$sha" ]; then
		echo "$legacy_tag -> $sha (already there)"
	else
		# Created once, by the first release or by hand: never moved, whatever v1 pointed at.
		echo "::warning::$legacy_tag already points at $have, not at $sha (v1's target before this release); it is left where it is"
	fi
	;;
move)
	tag="${2:?usage: release-tags.sh move TAG SHA OLD}"
	sha="${3:?usage: release-tags.sh move TAG SHA OLD}"
	old="${4-}"
	check_tag "$tag"
	check_sha "$sha"
	if [[ "$tag" == *-* ]]; then
		echo "release-tags: $tag is a pre-release; no moving tag points at it"
		exit 0
	fi
	major="${tag%%.*}"
	minor="${tag%.*}"
	# What was checked (fleet impact, v0-legacy) was checked against OLD: if the major tag moved
	# since, this release does not move it over a change nobody checked.
	now="$(commit_of "$major")"
	if [ "$now" != "$old" ]; then
		echo "::error::$major points at ${now:-nothing} now, not at ${old:-nothing} as when this release was planned; $major is not moved (run the release again)"
		exit 1
	fi
	set_tag "$major" "$sha"
	set_tag "$minor" "$sha"
	;;
*)
	echo "usage: release-tags.sh plan TAG | legacy SHA | move TAG SHA OLD" >&2
	exit 2
	;;
esac
