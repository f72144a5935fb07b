package report

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type matcherPattern struct {
	Regexp  string `json:"regexp"`
	File    int    `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message int    `json:"message"`
	Code    int    `json:"code"`
}

func loadMatcher(t *testing.T) (*regexp.Regexp, matcherPattern) {
	t.Helper()
	var m struct {
		ProblemMatcher []struct {
			Owner   string           `json:"owner"`
			Pattern []matcherPattern `json:"pattern"`
		} `json:"problemMatcher"`
	}
	if err := json.Unmarshal(ProblemMatcher, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.ProblemMatcher) != 1 || m.ProblemMatcher[0].Owner != "molecule-ci" || len(m.ProblemMatcher[0].Pattern) != 1 {
		t.Fatalf("unexpected matcher shape: %+v", m)
	}
	p := m.ProblemMatcher[0].Pattern[0]
	return regexp.MustCompile(p.Regexp), p
}

// match reads a line the way the runner applies the matcher.
func match(re *regexp.Regexp, p matcherPattern, line string) (Finding, bool) {
	g := re.FindStringSubmatch(line)
	if g == nil {
		return Finding{}, false
	}
	l, _ := strconv.Atoi(g[p.Line])
	c, _ := strconv.Atoi(g[p.Column])
	return Finding{Path: g[p.File], Line: l, Col: c, Message: g[p.Message], Rule: g[p.Code]}, true
}

func TestProblemMatcherReadsCanonicalLines(t *testing.T) {
	re, p := loadMatcher(t)
	tests := []struct {
		name string
		f    Finding
	}{
		{"simple", Finding{Path: "a.yml", Line: 3, Col: 5, Message: "bad", Rule: "r"}},
		{"whole file", Finding{Path: "Dockerfile", Message: "cannot parse", Rule: "config"}},
		{"colons in the path", Finding{Path: "conf:dir/a:b.yml", Line: 1, Col: 2, Message: "m", Rule: "r"}},
		{"colon and digits in the path", Finding{Path: "dir:12/a.yml", Line: 1, Col: 2, Message: "m", Rule: "r"}},
		{"brackets in the message", Finding{Path: "a.yml", Line: 1, Col: 2, Message: "expected [a, b] got [c]", Rule: "org/x"}},
		{"position-like message", Finding{Path: "a.yml", Line: 4, Col: 9, Message: "SC2086:info:1:6: Double quote", Rule: "actionlint/shellcheck"}},
		{"unicode", Finding{Path: "docs/ünïcode.yml", Line: 2, Col: 11, Message: "名前 ✓", Rule: "org/unicode"}},
		{"empty message part", Finding{Path: "a b/c.yml", Line: 1, Col: 1, Message: " ", Rule: "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := match(re, p, tt.f.String())
			if !ok {
				t.Fatalf("%q does not match %s", tt.f.String(), re)
			}
			if diff := cmp.Diff(tt.f, got); diff != "" {
				t.Errorf("matched %q (-want +got):\n%s", tt.f.String(), diff)
			}
		})
	}
}

// The documented limits: a path containing ":N:M: " is split there, and a message with a line
// break does not match at all.
func TestProblemMatcherLimits(t *testing.T) {
	re, p := loadMatcher(t)
	f := Finding{Path: "odd:1:2: name.yml", Line: 3, Col: 4, Message: "m", Rule: "r"}
	got, ok := match(re, p, f.String())
	want := Finding{Path: "odd", Line: 1, Col: 2, Message: "name.yml:3:4: m", Rule: "r"}
	if !ok || got != want {
		t.Errorf("path with a position inside: got %+v, %v; want the documented mis-split %+v", got, ok, want)
	}
	multi := Finding{Path: "a.yml", Line: 1, Col: 1, Message: "one\ntwo", Rule: "r"}
	if _, ok := match(re, p, multi.String()); ok {
		t.Errorf("a message with a line break matched; the limitation in ProblemMatcher's doc is stale")
	}
}
