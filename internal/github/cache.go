package github

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
)

// WithCache keeps answers on disk under dir between runs (the fleet's reads of repositories):
// answers that carry an ETag, sent again as If-None-Match so that an unchanged answer is a 304,
// which GitHub does not count against the rate limit; and content read at a commit SHA, which
// never changes, so it is not asked for again at all.
func WithCache(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// diskCache is the on-disk store of WithCache. Entries are written atomically, so concurrent
// runs and goroutines sharing the directory see whole entries or none; an unreadable entry is a
// miss, never an error.
type diskCache struct{ dir string }

// maxCached bounds an entry read back: it was bounded when written, so a bigger one is not ours.
const maxCached = 64 << 20

func cacheKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func (d *diskCache) path(kind, key string) string {
	return filepath.Join(d.dir, kind, key[:2], key)
}

// conditional returns the ETag and body stored for key.
func (d *diskCache) conditional(key string) (etag string, body []byte, ok bool) {
	if d == nil {
		return "", nil, false
	}
	b, err := fsutil.ReadRegular(d.path("etag", key), maxCached)
	if err != nil {
		return "", nil, false
	}
	line, rest, found := bytes.Cut(b, []byte("\n"))
	if !found || len(line) == 0 {
		return "", nil, false
	}
	return string(line), rest, true
}

// storeConditional keeps an answer with its ETag. A failed write only costs the next run a request.
func (d *diskCache) storeConditional(key, etag string, body []byte) {
	if d == nil || etag == "" || strings.ContainsAny(etag, "\r\n") {
		return
	}
	d.write(d.path("etag", key), append([]byte(etag+"\n"), body...))
}

// immutable returns content stored under key (a repository, a commit and a path).
func (d *diskCache) immutable(key string) ([]byte, bool) {
	if d == nil {
		return nil, false
	}
	b, err := fsutil.ReadRegular(d.path("blob", key), maxCached)
	return b, err == nil
}

func (d *diskCache) storeImmutable(key string, body []byte) {
	if d == nil {
		return
	}
	d.write(d.path("blob", key), body)
}

func (d *diskCache) write(p string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	_ = fsutil.WriteFile(p, data, 0o600)
}

// Budget is the core rate limit as GitHub last reported it.
type Budget struct {
	Limit, Remaining int
	Reset            time.Time
	// Known is false until an answer carried the headers.
	Known bool
}

// rateBudget records the X-RateLimit-* headers of the client's answers.
type rateBudget struct {
	mu sync.Mutex
	b  Budget
}

// Budget returns the rate limit the last answer reported, for a progress line.
func (c *Client) Budget() Budget {
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	return c.budget.b
}

func (b *rateBudget) record(limit, remaining int, reset time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = Budget{Limit: limit, Remaining: remaining, Reset: reset, Known: true}
}
