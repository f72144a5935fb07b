// Package coverage owns the coverage gate: it reads coverage reports (Go coverprofiles,
// Cobertura XML, LCOV and Istanbul JSON, detected by content), merges them into one model of
// repository-relative files, and judges that model against a Policy (floors, allowlist,
// ratchet, changed lines). Run returns a Result with the numbers, the gates and the findings,
// and renders it as JSON, a human table, a markdown job summary or a shields.io badge.
//
// Rates are always recomputed from the per-statement or per-line data; what a producer wrote as
// its own percentage is never read. Go coverage is statement-weighted, as `go tool cover`
// computes it.
//
// The package never prints, reads the environment or exits; bad input is a *ParseError naming
// the file and line, which the CLI maps to exit code 2.
package coverage
