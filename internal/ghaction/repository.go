package ghaction

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Repository is what the run says about the repository it runs for, as far as it says anything:
// outside Actions every field is empty.
type Repository struct {
	Owner, Name string // from GITHUB_REPOSITORY ("owner/name")
	// Private is the event payload's repository.private (GITHUB_EVENT_PATH), nil when there is
	// no payload or it does not say.
	Private *bool
}

// maxEventPayload bounds the event payload read for Repository: GitHub's payloads are far
// smaller (a push of 2,048 commits is a few MB); a bigger file is not GitHub's and is not read.
const maxEventPayload = 64 << 20

// Repository reads GITHUB_REPOSITORY and, for the repository's visibility, the event payload at
// GITHUB_EVENT_PATH. A GITHUB_REPOSITORY that is not owner/name, or a payload that cannot be read
// or parsed, is an error naming the variable; a payload without repository.private is not.
func (e *Env) Repository() (Repository, error) {
	var r Repository
	if full := e.getenv("GITHUB_REPOSITORY"); full != "" {
		owner, name, ok := strings.Cut(full, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return r, fmt.Errorf("GITHUB_REPOSITORY=%q is not owner/name", full)
		}
		r.Owner, r.Name = owner, name
	}
	path := e.getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return r, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return r, fmt.Errorf("GITHUB_EVENT_PATH: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEventPayload+1))
	if err != nil {
		return r, fmt.Errorf("GITHUB_EVENT_PATH: read %s: %w", path, err)
	}
	if len(data) > maxEventPayload {
		return r, fmt.Errorf("GITHUB_EVENT_PATH: %s is over %d bytes, not a GitHub event payload", path, maxEventPayload)
	}
	private, err := payloadPrivate(data)
	if err != nil {
		return r, fmt.Errorf("GITHUB_EVENT_PATH: %s: %w", path, err)
	}
	r.Private = private
	return r, nil
}

// payloadPrivate reads repository.private from an event payload: nil when the payload has no
// repository object or it has no boolean private. Keys match exactly, as GitHub writes them.
func payloadPrivate(data []byte) (*bool, error) {
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("not a JSON event payload: %w", err)
	}
	var repo map[string]any
	if raw, ok := ev["repository"]; !ok || json.Unmarshal(raw, &repo) != nil {
		return nil, nil
	}
	if p, ok := repo["private"].(bool); ok {
		return &p, nil
	}
	return nil, nil
}
