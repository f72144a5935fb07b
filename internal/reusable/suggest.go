package reusable

import (
	"strings"

	"github.com/agext/levenshtein"
)

// Suggest returns the candidate closest to name, for a "did you mean" on a misspelt input or
// secret, or "" when none is close: at most a third of the name's length in edits (at least one,
// at most three), with case ignored and '-' and '_' taken as the same character (the commonest
// slip in input names). Ties go to the earlier candidate, so the answer is stable.
func Suggest(name string, candidates []string) string {
	n := normName(name)
	limit := min(max(len([]rune(n))/3, 1), 3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			continue
		}
		d := levenshtein.Distance(n, normName(c), nil)
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func normName(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "_", "-")
}
