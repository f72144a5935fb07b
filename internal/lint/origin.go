package lint

import (
	"bufio"
	"bytes"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// maxGitConfig bounds the .git/config read for the origin remote: a real one is a few hundred
// bytes.
const maxGitConfig = 1 << 20

// OriginOwner returns the owner of the repository at root as its origin remote names it
// (git@github.com:OWNER/repo.git, https://github.com/OWNER/repo), read from .git/config without
// running git — a worktree's .git file and its commondir are followed — or "" when root has no
// repository, no origin, or an origin that names no owner (a local path). The URL may embed a
// token: only the owner is returned, never the URL.
func OriginOwner(root string) string {
	return ownerOf(originOf(root))
}

// OriginRepository is OWNER/NAME of the repository at root as its origin remote names it, or ""
// (see OriginOwner). A call into it at a ref is read from its own history.
func OriginRepository(root string) string {
	return repoOf(originOf(root))
}

// originOf is the origin remote's URL of the repository at root, or "".
func originOf(root string) string {
	gitDir := filepath.Join(root, ".git")
	st, err := os.Stat(gitDir)
	if err != nil {
		return ""
	}
	if !st.IsDir() {
		// A worktree or submodule: .git is a file saying "gitdir: <path>".
		data, err := readBounded(gitDir, 4096)
		if err != nil {
			return ""
		}
		d, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:")
		if !ok {
			return ""
		}
		d = strings.TrimSpace(d)
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		gitDir = d
		// A worktree's config is the main repository's: commondir points at it.
		if c, err := readBounded(filepath.Join(gitDir, "commondir"), 4096); err == nil {
			common := strings.TrimSpace(string(c))
			if !filepath.IsAbs(common) {
				common = filepath.Join(gitDir, common)
			}
			gitDir = common
		}
	}
	data, err := readBounded(filepath.Join(gitDir, "config"), maxGitConfig)
	if err != nil {
		return ""
	}
	return originURL(data)
}

func readBounded(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, io.ErrShortBuffer
	}
	return data, nil
}

// originURL finds `url = ...` in the [remote "origin"] section of a git config file: section
// names are case-insensitive, the subsection ("origin") is not, keys are case-insensitive, and
// a value may be quoted and followed by a comment.
func originURL(data []byte) string {
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxGitConfig)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				in = false
				continue
			}
			name, sub, _ := strings.Cut(line[1:end], " ")
			in = strings.EqualFold(name, "remote") && strings.TrimSpace(sub) == `"origin"`
			line = strings.TrimSpace(line[end+1:]) // a key may follow the header on its line
			if line == "" {
				continue
			}
		}
		if !in {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "url") {
			continue
		}
		return configValue(value)
	}
	return ""
}

// configValue reads a git config value: surrounding blanks trimmed, a comment (# or ;) outside
// quotes dropped, quotes removed.
func configValue(v string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == '#' || c == ';'):
			return strings.TrimSpace(b.String())
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// ownerOf returns the first path segment of a remote URL (the owner on GitHub and its like):
// scheme://[user[:token]@]host[:port]/OWNER/repo or the scp-like [user@]host:OWNER/repo. "" for
// a local path or anything else.
func ownerOf(remote string) string {
	owner, _ := splitRemote(remote)
	return owner
}

// repoOf returns OWNER/NAME of a remote URL (see ownerOf), the name without its .git, or "".
func repoOf(remote string) string {
	owner, rest := splitRemote(remote)
	name, _, _ := strings.Cut(rest, "/")
	name = strings.TrimSuffix(name, ".git")
	if owner == "" || name == "" || !validOwner(name) {
		return ""
	}
	return owner + "/" + name
}

// splitRemote returns the owner of a remote URL and the path after it, or "" and "".
func splitRemote(remote string) (owner, rest string) {
	var p string
	switch {
	case remote == "":
		return "", ""
	case strings.Contains(remote, "://"):
		u, err := url.Parse(remote)
		if err != nil || u.Host == "" || u.Scheme == "file" {
			return "", ""
		}
		p = u.EscapedPath()
	default:
		// scp-like syntax: a colon before any slash; C:/... is a Windows path, as git reads it.
		colon := strings.IndexByte(remote, ':')
		if colon <= 0 || colon == 1 || strings.Contains(remote[:colon], "/") {
			return "", ""
		}
		p = remote[colon+1:]
	}
	owner, rest, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if owner == "" || rest == "" || !validOwner(owner) {
		return "", ""
	}
	return owner, rest
}

// validOwner accepts a GitHub user or organisation name: letters, digits and hyphens, at most 39
// characters (Gitea and GitLab allow dots and underscores too).
func validOwner(s string) bool {
	if len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}
