package fleet

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// FuzzParseDocument: any bytes are a report or an error, never a panic; a report that parses
// writes back as JSON that parses to the same summary.
func FuzzParseDocument(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "fixture.json.golden")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"repos":[{"name":"a","findings":[{"severity":"error"}],"calls":[{"secrets":"inherit"}]}],"summary":{}}`))
	f.Add([]byte(`{"repos":[{"name":"a","calls":[{"secrets":"all"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDocument(data)
		if err != nil {
			return
		}
		d.Summarize()
		var b bytes.Buffer
		if err := d.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		d2, err := ParseDocument(b.Bytes())
		if err != nil {
			t.Fatalf("a report written back does not parse: %v\n%s", err, b.Bytes())
		}
		d2.Summarize()
		if d2.Summary.Repos != d.Summary.Repos || d2.Summary.Errors != d.Summary.Errors || d2.Summary.Calls != d.Summary.Calls {
			t.Fatalf("summary changed: %+v vs %+v", d.Summary, d2.Summary)
		}
		if err := report.Write(&bytes.Buffer{}, "human", d.Report(""), report.Options{Color: true}); err != nil {
			t.Fatal(err)
		}
		report.Markdown(d.Report(""))
	})
}

// FuzzParsePlan: any bytes are a plan or an error; a plan's shards can all be selected.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte(`{"include":[{"shard":0,"repos":["o/a","o/b"]},{"shard":1,"repos":[]}]}`))
	f.Add([]byte(`{"include":[{"shard":0,"repos":["a"]},{"shard":1,"repos":["A"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			return
		}
		for i := range p.Include {
			if _, err := p.Select(nil, i); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzExtract: any tarball extracts or fails, and never writes outside its directory.
func FuzzExtract(f *testing.F) {
	f.Add(makeTarball(f, []tarEntry{{name: "t/a.txt", typ: tar.TypeReg, body: "a"}, {name: "t/../x", typ: tar.TypeReg, body: "x"}}))
	f.Add(makeTarball(f, []tarEntry{{name: "t/l", typ: tar.TypeSymlink, linkname: "/"}, {name: "t/l/x", typ: tar.TypeReg, body: "x"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		dst := filepath.Join(root, "in", "files")
		Extract(context.Background(), bytes.NewReader(data), dst, 1<<20)
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if p != root && p != filepath.Join(root, "in") && !strings.HasPrefix(p, dst) {
				t.Fatalf("wrote %s outside %s", p, dst)
			}
			if d.Type()&os.ModeSymlink != 0 {
				t.Fatalf("made a symlink %s", p)
			}
			return nil
		})
	})
}
