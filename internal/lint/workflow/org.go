package workflow

import "strings"

// "The organisation" is defined once, here, for every rule that asks what is first party:
// Options.Org (lint.org — by default the owner of the linted repository) owns its actions,
// reusable workflows and checkouts, which must not float (floating-ref) and may be called at a
// release tag; the trusted owners (lint.pinning.trusted-owners, default actions and github) are
// first party too for what they publish: their actions may use release tags (unpinned-action)
// and their reusable workflows may inherit secrets (overprovisioned-secrets).

// isOrg reports whether owner is the organisation (GitHub names are case-insensitive).
func (f *File) isOrg(owner string) bool {
	return owner != "" && strings.EqualFold(owner, f.opts.Org)
}

// isFirstParty reports whether owner is the organisation or one of the trusted owners.
func (f *File) isFirstParty(owner string) bool {
	return f.isOrg(owner) || f.trusted[strings.ToLower(owner)]
}

// ownerOf returns the owner of a uses: or repository: value (OWNER/repo[/path][@ref]).
func ownerOf(ref string) string {
	owner, _, ok := strings.Cut(strings.TrimSpace(ref), "/")
	if !ok {
		return ""
	}
	return owner
}
