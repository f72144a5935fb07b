package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Scalars: which YAML values each Go kind takes, and what is wrong when one does not fit. A
// string takes numbers and dates as their text (`go: 1.22` means "1.22"); nothing else converts.

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
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
	integerText  = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)
	// floatText is a YAML 1.1/1.2 decimal number, as yaml.v3 would resolve it were it in range.
	floatText = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$`)
)

// decodeScalar decodes strings, booleans, numbers and durations.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, key string) {
	tag, kind := n.ShortTag(), v.Kind()
	if n.Kind != yaml.ScalarNode {
		tag = "" // a collection tagged !!str is still not a string
	}
	switch {
	case kind == reflect.String:
		if !slices.Contains([]string{tagStr, tagInt, tagFloat, tagTimestamp}, tag) {
			d.typeError(n, key, "a string")
			return
		}
		v.SetString(n.Value)
	case kind == reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		switch {
		case tag != tagBool:
			d.typeError(n, key, "a boolean (true or false)")
		case err != nil:
			d.keyErrorf(n, key, "invalid boolean %q (valid: true, false)", n.Value)
		default:
			v.SetBool(b)
		}
	case v.Type() == durationType:
		const want = `a duration such as "90s" or "1h30m"`
		dur, err := time.ParseDuration(n.Value)
		switch {
		case tag != tagStr:
			d.typeError(n, key, want)
		case err != nil:
			d.keyErrorf(n, key, "invalid duration %q, expected %s", n.Value, want)
		default:
			v.SetInt(int64(dur))
		}
	case kind == reflect.Float32 || kind == reflect.Float64:
		var f float64
		switch {
		case tag == tagStr && floatText.MatchString(n.Value): // yaml.v3 resolves 1e309 to a string
			d.keyErrorf(n, key, "%s is out of range for a number (at most ±%g)", n.Value, math.MaxFloat64)
		case tag != tagFloat && tag != tagInt:
			d.typeError(n, key, "a number")
		case n.Decode(&f) != nil:
			d.keyErrorf(n, key, "invalid number %q", n.Value)
		case v.OverflowFloat(f):
			d.keyErrorf(n, key, "%s is out of range for %s", n.Value, v.Type())
		default:
			v.SetFloat(f)
		}
	default:
		d.decodeInt(n, v, key, tag)
	}
}

func (d *decoder) decodeInt(n *yaml.Node, v reflect.Value, key, tag string) {
	// yaml.v3 resolves integers beyond 64 bits to floats, hence the text check.
	if tag != tagInt && !(tag == tagFloat && integerText.MatchString(n.Value)) {
		d.typeError(n, key, "an integer")
		return
	}
	bits := v.Type().Bits()
	lo, hi := "0", strconv.FormatUint(math.MaxUint64>>(64-bits), 10)
	var i int64
	var u uint64
	errI, errU := n.Decode(&i), n.Decode(&u)
	switch {
	case v.CanInt():
		lo, hi = strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10)
		if tag == tagInt && errI == nil && !v.OverflowInt(i) {
			v.SetInt(i)
			return
		}
	case tag == tagInt && errU == nil && !v.OverflowUint(u):
		v.SetUint(u)
		return
	}
	if tag == tagFloat || errI == nil || errU == nil { // an integer, but not one that fits
		d.keyErrorf(n, key, "%s is out of range (%s to %s)", n.Value, lo, hi)
		return
	}
	d.keyErrorf(n, key, "invalid integer %q", n.Value)
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
		d.keyErrorf(n, key, "%s is not a date: %s", n.Value, why)
		return
	}
	d.keyErrorf(n, key, "invalid time %q, expected %s", n.Value, want)
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
	if days := time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day(); day < 1 || day > days {
		return fmt.Sprintf("%s %d has %d days", time.Month(mo), y, days)
	}
	return ""
}

var tagWords = map[string]string{tagStr: "a string", tagInt: "an integer", tagFloat: "a number", tagBool: "a boolean",
	tagNull: "null", tagTimestamp: "a timestamp", tagBinary: "binary data", tagMerge: "a merge key"}

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
	if w, ok := tagWords[n.ShortTag()]; ok {
		return w
	}
	return "a value tagged " + n.ShortTag()
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull
}
