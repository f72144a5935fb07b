package triage

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestParseFleet(t *testing.T) {
	deps, err := ParseFleet([]byte(`{"repos":[
		{"name":"a","calls":[{"workflow":"Org/shared/.github/workflows/x.yml"},{"workflow":"org/SHARED/.github/workflows/y.yml"},{"workflow":"Other/shared/.github/workflows/x.yml"}]},
		{"name":"b","calls":[{"workflow":"Org/shared/.github/workflows/x.yml"},{"workflow":"./.github/workflows/local.yml"},{"workflow":"Org/b/.github/workflows/self.yml"}]},
		{"name":"c","calls":[{"workflow":"Org/runtime/.github/workflows/smoke.yml"},{"workflow":"Org"},{"workflow":""}]},
		{"name":"d"}
	],"summary":{"repos":4}}`), "Org")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(deps); got != "map[runtime:1 shared:2]" {
		t.Errorf("dependents: %s", got)
	}
	for _, tc := range []struct{ in, want string }{
		{``, "EOF"},
		{`{"repos": [`, "unexpected EOF"},
		{"{\n  \"repos\": {}\n}", "2:12: repos: want a list, got JSON object"},
		{"{\"repos\": [{\"name\": \"a\", \"calls\": [{\"workflow\": 3}]}]}", "1:49: repos.calls.workflow: want a string, got JSON number"},
		{`{"repos": [{"name": ""}]}`, "repos[0]: no name"},
		{`{"summary": {}}`, `1:1: no "repos" list: want the JSON document of molecule-ci fleet --format json`},
		{`{"repos": []} {"repos": []}`, "more than one JSON document; want the one `molecule-ci fleet --format json` writes"},
		{"[1,\n2,\nx]", "3:1: invalid character 'x' looking for beginning of value"},
	} {
		_, err := ParseFleet([]byte(tc.in), "Org")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}

// TestParseFleetCorpus builds the fleet report of the organisation's real repositories from the
// calls their workflows make (as `molecule-ci fleet` reports them) and reads who depends on whom.
func TestParseFleetCorpus(t *testing.T) {
	corpus := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("../shared/corpus is absent (%v): the organisation's repositories are not here", err)
	}
	report, repos := corpusFleet(t, corpus)
	deps, err := ParseFleet(report, "Molecule-AI")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for k, v := range deps {
		lines = append(lines, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(lines)
	t.Logf("%d repositories; dependents: %s", repos, strings.Join(lines, " "))
	if deps["molecule-ci"] < 5 {
		t.Errorf("molecule-ci has %d dependents among the corpus; its shared workflows are called by most repositories", deps["molecule-ci"])
	}
}

var usesRE = regexp.MustCompile(`(?m)^\s*uses:\s*["']?([A-Za-z0-9-]+/[A-Za-z0-9._-]+/\.github/workflows/[^@\s"']+)@`)

// corpusFleet is a fleet report ({"repos":[{"name","calls":[{"workflow"}]}]}) of the corpus's
// repositories, their workflows' calls read with a regular expression.
func corpusFleet(t testing.TB, corpus string) ([]byte, int) {
	var dirs []string
	for _, parent := range []string{corpus, filepath.Join(corpus, "fleet-sample")} {
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if e.IsDir() && e.Name() != "fleet-sample" {
				dirs = append(dirs, filepath.Join(parent, e.Name()))
			}
		}
	}
	var b strings.Builder
	b.WriteString(`{"repos":[`)
	for i, d := range dirs {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name":%q,"calls":[`, filepath.Base(d))
		files, _ := filepath.Glob(filepath.Join(d, ".github", "workflows", "*.y*ml"))
		n := 0
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range usesRE.FindAllSubmatch(data, -1) {
				if n > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"workflow":%q}`, m[1])
				n++
			}
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	return []byte(b.String()), len(dirs)
}

// FuzzParseFleet: any input is a report or an error with a position inside it; never a panic.
func FuzzParseFleet(f *testing.F) {
	f.Add([]byte(`{"repos":[{"name":"a","calls":[{"workflow":"Org/shared/.github/workflows/x.yml"}]}]}`))
	f.Add([]byte(`{"repos":[{"name":"a","calls":[{"workflow":"Org/a/x"}]}]}`))
	f.Add([]byte("{\"repos\": [\n{\"name\": 7}]}"))
	f.Add([]byte(`{"repos":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, err := ParseFleet(data, "Org")
		if err != nil {
			var fe *FleetError
			if !errorsAs(err, &fe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			lines := strings.Count(string(data), "\n") + 1
			if fe.Line > lines || fe.Line < 0 {
				t.Fatalf("line %d of %d", fe.Line, lines)
			}
			return
		}
		for k, v := range deps {
			if v < 1 || k != strings.ToLower(k) {
				t.Fatalf("%s=%d", k, v)
			}
		}
	})
}
