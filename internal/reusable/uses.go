package reusable

import (
	"fmt"
	"path"
	"strings"
)

// Uses is the reference of a reusable-workflow call: OWNER/REPO/PATH@REF, or ./PATH for a
// workflow of the caller's own repository at the caller's commit.
type Uses struct {
	Raw   string // as written
	Local bool   // ./PATH
	Owner string // "" when Local
	Repo  string // "" when Local
	Path  string // slash-separated, relative to the repository root, without "./"
	Ref   string // "" when Local
}

// maxUses bounds a uses: value; real ones are under 200 bytes.
const maxUses = 1024

// ParseUses reads a uses: value of a job. It refuses, saying why, what GitHub would not run as a
// reusable-workflow call or what cannot name a file safely: an expression, a missing @REF, a path
// with "..", an owner or repository name GitHub does not allow.
func ParseUses(s string) (Uses, error) {
	u := Uses{Raw: s}
	bad := func(why string) (Uses, error) { return Uses{}, fmt.Errorf("uses %q: %s", clip(s), why) }
	switch {
	case len(s) > maxUses:
		return bad(fmt.Sprintf("longer than %d bytes", maxUses))
	case strings.Contains(s, "${{"):
		return bad("an expression; GitHub resolves reusable workflows before expressions are evaluated")
	case strings.HasPrefix(s, "./"):
		if strings.Contains(s, "@") {
			return bad("a local workflow (./...) takes no @ref: it is read at the caller's own commit")
		}
		u.Local, u.Path = true, strings.TrimPrefix(s, "./")
	default:
		spec, ref, ok := strings.Cut(s, "@")
		if !ok || ref == "" {
			return bad("no @ref: want OWNER/REPO/.github/workflows/FILE@REF")
		}
		parts := strings.SplitN(spec, "/", 3)
		if len(parts) != 3 {
			return bad("want OWNER/REPO/.github/workflows/FILE@REF")
		}
		u.Owner, u.Repo, u.Path, u.Ref = parts[0], parts[1], parts[2], ref
		if !validName(u.Owner) || !validName(u.Repo) {
			return bad("owner and repository names are letters, digits, '-', '_' and '.'")
		}
		if strings.ContainsFunc(ref, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return bad("the ref contains white space or a control character")
		}
	}
	if err := validPath(u.Path); err != "" {
		return bad(err)
	}
	return u, nil
}

// Workflow is the reference without its ref: OWNER/REPO/PATH, or ./PATH.
func (u Uses) Workflow() string {
	if u.Local {
		return "./" + u.Path
	}
	return u.Owner + "/" + u.Repo + "/" + u.Path
}

// Repository is OWNER/REPO, or "" for a local call.
func (u Uses) Repository() string {
	if u.Local {
		return ""
	}
	return u.Owner + "/" + u.Repo
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// validPath says what is wrong with a workflow path, or "".
func validPath(p string) string {
	if p == "" {
		return "no workflow file"
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) {
		return "the path contains a control character or a backslash"
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return "the path is not a clean relative path (an empty, '.' or '..' component)"
		}
	}
	if ext := path.Ext(p); ext != ".yml" && ext != ".yaml" {
		return "a reusable workflow is a .yml or .yaml file"
	}
	return ""
}

// clip shortens a hostile value for an error message.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
