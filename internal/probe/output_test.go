package probe

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
	"github.com/Molecule-AI/molecule-ci/internal/report/markdowntest"
)

// hostileResult is a run whose names come from a config a pull request can change and whose
// errors come from the probed servers: each aimed at something GitHub would act on in the job
// summary.
func hostileResult() *Result {
	now := time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC)
	return &Result{
		Started: now, PreviousRun: now.Add(-3 * time.Hour), HeartbeatStale: true,
		Services: []ServiceResult{
			{Name: "Docs @octocat [x](https://evil.example)", Slug: "docs", Env: "prod|uction", Status: Down, Observed: Down, Index: 0,
				Reason: "http: 500 <img src=https://evil.example/t.png> <!-- fix #12 @Molecule-AI/platform-team",
				Checks: []CheckResult{{Kind: "http", Target: "https://docs.example", Status: Down, StatusCode: 500, Latency: 120 * time.Millisecond, Error: "status 500 `oops`"}}},
			{Name: "Control plane", Slug: "cp", Env: "production", Status: Up, Observed: Up, Index: 1,
				Checks: []CheckResult{{Kind: "fly", Target: "molecule-cp", Status: DegradedCheck, Error: "no $FLY_API_TOKEN set — degraded check only"}}},
		},
		Incidents: []IncidentResult{
			{Service: "Docs @octocat [x](https://evil.example)", Slug: "docs", Number: 7, URL: "https://github.com/Molecule-AI/status/issues/7", State: "open", Action: "opened", DowntimeSeconds: 600},
			{Service: "Evil", Slug: "evil", Number: 8, URL: "javascript:alert(1)", State: "open", Action: "opened"},
		},
	}
}

// TestOutputHostile: probe's job summary shows the names, reasons and errors as they are, and
// nothing in them pings, links, embeds or hides; the incident links only to its issue. Every
// format of the run, through internal/report, is stated exactly.
func TestOutputHostile(t *testing.T) {
	res := hostileResult()
	rep := res.Report(".molecule-ci.yml", func(i int) (int, int) { return 5 + 3*i, 7 })
	md := report.Markdown(rep)
	markdowntest.Check(t, md, "https://github.com/Molecule-AI/status/issues/7")
	golden.Check(t, filepath.Join("testdata", "output", "hostile.md"), []byte(md))
	for _, format := range report.Formats() {
		var b bytes.Buffer
		if err := report.Write(&b, format, rep, report.Options{}); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "output", "hostile."+format), b.Bytes())
	}
}

// outputs are the JSON, human and job-summary renderings of a run, as the CLI writes them.
func outputs(t testing.TB, res *Result) (js, human, md string) {
	t.Helper()
	rep := res.Report(".molecule-ci.yml", nil)
	render := func(format string) string {
		var b bytes.Buffer
		if err := report.Write(&b, format, rep, report.Options{}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	return render("json"), render("human"), report.Markdown(rep)
}
