package workflow

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ---- artifact-poisoning ----
//
// A workflow_run job runs with the base repository's token and secrets, and the run that
// triggered it may be a fork's pull request, which built the artifacts it uploaded. Extracted
// into the workspace, an artifact replaces any file of the checkout — the Makefile, package.json,
// a script, a local action — and the next step that builds or runs anything runs the attacker's
// version with all the job holds. Extracted into a directory of its own, it is harmless data
// until a step runs a file from there. (Reading a value out of it into an output or $GITHUB_ENV
// is template-injection's and env-file-injection's.)

var ruleArtifactPoisoning = &Rule{
	ID:       RuleArtifactPoisoning,
	Severity: report.Error,
	Doc:      "a workflow_run job that extracts an artifact of the triggering run (actions/download-artifact with run-id:, dawidd6/action-download-artifact, gh run download, an unzip of a downloaded archive) into the workspace and then builds or runs anything from it — or runs a file out of the artifact's own directory — runs code a fork's pull request put in the artifact, with the base repository's token and secrets",
	Fix:      "download artifacts of other runs into a directory of their own (path: ${{ runner.temp }}/artifacts), treat what they hold as data, and never run or source a file from there",
	Bad: `on:
  workflow_run:
    workflows: [ci]
    types: [completed]
permissions: {contents: read}
jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: actions/download-artifact@v4
        with:
          run-id: ${{ github.event.workflow_run.id }}
          github-token: ${{ github.token }}
      - run: make deploy
`,
	Good: `on:
  workflow_run:
    workflows: [ci]
    types: [completed]
permissions: {contents: read}
jobs:
  deploy:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: actions/download-artifact@v4
        with:
          run-id: ${{ github.event.workflow_run.id }}
          github-token: ${{ github.token }}
          path: ${{ runner.temp }}/site
      - run: make deploy SITE="$RUNNER_TEMP/site"
`,
	HelpURL: "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/",
	Applies: Workflows,
	Check:   checkArtifactPoisoning,
}

func checkArtifactPoisoning(f *File, r *Reporter) {
	if !f.On("workflow_run") {
		return
	}
	for _, j := range f.Jobs {
		reported := map[int]bool{} // one finding per command that runs the artifact's code
		for _, s := range j.Steps {
			for _, x := range s.artifactExtractions() {
				runs, at := s.runsFrom(x)
				if runs == "" || reported[at] {
					continue
				}
				if j.gated(len(j.Steps)) {
					break // only a push's artifacts, or a maintainer let the run in
				}
				reported[at] = true
				where := "into the workspace, where it can replace any file of the checkout"
				if x.dir != "" {
					where = fmt.Sprintf("into %s", x.dir)
				}
				pos := s.Pos
				if e := s.Action(); e != nil {
					pos = e.Uses.Pos
				} else if x.off >= 0 {
					pos = f.Pos(s.Run().Run, x.off)
				}
				fl := flow{source: "artifact of the triggering run (a fork's pull request can build it)"}.
					then(x.how+" "+where, x.line).then(runs, at)
				r.Report(pos, fmt.Sprintf("workflow_run runs code from another run's artifact: %s, with %s", fl, j.reach(s.Index)))
			}
		}
	}
}

// notRunners are commands that handle or upload files without running them, on top of
// readOnly.
var notRunners = map[string]bool{"unzip": true, "tar": true, "gunzip": true, "zip": true, "chmod": true, "ln": true,
	"base64": true, "sha256sum": true, "md5sum": true, "stat": true, "file": true, "du": true,
	"aws": true, "gsutil": true, "az": true, "rsync": true, "scp": true}

// dockerNoRun are docker subcommands that move images without running them.
var dockerNoRun = map[string]bool{"load": true, "tag": true, "push": true, "pull": true, "login": true, "images": true, "inspect": true, "save": true, "logout": true}

// runner is a command or action that runs code from the files of a directory.
type runner struct {
	step, cmd int // the step's index, the command's index in its script (-1 for an action)
	what      string
	line      int
}

// jobCmd is one command of a job's scripts, with what runsIn asks about it.
type jobCmd struct {
	step, index int
	cwd         string   // the working directory it runs in (workspace-relative, "" the root)
	paths       []string // its arguments, as paths (normDir)
	runs        bool     // not read-only: it may run code
	what        string
	line        int
	action      string // for an action step: its uses:, lower case (the other fields unset)
}

// jobCmds reads every command of the job's scripts once: where it runs, what paths it names,
// whether it may run code — and every action step.
func (j *Job) jobCmds() []jobCmd {
	if j.cmds != nil {
		return j.cmds
	}
	j.cmds = []jobCmd{}
	for _, st := range j.Steps {
		switch e := st.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run == nil || st.Unread() {
				continue
			}
			cwd := ""
			if e.WorkingDirectory != nil {
				cwd = normDir(e.WorkingDirectory.Value)
			}
			sc := st.Script()
			for _, c := range sc.Cmds {
				v := c.Values()
				if len(v) == 0 {
					continue
				}
				if (v[0] == "cd" || v[0] == "pushd") && len(v) > 1 && c.Nested == "" {
					cwd = joinDir(cwd, c.Args[1].Raw)
				}
				name := path.Base(v[0])
				jc := jobCmd{step: st.Index, index: c.Index, cwd: cwd,
					runs: !readOnly[name] && !notRunners[name] && !(name == "docker" && len(v) > 1 && dockerNoRun[v[1]])}
				if !jc.runs {
					continue
				}
				for _, a := range c.Args {
					jc.paths = append(jc.paths, normDir(strings.Trim(a.Raw, `"'`)))
				}
				jc.what = "`" + shorten(sc.Src[c.Off:min(c.End, len(sc.Src))], 40) + "`"
				jc.line = lineOf(j.File.Pos(e.Run, c.Off))
				j.cmds = append(j.cmds, jc)
			}
		case *actionlint.ExecAction:
			if e.Uses != nil {
				j.cmds = append(j.cmds, jobCmd{step: st.Index, index: -1, action: strings.ToLower(e.Uses.Value),
					what: "`" + e.Uses.Value + "`", line: lineOf(e.Uses.Pos)})
			}
		}
	}
	return j.cmds
}

// runnersOf lists, once per job and directory, what runs code from the files of dir — in the
// workspace (""), a command that is not read-only, a local action or a build action; elsewhere, a
// command working in dir or running or sourcing a file of it, or a local action there — in order.
func (j *Job) runnersOf(dir string) []runner {
	if rs, ok := j.runners[dir]; ok {
		return rs
	}
	inDir := func(p string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	var out []runner
	for _, c := range j.jobCmds() {
		hit := false
		switch {
		case c.action != "":
			u := c.action
			hit = dir == "" && (strings.HasPrefix(u, "./") || slicesHasPrefix(buildActions, u) && !strings.HasPrefix(u, "actions/upload-artifact")) ||
				dir != "" && strings.HasPrefix(u, "./"+dir+"/")
		case dir == "":
			hit = !strings.HasPrefix(c.cwd, "/")
		default:
			hit = c.cwd != "" && inDir(c.cwd) || slices.ContainsFunc(c.paths, inDir)
		}
		if hit {
			out = append(out, runner{step: c.step, cmd: c.index, what: c.what, line: c.line})
		}
	}
	if j.runners == nil {
		j.runners = map[string][]runner{}
	}
	j.runners[dir] = out
	return out
}

// runsFrom says what, after extraction x (later in its step or in a later step of the job),
// runs code from the extracted files, and on which line: for an extraction into the workspace,
// anything that builds or runs the checkout (a command that is not read-only, a local action, a
// build action); for one into a directory of its own, a command that runs, sources or works in
// it.
func (s *Step) runsFrom(x extraction) (string, int) {
	from := -1 // the first command of this step after the extraction; -1 for an action step
	if x.off >= 0 {
		from = 0
		if c := s.Script().CmdAt(x.off); c != nil {
			from = c.Index + 1
		}
	}
	for _, r := range s.Job.runnersOf(x.dir) {
		if r.step > s.Index || r.step == s.Index && from >= 0 && r.cmd >= from {
			return r.what, r.line
		}
	}
	return "", 0
}

func slicesHasPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
