package config

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// The node pass, which the typed walk (decode.go) takes one value at a time. yaml.v3 parses the
// file into yaml.Node trees that still hold aliases (*name), merge keys (<<) and the top-level x-
// keys that exist only to hold anchors. open follows a value's aliases within the expansion
// budget (an alias inside its own anchor is a cycle, not a loop) and records where the value is;
// mapping lists a mapping's keys with merge keys applied and duplicate and non-string keys
// reported. A value is opened only when the typed walk needs it, so one of the wrong type is not
// expanded further.

// maxValues bounds how many values and mapping entries one document may expand to through
// aliases and merge keys, so a small file that references an anchor thousands of times (or
// chains merge keys, x10 per level) fails in milliseconds instead of running for minutes. A real
// config file has a few hundred.
const maxValues = 100_000

// positions records the value (as written: an alias's anchor) and the key of each key path, so
// validation after decoding can still point at the line that set a value.
type positions struct {
	val map[string]*yaml.Node
	key map[string]Pos
}

func newPositions() *positions {
	return &positions{val: map[string]*yaml.Node{}, key: map[string]Pos{}}
}

// dropExtensions removes top-level keys starting with "x-", which exist to hold YAML anchors
// that sections then alias (the convention docker compose uses), so they are not unknown keys.
func dropExtensions(root *yaml.Node) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return
	}
	m := root.Content[0]
	kept := make([]*yaml.Node, 0, len(m.Content))
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() == tagStr && strings.HasPrefix(k.Value, "x-") {
			continue
		}
		kept = append(kept, m.Content[i], m.Content[i+1])
	}
	m.Content = kept
}

// open spends the budget for the value n of key, follows its aliases and records where it is.
// release, called when the caller is done with the value and everything inside it, ends the
// aliases' hold. Not ok when the budget is spent or an alias cannot be followed (reported).
func (d *decoder) open(n *yaml.Node, key string) (out *yaml.Node, release func(), ok bool) {
	if !d.spend(n) {
		d.failed[key] = true
		return nil, func() {}, false
	}
	outer := n.Kind == yaml.AliasNode && d.expanding == nil
	if outer {
		d.expanding = n
	}
	out, unhold, ok := d.resolve(n)
	if ok {
		d.pos.val[key] = out
	}
	return out, func() {
		unhold()
		if outer {
			d.expanding = nil
		}
	}, ok
}

func join(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

// spend takes one unit of the expansion budget for n, reporting at n (or the alias or merge
// being expanded) when it runs out.
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

// resolve follows aliases and unwraps documents. unhold must be called when the caller is done
// with the node, so the cycle check only sees the aliases on the current path.
func (d *decoder) resolve(n *yaml.Node) (out *yaml.Node, unhold func(), ok bool) {
	var held []*yaml.Node
	unhold = func() {
		for _, h := range held {
			delete(d.active, h)
		}
	}
	for {
		switch {
		case n.Kind == yaml.AliasNode && n.Alias == nil:
			d.errorf(n, "alias *%s refers to nothing", n.Value)
			return nil, unhold, false
		case n.Kind == yaml.AliasNode && d.active[n.Alias]:
			d.errorf(n, "alias *%s refers to a value that contains it", n.Value)
			return nil, unhold, false
		case n.Kind == yaml.AliasNode:
			d.active[n.Alias] = true
			held = append(held, n.Alias)
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) == 0:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull, Line: n.Line, Column: n.Column}, unhold, true
		case n.Kind == yaml.DocumentNode:
			n = n.Content[0]
		default:
			return n, unhold, true
		}
	}
}

// entry is one key: value pair of a mapping after merge keys are expanded.
type entry struct {
	k, v *yaml.Node
	name string
}

// mapping lists the entries of the mapping n at key and records where each key is written.
func (d *decoder) mapping(n *yaml.Node, key string) []entry {
	es := d.entries(n, key)
	for _, e := range es {
		d.pos.key[join(key, e.name)] = Pos{e.k.Line, e.k.Column}
	}
	return es
}

// entries lists a mapping's pairs with merge keys (<<) expanded as YAML 1.1 defines them: keys
// written in the mapping win over merged ones, and earlier merged mappings over later ones.
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
		rk, unhold, ok := d.resolve(k)
		unhold()
		switch {
		case !ok:
		case rk.Kind == yaml.ScalarNode && rk.ShortTag() == tagMerge:
			merges = append(merges, v)
		case rk.Kind != yaml.ScalarNode || isNull(rk):
			d.keyErrorf(k, key, "expected a string key, got %s", describe(rk))
		case first[rk.Value] != nil:
			d.errorf(k, "duplicate key %q%s (first defined at line %d)", rk.Value, in(key), first[rk.Value].Line)
		default:
			first[rk.Value] = k
			out = append(out, entry{k: k, v: v, name: rk.Value})
		}
	}
	for _, m := range merges {
		d.merge(m, key, first, &out)
	}
	return out
}

// in is " in key" for a message about a key inside key, or "" at the top level.
func in(key string) string {
	if key == "" {
		return ""
	}
	return " in " + key
}

// merge appends to out the entries of the merge value m whose keys are not yet seen.
func (d *decoder) merge(m *yaml.Node, key string, seen map[string]*yaml.Node, out *[]entry) {
	if d.expanding == nil {
		d.expanding = m
		defer func() { d.expanding = nil }()
	}
	rm, unhold, ok := d.resolve(m)
	defer unhold()
	if !ok {
		return
	}
	const want = "the value of a merge key (<<) must be a mapping or a sequence of mappings, got "
	maps := []*yaml.Node{rm}
	switch rm.Kind {
	case yaml.MappingNode:
	case yaml.SequenceNode:
		maps = rm.Content
	default:
		d.keyErrorf(rm, key, "%s%s", want, describe(rm))
		return
	}
	for _, item := range maps {
		if d.budget <= 0 {
			return
		}
		ri, unhold, ok := d.resolve(item)
		switch {
		case !ok:
		case ri.Kind != yaml.MappingNode:
			d.keyErrorf(ri, key, "%sa sequence holding %s", want, describe(ri))
		default:
			// Merged mappings may merge others in turn; their own duplicates are reported where
			// they are written, so only keys not yet seen are taken.
			for _, e := range d.entries(ri, key) {
				if _, dup := seen[e.name]; !dup {
					seen[e.name] = e.k
					*out = append(*out, e)
				}
			}
		}
		unhold()
	}
}
