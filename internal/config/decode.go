package config

import (
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yaml.v3's own Decode is lenient where a config file should not be: unknown keys are ignored,
// `org: [a]` becomes a decode error without the key's name, and there is no column. So the
// file is parsed into yaml.Node trees and walked here against the Go type, which knows the
// position of every value.

// maxValues bounds how many values and mapping entries one document may expand to through
// aliases and merge keys, so a small file that references an anchor thousands of times (or
// chains merge keys, x10 per level) fails in milliseconds instead of running for minutes. A real
// config file has a few hundred.
const maxValues = 100_000

// Short YAML tags, as yaml.Node.ShortTag reports them.
const (
	tagNull      = "!!null"
	tagBool      = "!!bool"
	tagStr       = "!!str"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagTimestamp = "!!timestamp"
	tagBinary    = "!!binary"
	tagMerge     = "!!merge"
	tagMap       = "!!map"
	tagSeq       = "!!seq"
)

var (
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType        = reflect.TypeFor[time.Duration]()
	timeType            = reflect.TypeFor[time.Time]()
)

// DecodeNode decodes n into out, which must be a non-nil pointer, strictly: keys are matched to
// `yaml:"name"` struct tags, and an unknown key, a duplicate key or a value that does not fit the
// Go type is an error at the node's position in path. Values already in out that the node does
// not mention are kept, so out can hold defaults; a null value also keeps the default (and sets
// pointers and interfaces to nil). Slices and maps given in the node replace the default.
//
// Besides the basic kinds, slices, arrays, string-keyed maps, pointers and structs (with
// `,inline` struct and map fields), it decodes time.Duration ("90s"), time.Time ("2026-12-31" or
// RFC 3339), encoding.TextUnmarshaler and yaml.Unmarshaler types. Merge keys (<<) and aliases
// are resolved. The error is nil, an *Error, or Errors when there are several.
func DecodeNode(path string, n *yaml.Node, out any) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("config.DecodeNode: out must be a non-nil pointer, got %T", out)
	}
	if n == nil {
		return nil
	}
	d := newDecoder(path)
	d.decode(n, v.Elem(), "")
	return joinErrors(d.errs)
}

// positions records where each key path was found, so validation after decoding can still point
// at the line that set a value.
type positions struct {
	val map[string]Pos // where the value is
	key map[string]Pos // where the mapping key is, for map and struct entries
}

func newPositions() *positions {
	return &positions{val: map[string]Pos{}, key: map[string]Pos{}}
}

type decoder struct {
	path   string
	errs   []*Error
	pos    *positions
	active map[*yaml.Node]bool // alias targets being decoded: seeing one again is a cycle
	budget int                 // values left to decode before giving up
	limit  int                 // the budget's starting value, for the message
	// expanding is the outermost alias or merge value being expanded, where a blown budget is
	// reported: the line that asked for the expansion, not a key deep inside an anchor.
	expanding *yaml.Node
	// strictString is set while decoding a field tagged check:"string": numbers, booleans and
	// dates are then not taken as their text.
	strictString bool
	// failed holds every key whose value (or a value inside it) had a decode error, so Parse
	// drops what a Validator says about a half-decoded value ("expires is required" next to
	// "expires: 2026-02-30 is not a date") and keeps what it says about the rest.
	failed map[string]bool
}

func newDecoder(path string) *decoder {
	return &decoder{path: path, active: map[*yaml.Node]bool{}, budget: maxValues, limit: maxValues}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Path: d.path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// keyed prefixes msg with the key path, except at the top level where there is none.
func keyed(key, msg string) string {
	if key == "" {
		return msg
	}
	return key + ": " + msg
}

func (d *decoder) typeError(n *yaml.Node, key, want string) {
	d.errorf(n, "%s", keyed(key, fmt.Sprintf("expected %s, got %s", want, describe(n))))
}

// describe names what a node is in words a config author understands.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	switch tag := n.ShortTag(); tag {
	case tagStr:
		return "a string"
	case tagInt:
		return "an integer"
	case tagFloat:
		return "a number"
	case tagBool:
		return "a boolean"
	case tagNull:
		return "null"
	case tagTimestamp:
		return "a timestamp"
	case tagBinary:
		return "binary data"
	case tagMerge:
		return "a merge key"
	default:
		return "a value tagged " + tag
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull
}

// resolve follows aliases and unwraps documents. release must be called when the caller is done
// with the node, so the cycle check only sees aliases on the current path.
func (d *decoder) resolve(n *yaml.Node) (out *yaml.Node, release func(), ok bool) {
	var held []*yaml.Node
	release = func() {
		for _, h := range held {
			delete(d.active, h)
		}
	}
	for {
		switch n.Kind {
		case yaml.AliasNode:
			if n.Alias == nil {
				d.errorf(n, "alias *%s refers to nothing", n.Value)
				return nil, release, false
			}
			if d.active[n.Alias] {
				d.errorf(n, "alias *%s refers to a value that contains it", n.Value)
				return nil, release, false
			}
			d.active[n.Alias] = true
			held = append(held, n.Alias)
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull, Line: n.Line, Column: n.Column}, release, true
			}
			n = n.Content[0]
		default:
			return n, release, true
		}
	}
}

// spend takes one unit of the expansion budget for n, reporting at n when it runs out.
func (d *decoder) spend(n *yaml.Node) bool {
	if d.budget <= 0 {
		return false
	}
	if d.budget--; d.budget == 0 {
		if d.expanding != nil {
			n = d.expanding
		}
		d.errorf(n, "the document expands to more than %d values through aliases and merge keys", d.limit)
		return false
	}
	return true
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	if !d.spend(n) {
		return
	}
	before := len(d.errs)
	defer func() {
		if len(d.errs) > before {
			if d.failed == nil {
				d.failed = map[string]bool{}
			}
			d.failed[key] = true
		}
	}()
	if n.Kind == yaml.AliasNode && d.expanding == nil {
		d.expanding = n
		defer func() { d.expanding = nil }()
	}
	n, release, ok := d.resolve(n)
	defer release()
	if !ok {
		return
	}
	if d.pos != nil {
		d.pos.val[key] = Pos{n.Line, n.Column}
	}
	if isNull(n) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			v.SetZero()
		}
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), key)
		return
	}
	t := v.Type()
	if v.CanAddr() && reflect.PointerTo(t).Implements(yamlUnmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			if es := AsErrors(err); es != nil {
				d.errs = append(d.errs, es...)
			} else {
				d.errorf(n, "%s", keyed(key, yamlMessage(err, n)))
			}
		}
		return
	}
	switch t {
	case timeType:
		d.decodeTime(n, v, key)
		return
	case durationType:
		d.decodeDuration(n, v, key)
		return
	}
	if v.CanAddr() && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		if n.Kind != yaml.ScalarNode || n.ShortTag() == tagBinary {
			d.typeError(n, key, "a string")
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(n, "%s", keyed(key, err.Error()))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		switch n.ShortTag() {
		case tagInt, tagFloat, tagTimestamp:
			if d.strictString {
				break
			}
			fallthrough
		case tagStr:
			// Numbers and dates are accepted as their text, so `go: 1.22` means "1.22".
			if n.Kind == yaml.ScalarNode {
				v.SetString(n.Value)
				return
			}
		}
		d.typeError(n, key, "a string")
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != tagBool {
			d.typeError(n, key, "a boolean (true or false)")
			return
		}
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			d.errorf(n, "%s", keyed(key, fmt.Sprintf("invalid boolean %q (valid: true, false)", n.Value)))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		d.decodeInt(n, v, key)
	case reflect.Float32, reflect.Float64:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == tagStr && floatText.MatchString(n.Value) {
			// yaml.v3 resolves a number too large for float64 (1e309) to a string.
			d.errorf(n, "%s", keyed(key, fmt.Sprintf("%s is out of range for a number (at most ±%g)", n.Value, math.MaxFloat64)))
			return
		}
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != tagFloat && n.ShortTag() != tagInt) {
			d.typeError(n, key, "a number")
			return
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			d.errorf(n, "%s", keyed(key, fmt.Sprintf("invalid number %q", n.Value)))
			return
		}
		if v.OverflowFloat(f) {
			d.errorf(n, "%s", keyed(key, fmt.Sprintf("%s is out of range for %s", n.Value, t)))
			return
		}
		v.SetFloat(f)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, key, "a sequence")
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", key, i))
		}
		v.Set(s)
	case reflect.Array:
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, key, "a sequence")
			return
		}
		if len(n.Content) != v.Len() {
			d.errorf(n, "%s", keyed(key, fmt.Sprintf("expected %d items, got %d", v.Len(), len(n.Content))))
			return
		}
		for i, item := range n.Content {
			d.decode(item, v.Index(i), fmt.Sprintf("%s[%d]", key, i))
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			d.errorf(n, "%s", keyed(key, fmt.Sprintf("cannot decode into %s: map keys must be strings", t)))
			return
		}
		if n.Kind != yaml.MappingNode {
			d.typeError(n, key, "a mapping")
			return
		}
		m := reflect.MakeMap(t)
		for _, p := range d.entries(n, key) {
			d.decodeMapEntry(m, p, key)
		}
		v.Set(m)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.typeError(n, key, "a mapping")
			return
		}
		d.decodeStruct(n, v, key)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.errorf(n, "%s", keyed(key, fmt.Sprintf("cannot decode into %s", t)))
			return
		}
		// A free-form value: yaml.v3's own rules are the right ones, and it guards aliases.
		var x any
		if err := n.Decode(&x); err != nil {
			d.errorf(n, "%s", keyed(key, yamlMessage(err, n)))
			return
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.errorf(n, "%s", keyed(key, fmt.Sprintf("cannot decode into %s", t)))
	}
}

func (d *decoder) decodeMapEntry(m reflect.Value, p entry, key string) {
	child := join(key, p.name)
	if d.pos != nil {
		d.pos.key[child] = Pos{p.k.Line, p.k.Column}
	}
	elem := reflect.New(m.Type().Elem()).Elem()
	d.decode(p.v, elem, child)
	m.SetMapIndex(reflect.ValueOf(p.name).Convert(m.Type().Key()), elem)
}

func join(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

var integerText = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)

// floatText is a YAML 1.1/1.2 decimal number, as yaml.v3 would resolve it were it in range.
var floatText = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$`)

func (d *decoder) decodeInt(n *yaml.Node, v reflect.Value, key string) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != tagInt && !(tag == tagFloat && integerText.MatchString(n.Value))) {
		d.typeError(n, key, "an integer")
		return
	}
	var lo, hi string
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := v.Type().Bits()
		lo, hi = strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10)
		var i int64
		if tag == tagInt && n.Decode(&i) == nil && !v.OverflowInt(i) {
			v.SetInt(i)
			return
		}
	default:
		lo, hi = "0", strconv.FormatUint(math.MaxUint64>>(64-v.Type().Bits()), 10)
		var u uint64
		if tag == tagInt && n.Decode(&u) == nil && !v.OverflowUint(u) {
			v.SetUint(u)
			return
		}
	}
	// Anything left that looks like an integer is one that does not fit; yaml.v3 resolves
	// integers beyond 64 bits to floats, hence the text check above.
	var i int64
	var u uint64
	if tag == tagFloat || n.Decode(&i) == nil || n.Decode(&u) == nil {
		d.errorf(n, "%s", keyed(key, fmt.Sprintf("%s is out of range (%s to %s)", n.Value, lo, hi)))
		return
	}
	d.errorf(n, "%s", keyed(key, fmt.Sprintf("invalid integer %q", n.Value)))
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, key string) {
	const want = `a duration such as "90s" or "1h30m"`
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagStr {
		d.typeError(n, key, want)
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, "%s", keyed(key, fmt.Sprintf("invalid duration %q, expected %s", n.Value, want)))
		return
	}
	v.SetInt(int64(dur))
}

// timeLayouts are tried in order; a bare date means midnight UTC.
var timeLayouts = []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05"}

func (d *decoder) decodeTime(n *yaml.Node, v reflect.Value, key string) {
	const want = `a date such as "2026-12-31" or an RFC 3339 time such as "2026-12-31T23:59:00Z"`
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != tagStr && n.ShortTag() != tagTimestamp) {
		d.typeError(n, key, want)
		return
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, n.Value); err == nil {
			v.Set(reflect.ValueOf(t))
			return
		}
	}
	// YAML timestamps have a few more spellings ("2001-12-14 21:59:43.10 -5"); yaml.v3 knows them.
	var t time.Time
	if n.ShortTag() == tagTimestamp && n.Decode(&t) == nil {
		v.Set(reflect.ValueOf(t))
		return
	}
	if why := impossibleDate(n.Value); why != "" {
		d.errorf(n, "%s", keyed(key, fmt.Sprintf("%s is not a date: %s", n.Value, why)))
		return
	}
	d.errorf(n, "%s", keyed(key, fmt.Sprintf("invalid time %q, expected %s", n.Value, want)))
}

var dateText = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})([Tt ]|$)`)

// impossibleDate says what is wrong with a value shaped like a date that no calendar has
// ("2026-02-30"), or "" when it is not shaped like one.
func impossibleDate(s string) string {
	m := dateText.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	if mo < 1 || mo > 12 {
		return fmt.Sprintf("there is no month %d", mo)
	}
	days := time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if day < 1 || day > days {
		return fmt.Sprintf("%s %d has %d days", time.Month(mo), y, days)
	}
	return ""
}

// entry is one key: value pair of a mapping after merge keys are expanded.
type entry struct {
	k, v *yaml.Node
	name string
}

// entries lists a mapping's pairs with merge keys (<<) expanded as YAML 1.1 defines them: keys
// written in the mapping win over merged ones, and earlier merged mappings win over later ones.
// Duplicate keys written in the mapping are errors.
func (d *decoder) entries(n *yaml.Node, key string) []entry {
	var out []entry
	first := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.spend(k) {
			return out
		}
		rk, release, ok := d.resolve(k)
		release()
		if !ok {
			continue
		}
		if rk.Kind == yaml.ScalarNode && rk.ShortTag() == tagMerge {
			merges = append(merges, v)
			continue
		}
		if rk.Kind != yaml.ScalarNode || isNull(rk) {
			d.errorf(k, "%s", keyed(key, fmt.Sprintf("expected a string key, got %s", describe(rk))))
			continue
		}
		if prev, dup := first[rk.Value]; dup {
			in := ""
			if key != "" {
				in = " in " + key
			}
			d.errorf(k, "duplicate key %q%s (first defined at line %d)", rk.Value, in, prev.Line)
			continue
		}
		first[rk.Value] = k
		out = append(out, entry{k: k, v: v, name: rk.Value})
	}
	for _, m := range merges {
		d.merge(m, key, first, &out)
	}
	return out
}

func (d *decoder) merge(m *yaml.Node, key string, seen map[string]*yaml.Node, out *[]entry) {
	if d.expanding == nil {
		d.expanding = m
		defer func() { d.expanding = nil }()
	}
	rm, release, ok := d.resolve(m)
	defer release()
	if !ok {
		return
	}
	var maps []*yaml.Node
	switch rm.Kind {
	case yaml.MappingNode:
		maps = []*yaml.Node{rm}
	case yaml.SequenceNode:
		maps = rm.Content
	default:
		d.errorf(rm, "%s", keyed(key, "the value of a merge key (<<) must be a mapping or a sequence of mappings, got "+describe(rm)))
		return
	}
	for _, item := range maps {
		if d.budget <= 0 {
			return
		}
		ri, release, ok := d.resolve(item)
		if !ok {
			release()
			continue
		}
		if ri.Kind != yaml.MappingNode {
			d.errorf(ri, "%s", keyed(key, "the value of a merge key (<<) must be a mapping or a sequence of mappings, got a sequence holding "+describe(ri)))
			release()
			continue
		}
		// Merged mappings may merge others in turn; their own duplicates were reported where
		// they are written, so only keys not yet seen are taken.
		for _, e := range d.entries(ri, key) {
			if _, dup := seen[e.name]; !dup {
				seen[e.name] = e.k
				*out = append(*out, e)
			}
		}
		release()
	}
}

// structInfo is how a struct type's fields map to keys, cached per type.
type structInfo struct {
	fields    map[string][]int // key -> field index path (through inline structs)
	names     []string         // sorted keys, for "valid:" lists
	inlineMap []int            // an `,inline` map field that takes the remaining keys, or nil
	checks    map[string]fieldChecks
}

// fieldChecks are the bounds a section declares on a field with a `check:"..."` tag, applied by
// the decoder at the value's position so every section gets them without a Validator:
//
//	check:"min=0"         a number (or each number of a slice) at least 0: counts, jobs, sizes
//	check:"min=1,max=64"  both bounds
//	check:"string"        a YAML string only: `cache-dir: 5` or `name: true` is an error rather
//	                      than the text "5" or "true" (without it, numbers are taken as text so
//	                      `go: 1.22` means "1.22")
type fieldChecks struct {
	min, max         *float64
	minText, maxText string
	strictString     bool
}

func parseChecks(tag string) (fieldChecks, error) {
	var c fieldChecks
	for _, part := range strings.Split(tag, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "":
		case "string":
			c.strictString = true
		case "min", "max":
			f, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return c, fmt.Errorf("check %q: %q is not a number", name, val)
			}
			if name == "min" {
				c.min, c.minText = &f, val
			} else {
				c.max, c.maxText = &f, val
			}
		default:
			return c, fmt.Errorf("unknown check %q (valid: min=N, max=N, string)", name)
		}
	}
	return c, nil
}

var structInfos sync.Map // reflect.Type -> *structInfo

func getStructInfo(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{fields: map[string][]int{}}
	addFields(si, t, nil)
	for name := range si.fields {
		si.names = append(si.names, name)
	}
	sort.Strings(si.names)
	structInfos.Store(t, si)
	return si
}

func addFields(si *structInfo, t reflect.Type, prefix []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		inline := false
		for _, fl := range strings.Split(flags, ",") {
			inline = inline || fl == "inline"
		}
		if !f.IsExported() && !(inline && f.Anonymous) {
			continue
		}
		index := append(append([]int(nil), prefix...), i)
		if inline {
			switch f.Type.Kind() {
			case reflect.Struct:
				addFields(si, f.Type, index)
				continue
			case reflect.Map:
				if si.inlineMap == nil {
					si.inlineMap = index
				}
				continue
			}
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := si.fields[name]; !dup {
			si.fields[name] = index
			if tag, ok := f.Tag.Lookup("check"); ok {
				c, err := parseChecks(tag)
				if err != nil {
					// A programming error in a section type, caught by its first test.
					panic(fmt.Sprintf("config: field %s.%s: %v", t, f.Name, err))
				}
				if si.checks == nil {
					si.checks = map[string]fieldChecks{}
				}
				si.checks[name] = c
			}
		}
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	si := getStructInfo(v.Type())
	var inline reflect.Value
	for _, p := range d.entries(n, key) {
		if index, ok := si.fields[p.name]; ok {
			child := join(key, p.name)
			if d.pos != nil {
				d.pos.key[child] = Pos{p.k.Line, p.k.Column}
			}
			before := len(d.errs)
			c, checked := si.checks[p.name]
			if checked && c.strictString {
				prev := d.strictString
				d.strictString = true
				d.decode(p.v, v.FieldByIndex(index), child)
				d.strictString = prev
			} else {
				d.decode(p.v, v.FieldByIndex(index), child)
			}
			if checked && len(d.errs) == before {
				d.checkBounds(p.v, v.FieldByIndex(index), child, c)
			}
			continue
		}
		if si.inlineMap != nil {
			if !inline.IsValid() {
				inline = v.FieldByIndex(si.inlineMap)
				if inline.Type().Key().Kind() != reflect.String {
					d.errorf(p.k, "%s", keyed(key, fmt.Sprintf("cannot decode into %s: map keys must be strings", inline.Type())))
					return
				}
				if inline.IsNil() {
					inline.Set(reflect.MakeMap(inline.Type()))
				}
			}
			d.decodeMapEntry(inline, p, key)
			continue
		}
		in := ""
		if key != "" {
			in = " in " + key
		}
		valid := "valid: " + strings.Join(si.names, ", ")
		if len(si.names) == 0 {
			valid = "no keys are valid here yet"
		}
		d.errorf(p.k, "unknown key %q%s (%s)", p.name, in, valid)
	}
}

// checkBounds applies min/max to a decoded number, or to each number of a slice or array.
func (d *decoder) checkBounds(n *yaml.Node, v reflect.Value, key string, c fieldChecks) {
	if c.min == nil && c.max == nil {
		return
	}
	rn, release, ok := d.resolve(n)
	release()
	if !ok {
		return
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	var x float64
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len() && i < len(rn.Content); i++ {
			d.checkBounds(rn.Content[i], v.Index(i), fmt.Sprintf("%s[%d]", key, i), c)
		}
		return
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x = float64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x = float64(v.Uint())
	case reflect.Float32, reflect.Float64:
		x = v.Float()
	default:
		return
	}
	switch {
	case c.min != nil && c.max != nil && (x < *c.min || x > *c.max):
		d.errorf(rn, "%s", keyed(key, fmt.Sprintf("must be between %s and %s, got %s", c.minText, c.maxText, rn.Value)))
	case c.min != nil && x < *c.min:
		d.errorf(rn, "%s", keyed(key, fmt.Sprintf("must be %s or more, got %s", c.minText, rn.Value)))
	case c.max != nil && x > *c.max:
		d.errorf(rn, "%s", keyed(key, fmt.Sprintf("must be %s or less, got %s", c.maxText, rn.Value)))
	}
}

// yamlMessage strips the "yaml: " prefix yaml.v3 puts on its errors, and the line when it is
// the node's own, which the position already says.
func yamlMessage(err error, n *yaml.Node) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n  ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", n.Line))
	return strings.ReplaceAll(msg, "\n  ", "; ")
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseYAML reads the single document in data. It returns nil for an empty document (only
// comments or whitespace), which means "all defaults".
func parseYAML(path string, data []byte) (root *yaml.Node, err error) {
	// yaml.v3 reports panics from its own code as errors, but not every input has been fuzzed;
	// a config file must not crash the binary.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{Path: path, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(path, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(path, data, err)
	default:
		return nil, &Error{Path: path, Line: next.Line, Col: next.Column,
			Msg: "a second YAML document; the config file must hold exactly one"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil
	}
	return &doc, nil
}

// parserProblems are the messages of libyaml's parser (as opposed to its scanner). yaml.v3 prints
// the parser's 0-based line for them but the scanner's 1-based line for the others.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// syntaxError turns a yaml.v3 parse error into an *Error. yaml.v3 gives no column, a line that is
// off by one for parser errors and none at all on the first line or for bad characters and
// unknown anchors, so the line is corrected and the others are found here.
func syntaxError(path string, data []byte, err error) *Error {
	e := &Error{Path: path, Err: err}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = err.Error()[len(m[0]):]
	}
	switch {
	case line > 0:
		e.Line = line
		if parserProblems[msg] {
			e.Line++
		}
	case unknownAnchor.MatchString(msg):
		name := unknownAnchor.FindStringSubmatch(msg)[1]
		if i := strings.Index(string(data), "*"+name); i >= 0 {
			e.Line, e.Col = lineCol(data, i)
		}
	default:
		if l, c, what, ok := badChar(data); ok {
			e.Line, e.Col, msg = l, c, what
		} else if !strings.Contains(msg, "end of stream") {
			// No line means both of libyaml's marks were on the first line.
			e.Line = 1
		}
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// lineCol converts a byte offset to a 1-based line and a column counted in characters, as
// yaml.Node positions are.
func lineCol(data []byte, off int) (line, col int) {
	before := data[:off]
	line = 1 + strings.Count(string(before), "\n")
	if i := strings.LastIndexByte(string(before), '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, 1 + utf8.RuneCount(before)
}

// badChar finds the first byte sequence YAML does not allow: invalid UTF-8 or a character outside
// the printable set of YAML 1.2 section 5.1 (the same check yaml.v3's reader makes).
func badChar(data []byte) (line, col int, what string, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, w := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && w <= 1:
			return line, col, "invalid UTF-8", true
		case r == '\n':
			line, col = line+1, 0
		case r == '\t', r == '\r', r >= 0x20 && r <= 0x7E, r == 0x85,
			r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000:
		default:
			return line, col, fmt.Sprintf("control character %U is not allowed", r), true
		}
		i += w
		col++
	}
	return 0, 0, "", false
}
