//go:build race

package coverage

// The race detector makes byte-by-byte XML and JSON scanning ten times slower; the huge-input
// tests scale down under it (still far beyond every line limit) to keep `go test -race` quick.
func init() { raceEnabled = true }
