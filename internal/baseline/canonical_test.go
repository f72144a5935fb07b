package baseline

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParseCanonical: whatever the fast reader accepts, the JSON decoder reads the same way, and
// a file Marshal wrote is always read by the fast reader.
func FuzzParseCanonical(f *testing.F) {
	for _, name := range []string{"ci.baseline.json", "no-line.baseline.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("{\n  \"version\": 1,\n  \"findings\": []\n}\n"))
	f.Add([]byte("{\n  \"version\": 1,\n  \"findings\": [\n    {\"rule\":\"r\",\"path\":\"a\\u0001\\\"\\\\\",\"line\":\"0123456789abcdef\",\"context\":\"0123456789abcdef\",\"message\":\"\\u2028 \\t\\n\"}\n  ]\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseCanonical(data)
		slow, err := parseJSON("b.json", data)
		if ok {
			if err != nil {
				t.Fatalf("the fast reader accepts what the decoder refuses (%v):\n%q", err, data)
			}
			fast.sort()
			if !reflect.DeepEqual(fast.Entries, slow.Entries) && (len(fast.Entries) > 0 || len(slow.Entries) > 0) {
				t.Fatalf("the readers disagree:\nfast %+v\nslow %+v\n%q", fast.Entries, slow.Entries, data)
			}
		}
		if err == nil {
			if _, ok := parseCanonical(slow.Marshal()); !ok {
				t.Fatalf("the fast reader refuses what Marshal wrote:\n%s", slow.Marshal())
			}
		}
	})
}
