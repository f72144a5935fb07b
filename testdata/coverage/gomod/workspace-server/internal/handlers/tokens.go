// Package handlers stands in for molecule-core's internal/handlers: several critical paths.
package handlers

import (
	"strings"

	"github.com/Molecule-AI/molecule-monorepo/platform/internal/crypto"
)

// IssueToken seals a subject into a token.
func IssueToken(key []byte, subject string) (string, error) {
	if strings.TrimSpace(subject) == "" {
		return "", errEmptySubject
	}
	b, err := crypto.Seal(key, []byte(subject))
	if err != nil {
		return "", err
	}
	return string(b), nil
}
