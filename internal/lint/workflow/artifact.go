package workflow

import (
	"fmt"
	"path"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/shell"
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
		if j.gated(len(j.Steps)) {
			continue // only a push's artifacts, or a maintainer let the run in
		}
		reported := map[int]bool{} // one finding per command that runs the artifact's code
		for _, s := range j.Steps {
			for _, x := range s.artifactExtractions() {
				runs, at := s.runsFrom(x)
				if runs == "" || reported[at] {
					continue
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

// runsFrom says what, after extraction x (in this step or a later one of the job), runs code
// from the extracted files, and on which line: for an extraction into the workspace, anything
// that builds or runs the checkout (a command that is not read-only, a local action, a build
// action); for one into a directory of its own, a command that runs, sources or works in it.
func (s *Step) runsFrom(x extraction) (string, int) {
	f := s.Job.File
	steps := s.Job.Steps[s.Index:]
	for i, st := range steps {
		switch e := st.Exec.(type) {
		case *actionlint.ExecRun:
			if e.Run == nil || st.Unread() {
				continue
			}
			from := 0
			if i == 0 {
				if x.off < 0 {
					continue // the action itself
				}
				if c := st.Script().CmdAt(x.off); c != nil {
					from = c.Index + 1
				}
			}
			cwd := ""
			if e.WorkingDirectory != nil {
				cwd = normDir(e.WorkingDirectory.Value)
			}
			for _, c := range st.Script().Cmds {
				v := c.Values()
				if len(v) == 0 {
					continue
				}
				if (v[0] == "cd" || v[0] == "pushd") && len(v) > 1 && c.Nested == "" {
					cwd = joinDir(cwd, c.Args[1].Raw)
				}
				if c.Index < from {
					continue
				}
				if runsIn(c, v, cwd, x.dir) {
					return "`" + shorten(st.Script().Src[c.Off:min(c.End, len(st.Script().Src))], 40) + "`", lineOf(f.Pos(e.Run, c.Off))
				}
			}
		case *actionlint.ExecAction:
			if i == 0 || e.Uses == nil {
				continue
			}
			u := strings.ToLower(e.Uses.Value)
			if x.dir == "" && (strings.HasPrefix(u, "./") || slicesHasPrefix(buildActions, u) && !strings.HasPrefix(u, "actions/upload-artifact")) {
				return "`" + e.Uses.Value + "`", lineOf(e.Uses.Pos)
			}
			if x.dir != "" && strings.HasPrefix(u, "./"+x.dir+"/") {
				return "`" + e.Uses.Value + "`", lineOf(e.Uses.Pos)
			}
		}
	}
	return "", 0
}

// runsIn reports whether command c (values v, in directory cwd) runs code from the files of dir:
// in the workspace ("") anything that is not read-only; elsewhere a command working in dir, or
// running or sourcing a file of it.
func runsIn(c *shell.Cmd, v []string, cwd, dir string) bool {
	name := path.Base(v[0])
	if readOnly[name] || notRunners[name] || name == "docker" && len(v) > 1 && dockerNoRun[v[1]] {
		return false
	}
	inDir := func(p string) bool {
		p = normDir(p)
		return p == dir || strings.HasPrefix(p, dir+"/")
	}
	if dir == "" {
		return cwd == "" || !strings.HasPrefix(cwd, "/")
	}
	if cwd != "" && inDir(cwd) {
		return true
	}
	for _, a := range c.Args {
		if inDir(strings.Trim(a.Raw, `"'`)) {
			return true
		}
	}
	return false
}

func slicesHasPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
