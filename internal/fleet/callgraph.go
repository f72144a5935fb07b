package fleet

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
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

// JSON writes the call graph.
func (g *CallGraph) JSON(w io.Writer) error { return writeJSON(w, g) }

// Human writes the calls as a table, then each shared workflow and ref with its callers' count.
func (g *CallGraph) Human(w io.Writer) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CALLER\tFILE:LINE\tJOB\tWORKFLOW\tREF\tINPUTS\tSECRETS")
	for _, c := range g.Calls {
		secrets := "inherit"
		if !c.Secrets.Inherit {
			secrets = orDash(strings.Join(c.Secrets.Names, ","))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(c.Repo, 60), cell(c.File+":"+strconv.Itoa(c.Line), 120), cell(c.Job, 40),
			cell(c.Workflow, 120), cell(orDash(c.Ref), 60), cell(orDash(strings.Join(c.Inputs, ",")), 200), cell(secrets, 200))
	}
	tw.Flush()
	if len(g.Callees) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SHARED WORKFLOW\tREF\tREPOSITORIES\tCALLS")
		for _, c := range g.Callees {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", cell(c.Workflow, 120), cell(c.Ref, 60), c.Repos, c.Calls)
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "\n%s from %s into %s\n", plural(len(g.Calls), "call", "calls"), plural(g.callers(), "repository", "repositories"), plural(len(g.Callees), "shared workflow and ref", "shared workflow and ref pairs"))
	_, err := w.Write(b.Bytes())
	return err
}

func (g *CallGraph) callers() int {
	seen := map[string]bool{}
	for _, c := range g.Calls {
		seen[c.Owner+"/"+c.Repo+"\x00"+c.Path] = true
	}
	return len(seen)
}

// Markdown writes the call graph for a job summary.
func (g *CallGraph) Markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("## molecule-ci fleet: reusable-workflow calls\n\n")
	fmt.Fprintf(&b, "%s from %s into %s.\n\n", plural(len(g.Calls), "call", "calls"), plural(g.callers(), "repository", "repositories"), plural(len(g.Callees), "shared workflow and ref", "shared workflow and ref pairs"))
	if len(g.Callees) > 0 {
		b.WriteString("| shared workflow | ref | repositories | calls |\n| --- | --- | ---: | ---: |\n")
		for _, c := range g.Callees {
			fmt.Fprintf(&b, "| %s | %s | %d | %d |\n", mdCode(c.Workflow), mdCode(c.Ref), c.Repos, c.Calls)
		}
		b.WriteString("\n")
	}
	b.WriteString("| caller | file | job | workflow | ref | inputs | secrets |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	shown := 0
	for _, c := range g.Calls {
		if b.Len() > markdownMaxBytes {
			break
		}
		secrets := "inherit"
		if !c.Secrets.Inherit {
			secrets = strings.Join(c.Secrets.Names, ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCode(c.Repo), mdCode(c.File+":"+strconv.Itoa(c.Line)), mdCell(c.Job, 100),
			mdCode(c.Workflow), mdCode(orDash(c.Ref)), mdCell(orDash(strings.Join(c.Inputs, ", ")), markdownMaxCell), mdCell(orDash(secrets), markdownMaxCell))
		shown++
	}
	if n := len(g.Calls) - shown; n > 0 {
		fmt.Fprintf(&b, "\n_%s not shown: the job summary is limited in size. Every call is in the JSON report._\n", plural(n, "more call", "more calls"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
