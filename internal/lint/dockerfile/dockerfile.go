// Package dockerfile owns the linting of Dockerfiles: BuildKit's own parser and checks (what
// `docker build --check` reports, reproduced without a daemon or a registry) plus the
// organisation's rules about root users, caches left in layers, secrets, unpinned bases,
// swallowed failures and `curl | sh`.
//
// Findings come in three families:
//
//   - buildkit/<Name>: every warning of BuildKit's linter (frontend/dockerfile/linter), produced by
//     running BuildKit's real Dockerfile-to-LLB conversion with every stage as a target, exactly as
//     the lint subrequest does, but with an image resolver that answers without a registry. The
//     `# check=skip=...` directive is honoured by BuildKit itself; `# check=error=true` raises
//     these findings to errors. Parser warnings (empty continuation lines) arrive this way too, as
//     buildkit/NoEmptyContinuation. Checks that need what only a real build has are not reported:
//     CopyIgnoredFile (needs the context's .dockerignore) and InvalidBaseImagePlatform (needs the
//     base image's config). In a stage whose base is an image rather than scratch, UndefinedVar is
//     kept only when BuildKit suggests a variable this Dockerfile declares by ARG/ENV, other than
//     PATH (a likely typo): any other name may be set by the base image's config, which is not
//     fetched. Global ARGs without a default get a placeholder value, as --build-arg would give
//     them, so that one missing build arg (reported by InvalidDefaultArgInFrom) does not stop
//     the checks that follow.
//   - docker-syntax: a Dockerfile BuildKit refuses (parse errors, unknown instructions, bad
//     flags, unterminated heredocs, no FROM, an invalid base reference...), at the line BuildKit
//     names. Nothing else is reported for a file that does not parse.
//   - docker-*: the organisation's rules, listed with their reasons by Rules.
//
// Lint never fails: a Dockerfile that cannot be read as one is itself a finding.
package dockerfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	model "github.com/Molecule-AI/molecule-ci/internal/dockerfile"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Rule ids of the organisation's rules.
const (
	RuleSyntax           = "docker-syntax"
	RuleRootUser         = "docker-root-user"
	RulePipCache         = "docker-pip-cache"
	RuleAptLists         = "docker-apt-lists"
	RuleSecret           = "docker-secret"
	RuleUnpinnedBase     = "docker-unpinned-base"
	RuleSwallowedFailure = "docker-swallowed-failure"
	RuleCurlPipeShell    = "docker-curl-pipe-shell"

	// BuildKitPrefix starts the id of every finding that comes from BuildKit's own checks.
	BuildKitPrefix = "buildkit/"
)

// DefaultPrivilegeDrop are the commands an entrypoint commonly uses to leave root at start-up.
var DefaultPrivilegeDrop = []string{"gosu", "su-exec"}

// Options are what the caller resolved for one Dockerfile.
type Options struct {
	// AllowRoot is true when the config's `lint.docker.allow-root` globs match this path.
	AllowRoot bool
	// PrivilegeDrop names commands that drop privileges at start-up; nil means DefaultPrivilegeDrop.
	PrivilegeDrop []string
	// ContainerAction is true when the Dockerfile is a Docker container action's (an action.yml
	// with runs.using: docker and image: Dockerfile beside it): GitHub runs it as root and its
	// docs say not to set USER, so docker-root-user does not apply. See IsContainerAction.
	ContainerAction bool
}

// containerActionUsing finds `using: docker` (quoted or not) in action metadata.
var containerActionUsing = regexp.MustCompile(`(?m)^\s+using:\s*['"]?docker['"]?\s*(#.*)?$`)

// IsContainerAction reports whether action metadata (the action.yml or action.yaml beside a
// Dockerfile) declares a Docker container action: the caller reads the file and passes the
// result as Options.ContainerAction.
func IsContainerAction(actionYAML []byte) bool {
	return containerActionUsing.Match(actionYAML)
}

// Rules returns the metadata of the docker-* rules; the buildkit/* family is open-ended and
// described by its documentation at https://docs.docker.com/reference/build-checks/.
func Rules() []report.Rule {
	return []report.Rule{
		{ID: RuleSyntax, Severity: report.Error, Doc: "BuildKit refuses this Dockerfile (parse error, unknown instruction, bad flag or heredoc, no FROM), so no image can be built from it", HelpURL: "https://docs.docker.com/reference/dockerfile/"},
		{ID: RuleRootUser, Severity: report.Warning, Doc: "the final stage runs as root (no USER, or the last USER is root/0): allowed by config `lint.docker.allow-root`, when ENTRYPOINT/CMD calls a privilege-drop command (gosu, su-exec), when the stage installs or copies one AND starts through an ENTRYPOINT or a CMD that runs a script copied into the image, or when the stage inherits its start-up command from its base image, says `USER root` explicitly and a comment in the stage names the privilege-drop command; not applied to a check-only final stage (validate, test, lint) or a Docker container action"},
		{ID: RulePipCache, Severity: report.Warning, Doc: "`pip install` without --no-cache-dir leaves pip's download cache in the layer (fine with PIP_NO_CACHE_DIR set by ENV/ARG/the command, or a --mount=type=cache)"},
		{ID: RuleAptLists, Severity: report.Warning, Doc: "`apt-get install` without `rm -rf /var/lib/apt/lists/*` in the same RUN leaves the package lists in the layer (fine when /var/lib/apt or its lists are a cache or tmpfs mount, and in intermediate stages the final image is not built from)"},
		{ID: RuleSecret, Severity: report.Error, Doc: "a secret baked into an image: an ARG/ENV named like a credential or holding a token-shaped value, or a COPY/ADD of a credentials file (.env, .npmrc, id_rsa, *.pem...); build args and ENV stay readable in the image history; a credential-named front-end public variable (NEXT_PUBLIC_*, VITE_*, REACT_APP_*, PUBLIC_*...) ships in the browser bundle (anon/publishable/site keys excepted)"},
		{ID: RuleUnpinnedBase, Severity: report.Warning, Doc: "FROM an image without a tag or digest, or with :latest, builds something different every time (ARG defaults are resolved; scratch and earlier stages are exempt)"},
		{ID: RuleSwallowedFailure, Severity: report.Error, Doc: "an install or build command followed by `|| true`, `|| :`, `|| exit 0`, `|| echo` (or ending in `; true` without set -e) ships a broken image instead of failing the build; read on the parsed script (the same shell analysis as the workflow rules), `|| echo ... && exit 1` still fails"},
		{ID: RuleCurlPipeShell, Severity: report.Warning, Doc: "piping a download into a shell (`curl ... | sh`, `wget -O- ... | bash`, `sh -c \"$(curl ...)\"`) runs unverified code: download, verify a checksum, then run"},
	}
}

var severities = func() map[string]report.Severity {
	m := map[string]report.Severity{}
	for _, r := range Rules() {
		m[r.ID] = r.Severity
	}
	return m
}()

// Lint reports every finding for one Dockerfile. path is only copied into the findings.
func Lint(path string, src []byte, opts Options) []report.Finding {
	fs, _ := LintContext(context.Background(), path, src, opts)
	return fs
}

// LintContext is Lint that stops when ctx is done: the error is then ctx's and the findings
// are nil (a partial result would be a wrong verdict).
func LintContext(ctx context.Context, path string, src []byte, opts Options) ([]report.Finding, error) {
	if opts.PrivilegeDrop == nil {
		opts.PrivilegeDrop = DefaultPrivilegeDrop
	}
	l := &checker{ctx: ctx, path: path, src: src, opts: opts, lines: model.SplitLines(src)}
	l.run()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return report.Sort(l.findings), nil
}

// Heredoc bodies over these limits are not handed to BuildKit's parser (see the model), and
// MaxBuildKitStages bounds the stages handed to BuildKit's conversion, whose state lookups walk
// the chain of parent stages (quadratic: 3,000 chained stages take about a second). The
// organisation's rules, linear in the file, still run on every stage.
const (
	MaxHeredocLines   = model.MaxHeredocLines
	MaxHeredocBytes   = model.MaxHeredocBytes
	MaxBuildKitStages = 256
)

type checker struct {
	ctx      context.Context
	path     string
	src      []byte
	opts     Options
	lines    []string
	findings []report.Finding

	// file is the Dockerfile modelled on BuildKit's parsers; nil until it parses.
	file *model.File
}

func (l *checker) run() {
	if len(bytes.TrimSpace(l.src)) == 0 {
		l.add(report.Finding{Line: 1, Col: 1, Rule: RuleSyntax, Message: "the Dockerfile is empty: it needs at least a FROM instruction", Help: "start the file with FROM <image>:<tag>"})
		return
	}
	f, err := model.Parse(l.ctx, l.src, model.Options{})
	var he *model.HeredocLimitError
	switch {
	case l.ctx.Err() != nil:
		return
	case errors.As(err, &he):
		l.add(report.Finding{Line: he.Line, Col: l.instructionCol(he.Line), Rule: RuleSyntax,
			Message: fmt.Sprintf("a heredoc of this instruction is over %d lines or %d bytes (%d lines, %d bytes read before stopping), the limit molecule-ci hands to BuildKit's parser; the Dockerfile was not linted", MaxHeredocLines, MaxHeredocBytes, he.Lines, he.Bytes),
			Help:    "COPY the file into the image instead of inlining it"})
		return
	case err != nil:
		l.syntaxError(err, 0)
		return
	case f.Err != nil:
		l.syntaxError(f.Err, f.Err.Line)
		return
	}
	if len(f.Stages) == 0 {
		line := 1
		if c := f.AST.AST.Children; len(c) > 0 {
			line = c[len(c)-1].StartLine
		}
		l.add(report.Finding{Line: line, Col: 1, Rule: RuleSyntax, Message: "the Dockerfile has no FROM instruction, so it has no stage to build", Help: "add FROM <image>:<tag> before the first build instruction"})
		return
	}
	l.file = f

	if n := len(f.Stages); n > MaxBuildKitStages {
		l.add(report.Finding{Line: 1, Col: 1, Rule: BuildKitPrefix + "NotRun", Severity: report.Warning,
			Message: fmt.Sprintf("BuildKit's checks were not run: the Dockerfile has %d stages, over the limit of %d (its conversion is quadratic in chained stages); molecule-ci's own rules were", n, MaxBuildKitStages),
			Help:    "split the build into several Dockerfiles"})
	} else {
		l.runBuildKit()
	}
	if l.ctx.Err() != nil {
		return
	}
	l.checkBases()
	l.checkSecrets()
	l.checkRuns()
	l.checkRootUser()
}

// add fills in what every finding shares and keeps it.
func (l *checker) add(f report.Finding) {
	f.Path = l.path
	if f.Severity == 0 {
		f.Severity = severities[f.Rule]
	}
	if f.EndLine == f.Line {
		f.EndLine = 0
	}
	l.findings = append(l.findings, f)
}

// syntaxError reports an error from BuildKit's parser or converter at the line it names, or at
// fallbackLine when the error carries no location.
func (l *checker) syntaxError(err error, fallbackLine int) {
	line, end := fallbackLine, 0
	var le *parser.LocationError
	if errors.As(err, &le) {
		line, end = rangesSpan(le.Locations...)
	}
	msg := syntaxMessage(err)
	// The parser reports errors in a directive line (an invalid escape token) at the index of
	// the line before it, since it has not yet counted the line it is reading.
	// Likewise an invalid check directive is only known to be in the directive line.
	for _, d := range []struct{ msg, name string }{{"invalid escape token", "escape"}, {"failed to parse check options", "check"}} {
		if strings.Contains(msg, d.msg) {
			if n := directiveLine(l.lines, d.name); n > 0 {
				line, end = n, 0
			}
		}
	}
	if line < 1 {
		line = 1
	}
	if line > len(l.lines) && len(l.lines) > 0 {
		line = len(l.lines)
	}
	if end < line {
		end = 0
	}
	l.add(report.Finding{Line: line, Col: l.instructionCol(line), EndLine: end, Rule: RuleSyntax, Message: msg, Help: "fix the instruction; see https://docs.docker.com/reference/dockerfile/"})
}

// syntaxMessage is BuildKit's own message without the wrapping that repeats the line number.
func syntaxMessage(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "dockerfile parse error on line ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			msg = rest
		}
	}
	return msg
}

// rangesSpan returns the first and last line of BuildKit ranges.
func rangesSpan(locs ...[]parser.Range) (start, end int) {
	for _, rs := range locs {
		for _, r := range rs {
			if r.Start.Line > 0 && (start == 0 || r.Start.Line < start) {
				start = r.Start.Line
			}
			if r.End.Line > end {
				end = r.End.Line
			}
			if r.Start.Line > end {
				end = r.Start.Line
			}
		}
	}
	return start, end
}

// instructionCol is the 1-based column where the instruction on line starts.
func (l *checker) instructionCol(line int) int {
	if line < 1 || line > len(l.lines) {
		return 1
	}
	s := l.lines[line-1]
	return len(s) - len(strings.TrimLeft(s, " \t")) + 1
}

// at builds a finding located on a whole instruction.
func (l *checker) at(locs []parser.Range, rule, msg, help string) report.Finding {
	line, end := rangesSpan(locs)
	return report.Finding{Line: line, Col: l.instructionCol(line), EndLine: end, Rule: rule, Message: msg, Help: help}
}

// directiveLine finds the line of a `# name=value` parser directive at the top of the file.
func directiveLine(lines []string, name string) int {
	for i, s := range lines {
		t := strings.TrimSpace(s)
		if !strings.HasPrefix(t, "#") {
			return 0
		}
		k, _, ok := strings.Cut(strings.TrimSpace(t[1:]), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return i + 1
		}
	}
	return 0
}

func quoteCmd(s string) string { return fmt.Sprintf("`%s`", s) }
