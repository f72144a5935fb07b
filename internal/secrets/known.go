package secrets

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Known values are the secrets this process was handed (a probe's headers-from-env values, the
// API tokens it was given): Redact masks each wherever it appears, whatever its shape. A server
// that answers "invalid api key <the key>" quotes a value no pattern recognises, and every sink
// (logsafe's stdout and stderr, the job summary, step outputs, the probe's files) already passes
// through Redact: registering the value once covers them all, as ::add-mask:: does for the
// runner's log.

// MinKnown is the shortest value AddKnown registers: masking a shorter one would mask ordinary
// words and numbers throughout the output, and a secret that short is guessable anyway.
const MinKnown = 6

var known struct {
	sync.RWMutex
	values [][]byte // longest first: a value that contains another is masked whole
	set    map[string]bool
	n      atomic.Int32 // len(values), read without the lock on every Redact
}

// AddKnown registers values as secrets for the rest of the process. Surrounding blanks are
// trimmed; values shorter than MinKnown, and values already known, are ignored.
func AddKnown(values ...string) {
	known.Lock()
	defer known.Unlock()
	if known.set == nil {
		known.set = map[string]bool{}
	}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) < MinKnown || known.set[v] {
			continue
		}
		known.set[v] = true
		known.values = append(known.values, []byte(v))
	}
	slices.SortStableFunc(known.values, func(a, b []byte) int { return len(b) - len(a) })
	known.n.Store(int32(len(known.values)))
}

// anyKnown reports whether any value is registered: Redact's fast path skips only text that
// can hold neither a credential shape nor a known value.
func anyKnown() bool { return known.n.Load() > 0 }

// knownHits returns where the registered values occur in src.
func knownHits(src []byte) []Hit {
	if !anyKnown() {
		return nil
	}
	known.RLock()
	defer known.RUnlock()
	var hits []Hit
	for _, v := range known.values {
		for from := 0; from < len(src); {
			i := bytes.Index(src[from:], v)
			if i < 0 {
				break
			}
			i += from
			hits = append(hits, Hit{Off: i, End: i + len(v), Kind: "known secret"})
			from = i + len(v)
		}
	}
	return hits
}
