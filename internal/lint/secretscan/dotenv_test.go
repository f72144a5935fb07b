package secretscan

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Molecule-AI/molecule-ci/internal/golden"
)

// TestParseDotenv reads every form the dotenv loaders accept, and the malformed ones they skip,
// into testdata/dotenv.golden: name, position, quoted or not, and the value.
func TestParseDotenv(t *testing.T) {
	src := strings.Join([]string{
		"# comment",
		"",
		"OPENROUTER_API_KEY=            # OpenRouter API key", // empty: the comment is no value
		"BAR_API_KEY=   # Bar key from console",
		"BAZ_TOKEN=  # see docs",
		"EMPTY=",
		"export EXPORTED=value # trailing",
		"  INDENTED = spaced value  ",
		"HASH_IN_WORD=abc#def",
		"SINGLE='literal \\n # not a comment' # comment",
		`DOUBLE="esc \" \\ \n \t end" # comment`,
		"BACKTICK=`tick`",
		`MULTI="first`,
		`second"`,
		"AFTER_MULTI=1",
		"UNTERMINATED='no close",
		"NEXT=still read",
		"CRLF=value\r",
		"not an assignment",
		"1BAD=digit first",
		"export",
		"exported_name.with.dots=x",
		"UNICODE=é€",
	}, "\n")
	var b strings.Builder
	for _, v := range ParseDotenv([]byte(src)) {
		fmt.Fprintf(&b, "%d:%d %s quoted=%v %q\n", v.Line, v.Col, v.Name, v.Quoted, v.Value)
	}
	golden.Check(t, filepath.Join("testdata", "dotenv.golden"), []byte(b.String()))

	// A quote that never closes is bounded: the rest of the file is not one value.
	long := "A='open\n" + strings.Repeat("x\n", 2*maxQuotedLines) + "B=after\n"
	vs := ParseDotenv([]byte(long))
	if len(vs) != 2 || vs[0].Name != "A" || string(vs[0].Value) != "'open" || vs[1].Name != "B" {
		t.Errorf("unterminated quote: got %+v", vs)
	}
}

// TestScanExampleEnvComments: issue 15's false alarms. An empty value is fine whatever the
// comment after it says.
func TestScanExampleEnvComments(t *testing.T) {
	src := "OPENROUTER_API_KEY=            # OpenRouter API key\nBAR_API_KEY=   # Bar key from console\nBAZ_TOKEN=  # see docs\n"
	if fs := ScanExampleEnv(".env.example", []byte(src)); len(fs) != 0 {
		t.Errorf("got %v, want nothing", fs)
	}
}

// FuzzParseDotenv: any text parses without a panic, within bounds: every variable has a name,
// a position inside the text, and a value no longer than the text.
func FuzzParseDotenv(f *testing.F) {
	f.Add([]byte("A=1\nexport B='x' # c\nC=\"multi\nline\"\n"))
	f.Add([]byte("OPENROUTER_API_KEY=            # OpenRouter API key\n"))
	f.Add([]byte("X=\"\\\"unterminated\nY=`tick`\r\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := strings.Count(string(src), "\n") + 1
		for _, v := range ParseDotenv(src) {
			if v.Name == "" || v.Line < 1 || v.Line > lines || v.Col < 1 || len(v.Value) > len(src) {
				t.Fatalf("bad variable %+v in %q", v, src)
			}
		}
	})
}
