package textutil

import "testing"

func TestWords(t *testing.T) {
	if got := Words(" a  b "); len(got) != 2 {
		t.Fatalf("Words = %q", got)
	}
}
