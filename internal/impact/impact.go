// Package impact owns `fleet impact`: what a change to a shared-workflow repository (the
// candidate: a pull request's tree) does to every call into it across a fleet, before it merges.
//
//   - Interface: each call site is checked against the interface the callee has where the caller
//     pins it (the base, read by reusable.Resolver from the fleet's checkout or the API) and the
//     one it has in the candidate; what the change breaks (an input removed or renamed that the
//     caller passes, a new input the caller must pass, a type change, a secret newly required
//     or removed, an output the caller reads removed, the workflow file removed or renamed, its
//     on.workflow_call removed) is a Break at the caller's line and the callee's.
//   - Verdicts: when the base is itself a molecule-ci tree, the repositories that call it are
//     linted by the base's rules and the candidate's, and those whose verdict flips are listed
//     with the findings that changed (verdict.go).
//   - Declared: a pull request may declare the break (a BREAKING: line or a label), which the
//     report names and which keeps the exit code at 0 (declare.go).
//
// It never prints, exits or reads the environment; the CLI hands it the calls, the resolver and
// the rules to run. Everything a repository holds is hostile and stays data to the end: the
// report is a report.Summary, encoded by internal/report.
package impact

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/Molecule-AI/molecule-ci/internal/fleet"
	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// The kinds of break, in the JSON document's "kind".
const (
	InputRemoved    = "input-removed"    // the caller passes an input the candidate no longer declares
	InputRenamed    = "input-renamed"    // ... and the candidate declares a near name instead
	InputRequired   = "input-required"   // a new input the caller must pass and does not
	InputType       = "input-type"       // the type of an input the caller passes changed
	SecretRequired  = "secret-required"  // a secret newly required that the caller does not pass
	SecretRemoved   = "secret-removed"   // the caller passes a secret the candidate no longer declares
	OutputRemoved   = "output-removed"   // the caller reads an output the candidate no longer declares
	WorkflowRemoved = "workflow-removed" // the called file is gone from the candidate
	WorkflowRenamed = "workflow-renamed" // ... and a new file of the candidate looks like it
	NotCallable     = "not-callable"     // on.workflow_call removed
	WorkflowInvalid = "workflow-invalid" // the candidate's file is not a workflow GitHub can run
)

// Kinds lists every kind of break, for the docs and the tests.
var Kinds = []string{InputRemoved, InputRenamed, InputRequired, InputType, SecretRequired, SecretRemoved, OutputRemoved,
	WorkflowRemoved, WorkflowRenamed, NotCallable, WorkflowInvalid}

// CallerRef is where a call is made.
type CallerRef struct {
	Repo string `json:"repo"`
	File string `json:"file"`
	Line int    `json:"line"`
	Job  string `json:"job"`
}

// CalleeRef is the part of the called workflow a break is about: the workflow (the uses: value
// before @), its file in the candidate's repository, and the line of the declaration involved
// (in the base for what was removed, in the candidate for what is new or changed; 0 for a file).
type CalleeRef struct {
	Workflow string `json:"workflow"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// Break is one call site the change breaks.
type Break struct {
	Caller  CallerRef `json:"caller"`
	Callee  CalleeRef `json:"callee"`
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
}

// Unchecked is a call whose base could not be read, or that was already broken at its base: the
// change cannot be judged against it, and the report says so rather than passing it in silence.
type Unchecked struct {
	Caller CallerRef `json:"caller"`
	Ref    string    `json:"ref"`
	Reason string    `json:"reason"`
	// Unread: the base could not be read at all (no checkout, no token, an API error), so
	// nothing is known of the call — unlike a call already broken at its base.
	Unread bool `json:"-"`
}

// Caller is one repository of the fleet and its calls, as the fleet read them.
type Caller struct {
	Repo  string // the repository's name, as reports name it
	Owner string
	Root  string // its checkout, "" when it is not on disk
	Calls []reusable.Call
}

// Options is one impact check.
type Options struct {
	// Candidate is the candidate tree (a pull request's checkout), read as its files are.
	Candidate string
	// Repo is the candidate's repository, OWNER/NAME: calls into it are checked.
	Repo string
	// Resolver reads each call's base: the callee where the caller pins it.
	Resolver *reusable.Resolver
	// MaxFile bounds a candidate workflow read.
	MaxFile int64
}

// Interface is the interface part of the report.
type Interface struct {
	// Calls are the call sites into the candidate's repository, checked or not.
	Calls     int
	Breaks    []Break
	Unchecked []Unchecked
	// Refs are the refs callers pin, each with the commit its base was read at ("" when not read).
	Refs map[string]string
}

// CheckInterfaces checks every call into the candidate's repository against the base at the
// caller's ref and the candidate. It fails only when ctx is cancelled.
func CheckInterfaces(ctx context.Context, opts Options, callers []Caller) (*Interface, error) {
	owner, name, ok := strings.Cut(opts.Repo, "/")
	if !ok || owner == "" || name == "" {
		return nil, fmt.Errorf("candidate repository %q: want OWNER/NAME", opts.Repo)
	}
	cand := &candidate{dir: opts.Candidate, max: cmp.Or(opts.MaxFile, 1<<20), cache: map[string]candFile{}}
	out := &Interface{Refs: map[string]string{}}
	for _, c := range callers {
		for _, call := range c.Calls {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			u := call.Uses
			if call.UsesErr != "" || u.Local || !strings.EqualFold(u.Repository(), opts.Repo) {
				continue
			}
			out.Calls++
			ref := CallerRef{Repo: c.Repo, File: call.File, Line: call.UsesPos.Line, Job: call.Job}
			base := opts.Resolver.Resolve(ctx, reusable.Caller{Repo: c.Owner + "/" + c.Repo, Root: c.Root}, u)
			if _, seen := out.Refs[u.Ref]; !seen || base.Commit != "" {
				out.Refs[u.Ref] = base.Commit
			}
			if base.Status != reusable.Resolved {
				why := base.Reason
				if base.Status != reusable.Unchecked {
					why = "already broken at its base: " + why
				}
				out.Unchecked = append(out.Unchecked, Unchecked{Caller: ref, Ref: u.Ref, Reason: why, Unread: base.Status == reusable.Unchecked})
				continue
			}
			cf := cand.read(u.Path)
			callee := CalleeRef{Workflow: u.Workflow(), File: u.Path}
			brk := func(kind string, line int, callerLine int, format string, args ...any) {
				b := Break{Caller: ref, Callee: callee, Kind: kind, Message: fmt.Sprintf(format, args...)}
				b.Callee.Line = line
				if callerLine > 0 {
					b.Caller.Line = callerLine
				}
				out.Breaks = append(out.Breaks, b)
			}
			switch {
			case cf.missing:
				if to := renamedTo(ctx, opts, c, u, base.Interface, cand); to != "" {
					brk(WorkflowRenamed, 0, 0, "%s was renamed to %s in the candidate: the call at %s fails to start (startup_failure, no logs)", u.Path, to, u.Ref)
				} else {
					brk(WorkflowRemoved, 0, 0, "%s is removed in the candidate: the call at %s fails to start (startup_failure, no logs)", u.Path, u.Ref)
				}
				continue
			case cf.err != "":
				brk(WorkflowInvalid, cf.errLine, 0, "%s in the candidate: %s", u.Path, cf.err)
				continue
			case cf.iface == nil:
				brk(NotCallable, 0, 0, "%s has no on.workflow_call trigger in the candidate, so it can no longer be called", u.Path)
				continue
			}
			for _, b := range Compare(call, base.Interface, cf.iface) {
				brk(b.Kind, b.Callee.Line, b.Caller.Line, "%s", b.Message)
			}
		}
	}
	slices.SortStableFunc(out.Breaks, func(a, b Break) int {
		return cmp.Or(strings.Compare(a.Caller.Repo, b.Caller.Repo), strings.Compare(a.Caller.File, b.Caller.File),
			cmp.Compare(a.Caller.Line, b.Caller.Line), strings.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

// Compare returns what calling cand instead of base breaks in call: each Break has its kind, its
// message, the callee's line and, when the break is at a line of the call other than uses: (a
// with: entry, an output read), that line as Caller.Line. Breaks that base already had (an input
// it did not declare either) are not the change's and are left out.
func Compare(call reusable.Call, base, cand *reusable.Interface) []Break {
	var out []Break
	add := func(kind string, calleeLine, callerLine int, format string, args ...any) {
		out = append(out, Break{Kind: kind, Callee: CalleeRef{Line: calleeLine}, Caller: CallerRef{Line: callerLine}, Message: fmt.Sprintf(format, args...)})
	}
	var added []string // inputs the candidate declares that the base does not
	for _, in := range cand.Inputs {
		if _, ok := base.Input(in.Name); !ok {
			added = append(added, in.Name)
		}
	}
	for _, ci := range call.Inputs {
		was, ok := base.Input(ci.Name)
		if !ok {
			continue // already undeclared: the reusable-call rule's finding, not this change's
		}
		now, ok := cand.Input(ci.Name)
		if !ok {
			if to := reusable.Suggest(ci.Name, added); to != "" {
				in, _ := cand.Input(to)
				add(InputRenamed, in.Pos.Line, ci.Pos.Line, "input %q, which the caller passes, is renamed to %q in the candidate (declared at line %d of the base)", ci.Name, to, was.Pos.Line)
			} else {
				add(InputRemoved, was.Pos.Line, ci.Pos.Line, "input %q, which the caller passes, is removed in the candidate%s", ci.Name, declaredList(" (it declares: ", cand.Inputs, ")"))
			}
			continue
		}
		if now.Type != was.Type && now.Type != reusable.TypeInvalid {
			fits, known := ValueFits(ci, now.Type)
			switch {
			case known && fits:
				continue // the literal the caller passes is a valid value of the new type too
			case known:
				add(InputType, now.Pos.Line, ci.Pos.Line, "input %q changes type from %s to %s, and the caller passes %s, which is not a %s", ci.Name, was.Type, now.Type, quoteValue(ci), now.Type)
			default:
				add(InputType, now.Pos.Line, ci.Pos.Line, "input %q changes type from %s to %s; the caller passes an expression (%s), checked by GitHub only at run time", ci.Name, was.Type, now.Type, clip(ci.Value))
			}
		}
	}
	for _, in := range cand.Inputs {
		if !in.MustPass() || passes(call, in.Name) {
			continue
		}
		if was, ok := base.Input(in.Name); ok && was.MustPass() {
			continue // the caller failed already
		}
		add(InputRequired, in.Pos.Line, 0, "input %q is required without a default in the candidate, and the caller does not pass it", in.Name)
	}
	if !call.InheritSecrets {
		for _, s := range cand.Secrets {
			if !s.Required || passesSecret(call, s.Name) {
				continue
			}
			if was, ok := base.Secret(s.Name); ok && was.Required {
				continue
			}
			add(SecretRequired, s.Pos.Line, 0, "secret %q is required in the candidate, and the caller does not pass it (nor secrets: inherit)", s.Name)
		}
		for _, cs := range call.Secrets {
			was, ok := base.Secret(cs.Name)
			if !ok {
				continue
			}
			if _, ok := cand.Secret(cs.Name); !ok {
				add(SecretRemoved, was.Pos.Line, cs.Pos.Line, "secret %q, which the caller passes, is no longer declared in the candidate: GitHub refuses a secret the called workflow does not declare", cs.Name)
			}
		}
	}
	seen := map[string]bool{}
	for _, r := range call.OutputReads {
		key := strings.ToLower(r.Name)
		was, ok := base.Output(r.Name)
		if !ok || seen[key] {
			continue
		}
		if _, ok := cand.Output(r.Name); !ok {
			seen[key] = true
			add(OutputRemoved, was.Pos.Line, r.Pos.Line, "output %q, which the caller reads (needs.%s.outputs.%s), is removed in the candidate: it reads as empty", r.Name, call.Job, r.Name)
		}
	}
	return out
}

func passes(call reusable.Call, name string) bool {
	return slices.ContainsFunc(call.Inputs, func(ci reusable.CallInput) bool { return strings.EqualFold(ci.Name, name) })
}

func passesSecret(call reusable.Call, name string) bool {
	return slices.ContainsFunc(call.Secrets, func(cs reusable.CallSecret) bool { return strings.EqualFold(cs.Name, name) })
}

func declaredList(prefix string, ins []reusable.Input, suffix string) string {
	if len(ins) == 0 {
		return " (it declares no inputs)"
	}
	names := make([]string, len(ins))
	for i, in := range ins {
		names[i] = in.Name
	}
	return prefix + strings.Join(names, ", ") + suffix
}

// candidate reads the candidate's workflows, once each.
type candidate struct {
	dir   string
	max   int64
	cache map[string]candFile
	files []string // .github/workflows/*.yml|yaml, listed once
	list  bool
}

type candFile struct {
	missing bool
	iface   *reusable.Interface
	err     string
	errLine int
}

func (c *candidate) read(p string) candFile {
	if f, ok := c.cache[p]; ok {
		return f
	}
	var f candFile
	src, err := fsutil.ReadRegular(filepath.Join(c.dir, filepath.FromSlash(p)), c.max)
	var pe *reusable.ParseError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.missing = true
	case err != nil:
		f.err = "cannot be read: " + err.Error()
	default:
		iface, err := reusable.ParseInterface(src)
		switch {
		case errors.Is(err, reusable.ErrNotCallable):
		case errors.As(err, &pe):
			f.err, f.errLine = "not a workflow GitHub can run ("+pe.Msg+")", pe.Line
		case err != nil:
			f.err = err.Error()
		default:
			f.iface = iface
		}
	}
	c.cache[p] = f
	return f
}

// workflows lists the candidate's callable workflow files.
func (c *candidate) workflows() []string {
	if c.list {
		return c.files
	}
	c.list = true
	matches, _ := filepath.Glob(filepath.Join(c.dir, ".github", "workflows", "*"))
	for _, m := range matches {
		if ext := filepath.Ext(m); ext != ".yml" && ext != ".yaml" {
			continue
		}
		p := ".github/workflows/" + filepath.Base(m)
		if f := c.read(p); f.iface != nil {
			c.files = append(c.files, p)
		}
	}
	return c.files
}

// renamedTo names the candidate's workflow a removed one was probably renamed to: a callable
// file the base does not have at the caller's ref whose name is a near miss of the old one, or
// the only such file with the same inputs. "" when there is none.
func renamedTo(ctx context.Context, opts Options, c Caller, u reusable.Uses, was *reusable.Interface, cand *candidate) string {
	var fresh []string
	for _, p := range cand.workflows() {
		nu := u
		nu.Path, nu.Raw = p, ""
		if res := opts.Resolver.Resolve(ctx, reusable.Caller{Repo: c.Owner + "/" + c.Repo, Root: c.Root}, nu); res.Status == reusable.FileMissing {
			fresh = append(fresh, p)
		}
	}
	names := make([]string, len(fresh))
	for i, p := range fresh {
		names[i] = strings.TrimSuffix(path.Base(p), path.Ext(p))
	}
	if s := reusable.Suggest(strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path)), names); s != "" {
		return fresh[slices.Index(names, s)]
	}
	var same []string
	for _, p := range fresh {
		if sameInputs(cand.read(p).iface, was) {
			same = append(same, p)
		}
	}
	if len(same) == 1 {
		return same[0]
	}
	return ""
}

func sameInputs(a, b *reusable.Interface) bool {
	if a == nil || b == nil || len(a.Inputs) != len(b.Inputs) {
		return false
	}
	for _, in := range a.Inputs {
		if _, ok := b.Input(in.Name); !ok {
			return false
		}
	}
	return true
}

// ValueFits reports whether the value a call passes is a valid value of type t, and whether that
// can be known before the run: an expression is known only at run time. A quoted YAML string is
// a string whatever it says; a plain true/false is a boolean, a plain number a number.
func ValueFits(ci reusable.CallInput, t reusable.InputType) (fits, known bool) {
	v := strings.TrimSpace(ci.Value)
	if strings.Contains(v, "${{") {
		return false, false
	}
	kind := reusable.TypeString
	if !ci.Quoted {
		switch {
		case v == "true" || v == "false":
			kind = reusable.TypeBoolean
		case isNumber(v):
			kind = reusable.TypeNumber
		}
	}
	return kind == t, true
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	dot, digits := false, 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' && !dot:
			dot = true
		case (r == '-' || r == '+') && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

func quoteValue(ci reusable.CallInput) string {
	if ci.Quoted {
		return fmt.Sprintf("the string %q", clip(ci.Value))
	}
	return clip(ci.Value)
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// CallersOf turns a fleet run's results (fleet --calls) into the callers to check, and the
// repositories that could not be read into report lines.
func CallersOf(res *fleet.Result) ([]Caller, []RepoError) {
	var callers []Caller
	var bad []RepoError
	for _, r := range res.Repos {
		if r.Error != "" {
			bad = append(bad, RepoError{Repo: r.Repo.Name, Error: r.Error})
			continue
		}
		callers = append(callers, Caller{Repo: r.Repo.Name, Owner: r.Repo.Owner, Root: r.Repo.Dir, Calls: r.Calls})
	}
	return callers, bad
}

// Document makes the report of an interface check; verdicts are added by Compare.
func (i *Interface) Document(candidate string, callers []Caller, unreadable []RepoError) *Document {
	d := &Document{Candidate: candidate, Callers: i.Calls, Breaks: i.Breaks, Unchecked: i.Unchecked, Unreadable: unreadable, Repos: len(callers) + len(unreadable)}
	for _, c := range callers {
		if slices.ContainsFunc(c.Calls, func(call reusable.Call) bool {
			return !call.Uses.Local && strings.EqualFold(call.Uses.Repository(), candidate)
		}) {
			d.Calling++
		}
	}
	return d
}

// PinningRef keeps, of the calls into repo (OWNER/NAME), only those pinning ref, exactly as
// written (a release checks the callers of the tag it moves); the others are counted by the ref
// they pin, so that the report can show that no caller was missed. Calls into other repositories
// are kept: they are not checked anyway.
func PinningRef(callers []Caller, repo, ref string) ([]Caller, map[string]int) {
	other := map[string]int{}
	out := make([]Caller, 0, len(callers))
	for _, c := range callers {
		kept := c
		kept.Calls = nil
		for _, call := range c.Calls {
			if call.UsesErr == "" && !call.Uses.Local && strings.EqualFold(call.Uses.Repository(), repo) && call.Uses.Ref != ref {
				other[call.Uses.Ref]++
				continue
			}
			kept.Calls = append(kept.Calls, call)
		}
		out = append(out, kept)
	}
	return out, other
}
