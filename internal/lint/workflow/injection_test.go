package workflow

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInjectionOnePerExpression: actionlint's own untrusted-input check reports these at the
// run: line; the user sees template-injection's findings, at each expression, and nothing else.
func TestInjectionOnePerExpression(t *testing.T) {
	src := "on: issue_comment\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 1\n    steps:\n" +
		"      - run: |\n          echo \"${{ github.event.comment.body }}\"\n          echo \"${{ github.event.issue.title }}${{ github.event.issue.body }}\"\n"
	fs := lintDefaults(t, "w.yml", src, KindWorkflow)
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule+" "+strings.SplitN(f.String(), ": ", 2)[0])
	}
	want := []string{
		"template-injection w.yml:9:17",
		"template-injection w.yml:10:17",
		"template-injection w.yml:10:48",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestInjectionComposite: composite action steps get the rule too.
func TestInjectionComposite(t *testing.T) {
	src := "name: a\ndescription: b\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo ${{ github.event.pull_request.head.ref }} ${{ inputs.ref }}\n"
	fs := lintDefaults(t, "action.yml", src, KindAction)
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	want := []string{"action.yml:7:17: `github.event.pull_request.head.ref` is controlled by the pull request's author; " +
		"${{ }} pastes it into the script before it runs, so a crafted value runs as code: pass it through env: and use \"$VAR\" (quoted) [template-injection]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestExpressions(t *testing.T) {
	s := "a ${{ github.x }} ${{ bad ( }} b ${{ 'x}}y' }}${{github.y}} ${{ unterminated"
	var got []string
	for _, e := range expressions(s) {
		got = append(got, s[e.off:e.off+5])
	}
	// The unparsable one is skipped, a "}}" inside a string literal does not end its expression.
	want := []string{"${{ g", "${{ '", "${{gi"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("expressions (-want +got):\n%s", diff)
	}
}

func FuzzExpressions(f *testing.F) {
	f.Add("echo ${{ github.event.issue.title }} ${{ steps.a.outputs['b'] }}")
	f.Add("${{ ${{ }} }} ${{ join(github.event.commits.*.message) }} ${{")
	f.Fuzz(func(t *testing.T, s string) {
		r := &taintFacts{}
		for _, e := range expressions(s) {
			if e.off < 0 || e.off+3 > len(s) || s[e.off:e.off+3] != "${{" {
				t.Fatalf("expression at %d does not start with ${{ in %q", e.off, s)
			}
			untrusted(e.node)
			r.derived(e.node, map[string]*taint{"a": {why: "x"}}, map[string]*taint{"b": {why: "y"}})
		}
	})
}

// TestInjectionBotBranches: commits pushed to dependency-bot branches are the bot's; once any
// other branch can trigger the workflow, their messages and authors are anyone's again.
func TestInjectionBotBranches(t *testing.T) {
	body := "permissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 1\n    steps:\n" +
		"      - run: git config user.name '${{ github.event.commits[0].author.name }}'\n"
	cases := map[string]int{
		"on:\n  push:\n    branches: [dependabot/**, renovate/**]\n": 0,
		"on:\n  push:\n    branches: [dependabot/**, main]\n":        1,
		"on:\n  push:\n": 1,
	}
	for on, want := range cases {
		fs := lintDefaults(t, "w.yml", on+body, KindWorkflow)
		got := 0
		for _, f := range fs {
			if f.Rule == RuleInjection {
				got++
			} else {
				t.Errorf("%q: unexpected finding %s", on, f)
			}
		}
		if got != want {
			t.Errorf("%q: %d template-injection findings, want %d", on, got, want)
		}
	}
}
