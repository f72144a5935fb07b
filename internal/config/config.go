// Package config owns .molecule-ci.yml: where it is found, how it is decoded and which values it
// may hold. Every command reads its own section of the one file (lint:, build:, coverage:,
// probe:, triage:, and report: for what they all write on GitHub), so a repository configures
// molecule-ci in one place.
//
// Load order is defaults, then the file. Environment variables and flags are applied later by the
// CLI, which owns them. Decoding is strict: an unknown key, a value of the wrong type, a
// duplicate key or an invalid enumeration is an *Error that names the file, line and column, so
// a typo never silently turns into a default. Top-level keys starting with "x-" are ignored so
// they can hold YAML anchors for sections to alias.
//
// A section type (BuildConfig, CoverageConfig, ...) takes part by declaring `yaml:"kebab-name"`
// tags on its fields, and may implement Defaulter (non-zero defaults) and Validator (bounds,
// enumerations and everything else the Go type cannot say, reported at the offending key's
// position).
//
// Decoding walks yaml.v3's node tree once against the Go type (decode.go, scalar.go), taking
// each value through the node pass (expand.go: aliases and merge keys, x- keys, duplicate keys,
// positions). Reading is bounded: the file must be a regular file under 4 MiB
// (fsutil.ReadRegular), and aliases and merge keys may expand to at most maxValues values.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
)

// FileNames are the names Load looks for at the repository root, in order.
var FileNames = []string{".molecule-ci.yml", ".molecule-ci.yaml"}

// Version is the only config file version this binary understands.
const Version = 1

// maxFileSize bounds what Load reads, so `--config /dev/zero` fails instead of eating memory.
const maxFileSize = 4 << 20

// Config is the whole of .molecule-ci.yml after defaults have been applied.
type Config struct {
	// Version is the file format version; only 1 exists. Optional in the file.
	Version  int            `yaml:"version" json:"version"`
	Lint     LintConfig     `yaml:"lint" json:"lint"`
	Build    BuildConfig    `yaml:"build" json:"build"`
	Coverage CoverageConfig `yaml:"coverage" json:"coverage"`
	Probe    ProbeConfig    `yaml:"probe" json:"probe"`
	Triage   TriageConfig   `yaml:"triage" json:"triage"`
	Report   ReportConfig   `yaml:"report" json:"report"`

	// Path is the file the config came from; "" when there was none and only defaults apply.
	Path string `yaml:"-" json:"-"`
	// Dir is what relative paths in the file resolve against: the file's directory, or the
	// directory given to Load when there is no file.
	Dir string `yaml:"-" json:"-"`

	pos *positions
}

// Pos is a 1-based position in the config file; the zero Pos means "not in the file".
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// IsValid reports whether p points into the file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Error is a problem with the configuration: the file cannot be read, is not YAML, or holds a
// value molecule-ci does not accept. The CLI exits 2 for it, so callers find it with errors.As.
type Error struct {
	Path      string
	Line, Col int // 0 when unknown
	Msg       string
	// Err is the underlying cause when there is one (e.g. fs.ErrNotExist), for errors.Is.
	Err error
}

// Error formats as path:line:col: msg, leaving out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		if e.Col > 0 {
			b.WriteString(strconv.Itoa(e.Col))
			b.WriteByte(':')
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is several problems found in one file, sorted by position. It is returned instead of a
// single *Error so that one run shows every typo; errors.As(err, &*Error) finds the first.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// AsErrors returns every *Error inside err (an *Error, an Errors, or anything wrapping them), so a
// caller can report each problem at its own line.
func AsErrors(err error) []*Error {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return nil
}

// joinErrors turns collected errors into the error Parse returns: nil, one *Error, or Errors.
func joinErrors(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Col != b.Col {
			return a.Col - b.Col
		}
		// Checks that walk maps report different keys at one position (an alias shared by two
		// entries) in random order; the output must not. One key's problems keep the order the
		// check gave them.
		return strings.Compare(msgKey(a.Msg), msgKey(b.Msg))
	})
	errs = slices.CompactFunc(errs, func(a, b *Error) bool {
		return a.Path == b.Path && a.Line == b.Line && a.Col == b.Col && a.Msg == b.Msg
	})
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return Errors(errs)
}

// msgKey is the key path a message starts with ("coverage.allowlist[0]: ..."), or the message.
func msgKey(msg string) string {
	if k, _, ok := strings.Cut(msg, ": "); ok {
		return k
	}
	return msg
}

// Defaulter is implemented (on the pointer) by a section whose defaults are not its zero value.
// Default calls it before the file is decoded on top.
type Defaulter interface {
	SetDefaults()
}

// Validator is implemented (on the pointer) by a section that checks its values after decoding,
// for rules a Go type cannot express (enumerations, globs, ranges). Problems are reported through
// v so they carry the position of the key they concern.
type Validator interface {
	Validate(v *Validation)
}

// Validation collects the problems a section finds in its own values. Keys are relative to the
// section and written as in the file: "pinning.policy", "ignore[2]", "rules.gate-cannot-fail".
type Validation struct {
	cfg     *Config
	section string
	errs    *[]*Error
	// failed are the keys whose values did not decode: what a check says about them (or about
	// what contains them) would only repeat that error in a misleading form.
	failed map[string]bool
}

func (v *Validation) full(key string) string {
	switch {
	case key == "":
		return v.section
	case v.section == "":
		return key
	case strings.HasPrefix(key, "["):
		return v.section + key
	}
	return v.section + "." + key
}

// Pos is where the value of key is in the file; the zero Pos if the file does not set it.
func (v *Validation) Pos(key string) Pos { return v.cfg.Pos(v.full(key)) }

// IsSet reports whether the file gave key a value (as opposed to it keeping its default).
func (v *Validation) IsSet(key string) bool { return v.Pos(key).IsValid() }

// Errorf reports a problem with the value of key, prefixed with the key's full name.
func (v *Validation) Errorf(key, format string, args ...any) {
	full := v.full(key)
	if v.failed[full] {
		return
	}
	*v.errs = append(*v.errs, v.cfg.at(v.cfg.nearest(full, false), full+": "+fmt.Sprintf(format, args...)))
}

// RequireString reports each of keys whose value in the file is not a YAML string: for a
// setting such as a path, `5` or `true` is more likely a slip than a name (elsewhere numbers and
// dates are taken as their text, so `go: 1.22` means "1.22"). What else the section checks about
// such a key is not reported.
func (v *Validation) RequireString(keys ...string) {
	for _, key := range keys {
		n := v.cfg.node(v.full(key))
		if n == nil || v.failed[v.full(key)] || isNull(n) || (n.Kind == yaml.ScalarNode && n.ShortTag() == tagStr) {
			continue
		}
		v.Errorf(key, "expected a string, got %s", describe(n))
		if v.failed != nil {
			v.failed[v.full(key)] = true
		}
	}
}

// KeyErrorf reports a problem with key itself (e.g. a map key naming something that does not
// exist), pointing at the key rather than its value.
func (v *Validation) KeyErrorf(key, format string, args ...any) {
	full := v.full(key)
	if v.failed[full] {
		return
	}
	*v.errs = append(*v.errs, v.cfg.at(v.cfg.nearest(full, true), full+": "+fmt.Sprintf(format, args...)))
}

// Default returns the configuration used when there is no file: every section's defaults.
func Default() *Config {
	c := &Config{Version: Version, Dir: ".", pos: newPositions()}
	for _, s := range c.sections() {
		if d, ok := s.ptr.(Defaulter); ok {
			d.SetDefaults()
		}
	}
	return c
}

type section struct {
	name string
	ptr  any
}

func (c *Config) sections() []section {
	return []section{{"lint", &c.Lint}, {"build", &c.Build}, {"coverage", &c.Coverage}, {"probe", &c.Probe},
		{"triage", &c.Triage}, {"report", &c.Report}}
}

// Load finds and parses the config for the repository in dir. With explicitPath "" it looks for
// dir/.molecule-ci.yml or dir/.molecule-ci.yaml and returns Default() when neither exists; an
// explicit path must exist. Relative explicit paths are relative to the working directory, like
// any other flag value.
func Load(dir, explicitPath string) (*Config, error) {
	if dir == "" {
		dir = "."
	}
	path := explicitPath
	if path == "" {
		var found []string
		for _, name := range FileNames {
			p := filepath.Join(dir, name)
			_, err := os.Stat(p)
			switch {
			case err == nil:
				found = append(found, p)
			case !errors.Is(err, fs.ErrNotExist):
				return nil, readError(p, err)
			}
		}
		switch len(found) {
		case 0:
			c := Default()
			c.Dir = filepath.Clean(dir)
			return c, nil
		case 1:
			path = found[0]
		default:
			return nil, &Error{Path: found[1], Msg: fmt.Sprintf("both %s and %s exist; keep only one",
				filepath.Base(found[0]), filepath.Base(found[1]))}
		}
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

func readFile(path string) ([]byte, error) {
	data, err := fsutil.ReadRegular(path, maxFileSize)
	var tl *fsutil.TooLargeError
	var nr *fsutil.NotRegularError
	switch {
	case errors.As(err, &tl):
		return nil, &Error{Path: path, Msg: fmt.Sprintf("config file is larger than %d MiB", maxFileSize>>20), Err: err}
	case errors.As(err, &nr) && nr.Mode.IsDir():
		return nil, &Error{Path: path, Msg: "cannot read config file: is a directory", Err: err}
	case errors.As(err, &nr):
		return nil, &Error{Path: path, Msg: "cannot read config file: " + strings.TrimPrefix(nr.Error(), path+": "), Err: err}
	case err != nil:
		return nil, readError(path, err)
	}
	return data, nil
}

// readError keeps the cause for errors.Is but drops the path from its text, which Error already
// starts with.
func readError(path string, err error) *Error {
	reason := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err
	}
	return &Error{Path: path, Msg: "cannot read config file: " + reason.Error(), Err: err}
}

// Parse decodes data, the contents of the config file at path, on top of Default(). path is used
// in error messages and to set Dir. The error, if any, is an *Error or Errors.
func Parse(path string, data []byte) (*Config, error) {
	c := Default()
	c.Path = path
	c.Dir = filepath.Dir(path)
	root, err := parseYAML(path, data)
	if err != nil {
		return nil, err
	}
	d := newDecoder(path, c.pos, maxValues)
	if root != nil {
		dropExtensions(root)
		d.decode(root, reflect.ValueOf(c).Elem(), "")
	}
	errs := d.errs
	if c.Version != Version {
		errs = append(errs, c.at(c.Pos("version"), fmt.Sprintf("version: unsupported version %d (valid: %d)", c.Version, Version)))
	}
	for _, s := range c.sections() {
		if val, ok := s.ptr.(Validator); ok {
			val.Validate(&Validation{cfg: c, section: s.name, errs: &errs, failed: d.failed})
		} else if val, ok := s.ptr.(interface{ Validate() error }); ok {
			if err := val.Validate(); err != nil {
				if es := AsErrors(err); es != nil {
					errs = append(errs, es...)
				} else {
					errs = append(errs, c.at(c.nearest(s.name, false), s.name+": "+err.Error()))
				}
			}
		}
	}
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	for id, rc := range c.Lint.Rules {
		rc.Pos = c.KeyPos("lint.rules." + id)
		c.Lint.Rules[id] = rc
	}
	return c, nil
}

// Pos is where the value of key is in the file, with key written as in error messages:
// "lint.pinning.policy", "lint.ignore[0]". The zero Pos when the file does not set it.
func (c *Config) Pos(key string) Pos {
	if n := c.node(key); n != nil {
		return Pos{n.Line, n.Column}
	}
	return Pos{}
}

// node is the value of key as the file writes it (an alias's anchor), or nil.
func (c *Config) node(key string) *yaml.Node {
	if c.pos == nil {
		return nil
	}
	return c.pos.val[key]
}

// KeyPos is where key itself is written, for problems with the key rather than its value (an
// unknown rule id). For sequence items it is the item's position.
func (c *Config) KeyPos(key string) Pos {
	if c.pos == nil {
		return Pos{}
	}
	if p, ok := c.pos.key[key]; ok {
		return p
	}
	return c.Pos(key)
}

// ErrorAt builds an *Error at p in this config's file, for problems found after Load (an
// unknown rule id is only known to the lint package).
func (c *Config) ErrorAt(p Pos, format string, args ...any) *Error {
	return c.at(p, fmt.Sprintf(format, args...))
}

func (c *Config) at(p Pos, msg string) *Error {
	return &Error{Path: c.Path, Line: p.Line, Col: p.Col, Msg: msg}
}

// nearest is the position of key or, when the file does not set it, of its closest parent that
// the file does set, so an error about a default still points somewhere useful.
func (c *Config) nearest(key string, keyPos bool) Pos {
	for k := key; ; {
		p := c.Pos(k)
		if keyPos {
			p = c.KeyPos(k)
		}
		if p.IsValid() || k == "" {
			return p
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			k = ""
		} else {
			k = k[:i]
		}
	}
}

// Resolve makes a path written in the file absolute-or-relative to the working directory by
// joining it to Dir; absolute paths and "" are returned unchanged.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, filepath.FromSlash(p))
}
