package workflow

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// actionlint v1.7.12 checks action metadata only as a dependency of a workflow, never as a file
// of its own, so action.yml is read here with yaml.v3 (which keeps positions), checked for
// structure, and its composite steps are turned into actionlint steps so that the same org
// rules and script checkers run on them.

var (
	actionKeys    = []string{"author", "branding", "description", "inputs", "name", "outputs", "runs"}
	inputKeys     = []string{"default", "deprecationMessage", "description", "required"}
	outputKeys    = []string{"description", "value"}
	brandingKeys  = []string{"color", "icon"}
	compositeKeys = []string{"steps", "using"}
	nodeKeys      = []string{"main", "post", "post-if", "pre", "pre-if", "using"}
	dockerKeys    = []string{"args", "entrypoint", "env", "image", "post-entrypoint", "post-if", "pre-entrypoint", "pre-if", "using"}
	stepKeys      = []string{"continue-on-error", "env", "id", "if", "name", "run", "shell", "uses", "with", "working-directory"}
	usingValid    = []string{"composite", "docker", "node20", "node24"}
)

var yamlLine = regexp.MustCompile(`line (\d+)`)

var ruleActionMetadata = &Rule{
	ID:       RuleActionMetadata,
	Severity: report.Error,
	Doc:      "action.yml must have name, description and a valid runs: section; composite run steps must declare shell",
	Fix:      "give the action name:, description: and a runs: section for its using: (composite steps need shell:)",
	Bad: `name: setup
description: Install the toolchain
runs:
  using: composite
  steps:
    - run: ./install.sh
`,
	Good: `name: setup
description: Install the toolchain
runs:
  using: composite
  steps:
    - run: ./install.sh
      shell: bash
`,
	ExampleAs: "action.yml",
	HelpURL:   "https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax",
	Applies:   Actions,
}

// actionReader reads action metadata, reporting its structure problems as action-metadata.
type actionReader struct {
	r *Reporter
}

// readAction checks the structure of action metadata and returns its composite steps as the
// steps of one job, for the step rules (nil when it has none).
func readAction(src []byte, r *Reporter) []*actionlint.Step {
	a := &actionReader{r: r}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line := 1
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		a.r.Report(&actionlint.Pos{Line: line, Col: 1}, "action metadata is not valid YAML: "+strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	if len(doc.Content) == 0 {
		a.r.Report(&actionlint.Pos{Line: 1, Col: 1}, "action metadata is empty; it needs name:, description: and runs:")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		a.r.Report(pos(root), "action metadata must be a mapping with name:, description: and runs:")
		return nil
	}
	m := a.mapping(root, "action metadata", actionKeys)
	for _, k := range []string{"name", "description"} {
		v, ok := m[k]
		switch {
		case !ok:
			a.r.Report(pos(root), fmt.Sprintf("action metadata has no %s:", k))
		case v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "":
			a.r.Report(pos(v), fmt.Sprintf("%s: must be a non-empty string", k))
		}
	}
	if in, ok := m["inputs"]; ok {
		a.entries(in, "inputs", inputKeys, nil)
	}
	if b, ok := m["branding"]; ok {
		a.mapping(b, "branding", brandingKeys)
	}
	runs, ok := m["runs"]
	if !ok {
		a.r.Report(pos(root), "action metadata has no runs:")
		return nil
	}
	if runs.Kind != yaml.MappingNode {
		a.r.Report(pos(runs), "runs: must be a mapping with using:")
		return nil
	}
	using := ""
	if u := child(runs, "using"); u == nil {
		a.r.Report(pos(runs), "runs: has no using:")
	} else {
		using = u.Value
		switch {
		case slices.Contains(usingValid, using):
		case using == "node12" || using == "node16":
			a.r.Report(pos(u), fmt.Sprintf("runs.using %q is no longer supported by GitHub's runners; use node20 or node24", using))
		default:
			a.r.Report(pos(u), fmt.Sprintf("unknown runs.using %q (valid: %s)", using, strings.Join(usingValid, ", ")))
		}
	}
	var required string
	var keys []string
	switch {
	case using == "composite":
		keys, required = compositeKeys, "steps"
	case using == "docker":
		keys, required = dockerKeys, "image"
	case strings.HasPrefix(using, "node"):
		keys, required = nodeKeys, "main"
	}
	if keys != nil {
		rm := a.mapping(runs, "runs ("+using+")", keys)
		if _, ok := rm[required]; !ok {
			a.r.Report(pos(runs), fmt.Sprintf("runs: using %s needs %s:", using, required))
		}
	}
	if out, ok := m["outputs"]; ok {
		var need []string
		if using == "composite" {
			need = []string{"value"}
		}
		a.entries(out, "outputs", outputKeys, need)
	}
	if using != "composite" {
		return nil
	}
	stepsNode := child(runs, "steps")
	if stepsNode == nil {
		return nil
	}
	if stepsNode.Kind != yaml.SequenceNode {
		a.r.Report(pos(stepsNode), "runs.steps must be a sequence of steps")
		return nil
	}
	steps := make([]*actionlint.Step, 0, len(stepsNode.Content))
	for _, sn := range stepsNode.Content {
		if s := a.compositeStep(sn); s != nil {
			steps = append(steps, s)
		}
	}
	return steps
}

// compositeStep checks one composite step and converts it for the step rules.
func (a *actionReader) compositeStep(n *yaml.Node) *actionlint.Step {
	if n.Kind != yaml.MappingNode {
		a.r.Report(pos(n), "a composite step must be a mapping")
		return nil
	}
	m := a.mapping(n, "composite step", stepKeys)
	s := &actionlint.Step{Pos: pos(n)}
	if v, ok := m["id"]; ok {
		s.ID = str(v)
	}
	if v, ok := m["name"]; ok {
		s.Name = str(v)
	}
	if v, ok := m["if"]; ok {
		s.If = str(v)
	}
	if v, ok := m["env"]; ok && v.Kind == yaml.MappingNode {
		s.Env = &actionlint.Env{Vars: map[string]*actionlint.EnvVar{}}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i]
			s.Env.Vars[strings.ToLower(k.Value)] = &actionlint.EnvVar{Name: str(k), Value: str(v.Content[i+1])}
		}
	}
	if v, ok := m["continue-on-error"]; ok && v.Kind == yaml.ScalarNode {
		b := &actionlint.Bool{Pos: pos(v)}
		if strings.Contains(v.Value, "${{") {
			b.Expression = str(v)
		} else {
			b.Value = v.Value == "true"
		}
		s.ContinueOnError = b
	}
	run, hasRun := m["run"]
	uses, hasUses := m["uses"]
	switch {
	case hasRun && hasUses:
		a.r.Report(pos(n), "a composite step has both run: and uses:; it must have exactly one")
		return nil
	case hasRun:
		e := &actionlint.ExecRun{Run: str(run), RunPos: keyPos(n, "run")}
		if sh, ok := m["shell"]; ok {
			e.Shell = str(sh)
		} else {
			// Composite actions have no default shell: GitHub rejects the action at run time.
			a.r.Report(keyPos(n, "run"), "composite run step has no shell:; composite actions have no default shell (use shell: bash)")
		}
		if wd, ok := m["working-directory"]; ok {
			e.WorkingDirectory = str(wd)
		}
		s.Exec = e
	case hasUses:
		e := &actionlint.ExecAction{Uses: str(uses), Inputs: map[string]*actionlint.Input{}}
		if with, ok := m["with"]; ok && with.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(with.Content); i += 2 {
				k := with.Content[i]
				e.Inputs[strings.ToLower(k.Value)] = &actionlint.Input{Name: str(k), Value: str(with.Content[i+1])}
			}
		}
		s.Exec = e
	default:
		a.r.Report(pos(n), "a composite step needs run: or uses:")
		return nil
	}
	return s
}

// mapping reports unknown keys of a mapping node and returns its values by key.
func (a *actionReader) mapping(n *yaml.Node, what string, valid []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		a.r.Report(pos(n), what+" must be a mapping")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := out[k.Value]; dup {
			a.r.Report(pos(k), fmt.Sprintf("key %q is repeated in %s", k.Value, what))
			continue
		}
		if !slices.Contains(valid, k.Value) {
			a.r.Report(pos(k), fmt.Sprintf("unknown key %q in %s (valid: %s)", k.Value, what, strings.Join(valid, ", ")))
		}
		out[k.Value] = v
	}
	return out
}

// entries checks a mapping of ids to attribute mappings (inputs, outputs).
func (a *actionReader) entries(n *yaml.Node, what string, valid, need []string) {
	if n.Kind != yaml.MappingNode {
		a.r.Report(pos(n), what+": must be a mapping")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		where := fmt.Sprintf("%s.%s", what, k.Value)
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		m := a.mapping(v, where, valid)
		for _, r := range need {
			if _, ok := m[r]; !ok {
				a.r.Report(pos(k), fmt.Sprintf("%s has no %s:", where, r))
			}
		}
	}
}

func child(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func keyPos(n *yaml.Node, key string) *actionlint.Pos {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return pos(n.Content[i])
		}
	}
	return pos(n)
}

func pos(n *yaml.Node) *actionlint.Pos {
	return &actionlint.Pos{Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

func str(n *yaml.Node) *actionlint.String {
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	v := n.Value
	if n.Kind != yaml.ScalarNode {
		v = ""
	}
	return &actionlint.String{Value: v, Quoted: quoted, Pos: pos(n)}
}
