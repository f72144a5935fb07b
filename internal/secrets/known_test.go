package secrets

import "testing"

// TestAddKnown: a registered value is masked wherever it appears, whatever its shape (no
// pattern would recognise it), whole even when it contains another registered value or overlaps
// a credential shape; a value shorter than MinKnown is not registered.
func TestAddKnown(t *testing.T) {
	AddKnown("k3y-from-env-91c", "  from-env  ", "abc", "")
	for _, tc := range []struct{ in, want string }{
		{"invalid api key k3y-from-env-91c", "invalid api key ***"},
		{`{"error":"bad key: k3y-from-env-91ck3y-from-env-91c"}`, `{"error":"bad key: ******"}`},
		{"the value from-env alone", "the value *** alone"},
		{"abc is too short to be masked", "abc is too short to be masked"},
		{"no known value here", "no known value here"},
		{join("ghp_", "Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5sA1eRt", "k3y-from-env-91c"), "ghp_***"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
