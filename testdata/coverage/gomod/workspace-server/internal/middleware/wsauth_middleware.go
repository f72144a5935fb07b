// Package middleware stands in for molecule-core's internal/middleware; no test covers it.
package middleware

import "strings"

// BearerToken extracts the token from an Authorization header.
func BearerToken(header string) (string, bool) {
	const p = "Bearer "
	if !strings.HasPrefix(header, p) {
		return "", false
	}
	return strings.TrimPrefix(header, p), true
}
