//go:build tools

// Package tools records the act command this module builds, so `go mod tidy` keeps its
// dependencies: `go build github.com/nektos/act`.
package tools

import (
	_ "github.com/nektos/act"
)
