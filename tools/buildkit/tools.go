//go:build tools

// Package tools records the BuildKit commands this module builds, so `go mod tidy` keeps their
// dependencies: `go build github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl`.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
