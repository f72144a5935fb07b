package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// The types below stand in for sections other packages define, to show DecodeNode handles every
// shape a section may take.

type target struct {
	URL      string          `yaml:"url"`
	Timeout  time.Duration   `yaml:"timeout"`
	Until    time.Time       `yaml:"until,omitempty"`
	Severity report.Severity `yaml:"severity"`
	Codes    []int           `yaml:"codes,flow"`
	Retries  *int            `yaml:"retries"`
}

type common struct {
	Name string `yaml:"name"`
}

// upper is a yaml.Unmarshaler, like a section type with its own rules would be.
type upper string

func (u *upper) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	if s == "" {
		return errors.New("must not be empty")
	}
	*u = upper(strings.ToUpper(s))
	return nil
}

type custom struct {
	common   `yaml:",inline"`
	Enabled  bool                      `yaml:"enabled"`
	Ratio    float64                   `yaml:"ratio"`
	Small    int8                      `yaml:"small"`
	Count    uint16                    `yaml:"count"`
	Targets  map[string]*target        `yaml:"targets"`
	Groups   map[string][]string       `yaml:"groups"`
	Nested   map[string]map[string]int `yaml:"nested"`
	Matrix   [][]string                `yaml:"matrix"`
	Pair     [2]string                 `yaml:"pair"`
	Default  *target                   `yaml:"default"`
	Loud     upper                     `yaml:"loud"`
	Extra    any                       `yaml:"extra"`
	Kept     string                    `yaml:"kept"`
	Skipped  string                    `yaml:"-"`
	NoTag    string
	unexport string //lint:ignore U1000 proves unexported fields are not keys
}

func decodeString(t *testing.T, src string, out any) error {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return DecodeNode("c.yml", &n, out)
}

func TestDecodeNodeCustom(t *testing.T) {
	src := `
name: probe
enabled: true
ratio: 2            # an integer is a valid float
small: -128
count: 65535
targets:
  api:
    url: https://example.com/health
    timeout: 1m30s
    until: 2026-12-31
    severity: warning
    codes: [200, 204]
    retries: 3
  web: &web
    url: https://example.com
    until: "2026-06-01T12:00:00+02:00"
  copy: *web
groups:
  a: [x, y]
  b: []
nested:
  outer: {inner: 1}
matrix: [[a, b], [c]]
pair: [left, right]
default:
  <<: *web
  timeout: 5s
loud: quiet
extra: {free: [form, 1]}
notag: yes-lowercased-name
`
	out := custom{Kept: "default stays", Skipped: "untouched"}
	if err := decodeString(t, src, &out); err != nil {
		t.Fatal(err)
	}
	three := 3
	web := &target{URL: "https://example.com", Until: time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600))}
	want := custom{
		common:  common{Name: "probe"},
		Enabled: true,
		Ratio:   2,
		Small:   -128,
		Count:   65535,
		Targets: map[string]*target{
			"api": {URL: "https://example.com/health", Timeout: 90 * time.Second,
				Until: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Severity: report.Warning,
				Codes: []int{200, 204}, Retries: &three},
			"web":  web,
			"copy": web,
		},
		Groups:  map[string][]string{"a": {"x", "y"}, "b": {}},
		Nested:  map[string]map[string]int{"outer": {"inner": 1}},
		Matrix:  [][]string{{"a", "b"}, {"c"}},
		Pair:    [2]string{"left", "right"},
		Default: &target{URL: web.URL, Until: web.Until, Timeout: 5 * time.Second},
		Loud:    "QUIET",
		Extra:   map[string]any{"free": []any{"form", 1}},
		Kept:    "default stays",
		Skipped: "untouched",
		NoTag:   "yes-lowercased-name",
	}
	if diff := cmp.Diff(want, out, cmp.AllowUnexported(custom{}), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("DecodeNode (-want +got):\n%s", diff)
	}
	// Aliased values must be decoded into separate Go values, not shared.
	if out.Targets["web"] == out.Targets["copy"] {
		t.Error("an alias decoded into the same pointer as its anchor")
	}
}

func TestDecodeNodeNullKeepsDefaults(t *testing.T) {
	n := 5
	out := custom{Kept: "k", Default: &target{URL: "u"}, Targets: map[string]*target{"a": nil}}
	out.Default.Retries = &n
	if err := decodeString(t, "kept: ~\ndefault:\ntargets:\n", &out); err != nil {
		t.Fatal(err)
	}
	if out.Kept != "k" || out.Default != nil || out.Targets == nil {
		t.Errorf("after nulls: kept %q, default %v, targets %v; want k, nil (pointer cleared), unchanged map",
			out.Kept, out.Default, out.Targets)
	}
}

func TestDecodeNodeErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{"nme: x", `c.yml:1:1: unknown key "nme" (valid: count, default, enabled, extra, groups, kept, loud, matrix, name, nested, notag, pair, ratio, small, targets)`},
		{"targets: {a: {timeout: 90}}", `c.yml:1:24: targets.a.timeout: expected a duration such as "90s" or "1h30m", got an integer`},
		{"targets: {a: {timeout: 90 seconds}}", `c.yml:1:24: targets.a.timeout: invalid duration "90 seconds", expected a duration such as "90s" or "1h30m"`},
		{"targets: {a: {until: 31/12/2026}}", `c.yml:1:22: targets.a.until: invalid time "31/12/2026", expected a date such as "2026-12-31" or an RFC 3339 time such as "2026-12-31T23:59:00Z"`},
		{"targets: {a: {until: [2026]}}", `c.yml:1:22: targets.a.until: expected a date such as "2026-12-31" or an RFC 3339 time such as "2026-12-31T23:59:00Z", got a sequence`},
		{"targets: {a: {severity: eror}}", `c.yml:1:25: targets.a.severity: unknown severity "eror" (valid: error, warning, info)`},
		{"targets: {a: {severity: {x: 1}}}", `c.yml:1:25: targets.a.severity: expected a string, got a mapping`},
		{"targets: {a: {codes: [200, x]}}", `c.yml:1:28: targets.a.codes[1]: expected an integer, got a string`},
		{"targets: {a: {retries: 1e3}}", `c.yml:1:24: targets.a.retries: expected an integer, got a number`},
		{"small: 128", `c.yml:1:8: small: 128 is out of range (-128 to 127)`},
		{"count: -1", `c.yml:1:8: count: -1 is out of range (0 to 65535)`},
		{"count: 123456789012345678901234567890", `c.yml:1:8: count: 123456789012345678901234567890 is out of range (0 to 65535)`},
		{"small: !!int abc", `c.yml:1:8: small: invalid integer "abc"`},
		{"ratio: fast", `c.yml:1:8: ratio: expected a number, got a string`},
		{"enabled: yes", `c.yml:1:10: enabled: expected a boolean (true or false), got a string`},
		{"enabled: 1", `c.yml:1:10: enabled: expected a boolean (true or false), got an integer`},
		{"name: true", `c.yml:1:7: name: expected a string, got a boolean`},
		{"name: !!binary aGk=", `c.yml:1:7: name: expected a string, got binary data`},
		{"groups: {a: x}", `c.yml:1:13: groups.a: expected a sequence, got a string`},
		{"groups: [a]", `c.yml:1:9: groups: expected a mapping, got a sequence`},
		{"pair: [a]", `c.yml:1:7: pair: expected 2 items, got 1`},
		{"nested: {o: {i: x}}", `c.yml:1:17: nested.o.i: expected an integer, got a string`},
		{"loud: ''", `c.yml:1:7: loud: must not be empty`},
		{"loud: [a]", "c.yml:1:7: loud: cannot unmarshal !!seq into string"},
		{"extra: {a: 1, a: 2}", `c.yml:1:8: extra: mapping key "a" already defined at line 1`},
		{"groups: {a: [], a: []}", `c.yml:1:17: duplicate key "a" in groups (first defined at line 1)`},
		{"targets: {a: {<<: x}}", `c.yml:1:19: targets.a: the value of a merge key (<<) must be a mapping or a sequence of mappings, got a string`},
		{"- a", `c.yml:1:1: expected a mapping, got a sequence`},
		{"name: a\nsmall: 999\nenabled: no\n", "c.yml:2:8: small: 999 is out of range (-128 to 127)\nc.yml:3:10: enabled: expected a boolean (true or false), got a string"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			var out custom
			err := decodeString(t, tt.src, &out)
			if err == nil {
				t.Fatalf("DecodeNode succeeded, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
		})
	}
}

// A recursive Go type and a self-referencing anchor would recurse forever without the cycle check.
func TestDecodeNodeAliasCycle(t *testing.T) {
	type tree struct {
		Kids []*tree `yaml:"kids"`
	}
	var out tree
	err := decodeString(t, "kids: &a [{kids: *a}]", &out)
	if want := `c.yml:1:18: alias *a refers to a value that contains it`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

// Aliases that expand to millions of values stop at a bound instead of running for minutes.
func TestDecodeNodeAliasBomb(t *testing.T) {
	type tree struct {
		Kids []*tree `yaml:"kids"`
	}
	var b strings.Builder
	b.WriteString("a0: &a0 {kids: []}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "a%d: &a%d {kids: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("kids: [*a30]\n")
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
		t.Fatal(err)
	}
	type root struct {
		tree   `yaml:",inline"`
		Extras map[string]tree `yaml:",inline"`
	}
	var out root
	// The real bound takes seconds to reach; the mechanism is the same.
	d := newDecoder("c.yml", newPositions(), 1000)
	d.decode(&n, reflect.ValueOf(&out).Elem(), "")
	err := joinErrors(d.errs)
	if err == nil || !strings.Contains(err.Error(), "expands to more than 1000 values through aliases") {
		t.Errorf("error = %v, want the alias expansion bound", err)
	}
}

func TestDecodeNodeInlineMap(t *testing.T) {
	type withRest struct {
		Known string            `yaml:"known"`
		Rest  map[string]string `yaml:",inline"`
	}
	var out withRest
	if err := decodeString(t, "known: k\nx: 1\ny: two\n", &out); err != nil {
		t.Fatal(err)
	}
	want := withRest{Known: "k", Rest: map[string]string{"x": "1", "y": "two"}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("inline map (-want +got):\n%s", diff)
	}
}

func TestDecodeNodeBadTarget(t *testing.T) {
	var out custom
	if err := DecodeNode("c.yml", &yaml.Node{}, out); err == nil {
		t.Error("DecodeNode(non-pointer) succeeded")
	}
	if err := DecodeNode("c.yml", nil, &out); err != nil {
		t.Errorf("DecodeNode(nil node) = %v, want nil", err)
	}
	var ch struct {
		C chan int `yaml:"c"`
	}
	if err := decodeString(t, "c: 1", &ch); err == nil || err.Error() != "c.yml:1:4: c: cannot decode into chan int" {
		t.Errorf("DecodeNode(chan) = %v", err)
	}
}

// chainedMerge is the 491-byte shape that took over 120 s: each level merges the previous one
// ten times, so level n expands to 10^n mappings.
func chainedMerge(levels int) string {
	var b strings.Builder
	b.WriteString("x-0: &a0 {jobs: 1}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d {<<: [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]}\n")
	}
	fmt.Fprintf(&b, "lint: {<<: *a%d}\n", levels)
	return b.String()
}

func TestChainedMergeKeysFailFast(t *testing.T) {
	src := chainedMerge(9)
	start := time.Now()
	_, err := Parse("m.yml", []byte(src))
	t.Logf("%d-byte chained merge file: rejected in %v", len(src), time.Since(start))
	want := "m.yml:11:12: the document expands to more than 100000 values through aliases and merge keys"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %q", err, want)
	}
	// A few levels are a legitimate use and still decode.
	c, err := Parse("m.yml", []byte(chainedMerge(3)))
	if err != nil || c.Lint.Jobs != 1 {
		t.Errorf("3 levels: jobs %v, err %v; want 1, nil", c, err)
	}
}
