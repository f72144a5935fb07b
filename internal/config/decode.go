package config

import (
	"encoding"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The typed walk. yaml.v3's Node.Decode ignores unknown keys (KnownFields exists only on a
// Decoder reading bytes, whose errors carry a line but no column and name Go types, not keys),
// takes `name: true` as the string "true", and words a mismatch "cannot unmarshal !!seq into
// string" without the key. So the node tree is walked here against the Go type: each value is
// opened through the node pass (expand.go), set from its node (scalars in scalar.go, with yaml.v3
// doing the conversions), and every problem is an *Error naming the key at its line and column.

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
	d := newDecoder(path, newPositions(), maxValues)
	d.decode(n, v.Elem(), "")
	return joinErrors(d.errs)
}

// decoder is one decode: the file, the problems found, the keys they concern, and the node
// pass's bookkeeping.
type decoder struct {
	path string
	errs []*Error
	// failed holds every key whose value (or a value inside it) had an error, so Parse drops what a
	// Validator says about a half-decoded value ("expires is required" next to "expires: 2026-02-30
	// is not a date") and keeps what it says about the rest.
	failed    map[string]bool
	pos       *positions
	active    map[*yaml.Node]bool // anchors being expanded: seeing one again is a cycle
	budget    int                 // values left to expand before giving up
	limit     int                 // the budget's starting value, for the message
	expanding *yaml.Node          // the outermost alias or merge value, where a blown budget is reported
}

func newDecoder(path string, pos *positions, budget int) *decoder {
	return &decoder{path: path, failed: map[string]bool{}, pos: pos, active: map[*yaml.Node]bool{}, budget: budget, limit: budget}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Path: d.path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// keyErrorf is errorf with the message prefixed by the key, except at the top level.
func (d *decoder) keyErrorf(n *yaml.Node, key, format string, args ...any) {
	if key != "" {
		format, args = "%s: "+format, append([]any{key}, args...)
	}
	d.errorf(n, format, args...)
}

func (d *decoder) typeError(n *yaml.Node, key, want string) {
	d.keyErrorf(n, key, "expected %s, got %s", want, describe(n))
}

var (
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	before := len(d.errs)
	defer func() {
		if len(d.errs) > before { // this key failed, and so did every key it is inside
			d.failed[key] = true
		}
	}()
	n, release, ok := d.open(n, key)
	defer release()
	if !ok {
		return
	}
	if isNull(n) {
		if k := v.Kind(); k == reflect.Pointer || k == reflect.Interface {
			v.SetZero()
		}
		return
	}
	t, kind := v.Type(), v.Kind()
	switch {
	case kind == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), key)
	case v.CanAddr() && reflect.PointerTo(t).Implements(yamlUnmarshalerType):
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			if es := AsErrors(err); es != nil {
				d.errs = append(d.errs, es...)
			} else {
				d.keyErrorf(n, key, "%s", yamlMessage(err, n))
			}
		}
	case t == timeType:
		d.decodeTime(n, v, key)
	case v.CanAddr() && reflect.PointerTo(t).Implements(textUnmarshalerType):
		if n.Kind != yaml.ScalarNode || n.ShortTag() == tagBinary {
			d.typeError(n, key, "a string")
		} else if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.keyErrorf(n, key, "%s", err)
		}
	case kind >= reflect.Bool && kind <= reflect.Float64, kind == reflect.String:
		d.decodeScalar(n, v, key)
	case kind == reflect.Slice, kind == reflect.Array:
		d.decodeSequence(n, v, key)
	case kind == reflect.Map, kind == reflect.Struct:
		d.decodeMapping(n, v, key)
	case kind == reflect.Interface && t.NumMethod() == 0:
		// A free-form value: yaml.v3's own rules are the right ones, and it guards aliases.
		var x any
		if err := n.Decode(&x); err != nil {
			d.keyErrorf(n, key, "%s", yamlMessage(err, n))
		} else if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.keyErrorf(n, key, "cannot decode into %s", t)
	}
}

func (d *decoder) decodeSequence(n *yaml.Node, v reflect.Value, key string) {
	switch {
	case n.Kind != yaml.SequenceNode:
		d.typeError(n, key, "a sequence")
		return
	case v.Kind() == reflect.Array && len(n.Content) != v.Len():
		d.keyErrorf(n, key, "expected %d items, got %d", v.Len(), len(n.Content))
		return
	}
	s := v
	if v.Kind() == reflect.Slice {
		s = reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	}
	for i, item := range n.Content {
		d.decode(item, s.Index(i), key+"["+strconv.Itoa(i)+"]")
	}
	v.Set(s)
}

// decodeMapping decodes a mapping into a struct (its fields' keys, an `,inline` map taking the
// rest) or a string-keyed map.
func (d *decoder) decodeMapping(n *yaml.Node, v reflect.Value, key string) {
	m, fields, inline := v, map[string][]int(nil), []int(nil)
	if v.Kind() == reflect.Struct {
		fields, inline = structFields(v.Type(), nil)
		m = reflect.Value{}
	}
	switch {
	case v.Kind() == reflect.Map && v.Type().Key().Kind() != reflect.String:
		d.keyErrorf(n, key, "cannot decode into %s: map keys must be strings", v.Type())
		return
	case n.Kind != yaml.MappingNode:
		d.typeError(n, key, "a mapping")
		return
	case v.Kind() == reflect.Map:
		m = reflect.MakeMap(v.Type())
		defer v.Set(m) // given maps replace the default
	}
	for _, e := range d.mapping(n, key) {
		if index, ok := fields[e.name]; ok {
			d.decode(e.v, v.FieldByIndex(index), join(key, e.name))
			continue
		}
		if !m.IsValid() && inline != nil {
			if m = v.FieldByIndex(inline); m.Type().Key().Kind() != reflect.String {
				d.keyErrorf(e.k, key, "cannot decode into %s: map keys must be strings", m.Type())
				return
			}
			if m.IsNil() {
				m.Set(reflect.MakeMap(m.Type()))
			}
		}
		if !m.IsValid() {
			valid := "valid: " + strings.Join(slices.Sorted(maps.Keys(fields)), ", ")
			if len(fields) == 0 {
				valid = "no keys are valid here yet"
			}
			d.errorf(e.k, "unknown key %q%s (%s)", e.name, in(key), valid)
			continue
		}
		elem := reflect.New(m.Type().Elem()).Elem()
		d.decode(e.v, elem, join(key, e.name))
		m.SetMapIndex(reflect.ValueOf(e.name).Convert(m.Type().Key()), elem)
	}
}

// structFields maps a struct type's keys to field index paths, through `,inline` structs, and
// finds its `,inline` map, which takes the keys no field has. The first field to claim a key wins.
func structFields(t reflect.Type, prefix []int) (fields map[string][]int, inlineMap []int) {
	fields = map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, flags, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		inline := slices.Contains(strings.Split(flags, ","), "inline")
		index := append(slices.Clone(prefix), i)
		switch {
		case f.Tag.Get("yaml") == "-", !f.IsExported() && !(inline && f.Anonymous):
		case inline && f.Type.Kind() == reflect.Struct:
			sub, subMap := structFields(f.Type, index)
			for k, idx := range sub {
				if _, dup := fields[k]; !dup {
					fields[k] = idx
				}
			}
			if inlineMap == nil {
				inlineMap = subMap
			}
		case inline && f.Type.Kind() == reflect.Map:
			if inlineMap == nil {
				inlineMap = index
			}
		default:
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if _, dup := fields[name]; !dup {
				fields[name] = index
			}
		}
	}
	return fields, inlineMap
}
