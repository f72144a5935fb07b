package migrate

import (
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

// Adoption: a migrated repository calls molecule-ci's lint too, with a baseline of the findings
// it already has, so that it adopts molecule-ci's rules without turning red on the day it
// switches — new findings fail, the old ones are shown until they are fixed.

// LintWorkflow is the successor's reusable lint workflow; BaselineInput its input naming the
// baseline file; BaselineFile where a migration writes the baseline (the repository's root,
// the name docs/baseline.md uses).
const (
	LintWorkflow  = ".github/workflows/lint.yml"
	BaselineInput = "baseline"
	BaselineFile  = ".molecule-ci-baseline.json"
)

// Adoption is what LintCaller decided for a repository.
type Adoption struct {
	// File is the workflow file added or edited to call the lint workflow (nil: none).
	File *File
	// Baseline is the baseline path the caller passes ("" when none is passed); Note says why
	// nothing was added or what was kept.
	Baseline, Note string
}

// LintCaller makes the repository at root call the successor's lint workflow, passing baseline
// ("" for none) as its baseline input. files are the migration's changes, read over root's. An
// existing caller of the lint workflow keeps its ref and gets the baseline input added (one it
// passes already is kept, and its path is the baseline's); a repository without one gets a new
// workflow, on every pull request, the merge queue and pushes to branch. A successor whose lint
// workflow cannot be read, or declares no baseline input, adds nothing: the Note says why.
func LintCaller(root string, files []File, s Successor, baseline, branch string, maxFile int64) (Adoption, error) {
	if baseline != "" && (!fs.ValidPath(baseline) || strings.ContainsAny(baseline, "\n\r")) {
		return Adoption{}, fmt.Errorf("baseline %q is not a path in the repository", baseline)
	}
	iface, err := s.Interface(LintWorkflow)
	if err != nil {
		return Adoption{Note: fmt.Sprintf("no lint workflow added: the successor %s at %s: %v", LintWorkflow, s.Ref, err)}, nil
	}
	if _, ok := iface.Input(BaselineInput); !ok && baseline != "" {
		return Adoption{Note: fmt.Sprintf("no lint workflow added: the successor %s at %s has no %q input for the baseline", LintWorkflow, s.Ref, BaselineInput)}, nil
	}
	wfs, err := workflows(root, files, maxFile)
	if err != nil {
		return Adoption{}, err
	}
	taken := map[string]bool{}
	for _, f := range wfs {
		taken[f.Path] = true
		calls, err := reusable.Calls(f.Path, f.New)
		if err != nil {
			continue
		}
		for _, c := range calls {
			if c.UsesErr != "" || !strings.EqualFold(c.Uses.Workflow(), s.Repo+"/"+LintWorkflow) {
				continue
			}
			return existingCaller(f, c, baseline)
		}
	}
	path := ""
	for _, p := range []string{LintWorkflow, ".github/workflows/molecule-ci-lint.yml"} {
		if !taken[p] && !taken[strings.TrimSuffix(p, ".yml")+".yaml"] {
			path = p
			break
		}
	}
	if path == "" {
		return Adoption{Note: "no lint workflow added: lint.yml and molecule-ci-lint.yml are taken"}, nil
	}
	return Adoption{File: &File{Path: path, New: []byte(lintCallerText(s, iface, baseline, branch)), Created: true}, Baseline: baseline}, nil
}

// lintCallerText is the new workflow calling the lint workflow: workflows-shared/lint.yml's, with
// the ref pinned as the migrated calls are and the token scopes the successor's job asks for.
func lintCallerText(s Successor, iface *reusable.Interface, baseline, branch string) string {
	var b strings.Builder
	b.WriteString("# molecule-ci lint, added by `molecule-ci fleet migrate`.\n")
	if baseline != "" {
		fmt.Fprintf(&b, "# The findings the repository had when it moved are in %s:\n", baseline)
		b.WriteString("# shown, never failing; new ones fail. Fix old ones, then shrink the baseline with\n")
		fmt.Fprintf(&b, "#   molecule-ci lint --baseline %s --write-baseline %s\n", baseline, baseline)
	}
	b.WriteString("name: lint\n\non:\n  pull_request:\n  merge_group:\n  push:\n")
	fmt.Fprintf(&b, "    branches: [%s]\n", yamlScalar(branch))
	b.WriteString("\npermissions:\n  contents: read\n\njobs:\n  lint:\n")
	v, note := s.uses(LintWorkflow)
	b.WriteString("    uses: " + v)
	if note != "" {
		b.WriteString(" " + note)
	}
	b.WriteString("\n")
	if len(iface.Permissions) > 0 {
		b.WriteString("    permissions:\n")
		for _, scope := range reusable.Scopes(iface.Permissions) {
			fmt.Fprintf(&b, "      %s: %s\n", scope, iface.Permissions[scope])
		}
	}
	if baseline != "" {
		fmt.Fprintf(&b, "    with:\n      %s: %s\n", BaselineInput, yamlScalar(baseline))
	}
	return b.String()
}

// yamlScalar writes s as a YAML scalar: plain when it reads back as itself, else single-quoted.
func yamlScalar(s string) string {
	var back string
	if yaml.Unmarshal([]byte("v: "+s), &struct {
		V *string `yaml:"v"`
	}{&back}) == nil && back == s && !strings.ContainsAny(s, "#'\"\n") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// existingCaller adds the baseline input to a caller of the lint workflow the repository has.
func existingCaller(f File, c reusable.Call, baseline string) (Adoption, error) {
	for _, in := range c.Inputs {
		if strings.EqualFold(in.Name, BaselineInput) {
			// The repository has its baseline: the migration's is written where it says, when
			// that is a literal path.
			var doc yaml.Node
			if yaml.Unmarshal(f.New, &doc) == nil && len(doc.Content) > 0 {
				if v := mapValue(mapValue(mapValue(mapValue(doc.Content[0], "jobs"), c.Job), "with"), BaselineInput); v != nil && v.Kind == yaml.ScalarNode &&
					v.Value != "" && !strings.Contains(v.Value, "${{") && fs.ValidPath(v.Value) {
					return Adoption{Baseline: v.Value, Note: fmt.Sprintf("%s passes its baseline %s already", f.Path, v.Value)}, nil
				}
			}
			return Adoption{Note: fmt.Sprintf("%s passes a baseline that is not a path in the repository: no baseline written", f.Path)}, nil
		}
	}
	if baseline == "" {
		return Adoption{}, nil
	}
	edited, problem, err := withInput(f, c.Job, BaselineInput, baseline)
	if err != nil {
		return Adoption{}, err
	}
	if problem != "" {
		return Adoption{Note: f.Path + ": " + problem + ": no baseline passed"}, nil
	}
	return Adoption{File: &edited, Baseline: baseline}, nil
}

// withInput adds name: value under the with: of the job's call in f (a with: block created below
// uses: when it has none), editing the text: indentation and comments kept. problem says why it
// could not ("" when it did).
func withInput(f File, job, name, value string) (File, string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(f.New, &doc); err != nil || len(doc.Content) == 0 {
		return f, "not YAML this migration can edit", nil
	}
	t := newText(f.New)
	t.step = indentStep(doc.Content[0], mapValue(doc.Content[0], "jobs"))
	jobNode := mapValue(mapValue(doc.Content[0], "jobs"), job)
	line := fmt.Sprintf("%s: %s", name, yamlScalar(value))
	var e edit
	switch with := mapValue(jobNode, "with"); {
	case with == nil:
		key := mapKey(jobNode, "uses")
		if key == nil {
			return f, "uses: cannot be located", nil
		}
		ko := t.offset(key.Line, key.Column)
		if ko < 0 || strings.TrimLeft(t.src[t.lineStart(ko):ko], " ") != "" {
			return f, "uses: is not on a line of its own", nil
		}
		indent := t.src[t.lineStart(ko):ko]
		at := t.lineEnd(ko) + 1
		text := indent + "with:\n" + indent + t.step + line + "\n"
		if at > len(t.src) {
			at, text = len(t.src), "\n"+strings.TrimSuffix(text, "\n")
		}
		e = edit{at, at, text}
	case with.Kind == yaml.MappingNode && with.Style&yaml.FlowStyle == 0 && len(with.Content) > 0:
		ks := t.offset(with.Content[0].Line, with.Content[0].Column)
		if ks < 0 {
			return f, "with: cannot be located", nil
		}
		at := t.lineEnd(lastLine(t, with)) + 1
		text := t.indentOf(ks) + line + "\n"
		if at > len(t.src) {
			at, text = len(t.src), "\n"+strings.TrimSuffix(text, "\n")
		}
		e = edit{at, at, text}
	default:
		return f, "with: is not a block mapping this migration can edit", nil
	}
	out, err := apply(t.src, []edit{e})
	if err != nil {
		return f, "", err
	}
	f.New = []byte(out)
	return f, "", nil
}

// PassBaseline passes baseline as the baseline input of every migrated call (calls) whose
// successor workflow declares one and that does not pass one already: the validate-* workflows
// and the secret scan then know the contract and secret findings the repository had, as the lint
// workflow knows the others, and the repository does not turn red on the day it migrates. The
// files are edited as text; notes say which calls could not be.
func PassBaseline(files []File, calls []Call, s Successor, baseline string) ([]File, []string, error) {
	if baseline == "" {
		return files, nil, nil
	}
	migrated := map[[2]string]bool{}
	for _, c := range calls {
		if c.Problem == "" && c.To != "" {
			migrated[[2]string{c.File, c.Job}] = true
		}
	}
	out := slices.Clone(files)
	var notes []string
	for i := range out {
		f := &out[i]
		cs, err := reusable.Calls(f.Path, f.New)
		if err != nil {
			continue
		}
		for _, c := range cs {
			if !migrated[[2]string{f.Path, c.Job}] || c.UsesErr != "" || !strings.EqualFold(c.Uses.Repository(), s.Repo) ||
				slices.ContainsFunc(c.Inputs, func(in reusable.CallInput) bool { return strings.EqualFold(in.Name, BaselineInput) }) {
				continue
			}
			iface, err := s.Interface(c.Uses.Path)
			if err != nil {
				continue // the migration read it; an error here changes nothing it wrote
			}
			if _, ok := iface.Input(BaselineInput); !ok {
				continue
			}
			// Each edit moves the lines below it: the job is found again by name in the new text.
			edited, problem, err := withInput(*f, c.Job, BaselineInput, baseline)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Path, err)
			}
			if problem != "" {
				notes = append(notes, fmt.Sprintf("%s: job %s: %s: no baseline passed", f.Path, c.Job, problem))
				continue
			}
			*f = edited
		}
	}
	return out, notes, nil
}

// workflows are the repository's workflow files as the migration leaves them.
func workflows(root string, files []File, maxFile int64) ([]File, error) {
	changed := map[string]File{}
	for _, f := range files {
		changed[f.Path] = f
	}
	var out []File
	for _, d := range workflowDirs {
		entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(d)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		for _, e := range entries {
			p := d + "/" + e.Name()
			if f, ok := changed[p]; ok {
				out = append(out, f)
				continue
			}
			if !e.Type().IsRegular() {
				out = append(out, File{Path: p}) // taken, never read
				continue
			}
			src, err := fsutil.ReadRegular(filepath.Join(root, filepath.FromSlash(p)), maxFile)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			out = append(out, File{Path: p, Old: src, New: src})
		}
	}
	return out, nil
}
