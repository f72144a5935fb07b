// Package migrate owns `fleet migrate`: rewriting a repository's calls of the organisation's old
// shared workflows to their successors, what MIGRATING.md described by hand, computed.
//
// For each call of an old workflow (Mappings) it computes, from the successor's on.workflow_call
// interface read at the target ref: the new uses: (the successor's repository and file, at the
// commit the ref names with a "# REF" comment when it is known — the organisation's pinning
// policy — else at the ref as given), the inputs to rename (the explicit table for what cannot
// be computed, then names equal but for case and '-'/'_'), and the token scopes the caller must
// grant that it does not. A call that cannot be migrated as it is (an input, secret or output
// the successor does not have, a required input the caller does not pass) is not rewritten: it
// is a Problem the report names, so a migration never turns a working call into a broken one.
//
// Files are edited as text at yaml.v3's node positions (edit.go), never re-serialised. The
// package never prints, exits or reads the environment.
package migrate

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/reusable"
)

// Mapping is one old shared workflow and its successor.
type Mapping struct {
	// From is the old workflow, OWNER/REPO/.github/workflows/FILE, and Refs the refs it is
	// migrated from (the branches callers pinned; a call at another ref is left alone).
	From string
	Refs []string
	// To is the successor's path in the successor's repository.
	To string
	// Inputs renames inputs the successor names differently in a way that cannot be computed
	// (old name → new name). Names equal but for case and '-'/'_' are computed.
	Inputs map[string]string
	// Why says, for the explanation, what changes beyond the ref.
	Why string
}

// SuccessorRepo is the repository of the successors: this one.
const SuccessorRepo = "Molecule-AI/molecule-ci"

// Mappings are the organisation's old shared workflows: five in the shared-CI repository, backed
// by Python scripts, and the secret scan that lived in the core monorepo. Their successors keep
// the file names, inputs, secrets and check names; no input was renamed, so Inputs is empty —
// the table is where a rename would be written.
var Mappings = []Mapping{
	{From: "Molecule-AI/molecule-ci/.github/workflows/validate-workspace-template.yml", Refs: []string{"main", "staging"}, To: ".github/workflows/validate-workspace-template.yml"},
	{From: "Molecule-AI/molecule-ci/.github/workflows/publish-template-image.yml", Refs: []string{"main", "staging"}, To: ".github/workflows/publish-template-image.yml"},
	{From: "Molecule-AI/molecule-ci/.github/workflows/validate-plugin.yml", Refs: []string{"main", "staging"}, To: ".github/workflows/validate-plugin.yml"},
	{From: "Molecule-AI/molecule-ci/.github/workflows/validate-org-template.yml", Refs: []string{"main", "staging"}, To: ".github/workflows/validate-org-template.yml"},
	{From: "Molecule-AI/molecule-ci/.github/workflows/validate-go-plugin.yml", Refs: []string{"main", "staging"}, To: ".github/workflows/validate-go-plugin.yml"},
	{From: "Molecule-AI/molecule-core/.github/workflows/secret-scan.yml", Refs: []string{"staging"}, To: ".github/workflows/secret-scan.yml",
		Why: "moves repository: the one shared workflow that lived in an application repository, on a branch that moved under every caller"},
}

// mappingOf returns the mapping of a call, if it is one to migrate.
func mappingOf(u reusable.Uses) (Mapping, bool) {
	for _, m := range Mappings {
		if strings.EqualFold(u.Workflow(), m.From) && slices.Contains(m.Refs, u.Ref) {
			return m, true
		}
	}
	return Mapping{}, false
}

// Successor is the target of the migration.
type Successor struct {
	Repo string // OWNER/NAME
	// Ref is the ref as given (--ref); Pin is what uses: is written at: the commit Ref names
	// when it is known, else Ref. When they differ, uses: gets a "# Ref" comment.
	Ref, Pin string
	// Interface returns the successor workflow at path, or why it cannot be read.
	Interface func(path string) (*reusable.Interface, error)
}

// uses is the successor's uses: value for path, and its comment ("" for none).
func (s Successor) uses(path string) (string, string) {
	v := s.Repo + "/" + path + "@" + cmp.Or(s.Pin, s.Ref)
	if s.Pin != "" && s.Pin != s.Ref {
		return v, "# " + s.Ref
	}
	return v, ""
}

// Call is one call of an old workflow: migrated, or a problem.
type Call struct {
	File string `json:"file"`
	Line int    `json:"line"` // of uses:
	Job  string `json:"job"`
	From string `json:"from"` // the uses: value as written
	To   string `json:"to"`   // the new uses: value (with its comment); "" when not migrated
	// Renamed are the inputs renamed, "old → new".
	Renamed []string `json:"renamed"`
	// Granted are the token scopes granted to the calling job, "scope: level".
	Granted []string `json:"granted"`
	// Problem says why the call was not migrated ("" when it was).
	Problem string `json:"problem,omitempty"`
}

// File is a workflow file the migration changes.
type File struct {
	Path     string // relative to the repository root, slash-separated
	Old, New []byte
	Created  bool // a new file (Old is empty)
}

// Result is a repository's migration.
type Result struct {
	Calls []Call
	Files []File
}

// Diff is the unified diff of every changed file, git-apply-able from the repository's root.
func (r *Result) Diff() string {
	var b strings.Builder
	for _, f := range r.Files {
		if f.Created {
			b.WriteString(NewFileDiff(f.Path, string(f.New)))
			continue
		}
		b.WriteString(Diff(f.Path, string(f.Old), string(f.New)))
	}
	return b.String()
}

// Migrated counts the calls migrated.
func (r *Result) Migrated() int {
	n := 0
	for _, c := range r.Calls {
		if c.Problem == "" {
			n++
		}
	}
	return n
}

// workflowDirs are the directories whose workflows GitHub runs.
var workflowDirs = []string{".github/workflows"}

// Repository migrates the workflows of the checkout at root. maxFile bounds a file read.
func Repository(root string, s Successor, maxFile int64) (*Result, error) {
	res := &Result{}
	for _, d := range workflowDirs {
		entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(d)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if !e.Type().IsRegular() || (ext != ".yml" && ext != ".yaml") {
				continue
			}
			p := d + "/" + e.Name()
			src, err := fsutil.ReadRegular(filepath.Join(root, filepath.FromSlash(p)), maxFile)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			out, calls := File1(p, src, s)
			res.Calls = append(res.Calls, calls...)
			if out != nil {
				res.Files = append(res.Files, File{Path: p, Old: src, New: out})
			}
		}
	}
	return res, nil
}

// restrictedDefault is what a GITHUB_TOKEN holds when neither the workflow nor the job declares
// permissions and the organisation uses GitHub's restricted default: a called workflow asking
// for no more runs under either default.
var restrictedDefault = map[string]string{"contents": reusable.PermRead, "packages": reusable.PermRead, "metadata": reusable.PermRead}

// File1 migrates the calls of one workflow file. It returns the new content (nil when nothing
// changes) and every call of an old workflow in it, migrated or not. A file that is not YAML
// or has no jobs has no calls.
func File1(path string, src []byte, s Successor) ([]byte, []Call) {
	calls, err := reusable.Calls(path, src)
	if err != nil || len(calls) == 0 {
		return nil, nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	jobs := mapValue(root, "jobs")
	topPerms := mapValue(root, "permissions")
	t := newText(src)
	t.step = indentStep(root, jobs)
	var edits []edit
	var out []Call
	for _, call := range calls {
		if call.UsesErr != "" {
			continue
		}
		m, ok := mappingOf(call.Uses)
		if !ok {
			continue
		}
		c := Call{File: path, Line: call.UsesPos.Line, Job: call.Job, From: call.Uses.Raw}
		job := mapValue(jobs, call.Job)
		e, err := migrateCall(t, job, topPerms, call, m, s, &c)
		if err != nil {
			c.Problem, c.To, c.Renamed, c.Granted = err.Error(), "", nil, nil
		} else {
			edits = append(edits, e...)
		}
		out = append(out, c)
	}
	if len(edits) == 0 {
		return nil, out
	}
	newSrc, err := apply(t.src, edits)
	if err != nil {
		for i := range out {
			if out[i].Problem == "" {
				out[i].Problem, out[i].To = "the edits of this file overlap: "+err.Error(), ""
			}
		}
		return nil, out
	}
	return []byte(newSrc), out
}

// migrateCall computes the edits of one call, or why it cannot be migrated.
func migrateCall(t *text, job, topPerms *yaml.Node, call reusable.Call, m Mapping, s Successor, c *Call) ([]edit, error) {
	if job == nil || job.Kind != yaml.MappingNode {
		return nil, errors.New("the job is not a mapping this migration can edit")
	}
	iface, err := s.Interface(m.To)
	if err != nil {
		return nil, fmt.Errorf("the successor %s/%s at %s: %v", s.Repo, m.To, s.Ref, err)
	}
	var edits []edit
	// uses:
	usesNode := mapValue(job, "uses")
	start, end, comment, ok := t.scalarSpan(usesNode)
	if !ok {
		return nil, errors.New("uses: is not written as a one-line scalar this migration can edit")
	}
	v, note := s.uses(m.To)
	c.To = v
	repl := quoteLike(t.src[start:end], v)
	if note != "" {
		c.To += " " + note
		if comment >= 0 {
			// Keep the line's own comment after the ref's.
			edits = append(edits, edit{start, comment + 1, repl + " " + note + ";"})
		} else {
			edits = append(edits, edit{start, end, repl + " " + note})
		}
	} else {
		edits = append(edits, edit{start, end, repl})
	}
	// inputs
	with := mapValue(job, "with")
	for _, ci := range call.Inputs {
		if _, ok := iface.Input(ci.Name); ok {
			continue
		}
		to := renamed(ci.Name, m.Inputs, iface)
		if to == "" {
			return nil, fmt.Errorf("input %q is not declared by the successor %s (it declares: %s); fix or drop it, then migrate", ci.Name, m.To, inputNames(iface))
		}
		key := mapKey(with, ci.Name)
		ks, ke, _, ok := t.scalarSpan(key)
		if !ok {
			return nil, fmt.Errorf("input %q: its key is not written as a scalar this migration can edit", ci.Name)
		}
		edits = append(edits, edit{ks, ke, quoteLike(t.src[ks:ke], to)})
		c.Renamed = append(c.Renamed, ci.Name+" → "+to)
	}
	for _, in := range iface.Inputs {
		if in.MustPass() && !slices.ContainsFunc(call.Inputs, func(ci reusable.CallInput) bool {
			return strings.EqualFold(ci.Name, in.Name) || strings.EqualFold(renamed(ci.Name, m.Inputs, iface), in.Name)
		}) {
			return nil, fmt.Errorf("the successor %s requires input %q, which the call does not pass", m.To, in.Name)
		}
	}
	if !call.InheritSecrets {
		for _, cs := range call.Secrets {
			if _, ok := iface.Secret(cs.Name); !ok {
				return nil, fmt.Errorf("secret %q is not declared by the successor %s", cs.Name, m.To)
			}
		}
		for _, sc := range iface.Secrets {
			if sc.Required && !slices.ContainsFunc(call.Secrets, func(cs reusable.CallSecret) bool { return strings.EqualFold(cs.Name, sc.Name) }) {
				return nil, fmt.Errorf("the successor %s requires secret %q, which the call does not pass", m.To, sc.Name)
			}
		}
	}
	for _, r := range call.OutputReads {
		if _, ok := iface.Output(r.Name); !ok {
			return nil, fmt.Errorf("the caller reads output %q (line %d), which the successor %s does not declare", r.Name, r.Pos.Line, m.To)
		}
	}
	pe, granted, err := grant(t, job, topPerms, iface.Permissions)
	if err != nil {
		return nil, err
	}
	c.Granted = granted
	return append(edits, pe...), nil
}

// renamed is the successor's name of an input it does not declare under name: the explicit
// table, else a declared input equal but for case and '-'/'_'; "" when there is none.
func renamed(name string, table map[string]string, iface *reusable.Interface) string {
	for old, to := range table {
		if strings.EqualFold(old, name) {
			if in, ok := iface.Input(to); ok {
				return in.Name
			}
		}
	}
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	for _, in := range iface.Inputs {
		if norm(in.Name) == norm(name) {
			return in.Name
		}
	}
	return ""
}

func inputNames(iface *reusable.Interface) string {
	if len(iface.Inputs) == 0 {
		return "no inputs"
	}
	var names []string
	for _, in := range iface.Inputs {
		names = append(names, in.Name)
	}
	return strings.Join(names, ", ")
}

// grant returns the edits that give the calling job the token scopes the successor asks for
// that the caller does not grant: missing scopes added to (or raised in) the job's own
// permissions: mapping, else a permissions: block inserted above uses:. When neither the job
// nor the workflow declares permissions, the token is the repository's default, and only what
// exceeds GitHub's restricted default is granted.
func grant(t *text, job, top *yaml.Node, need map[string]string) ([]edit, []string, error) {
	if len(need) == 0 {
		return nil, nil, nil
	}
	jp := mapValue(job, "permissions")
	effective := jp
	if effective == nil {
		effective = top
	}
	var have map[string]string
	if effective == nil {
		have = restrictedDefault
	} else {
		var err error
		if have, err = permissionsOf(effective); err != nil {
			return nil, nil, err
		}
	}
	var missing []string
	for _, scope := range reusable.Scopes(need) {
		if scope == reusable.AllScopes {
			return nil, nil, fmt.Errorf("the successor asks for %s-all permissions, which a migration does not grant by itself", need[scope])
		}
		if !covers(have, scope, need[scope]) {
			missing = append(missing, scope)
		}
	}
	if len(missing) == 0 {
		return nil, nil, nil
	}
	var granted []string
	if jp != nil && jp.Kind == yaml.MappingNode && jp.Style&yaml.FlowStyle == 0 && len(jp.Content) > 0 {
		// Add to (or raise in) the job's own block mapping, in its indentation.
		last := jp.Content[len(jp.Content)-2]
		ks := t.offset(last.Line, last.Column)
		if ks < 0 {
			return nil, nil, errors.New("the job's permissions: cannot be located in the file")
		}
		indent := t.indentOf(ks)
		var edits []edit
		var add strings.Builder
		for _, scope := range missing {
			if v := mapValue(jp, scope); v != nil {
				vs, ve, _, ok := t.scalarSpan(v)
				if !ok {
					return nil, nil, fmt.Errorf("the job's permission %s cannot be edited", scope)
				}
				edits = append(edits, edit{vs, ve, need[scope]})
			} else {
				fmt.Fprintf(&add, "%s%s: %s\n", indent, scope, need[scope])
			}
			granted = append(granted, scope+": "+need[scope])
		}
		if add.Len() > 0 {
			at := t.lineEnd(lastLine(t, jp)) + 1
			text := add.String()
			if at > len(t.src) { // the mapping ends the file without a newline
				at, text = len(t.src), "\n"+strings.TrimSuffix(text, "\n")
			}
			edits = append(edits, edit{at, at, text})
		}
		return edits, granted, nil
	}
	if jp != nil {
		return nil, nil, fmt.Errorf("the job's permissions: is not a block mapping this migration can edit; grant %s", scopeList(need, missing))
	}
	// A new block above uses:, with everything the successor asks for (a job's permissions
	// replace the workflow's).
	key := mapKey(job, "uses")
	ko := t.offset(key.Line, key.Column)
	if ko < 0 || strings.TrimLeft(t.src[t.lineStart(ko):ko], " ") != "" {
		return nil, nil, fmt.Errorf("uses: is not on a line of its own; grant %s", scopeList(need, missing))
	}
	indent := t.src[t.lineStart(ko):ko]
	var b strings.Builder
	b.WriteString(indent + "permissions:\n")
	for _, scope := range reusable.Scopes(need) {
		fmt.Fprintf(&b, "%s%s%s: %s\n", indent, t.step, scope, need[scope])
		granted = append(granted, scope+": "+need[scope])
	}
	return []edit{{t.lineStart(ko), t.lineStart(ko), b.String()}}, granted, nil
}

// indentStep is the file's indentation step: how far the job ids are indented under jobs:.
func indentStep(root, jobs *yaml.Node) string {
	k := mapKey(root, "jobs")
	if k != nil && jobs != nil && jobs.Kind == yaml.MappingNode && len(jobs.Content) > 0 && jobs.Content[0].Column > k.Column {
		return strings.Repeat(" ", jobs.Content[0].Column-k.Column)
	}
	return "  "
}

// lastLine is an offset on the last line of a block mapping's last value.
func lastLine(t *text, m *yaml.Node) int {
	n := m.Content[len(m.Content)-1]
	for len(n.Content) > 0 {
		n = n.Content[len(n.Content)-1]
	}
	return t.offset(n.Line, n.Column)
}

func scopeList(need map[string]string, scopes []string) string {
	var out []string
	for _, s := range scopes {
		out = append(out, s+": "+need[s])
	}
	return strings.Join(out, ", ")
}

// permissionsOf reads a permissions: value: read-all, write-all, {} or a mapping.
func permissionsOf(n *yaml.Node) (map[string]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Value {
		case "read-all":
			return map[string]string{reusable.AllScopes: reusable.PermRead}, nil
		case "write-all":
			return map[string]string{reusable.AllScopes: reusable.PermWrite}, nil
		}
		return nil, fmt.Errorf("permissions: %q at line %d is not read-all, write-all or a mapping", n.Value, n.Line)
	case yaml.MappingNode:
		out := map[string]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = n.Content[i+1].Value
		}
		return out, nil
	}
	return nil, fmt.Errorf("permissions: at line %d is not a mapping", n.Line)
}

func covers(have map[string]string, scope, level string) bool {
	return reusable.PermissionCovers(have[scope], level) || reusable.PermissionCovers(have[reusable.AllScopes], level)
}

// quoteLike writes v quoted as old was.
func quoteLike(old, v string) string {
	switch {
	case strings.HasPrefix(old, `"`):
		return `"` + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), `"`, `\"`) + `"`
	case strings.HasPrefix(old, "'"):
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return v
}

// mapValue returns the value of key in a mapping node (nil when absent or not a mapping).
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if k := mapKey(m, key); k != nil {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i] == k {
				return m.Content[i+1]
			}
		}
	}
	return nil
}

// mapKey returns the key node named key (compared without case, as GitHub compares input names).
func mapKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if strings.EqualFold(m.Content[i].Value, key) {
			return m.Content[i]
		}
	}
	return nil
}

// maxSuccessor bounds a successor workflow read from a directory.
const maxSuccessor = 1 << 20

// DirInterfaces reads successor workflows from the files of dir (a checkout's working tree).
func DirInterfaces(dir string) func(path string) (*reusable.Interface, error) {
	return func(p string) (*reusable.Interface, error) {
		src, err := fsutil.ReadRegular(filepath.Join(dir, filepath.FromSlash(p)), maxSuccessor)
		if err != nil {
			return nil, err
		}
		return reusable.ParseInterface(src)
	}
}
