//go:build tools

// Package tools records the staticcheck command this module builds, so `go mod tidy` keeps its
// dependencies: .ci/run runs `go run honnef.co/go/tools/cmd/staticcheck` from here.
package tools

import _ "honnef.co/go/tools/cmd/staticcheck"
