package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingHelper is run as a subprocess by TestMissing: it only calls Missing.
func TestMissingHelper(t *testing.T) {
	if os.Getenv("TESTENV_HELPER") != "1" {
		return
	}
	Missing(t, "frobnicate is not installed: apt-get install %s", "frobnicate")
	t.Error("Missing returned; want the test stopped")
}

// TestMissing runs the helper test in a child test binary, as `go test` would, with and without
// CI set, and reads the verdict go test prints.
func TestMissing(t *testing.T) {
	tests := []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestMissingHelper"},
		{"false", false, "--- SKIP: TestMissingHelper"},
		{"true", true, "--- FAIL: TestMissingHelper"},
		{"1", true, "--- FAIL: TestMissingHelper"},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingHelper$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_HELPER=1", "CI="+tt.ci)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != tt.wantFail {
			t.Errorf("CI=%q: child failed = %v, want %v\n%s", tt.ci, failed, tt.wantFail, out)
		}
		for _, want := range []string{tt.want, "frobnicate is not installed: apt-get install frobnicate"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("CI=%q: output lacks %q:\n%s", tt.ci, want, out)
			}
		}
		if tt.wantFail && !strings.Contains(string(out), "CI=true: a missing tool fails the run") {
			t.Errorf("CI=%q: the failure does not say why a skip became a failure:\n%s", tt.ci, out)
		}
		if strings.Contains(string(out), "Missing returned") {
			t.Errorf("CI=%q: the test went on after Missing:\n%s", tt.ci, out)
		}
	}
}
