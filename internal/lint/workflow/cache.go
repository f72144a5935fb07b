package workflow

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ---- cache-poisoning ----
//
// GitHub's cache is shared by every run of a branch and by every branch with its default
// branch: a release (a tag push or a release event) restores what a run on the default branch
// saved. A run there that executes untrusted code — a pull_request_target or comment workflow
// gone wrong, a compromised dependency of any job — can save an entry under the key the release
// asks for, and the release then builds and publishes with the attacker's files. Exploiting it
// takes code execution on the default branch first, hence a warning.

var ruleCachePoisoning = &Rule{
	ID:       RuleCachePoisoning,
	Severity: report.Warning,
	Doc:      "a tag- or release-triggered job that publishes (a registry upload, a release, an image push) and restores a cache first (actions/cache, setup-node/-python/-java with cache:, setup-go's default cache, bundler-cache, rust-cache, gradle, a gha BuildKit cache) builds what it ships from files any default-branch run could have saved",
	Fix:      "turn caching off in release jobs (cache: '' or false, lookup-only, cache-disabled, no cache-from: type=gha), or build the release from a clean runner",
	Bad: `on:
  push:
    tags: ['v*']
permissions: {contents: read}
jobs:
  publish:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
          cache: npm
      - run: npm ci && npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
`,
	Good: `on:
  push:
    tags: ['v*']
permissions: {contents: read}
jobs:
  publish:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: npm ci && npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
`,
	HelpURL: "https://adnanthekhan.com/2024/05/06/the-monsters-in-your-build-cache-github-actions-cache-poisoning/",
	Applies: Workflows,
	Check:   checkCachePoisoning,
}

func checkCachePoisoning(f *File, r *Reporter) {
	trigger := f.tagTrigger()
	if trigger == "" {
		return
	}
	for _, j := range f.Jobs {
		if j.If != nil && prOnly.MatchString(j.If.Value) {
			continue // the job does not run for the tag or release
		}
		for _, s := range j.Steps {
			what, pos := s.restoresCache()
			if what == "" {
				continue
			}
			publishes, at := j.publishes()
			if publishes == "" || at < lineOf(pos) {
				break // nothing published, or only before the cache is restored
			}
			fl := flow{source: "a cache entry any default-branch run can save"}.then(what, lineOf(pos)).then(publishes, at)
			r.Report(pos, fmt.Sprintf("release job %q (%s) builds what it publishes from a cache: %s; a default-branch run that executes untrusted code can poison what this release ships", jobID(j.Job), trigger, fl))
			break
		}
	}
}

// prOnly matches a job condition that limits it to pull requests (a pull request field is null
// on a tag push or a release, so a comparison with it is false).
var prOnly = regexp.MustCompile(`github\.event_name\s*==\s*['"]pull_request|github\.event\.pull_request\.head\.repo\.(full_name|fork)\s*==`)

// restoresCache says which cache a step restores, or "".
func (s *Step) restoresCache() (string, *actionlint.Pos) {
	if r := s.Run(); r != nil {
		return "", nil
	}
	e := s.Action()
	if e == nil {
		return "", nil
	}
	uses := strings.ToLower(e.Uses.Value)
	name, ref, _ := strings.Cut(uses, "@")
	in := func(k string) string { return strings.ToLower(strings.Trim(strings.TrimSpace(inputValue(e, k)), `"'`)) }
	on := func(k string) bool { v := in(k); return v != "" && v != "false" && v != "''" }
	what := ""
	switch {
	case name == "actions/cache" || name == "actions/cache/restore":
		// A key of this run's id, without restore-keys, is an entry only this run writes (jobs
		// passing files along), which no earlier run can have saved.
		ownRun := strings.Contains(in("key"), "github.run_id") && in("restore-keys") == ""
		if in("lookup-only") != "true" && !ownRun {
			what = "`" + name + "`"
		}
	case name == "actions/setup-node" || name == "actions/setup-python" || name == "actions/setup-java":
		if on("cache") {
			what = fmt.Sprintf("`%s` with cache: %s", name, in("cache"))
		}
	case name == "actions/setup-go":
		major, _, ok := version(ref)
		if v := in("cache"); v == "true" || v == "" && ok && major >= 4 {
			what = "`actions/setup-go` (caches by default since v4)"
		}
	case name == "actions/setup-dotnet":
		if in("cache") == "true" {
			what = "`actions/setup-dotnet` with cache: true"
		}
	case name == "ruby/setup-ruby":
		if in("bundler-cache") == "true" {
			what = "`ruby/setup-ruby` with bundler-cache: true"
		}
	case name == "astral-sh/setup-uv":
		if in("enable-cache") == "true" {
			what = "`astral-sh/setup-uv` with enable-cache: true"
		}
	case name == "swatinem/rust-cache":
		if in("lookup-only") != "true" {
			what = "`Swatinem/rust-cache`"
		}
	case name == "gradle/gradle-build-action" || name == "gradle/actions/setup-gradle":
		if in("cache-disabled") != "true" {
			what = "`" + name + "` (caches by default)"
		}
	case name == "docker/build-push-action" || name == "docker/bake-action":
		if strings.Contains(in("cache-from"), "type=gha") {
			what = "`" + name + "` with cache-from: type=gha"
		}
	}
	if what == "" {
		return "", nil
	}
	return what, e.Uses.Pos
}

// publishActions upload what the job built: a package, a release, an image, a site.
var publishActions = []string{
	"pypa/gh-action-pypi-publish", "softprops/action-gh-release", "ncipollo/release-action",
	"goreleaser/goreleaser-action", "js-devtools/npm-publish", "svenstaro/upload-release-action",
	"actions/upload-release-asset", "rubygems/release-gem", "jreleaser/release-action",
	"peaceiris/actions-gh-pages", "jamesives/github-pages-deploy-action", "actions/deploy-pages",
	"changesets/action",
}

// publishCommand matches a command that publishes: package registries, releases, image pushes.
var publishCommand = regexp.MustCompile(`\b(npm|yarn|pnpm|lerna|vsce|ovsx)\s+(npm\s+)?publish\b|\btwine\s+upload\b|\bcargo\s+publish\b|\bgem\s+push\b|\bdocker\s+(image\s+)?push\b|\bgh\s+release\s+(create|upload)\b|\bgoreleaser\s+release\b|\bmvn\b[^\n]*\bdeploy\b|\bgradlew?\b[^\n]*\bpublish\w*\b|\bdotnet\s+nuget\s+push\b|\b(poetry|flit|uv|hatch)\s+publish\b|\bsemantic-release\b|\bchangeset\s+publish\b`)

// publishWords hold a literal part of every match of publishCommand.
var publishWords = []string{"publish", "upload", "push", "release", "deploy", "semantic-release"}

// publishes says what of the job publishes, and on which line, or "".
func (j *Job) publishes() (string, int) {
	for _, s := range j.Steps {
		if r := s.Run(); r != nil {
			if !mayMatchFold(r.Run.Value, publishWords) {
				continue
			}
			if loc := publishCommand.FindStringIndex(r.Run.Value); loc != nil {
				return "`" + shorten(r.Run.Value[loc[0]:loc[1]], 40) + "`", lineOf(j.File.Pos(r.Run, loc[0]))
			}
			continue
		}
		e := s.Action()
		if e == nil {
			continue
		}
		u := strings.ToLower(e.Uses.Value)
		name, _, _ := strings.Cut(u, "@")
		pushes := (name == "docker/build-push-action" || name == "docker/bake-action") && strings.EqualFold(strings.TrimSpace(inputValue(e, "push")), "true")
		if pushes || slicesHasPrefix(publishActions, name) {
			return "`" + e.Uses.Value + "`", lineOf(e.Uses.Pos)
		}
	}
	return "", 0
}
