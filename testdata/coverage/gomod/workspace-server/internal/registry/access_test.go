package registry

import "testing"

func TestCanRead(t *testing.T) {
	if !CanRead("admin") || CanRead("guest") {
		t.Fatal("CanRead")
	}
}
