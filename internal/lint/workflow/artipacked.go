package workflow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// ---- credentials-in-artifact (zizmor's "artipacked") ----
//
// actions/checkout writes the token it checked out with into .git/config (persist-credentials
// defaults to true), so that later git commands can push. An artifact uploaded from the
// checkout's directory carries .git/config along, and anyone who can read the repository's
// artifacts — everyone, for a public repository — can download it: a GITHUB_TOKEN stays valid
// until the job ends (upload-artifact v4 makes an artifact downloadable at once), a personal
// access token or an App token until someone revokes it. upload-artifact leaves hidden files
// out since v4.4.0 unless include-hidden-files: true; older versions take .git along.

var ruleArtipacked = &Rule{
	ID:       RuleArtipacked,
	Severity: report.Warning,
	Doc:      "actions/checkout keeps its token in .git/config (persist-credentials defaults to true); an actions/upload-artifact of the checkout's directory (or of a .git path) that takes hidden files along — include-hidden-files: true, or a version before v4.4.0 — publishes it to everyone who can read the repository's artifacts: a warning for the GITHUB_TOKEN (valid until the job ends), an error for a personal access or App token (valid until revoked)",
	Fix:      "check out with persist-credentials: false unless a later step pushes, and upload only the build output (a directory of its own), never the checkout",
	Bad: `on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - run: make
      - uses: actions/upload-artifact@v4
        with:
          name: workspace
          path: .
          include-hidden-files: true
`,
	Good: `on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: make
      - uses: actions/upload-artifact@v4
        with:
          name: dist
          path: dist/
`,
	HelpURL: "https://unit42.paloaltonetworks.com/github-repo-artifacts-leak-tokens/",
	Applies: Workflows | Actions,
	Check:   checkArtipacked,
}

// persisted is a checkout that keeps its token in .git/config.
type persisted struct {
	dir   string // workspace-relative, "" for the workspace
	line  int
	token string // the secret it checked out with, "" for the GITHUB_TOKEN
}

func checkArtipacked(f *File, r *Reporter) {
	for _, j := range f.Jobs {
		var checkouts []persisted
		for _, s := range j.Steps {
			if run := s.Run(); run != nil && len(checkouts) > 0 && (strings.Contains(run.Run.Value, "extraheader") || strings.Contains(run.Run.Value, "rm ") && strings.Contains(run.Run.Value, ".git")) && dropsCredentials.MatchString(run.Run.Value) {
				checkouts = nil // the token is gone from .git/config (or .git itself)
				continue
			}
			e := s.Action()
			if e == nil {
				continue
			}
			if isCheckout(e.Uses.Value) {
				if strings.EqualFold(strings.TrimSpace(inputValue(e, "persist-credentials")), "false") {
					continue
				}
				p := persisted{dir: normDir(inputValue(e, "path")), line: lineOf(e.Uses.Pos)}
				if m := secretRef.FindStringSubmatch(inputValue(e, "token")); m != nil && !strings.EqualFold(m[1]+m[2], "GITHUB_TOKEN") {
					p.token = m[1] + m[2]
				}
				checkouts = append(checkouts, p)
				continue
			}
			if len(checkouts) == 0 || !strings.HasPrefix(strings.ToLower(e.Uses.Value), "actions/upload-artifact@") {
				continue
			}
			why := hiddenFilesUploaded(f, e)
			if why == "" {
				continue
			}
			in := e.Inputs["path"]
			if in == nil || in.Value == nil {
				continue
			}
			for _, c := range checkouts {
				up := uploadedCheckout(in.Value.Value, c.dir)
				if up == "" {
					continue
				}
				sev, token := report.Warning, "the GITHUB_TOKEN, valid until the job ends"
				if c.token != "" {
					sev, token = report.Error, fmt.Sprintf("${{ secrets.%s }}, valid until someone revokes it", c.token)
				}
				fl := flow{source: "the checkout's token"}.then("`.git/config` of actions/checkout (persist-credentials defaults to true)", c.line).
					then(fmt.Sprintf("`actions/upload-artifact` of %s, %s", up, why), lineOf(in.Value.Pos))
				r.ReportAs(in.Value.Pos, sev, fmt.Sprintf("the uploaded artifact holds a token: %s; everyone who can read the repository's artifacts can download %s", fl, token))
				break
			}
		}
	}
}

// dropsCredentials matches a script that removes the persisted token: the extraheader unset, or
// .git deleted.
var dropsCredentials = regexp.MustCompile(`--unset(-all)?\s+["']?http\.[^ ]*extraheader|rm\s+-[a-z]*r[a-z]*\s+(\./)?\.git\b`)

// hiddenFilesUploaded says why an upload-artifact step takes hidden files (.git) along —
// include-hidden-files: true, or a version before v4.4.0 (by its tag, or the tag a SHA's comment
// names) — or "" when it does not or the version is unknown.
func hiddenFilesUploaded(f *File, e *actionlint.ExecAction) string {
	if strings.EqualFold(strings.TrimSpace(inputValue(e, "include-hidden-files")), "true") {
		return "with include-hidden-files: true"
	}
	_, ref, _ := strings.Cut(e.Uses.Value, "@")
	if isFullSHA(ref) {
		// The tag the SHA stands for, from its comment: uses: actions/upload-artifact@<sha> # v4.3.1
		line := f.line(lineOf(e.Uses.Pos))
		m := versionComment.FindStringSubmatch(line)
		if m == nil {
			return ""
		}
		ref = m[1]
	}
	major, minor, ok := version(ref)
	if !ok || major > 4 || major == 4 && (minor >= 4 || minor < 0) {
		return "" // v4 (the latest v4.x), v4.4.0 and later leave hidden files out; a branch is unknown
	}
	return fmt.Sprintf("whose version %s takes hidden files along (v4.4.0 and later leave them out)", ref)
}

var versionComment = regexp.MustCompile(`#\s*(v?\d+(?:\.\d+){0,2})\b`)

// version reads v4, v4.3 or v4.3.1; minor is -1 when the tag names only the major version.
func version(ref string) (major, minor int, ok bool) {
	parts := strings.Split(strings.TrimPrefix(ref, "v"), ".")
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, false
	}
	minor = -1
	if len(parts) > 1 {
		if minor, err = strconv.Atoi(parts[1]); err != nil {
			return 0, 0, false
		}
	}
	return major, minor, true
}

// uploadedCheckout says which path of an upload's path: lines takes the checkout at dir (or its
// .git) along — the workspace, the checkout's directory or one above it, a .git path — and ""
// when none does or a line excludes .git.
func uploadedCheckout(paths, dir string) string {
	var hit string
	for _, l := range strings.Split(paths, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "!") {
			if strings.Contains(l, ".git") {
				return "" // .git excluded
			}
			continue
		}
		p := normDir(l)
		switch {
		case hit != "":
		case strings.Contains(p, ".git") && !strings.Contains(p, ".github"):
			hit = "`" + l + "`"
		case p == "" || p == dir || dir != "" && strings.HasPrefix(dir, p+"/"):
			hit = "`" + l + "` (the checkout, .git included)"
		}
	}
	return hit
}
