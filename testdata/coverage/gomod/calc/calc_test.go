package calc

import "testing"

func TestDiv(t *testing.T) {
	if q, err := Div(6, 3); err != nil || q != 2 {
		t.Fatalf("Div(6, 3) = %d, %v", q, err)
	}
}

func TestLabel(t *testing.T) {
	if got := Label("ada lovelace"); got != "Ada Lovelace" {
		t.Fatalf("Label = %q", got)
	}
}

func TestSum(t *testing.T) {
	if got := Sum(1, 2, 3, 4); got != 10 {
		t.Fatalf("Sum = %d", got)
	}
}
