package workflow

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ---- self-hosted-runner ----
//
// A self-hosted runner is a machine that stays: what one job leaves on it — a process, a
// poisoned tool cache, a modified runner — meets the next job, and the job can reach whatever
// network the machine sits in. GitHub advises against self-hosted runners for public
// repositories because a fork's pull request runs its code there. Offline, lint cannot see a
// repository's visibility: it is judged public unless lint.repository.private says otherwise
// or the run's event payload does (repository.private, read by the CLI).

var ruleSelfHosted = &Rule{
	ID:       RuleSelfHosted,
	Severity: report.Error,
	Doc:      "a job on a self-hosted runner (runs-on: self-hosted, a label of lint.runner-labels, or a matrix value holding one) that runs a fork's code — on pull_request or pull_request_review, or a pull_request_target/workflow_run/issue_comment job that checks out the pull request — in a public repository puts an outsider's code on a machine that outlives the job; judged public unless lint.repository.private or the event payload says private",
	Fix:      "run pull request jobs on GitHub-hosted or ephemeral (just-in-time) runners, limit the self-hosted job to the repository's own branches (if: github.event.pull_request.head.repo.full_name == github.repository), or set lint.repository.private: true if the repository is private",
	Bad: `on: pull_request
permissions: {contents: read}
jobs:
  test:
    runs-on: [self-hosted, linux]
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	Good: `on: pull_request
permissions: {contents: read}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make test
`,
	HelpURL: "https://docs.github.com/en/actions/reference/security/secure-use#hardening-for-self-hosted-runners",
	Applies: Workflows,
	Check:   checkSelfHosted,
}

// forkCodeEvents run a fork's pull request code as it is (the merge ref), without the base
// repository's secrets but on whatever runner the job names.
var forkCodeEvents = []string{"pull_request", "pull_request_review", "pull_request_review_comment"}

func checkSelfHosted(f *File, r *Reporter) {
	if f.opts.PrivateRepository || f.Gitea {
		return // Gitea's runners are all the instance's own
	}
	forkEvent := ""
	for _, e := range f.Workflow.On {
		for _, ev := range forkCodeEvents {
			if e.EventName() == ev && forkEvent == "" {
				forkEvent = ev
			}
		}
	}
	for _, j := range f.Jobs {
		label, pos := j.selfHosted(f.opts.RunnerLabels)
		if label == "" {
			continue
		}
		var how string
		switch {
		case forkEvent != "" && !j.gatedJob() && !j.pushOnly():
			how = fmt.Sprintf("%s runs a fork's pull request code on it", forkEvent)
		default:
			pc := j.prCodeCheckouts()
			if len(pc) == 0 {
				continue
			}
			how = fmt.Sprintf("%s checks out the pull request's code on it (line %d)", pc[0].event, lineOf(pc[0].pos))
		}
		r.Report(pos, fmt.Sprintf("job %q runs on a self-hosted runner (%s) and %s: in a public repository anyone who opens a pull request runs code on a machine that outlives the job — what it leaves behind meets the next job, and it reaches the machine's network; if the repository is private, say so with lint.repository.private: true", jobID(j.Job), label, how))
	}
}

// pushOnly reports whether a job's condition keeps it out of pull request runs: it names a
// push-like event, or it requires an output (needs.<job>.outputs.<name> == 'value') that only a
// step limited to such events sets — empty on a pull request, so the condition is false.
func (j *Job) pushOnly() bool {
	if j.If == nil {
		return false
	}
	c := j.If.Value
	if pushOnly.MatchString(c) && !strings.Contains(c, "pull_request") {
		return true
	}
	for _, m := range outputTest.FindAllStringSubmatch(c, -1) {
		out := strings.ToLower(m[2])
		if other := j.File.job(m[1]); other != nil {
			for name, o := range other.Outputs {
				if strings.ToLower(name) != out || o == nil || o.Value == nil {
					continue
				}
				sm := stepOutput.FindStringSubmatch(o.Value.Value)
				if sm == nil {
					continue
				}
				for _, s := range other.Steps {
					if s.ID != nil && strings.EqualFold(s.ID.Value, sm[1]) && s.If != nil && pushOnly.MatchString(s.If.Value) && !strings.Contains(s.If.Value, "pull_request") {
						return true
					}
				}
			}
		}
	}
	return false
}

// outputTest matches a condition requiring a job output to hold a value; stepOutput a job
// output that is one step's output.
var (
	outputTest = regexp.MustCompile(`needs\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)\s*==\s*'[^']+'`)
	stepOutput = regexp.MustCompile(`^\s*\$\{\{\s*steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.[A-Za-z_][A-Za-z0-9_-]*\s*\}\}\s*$`)
)

// selfHosted returns the self-hosted label a job's runs-on names (self-hosted itself, one of
// the repository's runner labels, or a matrix value holding one) and where, or "".
func (j *Job) selfHosted(custom []string) (string, *actionlint.Pos) {
	if j.RunsOn == nil {
		return "", nil
	}
	isSelf := func(v string) bool {
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, "self-hosted") {
			return true
		}
		for _, c := range custom {
			if strings.EqualFold(v, c) {
				return true
			}
		}
		return false
	}
	for _, l := range j.RunsOn.Labels {
		if l == nil {
			continue
		}
		if isSelf(l.Value) {
			return l.Value, l.Pos
		}
		if m := matrixRef.FindStringSubmatch(l.Value); m != nil {
			for _, v := range j.matrixValues(strings.ToLower(m[1])) {
				if isSelf(v) {
					return v + " from matrix." + m[1], l.Pos
				}
			}
		}
	}
	if l := j.RunsOn.LabelsExpr; l != nil {
		if m := matrixRef.FindStringSubmatch(l.Value); m != nil {
			for _, v := range j.matrixValues(strings.ToLower(m[1])) {
				if isSelf(v) {
					return v + " from matrix." + m[1], l.Pos
				}
			}
		}
	}
	return "", nil
}

var matrixRef = regexp.MustCompile(`^\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}$`)

// matrixValues lists the literal strings a matrix key takes, its arrays' elements included.
func (j *Job) matrixValues(key string) []string {
	if j.Strategy == nil || j.Strategy.Matrix == nil {
		return nil
	}
	m := j.Strategy.Matrix
	var out []string
	var add func(v actionlint.RawYAMLValue)
	add = func(v actionlint.RawYAMLValue) {
		switch v := v.(type) {
		case *actionlint.RawYAMLString:
			out = append(out, v.Value)
		case *actionlint.RawYAMLArray:
			for _, e := range v.Elems {
				add(e)
			}
		}
	}
	if row := m.Rows[key]; row != nil {
		for _, v := range row.Values {
			add(v)
		}
	}
	if m.Include != nil {
		for _, c := range m.Include.Combinations {
			if c == nil {
				continue
			}
			if a := c.Assigns[key]; a != nil {
				add(a.Value)
			}
		}
	}
	return out
}
