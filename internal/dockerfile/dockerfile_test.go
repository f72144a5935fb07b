package dockerfile

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"golang.org/x/tools/txtar"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// dump is the golden form of a model: the global values, then each stage and its instructions
// with what the model worked out for them.
func dump(f *File) string {
	var b strings.Builder
	var meta []string
	for _, k := range slices.Sorted(mapKeys(f.Meta)) {
		meta = append(meta, k+"="+f.Meta[k])
	}
	fmt.Fprintf(&b, "lines: %d\nmeta: %s\ndeclared: %s\n", f.Lines, strings.Join(meta, " "), strings.Join(slices.Sorted(mapKeys(f.Declared)), " "))
	for _, in := range f.Global {
		fmt.Fprintf(&b, "global %d %s parsed=%v\n", in.Line(), in.Keyword(), in.Command != nil)
	}
	if f.Err != nil {
		fmt.Fprintf(&b, "err: line %d: %v\n", f.Err.Line, f.Err)
	}
	for _, s := range f.Stages {
		fmt.Fprintf(&b, "stage %d name=%q from=%q base=%q known=%v arg=%q parent=%d external=%v lines=%d-%d\n",
			s.Index, s.Name, s.BaseName, s.Base, s.BaseKnown, s.BaseArg, s.Parent, s.External, s.FirstLine, s.LastLine)
		var chain []string
		for _, c := range f.Chain(s) {
			chain = append(chain, fmt.Sprint(c.Index))
		}
		fmt.Fprintf(&b, "  chain: %s\n", strings.Join(chain, " "))
		for _, in := range s.Instructions {
			fmt.Fprintf(&b, "  %d %s parsed=%v", in.Line(), in.Keyword(), in.Command != nil)
			for _, m := range in.Mounts {
				fmt.Fprintf(&b, " mount[type=%s from=%q source=%q target=%q id=%q sharing=%q]", m.Type, m.From, m.Source, m.Target, m.CacheID, m.CacheSharing)
			}
			if in.MountsErr != nil {
				fmt.Fprintf(&b, " mounts-err=%q", in.MountsErr.Error())
			}
			if in.Sources != nil {
				fmt.Fprintf(&b, " sources=%q", in.Sources)
			}
			if in.Unexpanded {
				b.WriteString(" unexpanded")
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestModel checks the model of each testdata/*.txtar Dockerfile (with the build args of its
// args section) against its want section; -update rewrites the want sections.
func TestModel(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var src []byte
			opts := Options{BuildArgs: map[string]string{}}
			for _, f := range ar.Files {
				switch f.Name {
				case "Dockerfile":
					src = f.Data
				case "args":
					for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
						k, v, _ := strings.Cut(l, "=")
						opts.BuildArgs[k] = v
					}
				}
			}
			got := ""
			f, err := Parse(context.Background(), src, opts)
			if err != nil {
				got = "error: " + err.Error() + "\n"
			} else {
				got = dump(f)
			}
			golden.CheckSection(t, file, ar, "want", []byte(got))
		})
	}
}

// TestHeredocLimit: a heredoc body over the limits is refused before BuildKit's parser reads it,
// at its instruction's line.
func TestHeredocLimit(t *testing.T) {
	src := "FROM scratch\nRUN <<EOF\n" + strings.Repeat("x\n", MaxHeredocLines+1) + "EOF\n"
	_, err := Parse(context.Background(), []byte(src), Options{})
	var he *HeredocLimitError
	if !errors.As(err, &he) || he.Line != 2 || he.Lines != MaxHeredocLines+1 {
		t.Fatalf("error %v, want a *HeredocLimitError at line 2 after %d lines", err, MaxHeredocLines+1)
	}
	want := fmt.Sprintf("line 2: a heredoc body is over %d lines or %d bytes (%d lines, %d bytes read before stopping)", MaxHeredocLines, MaxHeredocBytes, MaxHeredocLines+1, 2*(MaxHeredocLines+1))
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// TestCancelled: a cancelled context stops the walk with its error.
func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Parse(ctx, []byte("FROM scratch\n"), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestMountsAreBuildKits: --mount values are read by BuildKit's CSV parser, so a quoted CSV field
// with a comma is one value (strings.Split would cut it in two).
func TestMountsAreBuildKits(t *testing.T) {
	f, err := Parse(context.Background(), []byte("FROM scratch\nRUN --mount='type=bind,\"source=a,b\",target=/t' true\n"), Options{})
	if err != nil || f.Err != nil {
		t.Fatalf("parse: %v %v", err, f.Err)
	}
	ms := f.Stages[0].Instructions[0].Mounts
	if len(ms) != 1 || ms[0].Type != instructions.MountTypeBind || ms[0].Source != "a,b" || ms[0].Target != "/t" {
		t.Fatalf("mounts %+v, want one bind of \"a,b\" at /t", ms)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"FROM scratch\nCOPY . /\n",
		"ARG B=x\nFROM $B AS a\nFROM a\nCOPY --from=a / /\nRUN --mount=type=bind,source=s true\n",
		"FROM a:b\nCOPY <<EOF /x\nhi\nEOF\n",
		"# escape=`\nFROM x\nRUN a `\n b\n",
		"ARG A=\"${B:-x}\"\nFROM y${A}\nARG A\nENV C=$A\nRUN --mount=type=cache,target=$C,\"id=a,b\" true\n",
		"FROM\n",
		"RUN x\nFROM scratch\nFORM y\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		file, err := Parse(context.Background(), []byte(s), Options{BuildArgs: map[string]string{"B": "y"}})
		if err != nil {
			return
		}
		for _, st := range file.Stages {
			if st.Parent >= st.Index || st.FirstLine > st.LastLine+1 {
				t.Fatalf("stage %d: parent %d, lines %d-%d", st.Index, st.Parent, st.FirstLine, st.LastLine)
			}
			chain := file.Chain(st)
			if chain[len(chain)-1] != st {
				t.Fatalf("stage %d: chain does not end at it", st.Index)
			}
			if file.StageAt(st.FirstLine) != st {
				t.Fatalf("stage %d: StageAt(%d) is another stage", st.Index, st.FirstLine)
			}
		}
	})
}
