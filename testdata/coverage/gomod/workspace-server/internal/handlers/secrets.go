package handlers

import "fmt"

// RedactSecret hides all but the last four characters. No test reaches it.
func RedactSecret(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return fmt.Sprintf("%s%s", "****", s[len(s)-4:])
}
