package fleet

import (
	"cmp"
	"slices"
	"strings"
)

// CallGraph is every call of the fleet into a reusable workflow: who calls what, at which ref,
// with which inputs and secrets (`fleet --calls`).
type CallGraph struct {
	Calls []GraphCall `json:"calls"`
	// Callees are the shared workflows called, each at each ref, with their callers' count.
	Callees []CalleeDoc `json:"callees"`
}

// GraphCall is a call and its caller.
type GraphCall struct {
	Repo  string `json:"repo"`
	Owner string `json:"owner"`
	Path  string `json:"path"`
	CallDoc
}

// CallGraph returns the document's calls, by caller, file and line.
func (d *Document) CallGraph() *CallGraph {
	g := &CallGraph{Calls: []GraphCall{}, Callees: d.Summary.Callees}
	for _, r := range d.Repos {
		for _, c := range r.Calls {
			g.Calls = append(g.Calls, GraphCall{Repo: r.Name, Owner: r.Owner, Path: r.Path, CallDoc: c})
		}
	}
	slices.SortStableFunc(g.Calls, func(a, b GraphCall) int {
		return cmp.Or(strings.Compare(a.Repo, b.Repo), strings.Compare(a.Path, b.Path), strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return g
}
