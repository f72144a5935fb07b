package crypto

import "testing"

func TestSealOpen(t *testing.T) {
	s, err := Seal([]byte("k"), []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Open([]byte("k"), s)
	if err != nil || string(o) != "hello" {
		t.Fatalf("Open = %q, %v", o, err)
	}
}
