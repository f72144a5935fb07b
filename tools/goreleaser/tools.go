//go:build tools

// Package tools pins goreleaser, which release.yml runs to build the release binaries and their
// checksums; scripts/release-checksums.sh builds it from here to validate .goreleaser.yaml
// (`goreleaser check`) and to compute the checksums a release commit holds.
package tools

import _ "github.com/goreleaser/goreleaser/v2"
