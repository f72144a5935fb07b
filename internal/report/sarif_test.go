package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// sarifLog is the part of SARIF that GitHub code scanning requires, read back independently of
// the library that wrote it.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string `json:"id"`
					HelpURI          string `json:"helpUri"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results *[]struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text *string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region map[string]int `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func writeString(t *testing.T, format string, rep *Report, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, rep, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestSARIFRequiredFields(t *testing.T) {
	out := writeString(t, "sarif", trickyReport(), Options{})

	// The library's own check against the SARIF 2.1.0 JSON schema.
	parsed, err := sarif.FromString(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(); err != nil {
		t.Fatalf("schema validation: %v", err)
	}

	var log sarifLog
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || log.Schema == "" || len(log.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs; want 2.1.0, a schema and 1 run", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "molecule-ci" || d.Version != "1.2.3" || d.InformationURI != "https://github.com/Molecule-AI/molecule-ci" {
		t.Errorf("driver = %q %q %q", d.Name, d.Version, d.InformationURI)
	}
	if run.Results == nil {
		t.Fatal("runs[0].results is missing; GitHub requires it even when empty")
	}
	ruleIDs := map[string]int{}
	for i, r := range d.Rules {
		ruleIDs[r.ID] = i
		if r.ShortDescription.Text == "" || r.DefaultConfiguration.Level == "" {
			t.Errorf("rule %q: shortDescription %q, level %q", r.ID, r.ShortDescription.Text, r.DefaultConfiguration.Level)
		}
	}
	want := sorted(trickyReport().Findings)
	if len(*run.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(*run.Results), len(want))
	}
	for i, res := range *run.Results {
		f := want[i]
		idx, ok := ruleIDs[res.RuleID]
		if !ok || idx != res.RuleIndex {
			t.Errorf("result %d: ruleId %q ruleIndex %d, driver has it at %d (%v)", i, res.RuleID, res.RuleIndex, idx, ok)
		}
		if res.Message.Text == nil || *res.Message.Text != f.Message {
			t.Errorf("result %d: message.text = %v, want %q", i, res.Message.Text, f.Message)
		}
		if res.Level != map[Severity]string{Error: "error", Warning: "warning", Info: "note"}[f.Severity] {
			t.Errorf("result %d: level %q for %v", i, res.Level, f.Severity)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d: %d locations, want 1", i, len(res.Locations))
		}
		pl := res.Locations[0].PhysicalLocation
		if pl.ArtifactLocation.URI == "" || pl.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("result %d: artifactLocation %+v", i, pl.ArtifactLocation)
		}
		if pl.Region["startLine"] < 1 {
			t.Errorf("result %d: startLine %d; GitHub rejects lines below 1", i, pl.Region["startLine"])
		}
		for _, k := range []string{"startColumn", "endLine", "endColumn"} {
			if v, ok := pl.Region[k]; ok && v < 1 {
				t.Errorf("result %d: region %s = %d; zero fields must be left out", i, k, v)
			}
		}
	}
}

func TestSARIFEmptyReportIsValid(t *testing.T) {
	parsed, err := sarif.FromString(writeString(t, "sarif", &Report{}, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(); err != nil {
		t.Fatal(err)
	}
	if parsed.Runs[0].Results == nil || len(parsed.Runs[0].Results) != 0 {
		t.Errorf("results = %v, want an empty array", parsed.Runs[0].Results)
	}
}

func TestSARIFRegion(t *testing.T) {
	tests := []struct {
		name string
		f    Finding
		want map[string]int
	}{
		{"whole file", Finding{}, map[string]int{"startLine": 1}},
		{"whole file ignores a column", Finding{Col: 3, EndLine: 0}, map[string]int{"startLine": 1}},
		{"whole line", Finding{Line: 7}, map[string]int{"startLine": 7}},
		{"point", Finding{Line: 7, Col: 2}, map[string]int{"startLine": 7, "startColumn": 2}},
		{"same end line", Finding{Line: 7, Col: 2, EndLine: 7}, map[string]int{"startLine": 7, "startColumn": 2, "endLine": 7}},
		{"multi-line", Finding{Line: 7, EndLine: 9}, map[string]int{"startLine": 7, "endLine": 9}},
		{"end before start is clamped", Finding{Line: 7, EndLine: 3}, map[string]int{"startLine": 7, "endLine": 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sarifRegion(tt.f)
			got := map[string]int{}
			for k, p := range map[string]*int{"startLine": r.StartLine, "startColumn": r.StartColumn, "endLine": r.EndLine, "endColumn": r.EndColumn} {
				if p != nil {
					got[k] = *p
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("region (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSARIFArtifactURI(t *testing.T) {
	tests := []struct {
		path, uri, base string
	}{
		{"Dockerfile", "Dockerfile", "%SRCROOT%"},
		{".github/workflows/ci.yml", ".github/workflows/ci.yml", "%SRCROOT%"},
		{"dir with space/a#b%c?.yml", "dir%20with%20space/a%23b%25c%3F.yml", "%SRCROOT%"},
		// An unescaped colon in the first segment would make "c" a URI scheme.
		{"c:/x/y.yml", "c%3A/x/y.yml", "%SRCROOT%"},
		{"docs/ünïcode.yml", "docs/%C3%BCn%C3%AFcode.yml", "%SRCROOT%"},
		{"/abs/path to/f.yml", "file:///abs/path%20to/f.yml", ""},
	}
	for _, tt := range tests {
		a := sarifArtifact(tt.path)
		base := ""
		if a.URIBaseID != nil {
			base = *a.URIBaseID
		}
		if *a.URI != tt.uri || base != tt.base {
			t.Errorf("sarifArtifact(%q) = %q base %q, want %q base %q", tt.path, *a.URI, base, tt.uri, tt.base)
		}
	}
}

func TestSARIFRules(t *testing.T) {
	known := []Rule{
		{ID: "z/known", Severity: Warning, Doc: "z"},
		{ID: "buildkit/*", Severity: Warning, Doc: "buildkit checks", HelpURL: "https://docs.docker.com/reference/build-checks/"},
		{ID: "buildkit/Secret*", Severity: Error, Doc: "secret checks", HelpURL: "https://example.com/secrets"},
		{ID: "z/known", Severity: Error, Doc: "duplicate, dropped"},
	}
	fs := []Finding{
		{Rule: "z/known", Severity: Info},
		{Rule: "buildkit/StageNameCasing", Severity: Error},
		{Rule: "buildkit/SecretsUsedInArgOrEnv", Severity: Warning},
		{Rule: "orphan", Severity: Warning},
		{Rule: "orphan", Severity: Error},
		{Rule: "orphan", Severity: Info},
	}
	want := []Rule{
		{ID: "buildkit/*", Severity: Warning, Doc: "buildkit checks", HelpURL: "https://docs.docker.com/reference/build-checks/"},
		{ID: "buildkit/Secret*", Severity: Error, Doc: "secret checks", HelpURL: "https://example.com/secrets"},
		{ID: "z/known", Severity: Warning, Doc: "z"},
		{ID: "buildkit/SecretsUsedInArgOrEnv", Severity: Error, Doc: "secret checks", HelpURL: "https://example.com/secrets"},
		{ID: "buildkit/StageNameCasing", Severity: Warning, Doc: "buildkit checks", HelpURL: "https://docs.docker.com/reference/build-checks/"},
		{ID: "orphan", Severity: Error},
	}
	if diff := cmp.Diff(want, sarifRules(known, fs)); diff != "" {
		t.Errorf("sarifRules (-want +got):\n%s", diff)
	}
}

// TestSARIFRunLevelFinding: a finding about the whole run is no result (code scanning refuses a
// result without a location, and the upload with it) but a notification of the run's invocation
// naming its rule; every result keeps its one location. The log is valid SARIF 2.1.0.
func TestSARIFRunLevelFinding(t *testing.T) {
	parsed, err := sarif.FromString(writeString(t, "sarif", summaryReport(false), Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Validate(); err != nil {
		t.Fatalf("schema validation: %v", err)
	}
	run := parsed.Runs[0]
	if len(run.Results) != 1 || len(run.Results[0].Locations) != 1 {
		t.Fatalf("results %+v, want the one finding with a path, at its location", run.Results)
	}
	if len(run.Invocations) != 1 || len(run.Invocations[0].ToolExecutionNotifications) != 1 {
		t.Fatalf("invocations %+v, want one with one notification", run.Invocations)
	}
	n := run.Invocations[0].ToolExecutionNotifications[0]
	if n.Level != "error" || *n.Message.Text != "total coverage 75.00% is below the 80.00% floor" ||
		*n.AssociatedRule.ID != "coverage/gate" || n.AssociatedRule.Index != 0 {
		t.Errorf("notification %+v", n)
	}
	// Without run-level findings there is no invocation: lint's SARIF is as it was.
	if strings.Contains(writeString(t, "sarif", trickyReport(), Options{}), "executionSuccessful") {
		t.Error("a report without run-level findings has invocations")
	}
}
