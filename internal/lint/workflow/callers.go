package workflow

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
)

// ---- callers of local actions and reusable workflows ----
//
// A local composite action (uses: ./path) and a local reusable workflow (uses:
// ./.github/workflows/x.yml) get their inputs from the workflows of the same repository. An
// input is code in the callee's run: script when a caller passes an attacker-controlled value —
// a pull request title on pull_request_target — yet nothing in the callee says so. The callers
// index holds, per callee, the inputs some caller of the repository sets from such a value, so
// that template-injection reports the callee's ${{ inputs.X }} with the path through the caller.
//
// Only the callers' own facts count (one level): a caller that passes its own inputs along is
// not followed further, so the index has no cycles to break. A value counts only where the
// caller's trigger makes it attacker-controlled and the run privileged (flow.trigger: a PR title
// on pull_request_target, a comment on issue_comment), as env-file-injection judges a flow:
// a pull_request run of a fork's code gains the attacker nothing, and a constant, a SHA or the
// caller's own input is nobody's to craft.

// Bounds of the callers index: the workflow files read per repository, the size of each and of
// all together (a repository with more is read in name order up to them).
const (
	maxCallerFiles = 2000
	maxCallerSize  = 1 << 20
	maxCallerBytes = 64 << 20
)

// localUses finds a local uses: in a file's text, so that only the files that have one are
// parsed (most workflows call nothing local).
var localUses = regexp.MustCompile(`uses:\s*['"]?\./`)

// callerIndex is one repository's tainted inputs of local callees: callee key (the action's
// directory or the workflow's path, slash-separated and relative to the repository root) ->
// input name (lower case) -> the first such value, in caller file and line order.
type callerIndex struct {
	once   sync.Once
	inputs map[string]map[string]callerValue
}

// callerValue is an attacker-controlled value a caller passes to an input: its flow, whose
// lines are the caller's, up to the with: entry; the caller's file; the trigger on which the
// attacker sets it.
type callerValue struct {
	flow     flow
	file, on string
}

// callersOf returns the index of the repository at root, reading its workflows once per run.
func (l *Linter) callersOf(root string) *callerIndex {
	l.mu.Lock()
	if l.callers == nil {
		l.callers = map[string]*callerIndex{}
	}
	ix, ok := l.callers[root]
	if !ok {
		ix = &callerIndex{}
		l.callers[root] = ix
	}
	l.mu.Unlock()
	ix.once.Do(func() { ix.inputs = l.readCallers(root) })
	return ix
}

// readCallers reads the workflows under root/.github/workflows (regular files only, bounded in
// number and size; a file that cannot be read or parsed is another rule's finding, not a caller)
// and records the tainted with: values of their local calls.
func (l *Linter) readCallers(root string) map[string]map[string]callerValue {
	out := map[string]map[string]callerValue{}
	dir := filepath.Join(root, ".github", "workflows")
	for _, d := range []string{filepath.Dir(dir), dir} {
		// A linked directory may lead outside the repository: its files are not the callers.
		if st, err := os.Lstat(d); err != nil || !st.IsDir() {
			return out
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	n, total := 0, 0
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".yaml") {
			continue
		}
		if n++; n > maxCallerFiles {
			break
		}
		src, err := fsutil.ReadRegular(filepath.Join(dir, name), maxCallerSize)
		if err != nil {
			continue
		}
		if total += len(src); total > maxCallerBytes {
			break
		}
		if !localUses.Match(src) {
			continue
		}
		w, _ := actionlint.Parse(src)
		if w == nil {
			continue
		}
		rel := ".github/workflows/" + name
		callerInputs(newFile(l, rel, src, KindWorkflow, w), out)
	}
	return out
}

// callerInputs adds the tainted with: values of f's local calls to out.
func callerInputs(f *File, out map[string]map[string]callerValue) {
	t := f.taint()
	add := func(uses *actionlint.String, name string, v *actionlint.String, steps, env map[string]*taint, trust ...[]string) {
		key := localCallee(uses)
		if key == "" || v == nil {
			return
		}
		name = strings.ToLower(name)
		if _, seen := out[key][name]; seen {
			return
		}
		for _, e := range expressions(v.Value) {
			var fl flow
			if p := untrusted(e.node); p != "" {
				if trusted(p, trust...) {
					continue
				}
				fl = contextSource(p)
			} else if _, src := t.derived(e.node, steps, env); src != nil {
				fl = src.flow
			} else {
				continue
			}
			on := fl.trigger(f)
			if on == "" {
				continue
			}
			if out[key] == nil {
				out[key] = map[string]callerValue{}
			}
			out[key][name] = callerValue{flow: fl.then("with: "+name, lineOf(v.Pos)), file: f.Path, on: on}
			return
		}
	}
	for _, j := range f.Jobs {
		jobTrust := trustedBy(j.If)
		if c := j.WorkflowCall; c != nil {
			names := make([]string, 0, len(c.Inputs))
			for k := range c.Inputs {
				names = append(names, k)
			}
			slices.Sort(names)
			for _, k := range names {
				if in := c.Inputs[k]; in != nil {
					add(c.Uses, k, in.Value, nil, nil, t.wfTrust, jobTrust)
				}
			}
		}
		steps, env := t.steps[j.Job], t.jobEnv[j.Job]
		for _, s := range j.Steps {
			a, ok := s.Exec.(*actionlint.ExecAction)
			if !ok {
				continue
			}
			names := make([]string, 0, len(a.Inputs))
			for k := range a.Inputs {
				names = append(names, k)
			}
			slices.Sort(names)
			stepEnv := envTaint(s.Env, env)
			for _, k := range names {
				if in := a.Inputs[k]; in != nil {
					add(a.Uses, k, in.Value, steps, stepEnv, t.wfTrust, jobTrust, trustedBy(s.If))
				}
			}
		}
	}
}

// localCallee is the index key of a local uses: (./dir or ./.github/workflows/x.yml), "" for
// anything else (a remote action, a docker:// image, an expression, a path leaving the root).
func localCallee(uses *actionlint.String) string {
	if uses == nil {
		return ""
	}
	rest, ok := strings.CutPrefix(uses.Value, "./")
	if !ok || strings.Contains(rest, "${{") {
		return ""
	}
	p := path.Clean(rest)
	if p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return ""
	}
	return p
}

// calleeKey is the index key of the file f (relative to the repository root, slash-separated):
// an action's directory, a reusable workflow's path; "" when the run has no root or the file is
// not under it.
func (f *File) calleeKey() string {
	root := f.opts.Root
	if root == "" || f.linter == nil {
		return ""
	}
	abs := filepath.FromSlash(f.Path)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(f.linter.cwd, abs)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	rel = filepath.ToSlash(rel)
	if f.Kind == KindAction {
		return path.Dir(rel)
	}
	return rel
}

// callerInput returns the flow by which a caller in the repository sets input name of f (a
// local composite action, or a workflow called through on: workflow_call) from an
// attacker-controlled value, and whether there is one. The repository's workflows are read on
// the first call of the run, so only a file that interpolates an input pays for it.
func (f *File) callerInput(name string) (callerValue, bool) {
	if !f.callerDone {
		f.callerDone = true
		if f.Kind == KindAction || f.Workflow != nil && slices.ContainsFunc(f.Workflow.On, func(e actionlint.Event) bool { return e.EventName() == "workflow_call" }) {
			if key := f.calleeKey(); key != "" {
				f.callerMemo = f.linter.callersOf(f.opts.Root).inputs[key]
			}
		}
	}
	v, ok := f.callerMemo[strings.ToLower(name)]
	return v, ok
}
