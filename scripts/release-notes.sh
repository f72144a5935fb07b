#!/usr/bin/env bash
# release-notes.sh TAG [LEGACY_SHA] — the notes of the GitHub release of TAG (release.yml's publish
# job): TAG's section of CHANGELOG.md ("## [X.Y.Z]" up to the next "## "), then, when the release
# is the first to move v1 away from what v1 was before molecule-ci (LEGACY_SHA, from
# `release-tags.sh plan`), a paragraph naming v0-legacy, the tag that keeps that target reachable.
# IMAGE_DIGEST, when set, adds the image's line. A tag without a section is an error: a release
# never goes out without notes.
set -euo pipefail
tag="${1:?usage: release-notes.sh TAG [LEGACY_SHA]}"
legacy="${2:-}"
[[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "release-notes: \"$tag\" is not vX.Y.Z" >&2; exit 2; }
[[ -z "$legacy" || "$legacy" =~ ^[0-9a-f]{40}$ ]] || { echo "release-notes: \"$legacy\" is not a full commit SHA" >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="${tag#v}"
# The section, without the blank lines around it.
notes="$(awk -v v="$version" 'index($0, "## [" v "]") == 1 {on=1; next} on && /^## / {exit} on && (NF || seen) {seen=1; print}' CHANGELOG.md)"
if [ -z "$(printf '%s' "$notes" | tr -d '[:space:]')" ]; then
	echo "::error file=CHANGELOG.md::CHANGELOG.md has no section \"## [$version]\" for the release notes"
	exit 1
fi
printf '%s\n' "$notes"
tick='`'
if [ -n "$legacy" ]; then
	major="${tag%%.*}"
	printf '\n### %s moves\n\n' "$major"
	printf 'Until this release, %s%s%s pointed at the shared workflows that came before molecule-ci (the Python validators, %s%s%s). That commit stays reachable as the tag %sv0-legacy%s, which no release moves: a repository that needs the old workflows calls them %s@v0-legacy%s. %s%s%s moves to this release only after %sfleet impact%s found no caller of %s@%s%s in the organisation that it breaks (see this release'"'"'s workflow run).\n' \
		"$tick" "$major" "$tick" "$tick" "$legacy" "$tick" "$tick" "$tick" "$tick" "$tick" "$tick" "$major" "$tick" "$tick" "$tick" "$tick" "$major" "$tick"
fi
if [ -n "${IMAGE_DIGEST:-}" ]; then
	printf '\nImage: %sghcr.io/molecule-ai/molecule-ci:%s%s (%s%s%s)\n' "$tick" "$tag" "$tick" "$tick" "$IMAGE_DIGEST" "$tick"
fi
