package config

import (
	"bytes"
	"encoding"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// The configuration reference is docs/config.md's one YAML block: every key of every section,
// commented, with its default. These tests keep it true: it is testdata/full.yml byte for byte
// (so TestGolden decodes it), and every key the Go types accept appears in it.

const referenceDoc = "../../docs/config.md"

// referenceBlock is the content of the only ```yaml block of docs/config.md.
func referenceBlock(t *testing.T) []byte {
	t.Helper()
	doc, err := os.ReadFile(referenceDoc)
	if err != nil {
		t.Fatalf("the configuration reference: %v", err)
	}
	var blocks [][]byte
	rest := doc
	for {
		_, after, ok := bytes.Cut(rest, []byte("\n```yaml\n"))
		if !ok {
			break
		}
		body, tail, ok := bytes.Cut(after, []byte("\n```\n"))
		if !ok {
			t.Fatalf("%s: a ```yaml block is not closed", referenceDoc)
		}
		blocks = append(blocks, append(body, '\n'))
		rest = tail
	}
	if len(blocks) != 1 {
		t.Fatalf("%s has %d ```yaml blocks; want exactly one, the reference file", referenceDoc, len(blocks))
	}
	return blocks[0]
}

// TestReferenceIsFullYML: testdata/full.yml is the reference, so the golden test decodes exactly
// what the documentation shows. -update copies the block there.
func TestReferenceIsFullYML(t *testing.T) {
	ref := referenceBlock(t)
	const full = "testdata/full.yml"
	if golden.Update() {
		if err := os.WriteFile(full, ref, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ref) {
		t.Errorf("%s differs from the YAML block of %s: edit the documentation, then run go test ./internal/config -update", full, referenceDoc)
	}
	if _, err := Parse(".molecule-ci.yml", ref); err != nil {
		t.Errorf("the reference does not load:\n%v", err)
	}
}

// TestReferenceDocumentsEveryKey walks the yaml tags of Config and the keys the reference sets,
// and fails for every key of the types the documentation does not show: a key added to the code
// must be added to docs/config.md.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	want := map[string]bool{}
	typeKeys(reflect.TypeFor[Config](), "", want)
	var root yaml.Node
	if err := yaml.Unmarshal(referenceBlock(t), &root); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	nodeKeys(&root, reflect.TypeFor[Config](), "", got, 0)
	var missing, unknown []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(unknown)
	if len(missing) > 0 {
		t.Errorf("%s does not document %d keys of the config types (add each, commented, with its default):\n  %s",
			referenceDoc, len(missing), strings.Join(missing, "\n  "))
	}
	if len(unknown) > 0 {
		t.Errorf("%s shows keys the config types do not have:\n  %s", referenceDoc, strings.Join(unknown, "\n  "))
	}
	if len(want) < 100 {
		t.Errorf("found only %d keys in the config types; the walk is broken", len(want))
	}
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
)

// keyedStruct reports whether t is a struct of this package's whose fields are keys (not a value decoded whole, such as
// time.Time or a type with its own UnmarshalText).
func keyedStruct(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	p := reflect.PointerTo(t)
	return t.Kind() == reflect.Struct && t.PkgPath() == reflect.TypeFor[Config]().PkgPath() &&
		!p.Implements(textUnmarshaler) && !p.Implements(yamlUnmarshaler)
}

// yamlKey is the key a struct field is written as, "" when it is not a key; inline reports
// `yaml:",inline"`.
func yamlKey(f reflect.StructField) (key string, inline bool) {
	if !f.IsExported() {
		return "", false
	}
	tag, ok := f.Tag.Lookup("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	switch {
	case name == "-":
		return "", false
	case slices.Contains(strings.Split(opts, ","), "inline"):
		return "", true
	case !ok || name == "":
		return strings.ToLower(f.Name), false
	}
	return name, false
}

// typeKeys adds to keys every key path of t under prefix: "lint.pinning.policy",
// "build.images[].smoke-boot.env", "lint.rules.*.severity".
func typeKeys(t reflect.Type, prefix string, keys map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case keyedStruct(t):
		for f := range t.Fields() {
			key, inline := yamlKey(f)
			switch {
			case inline:
				typeKeys(f.Type, prefix, keys)
			case key != "":
				p := keyPath(prefix, key)
				keys[p] = true
				typeKeys(f.Type, p, keys)
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && keyedStruct(t.Elem()):
		typeKeys(t.Elem(), prefix+"[]", keys)
	case t.Kind() == reflect.Map && keyedStruct(t.Elem()):
		typeKeys(t.Elem(), prefix+".*", keys)
	}
}

func keyPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// nodeKeys adds to keys every key path the YAML node n sets, read as type t: the same paths as
// typeKeys, through aliases and merge keys; top-level x- keys are skipped as Parse skips them.
func nodeKeys(n *yaml.Node, t reflect.Type, prefix string, keys map[string]bool, depth int) {
	if depth > 50 {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			nodeKeys(c, t, prefix, keys, depth+1)
		}
		return
	case yaml.AliasNode:
		nodeKeys(n.Alias, t, prefix, keys, depth+1)
		return
	}
	switch {
	case keyedStruct(t) && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.StructField{}
		for f := range t.Fields() {
			if key, _ := yamlKey(f); key != "" {
				fields[key] = f
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			switch {
			case k == "<<":
				nodeKeys(v, t, prefix, keys, depth+1)
			case prefix == "" && strings.HasPrefix(k, "x-"):
			default:
				p := keyPath(prefix, k)
				keys[p] = true
				if f, ok := fields[k]; ok {
					nodeKeys(v, f.Type, p, keys, depth+1)
				}
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && keyedStruct(t.Elem()) && n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			nodeKeys(c, t.Elem(), prefix+"[]", keys, depth+1)
		}
	case t.Kind() == reflect.Map && keyedStruct(t.Elem()) && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			nodeKeys(n.Content[i+1], t.Elem(), prefix+".*", keys, depth+1)
		}
	}
}

// The walk itself: a key added to a type is missing from a document that does not set it.
func TestTypeKeysSeeNewKeys(t *testing.T) {
	type inner struct {
		A string `yaml:"a"`
	}
	type outer struct {
		Inner  inner            `yaml:"inner"`
		List   []inner          `yaml:"list"`
		ByName map[string]inner `yaml:"by-name"`
		Plain  map[string]int   `yaml:"plain"`
		Skip   string           `yaml:"-"`
	}
	keys := map[string]bool{}
	typeKeys(reflect.TypeFor[outer](), "", keys)
	want := []string{"by-name", "by-name.*.a", "inner", "inner.a", "list", "list[].a", "plain"}
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(got, want) {
		t.Errorf("typeKeys = %q, want %q", got, want)
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte("x: &x {a: 1}\ninner: {<<: *x}\nlist: [{a: 1}]\nby-name: {k: {a: 2}}\n"), &root); err != nil {
		t.Fatal(err)
	}
	doc := map[string]bool{}
	nodeKeys(&root, reflect.TypeFor[outer](), "", doc, 0)
	for _, k := range []string{"inner.a", "list[].a", "by-name.*.a"} {
		if !doc[k] {
			t.Errorf("nodeKeys missed %s: %v", k, doc)
		}
	}
	if doc["plain"] {
		t.Error("nodeKeys reports plain, which the document does not set")
	}
}
