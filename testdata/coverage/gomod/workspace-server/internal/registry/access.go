// Package registry is not a critical path (molecule-core allowlisted it only because of a loose
// substring match), so the policy reports its allowlist entry as removable.
package registry

// CanRead reports whether role may read.
func CanRead(role string) bool {
	return role == "admin" || role == "reader"
}
