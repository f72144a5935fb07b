package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// The runner's unescape tables, in its order (actions/runner src/Runner.Common/ActionCommand.cs,
// _escapeDataMappings and _escapePropertyMappings); it replaces each escape in turn.
var (
	runnerDataMappings     = [][2]string{{"\r", "%0D"}, {"\n", "%0A"}, {"%", "%25"}}
	runnerPropertyMappings = [][2]string{{"\r", "%0D"}, {"\n", "%0A"}, {":", "%3A"}, {",", "%2C"}, {"%", "%25"}}
)

func runnerUnescape(s string, mappings [][2]string) string {
	for _, m := range mappings {
		s = strings.ReplaceAll(s, m[1], m[0])
	}
	return s
}

type runnerCommand struct {
	Name  string
	Props map[string]string
	Data  string
}

// runnerParse mirrors ActionCommand.TryParseV2: the command ends at the first "::" after the
// leading one, properties are split on ',' then on the first '=' (.NET's Split with
// RemoveEmptyEntries, which also drops '=' at the start of a value), and the property list is
// trimmed.
func runnerParse(line string) (runnerCommand, bool) {
	line = strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(line, "::") {
		return runnerCommand{}, false
	}
	end := strings.Index(line[2:], "::")
	if end < 0 {
		return runnerCommand{}, false
	}
	info := line[2 : 2+end]
	cmd := runnerCommand{Props: map[string]string{}, Data: runnerUnescape(line[2+end+2:], runnerDataMappings)}
	name, props, hasProps := strings.Cut(info, " ")
	cmd.Name = name
	if hasProps && name != "" {
		for _, p := range strings.Split(strings.TrimSpace(props), ",") {
			k, v, found := strings.Cut(strings.TrimLeft(p, "="), "=")
			v = strings.TrimLeft(v, "=")
			if found && k != "" && v != "" {
				cmd.Props[k] = runnerUnescape(v, runnerPropertyMappings)
			}
		}
	}
	return cmd, true
}

// runnerCommands returns the workflow commands a runner would act on in output, honouring
// stop-commands the way the runner does.
func runnerCommands(output string) []runnerCommand {
	var cmds []runnerCommand
	stopToken := ""
	for _, line := range strings.FieldsFunc(output, func(r rune) bool { return r == '\n' || r == '\r' }) {
		cmd, ok := runnerParse(line)
		if !ok {
			continue
		}
		if stopToken != "" {
			if cmd.Name == stopToken {
				stopToken = ""
			}
			continue
		}
		if cmd.Name == "stop-commands" {
			stopToken = cmd.Data
			continue
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// wantCommand is what the runner should see for f.
func wantCommand(f Finding) runnerCommand {
	name := map[Severity]string{Error: "error", Warning: "warning", Info: "notice"}[f.Severity]
	return runnerCommand{Name: name, Props: annotationProperties(f), Data: f.Message}
}

func TestGitHubRunnerReadsEveryField(t *testing.T) {
	rep := trickyReport()
	out := writeString(t, "github", rep, Options{})
	var want []runnerCommand
	for _, f := range sorted(rep.Findings) {
		want = append(want, wantCommand(f))
	}
	if diff := cmp.Diff(want, runnerCommands(out)); diff != "" {
		t.Errorf("commands the runner reads (-want +got):\n%s", diff)
	}
}

func TestGitHubAnnotationProperties(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Path: "a.yml", Line: 3, Col: 5, Rule: "r", Severity: Error, Message: "m"},
			"::error col=5,endLine=3,file=a.yml,line=3,title=r::m\n"},
		{Finding{Path: "a.yml", Line: 3, EndLine: 9, Rule: "r", Severity: Warning, Message: "m"},
			"::warning endLine=9,file=a.yml,line=3,title=r::m\n"},
		{Finding{Path: "a.yml", Col: 4, Rule: "r", Severity: Info, Message: "whole file"},
			"::notice file=a.yml,title=r::whole file\n"},
		{Finding{Rule: "r", Severity: Error, Message: "no file"},
			"::error title=r::no file\n"},
		{Finding{Path: "a:b,c%d\ne.yml", Line: 1, Rule: "r:x,y", Severity: Error, Message: "100% a:b,c\r\nd %0A ::error::x"},
			"::error endLine=1,file=a%3Ab%2Cc%25d%0Ae.yml,line=1,title=r%3Ax%2Cy::100%25 a:b,c%0D%0Ad %250A ::error::x\n"},
		{Finding{Path: "a.yml", Line: 1, Rule: "r", Severity: Error, Message: "%s %d %!"},
			"::error endLine=1,file=a.yml,line=1,title=r::%25s %25d %25!\n"},
	}
	for _, tt := range tests {
		rep := &Report{Findings: []Finding{tt.f}}
		out := writeString(t, "github", rep, Options{})
		if want := tt.want + rep.Verdict() + "\n"; out != want {
			t.Errorf("finding %+v:\n got %q\nwant %q", tt.f, out, want)
		}
	}
}

func TestGitHubOverflowIsFenced(t *testing.T) {
	rep := &Report{FilesChecked: 1, Findings: []Finding{
		{Path: "0.yml", Line: 1, Rule: "r", Severity: Error, Message: "first"},
		{Path: "a.yml", Line: 2, Rule: "r", Severity: Error, Message: "quoted\n::error file=evil.yml::forged\n::stop-commands::x"},
		{Path: "::warning::forged by a file name", Line: 3, Rule: "r", Severity: Error, Message: "third"},
	}}
	out := writeString(t, "github", rep, Options{MaxAnnotations: 1})
	want := []runnerCommand{wantCommand(rep.Findings[0])}
	if diff := cmp.Diff(want, runnerCommands(out)); diff != "" {
		t.Errorf("commands the runner reads (-want +got):\n%s\noutput:\n%s", diff, out)
	}
	for _, f := range rep.Findings[1:] {
		f.Message = strings.ReplaceAll(f.Message, "\n", `\x0a`) // one line per finding
		if !strings.Contains(out, f.String()+"\n") {
			t.Errorf("output lacks the plain line for %q:\n%s", f.Message, out)
		}
	}
}

func TestSplitForAnnotations(t *testing.T) {
	e := func(n int) Finding { return Finding{Line: n, Severity: Error} }
	w := func(n int) Finding { return Finding{Line: n, Severity: Warning} }
	i := func(n int) Finding { return Finding{Line: n, Severity: Info} }
	many := func(f func(int) Finding, n int) []Finding {
		var fs []Finding
		for k := range n {
			fs = append(fs, f(k+1))
		}
		return fs
	}
	tests := []struct {
		name     string
		fs       []Finding
		max      int
		ann, res []Finding
	}{
		{"empty", nil, 10, nil, nil},
		{"under the limit", []Finding{e(1), w(2), i(3)}, 10, []Finding{e(1), w(2), i(3)}, nil},
		{"per severity, order kept", []Finding{e(1), w(2), e(3), w(4), i(5), e(6)}, 2,
			[]Finding{e(1), w(2), e(3), w(4), i(5)}, []Finding{e(6)}},
		{"zero means the default of 10", many(e, 12), 0, many(e, 10), []Finding{e(11), e(12)}},
		{"negative means the default", many(w, 11), -1, many(w, 10), []Finding{w(11)}},
		{"one", []Finding{i(1), i(2), e(3)}, 1, []Finding{i(1), e(3)}, []Finding{i(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ann, res := SplitForAnnotations(tt.fs, tt.max)
			if diff := cmp.Diff(tt.ann, ann); diff != "" {
				t.Errorf("annotated (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.res, res); diff != "" {
				t.Errorf("rest (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzGitHubEscape checks that whatever a path, rule or message holds, the annotation is one line
// and the runner's own unescaping gives the input back.
func FuzzGitHubEscape(f *testing.F) {
	f.Add("a.yml", "r", "plain")
	f.Add("conf:dir/a,b.yml", "org/x", "100% sure: a,b\nnext\r\nline %0A %25")
	f.Add("::x::", "r", "::error::forged")
	f.Add("ünï/名前.yml", "a:b", "✓ \x00 \x1b[31m")
	f.Add("a=b", "r", "=x")
	f.Fuzz(func(t *testing.T, path, rule, message string) {
		fd := Finding{Path: path, Line: 3, Col: 4, Rule: rule, Severity: Warning, Message: message}
		if fd.Validate() != nil {
			return
		}
		if strings.HasPrefix(path, "=") || strings.HasPrefix(rule, "=") {
			// Documented limit: the runner's split drops '=' at the start of a property value,
			// and there is no escape for it.
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, "github", &Report{Findings: []Finding{fd}}, Options{}); err != nil {
			t.Fatal(err)
		}
		cmdLine, summary, ok := strings.Cut(buf.String(), "\n")
		if !ok || summary != "1 finding (1 warning) in 0 files\n" || strings.ContainsAny(cmdLine, "\r\n") {
			t.Fatalf("want one command line then the summary, got %q", buf.String())
		}
		cmd, ok := runnerParse(cmdLine)
		if !ok {
			t.Fatalf("runner does not parse %q", cmdLine)
		}
		if diff := cmp.Diff(wantCommand(Redacted(&Report{Findings: []Finding{fd}}).Findings[0]), cmd); diff != "" {
			t.Fatalf("round trip of %q (-want +got):\n%s", cmdLine, diff)
		}
	})
}
