package handlers

import "testing"

func TestIssueToken(t *testing.T) {
	if _, err := IssueToken([]byte("k"), "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := IssueToken([]byte("k"), " "); err == nil {
		t.Fatal("want error for blank subject")
	}
}

func TestRegistry(t *testing.T) {
	var r Registry
	r.Register("a", "b")
	if o, ok := r.Owner("a"); !ok || o != "b" {
		t.Fatalf("Owner = %q, %v", o, ok)
	}
}
