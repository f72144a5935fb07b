package logsafe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

// token is assembled from pieces so that no complete credential appears in this file.
var token = strings.Join([]string{"ghp_", "Zk3mQ9vL2pX8rT1wY6nB4cD7fH0jK5sA1eRt"}, "")

func TestWriter(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		opts           Options
	}{
		{name: "plain", in: "a.yml:1:2: msg [rule]\n", want: "a.yml:1:2: msg [rule]\n"},
		{name: "tab kept", in: "a\tb\n", want: "a\tb\n"},
		{name: "command", in: "::error title=X::y\n", want: `\x3a:error title=X::y` + "\n"},
		{name: "command after blanks", in: " \t ::warning::y\n", want: " \t " + `\x3a:warning::y` + "\n"},
		{name: "command after unicode space", in: "\u00a0\u3000::group::y\n", want: "\u00a0\u3000" + `\x3a:group::y` + "\n"},
		{name: "command after colour", in: "\x1b[1m::error::y\n", want: "\x1b[1m" + `\x3a:error::y` + "\n", opts: Options{Colour: true}},
		{name: "colour not asked for", in: "\x1b[1m::error::y\n", want: `\x1b[1m::error::y` + "\n"},
		{name: "colons later", in: "a ::error::y\n", want: "a ::error::y\n"},
		{name: "file name with newline", in: "a\n::error title=X::y\n.yml:1:1: m [r]\n", want: "a\n" + `\x3a:error title=X::y` + "\n.yml:1:1: m [r]\n"},
		{name: "carriage return", in: "a\r::error::y\n", want: `a\x0d::error::y` + "\n"},
		{name: "legacy anywhere", in: "x ##[set-env name=A;]b\n", want: `x ##\x5bset-env name=A;]b` + "\n"},
		{name: "legacy many hashes", in: "###[x]\n", want: `###\x5bx]` + "\n"},
		{name: "escape", in: "\x1b]0;title\x07\n", want: `\x1b]0;title\x07` + "\n"},
		{name: "cursor not in a log", in: "\x1b[2A\x1b[K\n", want: `\x1b[2A\x1b[K` + "\n"},
		{name: "cursor on a terminal", in: "\x1b[2A\x1b[K\x1b[?25l\n", want: "\x1b[2A\x1b[K\x1b[?25l\n", opts: Options{Terminal: true}},
		{name: "osc on a terminal", in: "\x1b]52;c;aGk=\x07\n", want: `\x1b]52;c;aGk=\x07` + "\n", opts: Options{Terminal: true}},
		{name: "colour", in: "\x1b[31merror\x1b[0m\n", want: "\x1b[31merror\x1b[0m\n", opts: Options{Colour: true}},
		{name: "c1 and separators", in: "a\u0085b\u2028c\u2029d\u202ee\n", want: `a\u0085b\u2028c\u2029d\u202ee` + "\n"},
		{name: "invalid utf-8", in: "a\xffb\xc3\n", want: `a\xffb\xc3` + "\n"},
		{name: "del and nul", in: "a\x7fb\x00c\n", want: `a\x7fb\x00c` + "\n"},
		{name: "token", in: "runs-on: " + token + "\n", want: "runs-on: ghp_***\n"},
		{name: "percent-encoded newline stays text", in: "a%0A::error::x\n", want: "a%0A::error::x\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w := NewWriter(&out, tc.opts)
			if _, err := w.Write([]byte(tc.in)); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWriterPartialLines(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Options{})
	for _, p := range []string{" ", ":", ":err", "or::x\n#", "#", "[y\n", "tail"} {
		w.Write([]byte(p))
	}
	if got, want := out.String(), " "+`\x3a:error::x`+"\n"+`##\x5by`+"\n"; got != want {
		t.Errorf("before flush: got %q, want %q", got, want)
	}
	w.Flush()
	if got, want := out.String(), " "+`\x3a:error::x`+"\n"+`##\x5by`+"\ntail"; got != want {
		t.Errorf("after flush: got %q, want %q", got, want)
	}
}

func TestWriteCommand(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Options{})
	w.Write([]byte("partial"))
	if err := w.WriteCommand("::error file=a.yml,title=r::uses " + token + " \x1b[2J ##[x]\n"); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("::error::not meant\n"))
	want := "partial\n::error file=a.yml,title=r::uses ghp_*** " + `\x1b[2J ##\x5bx]` + "\n" + `\x3a:error::not meant` + "\n"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	out.Reset()
	w.WriteCommand("::add-mask::" + token + "\n")
	if got := out.String(); got != "::add-mask::"+token+"\n" {
		t.Errorf("add-mask must carry the secret to the runner, got %q", got)
	}
	for _, bad := range []string{"::a::b", "x::a::b\n", "::a::b\n::c::d\n", "::a::b\r\n"} {
		if err := w.WriteCommand(bad); err == nil {
			t.Errorf("WriteCommand(%q) accepted a value that is not one command line", bad)
		}
	}
}

func TestDiscard(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Options{})
	w.Write([]byte("kept\npending"))
	w.Discard()
	w.Write([]byte("after\n"))
	w.WriteCommand("::error::after\n")
	w.Flush()
	if got := out.String(); got != "kept\n" {
		t.Errorf("got %q, want only the line written before Discard", got)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	w := NewWriter(&failWriter{n: 1}, Options{})
	if _, err := w.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("two\n")); err == nil || err.Error() != "disk full" {
		t.Fatalf("got %v, want the underlying error", err)
	}
	if _, err := w.Write([]byte("three\n")); err == nil {
		t.Fatal("a failed writer accepted more")
	}
}

// TestLongLine writes lines far over MaxLine: the writer holds at most MaxLine bytes, a
// command prefix at the start of a long line and a legacy prefix across a chunk boundary are
// neutralised, and a token near a boundary is still redacted.
func TestLongLine(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Options{})
	long := "::error::" + strings.Repeat("a", MaxLine-10) + "##" + "[x] " + strings.Repeat("b ", MaxLine) + token + strings.Repeat(" c", 100) + "\n"
	for i := 0; i < len(long); i += 1000 {
		w.Write([]byte(long[i:min(len(long), i+1000)]))
		if cap(w.buf) > MaxLine {
			t.Fatalf("buffer grew to %d bytes", cap(w.buf))
		}
	}
	got := out.String()
	if !strings.HasPrefix(got, `\x3a:error::`) {
		t.Errorf("long line starts %q", got[:20])
	}
	if strings.Contains(got, "##[") || !strings.Contains(got, `##\x5bx]`) {
		t.Error("legacy prefix across a chunk boundary not neutralised")
	}
	if strings.Contains(got, token[4:]) || !strings.Contains(got, "ghp_***") {
		t.Error("token in a long line not redacted")
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("one input line became %d", strings.Count(got, "\n"))
	}
}

func TestLine(t *testing.T) {
	if got, want := Line("a\n::error::x\x1b"), `a\x0a::error::x\x1b`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := Line("::x"), `\x3a:x`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// checkSafe asserts what the package doc promises about out.
func checkSafe(t *testing.T, out string, opts Options) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		rest := strings.TrimLeftFunc(line, unicode.IsSpace)
		for strings.HasPrefix(rest, "\x1b[") {
			n := sequenceLen([]byte(rest), Options{Colour: true})
			if n == 0 {
				break
			}
			rest = strings.TrimLeftFunc(rest[n:], unicode.IsSpace)
		}
		if strings.HasPrefix(rest, "::") {
			t.Fatalf("line starts a workflow command: %q", line)
		}
		if strings.Contains(line, "##[") {
			t.Fatalf("line holds a legacy command: %q", line)
		}
		if !utf8.ValidString(line) {
			t.Fatalf("invalid UTF-8 written: %q", line)
		}
		for i, r := range line {
			if r == 0x1b {
				if sequenceLen([]byte(line[i:]), opts) == 0 {
					t.Fatalf("raw ESC written: %q", line)
				}
				continue
			}
			if r != '\t' && (r < 0x20 || r == 0x7f || escapedRune(r)) {
				t.Fatalf("control character %U written: %q", r, line)
			}
		}
		if hits := secrets.Find([]byte(line)); len(hits) > 0 {
			t.Fatalf("credential written: %q", line)
		}
	}
}

func FuzzWriter(f *testing.F) {
	f.Add("a\n::error::x\n", 3, uint8(0))
	f.Add(" \u00a0::warning::\r\n##[x]", 5, uint8(2))
	f.Add("\x1b[31m::e::\x1b]0;t\x07\x1b[2A", 1, uint8(1))
	f.Add("runs-on: "+token+"\n", 12, uint8(0))
	f.Add("#\n#[", 2, uint8(3))
	f.Fuzz(func(t *testing.T, s string, split int, mode uint8) {
		opts := Options{Colour: mode&1 != 0, Terminal: mode&2 != 0}
		var whole, parts bytes.Buffer
		w := NewWriter(&whole, opts)
		w.Write([]byte(s))
		w.Flush()
		checkSafe(t, whole.String(), opts)
		if split < 0 {
			split = -split
		}
		// A terminal gets partial lines at once; a PEM key spanning lines is only recognised when
		// its lines arrive together (masking more, never less).
		if len(s) > 0 && !opts.Terminal && !strings.Contains(s, "-----BEGIN ") {
			split %= len(s) + 1
			p := NewWriter(&parts, opts)
			p.Write([]byte(s[:split]))
			p.Write([]byte(s[split:]))
			p.Flush()
			if whole.String() != parts.String() {
				t.Fatalf("output depends on how the input was split:\nwhole %q\nparts %q", whole.String(), parts.String())
			}
		}
		var cmd bytes.Buffer
		c := NewWriter(&cmd, opts)
		if c.WriteCommand("::notice::"+strings.NewReplacer("\n", "%0A", "\r", "%0D").Replace(s)+"\n") == nil {
			if strings.Count(cmd.String(), "\n") != 1 || !strings.HasPrefix(cmd.String(), "::notice::") {
				t.Fatalf("command not one line: %q", cmd.String())
			}
		}
	})
}

func TestIssuedCommands(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Options{})
	Issue("::warning title=r::issued once\n")
	// Buffered by a command and written as text: let through once, then neutralised.
	w.Write([]byte("table\n::warning title=r::issued once\n::warning title=r::issued once\n"))
	// A prefix or an extension of an issued line is not it.
	Issue("::error::a")
	w.Write([]byte("::error::ab\n ::error::a\n"))
	want := "table\n::warning title=r::issued once\n" + `\x3a:warning title=r::issued once` + "\n" + `\x3a:error::ab` + "\n " + `\x3a:error::a` + "\n"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	consume("::error::a")
	// WriteCommand consumes the issued line, so it cannot be replayed as text afterwards.
	out.Reset()
	Issue("::notice title=r::x\n")
	w.WriteCommand("::notice title=r::x\n")
	w.Write([]byte("::notice title=r::x\n"))
	if got, want := out.String(), "::notice title=r::x\n"+`\x3a:notice title=r::x`+"\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// On a terminal, a partial line (a progress display redrawing in place) is written at once.
func TestTerminalPartialLines(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Options{Terminal: true})
	w.Write([]byte("\x1b[2A\x1b[K[+] Building 1.2s"))
	if got := out.String(); got != "\x1b[2A\x1b[K[+] Building 1.2s" {
		t.Errorf("got %q", got)
	}
	w.Write([]byte(" \x1b]0;x\x07\n"))
	if got := out.String(); got != "\x1b[2A\x1b[K[+] Building 1.2s "+`\x1b]0;x\x07`+"\n" {
		t.Errorf("got %q", got)
	}
	if w.Fd() != ^uintptr(0) {
		t.Error("a buffer has no file descriptor")
	}
	if NewWriter(os.Stderr, Options{}).Fd() != ^uintptr(0) {
		t.Error("outside Terminal mode the descriptor must be hidden, so no console display is drawn")
	}
	if NewWriter(os.Stderr, Options{Terminal: true}).Fd() != os.Stderr.Fd() {
		t.Error("Terminal mode hides the terminal")
	}
}

// BenchmarkWriter measures the encoder on the output it sees most: the JSON report of a large
// coverage run (tens of MB of short ASCII lines).
//
//	go test -run NONE -bench Writer -benchmem ./internal/logsafe/
func BenchmarkWriter(b *testing.B) {
	var src bytes.Buffer
	for i := 0; src.Len() < 8<<20; i++ {
		fmt.Fprintf(&src, "    {\"path\": \"internal/pkg%d/file_%d.go\", \"covered\": [[1, 20], [24, 31]], \"statements\": %d},\n", i%97, i, i%500)
	}
	b.SetBytes(int64(src.Len()))
	for b.Loop() {
		w := NewWriter(io.Discard, Options{})
		w.Write(src.Bytes())
		w.Flush()
	}
}
