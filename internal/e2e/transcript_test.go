package e2e

import (
	"strings"
	"testing"
)

const sampleLog = `time="2026-11-27T08:53:06Z" level=warning msg="Couldn't get a valid docker connection: no DOCKER_HOST and an invalid container socket ''"
[ci/lint] ⭐ Run Set up job
[ci/lint]   ✅  Success - Set up job
[ci/lint] LocalRepositoryCache matched https://github.com/Molecule-AI/molecule-ci with ref v1 to /work/main
[ci/lint] ⭐ Run Main Build molecule-ci
[ci/lint]   | molecule-ci devel
[ci/lint]   ✅  Success - Main Build molecule-ci [1m23.739506441s]
[ci/lint]   ❗  ::error col=14,endLine=10,file=.github/workflows/bad.yml,line=10,title=gate-cannot-fail::swallowed
[ci/lint]   ❌  Failure - Main Run molecule-ci lint [133.268986ms]
[ci/lint]   ⚙  ::set-output:: findings=1
[ci/lint]   ⚙  Summary - ## molecule-ci lint

❌ 1 finding (1 error) in 2 files
| ❌ error | .github/workflows/bad.yml:10 | gate-cannot-fail | swallowed |
[ci/lint] exit status 1
[ci/lint]   ✅  Success - Post Lint [33.5µs]
[ci/lint] cache at /tmp/w123/act-cache
[ci/lint] 🏁  Job failed
Error: Job 'lint' failed
`

func TestTranscript(t *testing.T) {
	paths := map[string]string{"/work/main": "$MOLECULE_CI", "/tmp/w123": "$WORK"}
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no job lines", "time=x level=warning msg=y\nplain\n", ""},
		{"act log", sampleLog, `[ci/lint] ⭐ Run Set up job
[ci/lint]   ✅  Success - Set up job
[ci/lint] ⭐ Run Main Build molecule-ci
[ci/lint]   | molecule-ci devel
[ci/lint]   ✅  Success - Main Build molecule-ci
[ci/lint]   ❗  ::error col=14,endLine=10,file=.github/workflows/bad.yml,line=10,title=gate-cannot-fail::swallowed
[ci/lint]   ❌  Failure - Main Run molecule-ci lint
[ci/lint] exit status 1
[ci/lint]   ✅  Success - Post Lint
[ci/lint] cache at $WORK/act-cache
[ci/lint] 🏁  Job failed
Error: Job 'lint' failed
`},
		{"bracket that is no duration", "[j] keep [v1]\n[j] keep [1.5x]\n", "[j] keep [v1]\n[j] keep [1.5x]\n"},
		{"CRLF and trailing blanks", "[j] a [2s]\r\n[j] b  \r\n", "[j] a\n[j] b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := transcript(tt.in, paths); got != tt.want {
				t.Errorf("transcript:\n--- got ---\n%s--- want ---\n%s", got, tt.want)
			}
		})
	}
}

// FuzzTranscript: any input is accepted, and every line kept is a job line or act's closing error,
// with no step duration left at its end.
func FuzzTranscript(f *testing.F) {
	f.Add(sampleLog)
	f.Add("[x] y [1m2.5s] [3ms]\n")
	f.Add("[\n[ \r\nError: \n")
	f.Fuzz(func(t *testing.T, in string) {
		out := transcript(in, map[string]string{"/tmp": "$WORK"})
		if out == "" {
			return
		}
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("transcript %q does not end in a newline", out)
		}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if !strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "Error:") {
				t.Fatalf("kept line %q is neither a job line nor act's error", l)
			}
			if durationRE.MatchString(l) {
				t.Fatalf("kept line %q still ends in a duration", l)
			}
		}
	})
}
