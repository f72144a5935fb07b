package scriptcheck

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// diagnostic is one parsed tool message, the unit stored in the cache. Shellcheck fills every
// field with its raw JSON values (line counted in the script given to the tool); pyflakes only
// Message, its `line:col: text` after `<stdin>:`.
type diagnostic struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Level   string `json:"level,omitempty"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

// cacheEntry is the on-disk form. Key is stored so that a truncated, foreign or corrupt file
// is recognised and ignored rather than trusted.
type cacheEntry struct {
	Key         string       `json:"key"`
	Diagnostics []diagnostic `json:"diagnostics"`
}

// keyFormat changes whenever what a cache entry means changes (the output format read back).
const keyFormat = "json1/3"

// cacheKey hashes everything that decides a tool's output: the tool (path, version, leading
// arguments), the arguments, the environment variables the tool reads, the shell and the script.
// Fields are length-prefixed so that no two different inputs can concatenate to the same bytes.
func (c *Checker) cacheKey(r request) string {
	return cacheKey(r.tool, r.args, r.shell, r.stdin, c.envKey)
}

func cacheKey(t *tool, args []string, shell, stdin, env string) string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(keyFormat)
	field(t.name)
	field(t.exe)
	field(t.version)
	field(env)
	field(fmt.Sprint(len(t.args) + len(args)))
	for _, a := range t.args {
		field(a)
	}
	for _, a := range args {
		field(a)
	}
	field(shell)
	field(stdin)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Checker) cachePath(t *tool, key string) string {
	return filepath.Join(c.cacheDir, t.name, key[:2], key+".json")
}

// readCache returns the cached diagnostics for key. Any problem (missing, unreadable, corrupt,
// another key) is a miss: the tool then runs and the entry is rewritten.
func (c *Checker) readCache(t *tool, key string) ([]diagnostic, bool) {
	if c.cacheDir == "" {
		return nil, false
	}
	b, err := os.ReadFile(c.cachePath(t, key))
	if err != nil {
		return nil, false
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil || e.Key != key || e.Diagnostics == nil {
		return nil, false
	}
	return e.Diagnostics, true
}

// writeCache stores diagnostics atomically: a temp file in the same directory renamed over the
// entry, so concurrent writers (same key from parallel runs) and readers never see a partial file.
func (c *Checker) writeCache(t *tool, key string, diags []diagnostic) error {
	if c.cacheDir == "" {
		return nil
	}
	if diags == nil {
		diags = []diagnostic{}
	}
	b, err := json.Marshal(cacheEntry{Key: key, Diagnostics: diags})
	if err != nil {
		return err
	}
	path := c.cachePath(t, key)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, key+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
