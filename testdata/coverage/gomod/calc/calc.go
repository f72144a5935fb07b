// Package calc has branches some tests reach and some they do not.
package calc

import (
	"errors"

	"example.com/gomod/textutil"
)

// ErrDivZero is returned by Div for a zero divisor.
var ErrDivZero = errors.New("division by zero")

// Div divides a by b.
func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, ErrDivZero
	}
	return a / b, nil
}

// Sign returns -1, 0 or 1.
func Sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// Label titles a name, or says it is missing.
func Label(name string) string {
	if name == "" {
		return "(none)"
	}
	return textutil.Title(name)
}

// Sum adds the numbers, counting loop iterations under -covermode=count.
func Sum(xs ...int) int {
	total := 0
	for _, x := range xs {
		total += x
	}
	return total
}
