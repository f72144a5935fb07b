package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input crashes the loader, that every rejection is a positioned
// *Error (the CLI's exit 2), and that parsing is deterministic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("lint: &a {<<: [*a]}"))
	f.Add([]byte("lint:\n  rules:\n    x: &r {ignore: [*r]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yml", data)
		if err == nil {
			if c == nil {
				t.Fatal("Parse returned neither a config nor an error")
			}
			return
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %T is not a *config.Error: %v", err, err)
		}
		for _, e := range AsErrors(err) {
			if e.Path != "fuzz.yml" || e.Msg == "" {
				t.Fatalf("error without file or message: %#v", e)
			}
			// Only YAML syntax errors may lack a line: yaml.v3 does not always report one.
			if e.Line <= 0 && !errors.Is(err, e.Err) && e.Err == nil {
				t.Fatalf("decode error without a position: %v", e)
			}
		}
		if _, err2 := Parse("fuzz.yml", data); err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("Parse is not deterministic: %v, then %v", err, err2)
		}
	})
}
