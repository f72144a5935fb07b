package ghaction

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mapEnv is the injected environment: a map, never the process's.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// delimiters returns a generator handing out ds in order, then failing.
func delimiters(ds ...string) func() (string, error) {
	return func() (string, error) {
		if len(ds) == 0 {
			return "", errors.New("no more delimiters")
		}
		d := ds[0]
		ds = ds[1:]
		return d, nil
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// parseFileCommands reads a $GITHUB_OUTPUT / $GITHUB_ENV file the way actions/runner does: lines
// end at \r\n, \n or \r (.NET's ReadLine); a line is name=value or name<<DELIM followed by value
// lines up to a line equal to DELIM, joined with \n. It is the oracle for round-trip tests.
func parseFileCommands(s string) (map[string]string, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	out := map[string]string{}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (hd < 0 || eq < hd) {
			out[line[:eq]] = line[eq+1:]
			continue
		}
		if hd < 0 {
			return nil, fmt.Errorf("line %d: invalid format %q", i+1, line)
		}
		name, delim := line[:hd], line[hd+2:]
		var val []string
		for i++; ; i++ {
			if i >= len(lines) {
				return nil, fmt.Errorf("matching delimiter %q not found", delim)
			}
			if lines[i] == delim {
				break
			}
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out, nil
}

func TestSetOutput(t *testing.T) {
	tests := []struct {
		name, key, value string
		delims           []string
		want             string // exact file contents
		wantErr          string
	}{
		{name: "simple", key: "findings", value: "3", delims: []string{"D1"},
			want: "findings<<D1\n3\nD1\n"},
		{name: "empty value", key: "sarif-file", value: "", delims: []string{"D1"},
			want: "sarif-file<<D1\n\nD1\n"},
		{name: "multiline", key: "list", value: "a\nb\n\nc", delims: []string{"D1"},
			want: "list<<D1\na\nb\n\nc\nD1\n"},
		{name: "trailing newline kept", key: "k", value: "a\n", delims: []string{"D1"},
			want: "k<<D1\na\n\nD1\n"},
		{name: "value contains the first delimiter", key: "k", value: "x\nD1\nINJECTED=1", delims: []string{"D1", "D2"},
			want: "k<<D2\nx\nD1\nINJECTED=1\nD2\n"},
		{name: "value contains go-githubactions' fixed delimiter", key: "k",
			value: "a\n_GitHubActionsFileCommandDelimeter_\nevil<<X", delims: []string{"ghadelimiter_0"},
			want: "k<<ghadelimiter_0\na\n_GitHubActionsFileCommandDelimeter_\nevil<<X\nghadelimiter_0\n"},
		{name: "value always contains the delimiter", key: "k", value: "DDD", delims: []string{"D", "D", "D", "D"},
			wantErr: `output "k": value contains the heredoc delimiter 3 times in a row`},
		{name: "delimiter generator fails", key: "k", value: "v",
			wantErr: `output "k": heredoc delimiter: no more delimiters`},
		{name: "multi-line delimiter", key: "k", value: "v", delims: []string{"a\nb"},
			wantErr: `output "k": heredoc delimiter "a\nb" is empty or spans lines`},
		{name: "empty name", key: "", value: "v", wantErr: `output "": empty name`},
		{name: "name with newline", key: "a\nb", value: "v", wantErr: `output "a\nb": name contains a line break`},
		{name: "name with equals", key: "a=b", value: "v", wantErr: `output "a=b": name contains "="`},
		{name: "name with heredoc marker", key: "a<<b", value: "v", wantErr: `output "a<<b": name contains "<<"`},
		{name: "name ending in <", key: "a<", value: "v", wantErr: `output "a<": name ends with "<"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "output")
			e := New(mapEnv(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": path}), nil, WithDelimiter(delimiters(tt.delims...)))
			err := e.SetOutput(tt.key, tt.value)
			if got := errString(err); got != tt.wantErr {
				t.Fatalf("error = %q, want %q", got, tt.wantErr)
			}
			if tt.wantErr != "" {
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Fatalf("file written despite the error: %v", err)
				}
				return
			}
			got := readFile(t, path)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("file contents (-want +got):\n%s", diff)
			}
			parsed, err := parseFileCommands(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]string{tt.key: tt.value}, parsed); diff != "" {
				t.Fatalf("runner would read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetOutputAppendsAndSetEnv(t *testing.T) {
	dir := t.TempDir()
	out, env := filepath.Join(dir, "output"), filepath.Join(dir, "env")
	if err := os.WriteFile(out, []byte("earlier=step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := New(mapEnv(map[string]string{"GITHUB_OUTPUT": out, "GITHUB_ENV": env}), nil, WithDelimiter(delimiters("D1", "D2", "D3")))
	for _, err := range []error{e.SetOutput("errors", "0"), e.SetOutput("warnings", "2"), e.SetEnv("MOLECULE_CI", "line1\nline2")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff("earlier=step\nerrors<<D1\n0\nD1\nwarnings<<D2\n2\nD2\n", readFile(t, out)); diff != "" {
		t.Errorf("GITHUB_OUTPUT (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("MOLECULE_CI<<D3\nline1\nline2\nD3\n", readFile(t, env)); diff != "" {
		t.Errorf("GITHUB_ENV (-want +got):\n%s", diff)
	}
}

func TestSetOutputRandomDelimiter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output")
	e := New(mapEnv(map[string]string{"GITHUB_OUTPUT": path}), nil)
	value := "ghadelimiter_\n_GitHubActionsFileCommandDelimeter_\nx=y"
	if err := e.SetOutput("k", value); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	m := regexp.MustCompile(`\Ak<<(ghadelimiter_[0-9a-f]{32})\n`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("file does not start with a random delimiter: %q", got)
	}
	if want := "k<<" + m[1] + "\n" + value + "\n" + m[1] + "\n"; got != want {
		t.Fatalf("file = %q, want %q", got, want)
	}
}

func TestFileCommandsWithoutFile(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		call    func(*Env) error
		wantErr string
	}{
		{name: "output outside Actions is a no-op", env: map[string]string{},
			call: func(e *Env) error { return e.SetOutput("k", "v") }},
		{name: "output in Actions without GITHUB_OUTPUT", env: map[string]string{"GITHUB_ACTIONS": "true"},
			call:    func(e *Env) error { return e.SetOutput("k", "v") },
			wantErr: `output "k": GITHUB_OUTPUT is not set although GITHUB_ACTIONS=true`},
		{name: "env in Actions without GITHUB_ENV", env: map[string]string{"GITHUB_ACTIONS": "true"},
			call:    func(e *Env) error { return e.SetEnv("K", "v") },
			wantErr: `environment variable "K": GITHUB_ENV is not set although GITHUB_ACTIONS=true`},
		{name: "invalid name is reported even outside Actions", env: map[string]string{},
			call:    func(e *Env) error { return e.SetOutput("a=b", "v") },
			wantErr: `output "a=b": name contains "="`},
		{name: "summary without GITHUB_STEP_SUMMARY is a no-op, even in Actions", env: map[string]string{"GITHUB_ACTIONS": "true"},
			call: func(e *Env) error { return e.AddSummary("# hi") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := tt.call(New(mapEnv(tt.env), &stdout))
			if got := errString(err); got != tt.wantErr {
				t.Fatalf("error = %q, want %q", got, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Fatalf("wrote to stdout: %q", stdout.String())
			}
		})
	}
}

func TestAddSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary")
	if err := os.WriteFile(path, []byte("## from an earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := New(mapEnv(map[string]string{"GITHUB_STEP_SUMMARY": path}), nil)
	for _, md := range []string{"# Lint\n\n| a | b |\n|---|---|\n", "no newline", "", "last\n"} {
		if err := e.AddSummary(md); err != nil {
			t.Fatal(err)
		}
	}
	want := "## from an earlier step\n# Lint\n\n| a | b |\n|---|---|\nno newline\nlast\n"
	if diff := cmp.Diff(want, readFile(t, path)); diff != "" {
		t.Fatalf("summary (-want +got):\n%s", diff)
	}
}

func TestFileWriteErrorsAreReturned(t *testing.T) {
	dir := t.TempDir() // a directory cannot be opened for appending
	e := New(mapEnv(map[string]string{"GITHUB_STEP_SUMMARY": dir, "GITHUB_OUTPUT": dir}), nil, WithDelimiter(delimiters("D")))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"summary", e.AddSummary("x"), "job summary: open " + dir + ": is a directory"},
		{"output", e.SetOutput("k", "v"), `output "k": open ` + dir + ": is a directory"},
	}
	for _, tt := range tests {
		if got := errString(tt.err); got != tt.want {
			t.Errorf("%s: error = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		do   func(*Env)
		want string
	}{
		{"mask", func(e *Env) { e.AddMask("s3cr3t") }, "::add-mask::s3cr3t\n"},
		{"mask empty is ignored", func(e *Env) { e.AddMask(" \n ") }, ""},
		{"mask multi-line masks each line", func(e *Env) { e.AddMask("-----BEGIN KEY-----\r\nabc\n\n-----END KEY-----") },
			"::add-mask::-----BEGIN KEY-----\n::add-mask::abc\n::add-mask::-----END KEY-----\n"},
		{"mask escapes percent", func(e *Env) { e.AddMask("a%b") }, "::add-mask::a%25b\n"},
		{"group", func(e *Env) {
			end := e.Group("Lint: 3 files")
			end()
			end()
		}, "::group::Lint: 3 files\n::endgroup::\n"},
		{"group title cannot inject a command", func(e *Env) { e.Group("x\n::error::boom")() },
			"::group::x%0A::error::boom\n::endgroup::\n"},
		{"matcher", func(e *Env) { e.AddMatcher("/tmp/matcher.json") }, "::add-matcher::/tmp/matcher.json\n"},
		{"warning", func(e *Env) { e.Warning("no checks: write permission; 100% of findings\nin the summary") },
			"::warning::no checks: write permission; 100%25 of findings%0Ain the summary\n"},
		{"notice", func(e *Env) { e.Notice("done") }, "::notice::done\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			e := New(nil, &out)
			tt.do(e)
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Fatalf("stdout (-want +got):\n%s", diff)
			}
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestCommandWriteErrorIsKeptNotPanicked(t *testing.T) {
	e := New(nil, failWriter{})
	e.AddMask("x")
	e.Group("g")()
	if got, want := errString(e.Err()), "write workflow command add-mask: broken pipe"; got != want {
		t.Fatalf("Err() = %q, want %q", got, want)
	}
}

func TestInputAndGetenv(t *testing.T) {
	e := New(mapEnv(map[string]string{
		"INPUT_GITHUB-TOKEN": "  tok  ",
		"INPUT_FAIL_ON":      "warning",
		"INPUT_CHECK NAME":   "wrong: spaces become underscores",
		"INPUT_CHECK_NAME":   "lint",
		"BUILDKIT_HOST":      "unix:///run/buildkit/buildkitd.sock",
		"GITHUB_ACTIONS":     "true",
	}), nil)
	tests := []struct{ got, want string }{
		{e.Input("github-token"), "tok"},
		{e.Input("fail_on"), "warning"},
		{e.Input("check name"), "lint"},
		{e.Input("missing"), ""},
		{e.Getenv("BUILDKIT_HOST"), "unix:///run/buildkit/buildkitd.sock"},
		{e.Getenv("INPUT_GITHUB-TOKEN"), "  tok  "},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestInActions(t *testing.T) {
	tests := []struct {
		env  *Env
		want bool
	}{
		{New(mapEnv(map[string]string{"GITHUB_ACTIONS": "true"}), nil), true},
		{New(mapEnv(map[string]string{"GITHUB_ACTIONS": "1"}), nil), false},
		{New(nil, nil), false},
		{nil, false},
	}
	for i, tt := range tests {
		if got := tt.env.InActions(); got != tt.want {
			t.Errorf("case %d: InActions() = %v, want %v", i, got, tt.want)
		}
	}
	if got := (*Env)(nil).Getenv("X"); got != "" {
		t.Errorf("nil Env Getenv = %q", got)
	}
}

// FuzzSetOutput checks that whatever the name and value, SetOutput either refuses or writes a
// file that the runner reads back as exactly that one output: no value can inject another.
func FuzzSetOutput(f *testing.F) {
	f.Add("k", "v")
	f.Add("k", "a\nb\r\nc\rd")
	f.Add("k", "x\nghadelimiter_\nevil=1")
	f.Add("a=b", "v")
	f.Add("k<<D", "v")
	f.Add("", "")
	// One file per fuzzing process, emptied per input: a TempDir per input is slow enough to
	// starve the fuzzer.
	path := filepath.Join(f.TempDir(), "output")
	f.Fuzz(func(t *testing.T, name, value string) {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		e := New(mapEnv(map[string]string{"GITHUB_OUTPUT": path}), nil)
		if err := e.SetOutput(name, value); err != nil {
			if validName(name) == nil {
				t.Fatalf("valid name %q refused: %v", name, err)
			}
			return
		}
		got, err := parseFileCommands(readFile(t, path))
		if err != nil {
			t.Fatal(err)
		}
		// The runner reads a lone \r as a line end too (and so drops a \r just before the closing
		// delimiter's line break); that is its behaviour, not an injection.
		want := strings.ReplaceAll(strings.ReplaceAll(value+"\n", "\r\n", "\n"), "\r", "\n")
		want = strings.TrimSuffix(want, "\n")
		if diff := cmp.Diff(map[string]string{name: want}, got); diff != "" {
			t.Fatalf("runner would read (-want +got):\n%s", diff)
		}
	})
}

// recordingWriter stands in for logsafe.Writer's privileged path.
type recordingWriter struct {
	bytes.Buffer
	commands []string
}

func (r *recordingWriter) WriteCommand(line string) error {
	r.commands = append(r.commands, line)
	return nil
}

// Commands go through the stream's command path when it has one, and outputs and the job
// summary are redacted, since both are shown in the run's UI.
func TestWithStdoutAndRedaction(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "out"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	var raw bytes.Buffer
	e := New(func(k string) string { return vars[k] }, &raw, WithDelimiter(func() (string, error) { return "EOF", nil }))
	var rec recordingWriter
	s := e.WithStdout(&rec)
	tok := strings.Join([]string{"ghp_", "Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5sA1eRt"}, "")
	s.Warning("w")
	s.AddMask(tok)
	if raw.Len() != 0 || rec.Len() != 0 {
		t.Errorf("commands written as text: %q %q", raw.String(), rec.String())
	}
	if want := []string{"::warning::w\n", "::add-mask::" + tok + "\n"}; !cmp.Equal(rec.commands, want) {
		t.Errorf("commands %q, want %q", rec.commands, want)
	}
	if err := s.SetOutput("image", "ghcr.io/x:"+tok); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSummary("token " + tok); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(vars["GITHUB_OUTPUT"])
	summary, _ := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	if string(out) != "image<<EOF\nghcr.io/x:ghp_***\nEOF\n" || string(summary) != "token ghp_***\n" {
		t.Errorf("output %q, summary %q: want the token masked", out, summary)
	}
	if s.Input("x") != "" || !s.InActions() {
		t.Error("WithStdout lost the environment")
	}
}
