package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// goldenForm is what a testdata/*.yml file decodes to: the lint section (which this package owns)
// as JSON, or the exact error text. Other sections have their own tests, so their defaults
// changing does not churn these files.
func goldenForm(name string, data []byte) string {
	c, err := Parse(name, data)
	if err != nil {
		return err.Error() + "\n"
	}
	out, err := json.MarshalIndent(struct {
		Version int        `json:"version"`
		Lint    LintConfig `json:"lint"`
	}{c.Version, c.Lint}, "", "  ")
	if err != nil {
		return "marshal: " + err.Error() + "\n"
	}
	return string(out) + "\n"
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".yml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := goldenForm(name, data)
			golden.Check(t, strings.TrimSuffix(file, ".yml")+".golden", []byte(got))
		})
	}
}

// Every error Parse returns must be something the CLI recognises as a config error (exit 2) and
// must name the file.
func TestErrorsAreConfigErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yml")
	bad := 0
	for _, file := range files {
		data, _ := os.ReadFile(file)
		_, err := Parse(file, data)
		if err == nil {
			continue
		}
		bad++
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %T is not a *config.Error: %v", file, err, err)
			continue
		}
		for _, e := range AsErrors(err) {
			if e.Path != file || e.Msg == "" {
				t.Errorf("%s: error without file or message: %#v", file, e)
			}
		}
	}
	if bad < 20 {
		t.Errorf("only %d testdata files fail to parse; the error cases are missing", bad)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Path: "a.yml", Line: 3, Col: 5, Msg: "bad"}, "a.yml:3:5: bad"},
		{&Error{Path: "a.yml", Line: 3, Msg: "bad"}, "a.yml:3: bad"},
		{&Error{Path: "a.yml", Msg: "bad"}, "a.yml: bad"},
		{&Error{Line: 2, Col: 1, Msg: "bad"}, "2:1: bad"},
		{&Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
	es := Errors{{Path: "a", Line: 1, Col: 1, Msg: "x"}, {Path: "a", Line: 2, Col: 1, Msg: "y"}}
	if got, want := es.Error(), "a:1:1: x\na:2:1: y"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
	var ce *Error
	if !errors.As(error(es), &ce) || ce.Msg != "x" {
		t.Errorf("errors.As(Errors) = %v, want the first error", ce)
	}
	if got := AsErrors(es); len(got) != 2 {
		t.Errorf("AsErrors(Errors) = %v, want both", got)
	}
	if got := AsErrors(errors.New("other")); got != nil {
		t.Errorf("AsErrors(plain) = %v, want nil", got)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	want := LintConfig{
		Shellcheck: "auto",
		Pyflakes:   "auto",
		Pinning:    PinningConfig{Policy: "sha", TrustedOwners: []string{"actions", "github"}, MajorTags: "accept"},
		Docker:     DockerConfig{PrivilegeDrop: []string{"gosu", "su-exec"}},
	}
	if diff := cmp.Diff(want, c.Lint); diff != "" {
		t.Errorf("Default().Lint (-want +got):\n%s", diff)
	}
	if c.Version != 1 || c.Path != "" || c.Dir != "." {
		t.Errorf("Default() = version %d, path %q, dir %q; want 1, \"\", \".\"", c.Version, c.Path, c.Dir)
	}
	// Defaults must not share slices between calls, or one command's edits leak into another's.
	c.Lint.Pinning.TrustedOwners[0] = "changed"
	if Default().Lint.Pinning.TrustedOwners[0] != "actions" {
		t.Error("Default() returns shared slices")
	}
}

func TestLoad(t *testing.T) {
	write := func(t *testing.T, dir, name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		files    map[string]string
		explicit string // relative to the temp dir
		wantOrg  string
		wantPath string // relative to the temp dir; "" = defaults
		wantDir  string // relative to the temp dir
		wantErr  string // with the temp dir replaced by DIR
	}{
		{name: "no file", wantDir: "."},
		{name: "yml", files: map[string]string{".molecule-ci.yml": "lint: {org: a}\n"},
			wantOrg: "a", wantPath: ".molecule-ci.yml", wantDir: "."},
		{name: "yaml", files: map[string]string{".molecule-ci.yaml": "lint: {org: b}\n"},
			wantOrg: "b", wantPath: ".molecule-ci.yaml", wantDir: "."},
		{name: "both", files: map[string]string{".molecule-ci.yml": "", ".molecule-ci.yaml": ""},
			wantErr: "DIR/.molecule-ci.yaml: both .molecule-ci.yml and .molecule-ci.yaml exist; keep only one"},
		{name: "explicit", files: map[string]string{".molecule-ci.yml": "lint: {org: a}\n", "ci/other.yml": "lint: {org: c}\n"},
			explicit: "ci/other.yml", wantOrg: "c", wantPath: "ci/other.yml", wantDir: "ci"},
		{name: "explicit missing", explicit: "nope.yml",
			wantErr: "DIR/nope.yml: cannot read config file: no such file or directory"},
		{name: "explicit directory", files: map[string]string{"d/x": ""}, explicit: "d",
			wantErr: "DIR/d: cannot read config file: is a directory"},
		{name: "bad file", files: map[string]string{".molecule-ci.yml": "lint:\n  org: [x]\n"},
			wantErr: "DIR/.molecule-ci.yml:2:8: lint.org: expected a string, got a sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			explicit := ""
			if tt.explicit != "" {
				explicit = filepath.Join(dir, tt.explicit)
			}
			c, err := Load(dir, explicit)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Load succeeded, want error %q", tt.wantErr)
				}
				if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != tt.wantErr {
					t.Errorf("error = %q, want %q", got, tt.wantErr)
				}
				var ce *Error
				if !errors.As(err, &ce) {
					t.Errorf("error %T is not a *config.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantPath := ""
			if tt.wantPath != "" {
				wantPath = filepath.Join(dir, tt.wantPath)
			}
			if c.Lint.Org != tt.wantOrg || c.Path != wantPath || c.Dir != filepath.Join(dir, tt.wantDir) {
				t.Errorf("Load = org %q path %q dir %q, want %q %q %q", c.Lint.Org, c.Path, c.Dir,
					tt.wantOrg, wantPath, filepath.Join(dir, tt.wantDir))
			}
		})
	}
}

func TestLoadMissingIsNotExist(t *testing.T) {
	_, err := Load(t.TempDir(), filepath.Join(t.TempDir(), "missing.yml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yml")
	if err := os.WriteFile(p, []byte(strings.Repeat("#", maxFileSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(".", p)
	if want := p + ": config file is larger than 4 MiB"; err == nil || err.Error() != want {
		t.Errorf("Load(big) = %v, want %q", err, want)
	}
}

// The CLI reports unknown rule ids, which only the lint package knows, at the line of the id.
func TestPositions(t *testing.T) {
	src := "lint:\n  ignore: [a/**, b/**]\n  rules:\n    gate-cannot-fail: {severity: warning}\n    made-up:\n      disabled: true\n"
	c, err := Parse("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		got, want Pos
		what      string
	}{
		{c.Lint.Rules["gate-cannot-fail"].Pos, Pos{4, 5}, "Rules[gate-cannot-fail].Pos"},
		{c.Lint.Rules["made-up"].Pos, Pos{5, 5}, "Rules[made-up].Pos"},
		{c.KeyPos("lint.rules.made-up"), Pos{5, 5}, "KeyPos(lint.rules.made-up)"},
		{c.Pos("lint.rules.made-up"), Pos{6, 7}, "Pos(lint.rules.made-up)"},
		{c.Pos("lint.rules.made-up.disabled"), Pos{6, 17}, "Pos(lint.rules.made-up.disabled)"},
		{c.Pos("lint.ignore[1]"), Pos{2, 18}, "Pos(lint.ignore[1])"},
		{c.Pos("lint.org"), Pos{}, "Pos(lint.org) (not in the file)"},
		{Default().Pos("lint"), Pos{}, "Default().Pos(lint)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.what, tt.got, tt.want)
		}
	}
	rc := c.Lint.Rules["made-up"]
	err = c.ErrorAt(rc.Pos, "unknown rule %q", "made-up")
	if got, want := err.Error(), `p.yml:5:5: unknown rule "made-up"`; got != want {
		t.Errorf("ErrorAt = %q, want %q", got, want)
	}
	if rc := c.Lint.Rules["gate-cannot-fail"]; rc.Severity != report.Warning {
		t.Errorf("severity = %v, want warning", rc.Severity)
	}
}

func TestResolve(t *testing.T) {
	c := &Config{Dir: "repo/ci"}
	tests := []struct{ in, want string }{
		{"", ""},
		{"/usr/bin/shellcheck", "/usr/bin/shellcheck"},
		{"./bin/shellcheck", "repo/ci/bin/shellcheck"},
		{"tools/pyflakes", "repo/ci/tools/pyflakes"},
	}
	for _, tt := range tests {
		if got := c.Resolve(tt.in); got != tt.want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Parse must not return a config that half-applied a broken file.
func TestParseErrorReturnsNoConfig(t *testing.T) {
	c, err := Parse("x.yml", []byte("lint:\n  org: [a]\n"))
	if err == nil || c != nil {
		t.Errorf("Parse(bad) = %v, %v; want nil config and an error", c, err)
	}
}

// Sections report problems through Validation; an error about a key the file does not set
// points at the nearest parent it does set.
func TestValidation(t *testing.T) {
	_, err := Parse("v.yml", []byte("lint:\n  pinning:\n    policy: tag\n  rules:\n    \"\": {}\n"))
	if err == nil || err.Error() != `v.yml:5:5: lint.rules: empty rule id` {
		t.Errorf("empty rule id: %v", err)
	}
	c, err := Parse("v.yml", []byte("lint:\n  pinning:\n    policy: tag\n"))
	if err != nil {
		t.Fatal(err)
	}
	var errs []*Error
	v := &Validation{cfg: c, section: "lint", errs: &errs}
	if !v.IsSet("pinning.policy") || v.IsSet("org") || v.Pos("pinning") != (Pos{3, 5}) {
		t.Errorf("IsSet/Pos wrong: policy %v, org %v, pinning %v", v.IsSet("pinning.policy"), v.IsSet("org"), v.Pos("pinning"))
	}
	v.Errorf("pinning.trusted-owners", "not set, so reported at pinning")
	v.KeyErrorf("pinning", "key position")
	v.Errorf("", "the section itself")
	v.Errorf("[0]", "an index")
	(&Validation{cfg: c, errs: &errs}).Errorf("build", "not in the file at all")
	want := []string{
		"v.yml:3:5: lint.pinning.trusted-owners: not set, so reported at pinning",
		"v.yml:2:3: lint.pinning: key position",
		"v.yml:2:3: lint: the section itself",
		"v.yml:2:3: lint[0]: an index",
		"v.yml:1:1: build: not in the file at all",
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validation errors (-want +got):\n%s", diff)
	}
}

// --config naming a FIFO or a device is refused at once: reading one could block forever or
// never end.
func TestLoadNotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for path, want := range map[string]string{
		fifo:        fifo + ": cannot read config file: not a regular file (a named pipe)",
		"/dev/zero": "/dev/zero: cannot read config file: not a regular file (a character device)",
	} {
		_, err := Load(".", path)
		if err == nil || err.Error() != want {
			t.Errorf("Load(%s) = %v, want %q", path, err, want)
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("Load(%s): %T is not a *config.Error (exit 2)", path, err)
		}
	}
}
