package handlers

import "errors"

var errEmptySubject = errors.New("empty subject")

// RotateToken is a critical path with no test: the policy's per-file floor catches it.
func RotateToken(old string, now int64) (string, error) {
	if old == "" {
		return "", errEmptySubject
	}
	if now <= 0 {
		return "", errors.New("bad clock")
	}
	parts := []byte(old)
	for i := range parts {
		parts[i]++
	}
	return string(parts), nil
}
