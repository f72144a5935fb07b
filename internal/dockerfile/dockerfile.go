// Package dockerfile owns the one model of a Dockerfile that lint, the repository contracts and
// the build share. It is built on BuildKit's own readers — frontend/dockerfile/parser for the
// syntax, frontend/dockerfile/instructions for each instruction (RUN --mount read by BuildKit's
// CSV mount parser), shell.Lex for variables — and adds what BuildKit's conversion works out
// before it builds anything: each stage's base after the global ARGs, the earlier stage it builds
// on and so the chain to the final image, the ARG and ENV values in scope at each instruction
// (build args replacing defaults, stages inheriting what their parent stage set), and the
// context paths the file reads.
//
// The model is tolerant where BuildKit is strict: an instruction BuildKit refuses is kept as
// written (File.Err says which, at its line) and the rest is modelled, so a caller that needs the
// outline of a broken file (the build's FROM edges, a contract) still has it; a linter reports
// File.Err and stops. Reading is bounded: heredoc bodies over MaxHeredocLines or MaxHeredocBytes
// are refused before BuildKit's parser sees them (it joins a body line by line, which is
// quadratic), and a cancelled context stops the walk.
package dockerfile

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Heredoc bodies over these limits are not handed to BuildKit's parser, which joins a body line
// by line (quadratic: a 64k-line body takes seconds, 16 MB does not finish).
const (
	MaxHeredocLines = 4000
	MaxHeredocBytes = 256 << 10
)

// HeredocLimitError is a Dockerfile with a heredoc body over the limits, at the line of its
// instruction, with what was read before stopping.
type HeredocLimitError struct {
	Line         int
	Lines, Bytes int
}

func (e *HeredocLimitError) Error() string {
	return fmt.Sprintf("line %d: a heredoc body is over %d lines or %d bytes (%d lines, %d bytes read before stopping)",
		e.Line, MaxHeredocLines, MaxHeredocBytes, e.Lines, e.Bytes)
}

// InstructionError is the first instruction BuildKit's instruction parser refuses (an unknown
// instruction, a bad flag, an instruction before the first FROM), at its line. Its text is the
// one instructions.Parse gives.
type InstructionError struct {
	Line int
	Err  error
}

func (e *InstructionError) Error() string {
	return fmt.Sprintf("dockerfile parse error on line %d: %v", e.Line, e.Err)
}

func (e *InstructionError) Unwrap() error { return e.Err }

// Options say what the caller knows beyond the file.
type Options struct {
	// BuildArgs are --build-arg values: they replace the defaults of the ARGs they name, global
	// or in a stage, as BuildKit does.
	BuildArgs map[string]string
}

// File is one Dockerfile, modelled.
type File struct {
	// AST is BuildKit's parse: the escape token, every instruction as written (flags, heredocs,
	// line ranges) and the parser's warnings.
	AST *parser.Result
	// Lines is the number of lines in the file (a final newline does not start one).
	Lines int
	// MetaArgs are the ARG instructions before the first FROM, as BuildKit parsed them.
	MetaArgs []instructions.ArgCommand
	// Global are the instructions before the first FROM (the ARGs, and anything BuildKit refuses
	// there).
	Global []Instruction
	// Meta are the global ARGs that have a value: their defaults, each expanded with the ARGs
	// before it, or the build arg that replaces it (BuildKit's buildMetaArgs).
	Meta map[string]string
	// Declared holds every name an ARG or ENV of the file declares, global or in any stage.
	Declared map[string]bool
	// Stages are the stages in file order.
	Stages []*Stage
	// Err is the first instruction BuildKit refuses; nil when every one parses.
	Err *InstructionError
}

// Stage is one FROM and the instructions up to the next.
type Stage struct {
	// Stage is BuildKit's: Name (lower-cased), BaseName as written, Platform, Location and the
	// parsed Commands.
	instructions.Stage
	Index int
	// Base is BaseName with the global ARGs expanded as a build given no build args expands it
	// (a variable without a value expands to nothing; BaseName as written when BuildKit cannot
	// expand it). BaseKnown is false when a variable in it has no value or it expands to
	// nothing: only a --build-arg can say what the base is.
	Base      string
	BaseKnown bool
	// BaseArg names the global ARG the base came from ("" when none), for messages.
	BaseArg string
	// Parent is the index of the earlier stage this one builds on, or -1.
	Parent int
	// External is true when the chain of stages ends at an image other than scratch, whose
	// config (ENV, USER, ENTRYPOINT) this model cannot see.
	External bool
	// FirstLine and LastLine bound the stage in the file, comments up to the next FROM included.
	FirstLine, LastLine int
	// Instructions are the stage's instructions after FROM, as written and as parsed.
	Instructions []Instruction
	// env is the scope at the end of the stage, which a stage built on this one starts from.
	env scope
}

// Instruction is one instruction as written and as BuildKit parsed it.
type Instruction struct {
	Node *parser.Node
	// Command is nil when BuildKit refuses the instruction (see File.Err).
	Command instructions.Command
	// Mounts are a RUN's --mount options as BuildKit reads them (instructions.GetMounts), their
	// values expanded with the ARG and ENV values in scope; a value with a variable that has no
	// value is kept as written. MountsErr is BuildKit's error for a --mount it refuses, when
	// Mounts is then unknown.
	Mounts    []*instructions.Mount
	MountsErr error
	// Sources are a COPY's or ADD's source paths, expanded like Mounts; URLs and git sources
	// are left out, and a COPY --from reads no context path.
	Sources []string
	// Unexpanded is true when a value of Mounts or Sources kept a variable that has no value
	// here (only a --build-arg or the base image's ENV could say what it reads).
	Unexpanded bool
}

// Line is the first line of the instruction.
func (in Instruction) Line() int { return in.Node.StartLine }

// Keyword is the instruction's keyword in lower case: from, run, copy...
func (in Instruction) Keyword() string { return strings.ToLower(in.Node.Value) }

// Parse models src. The error is ctx's, a *HeredocLimitError, or BuildKit's parser error (a
// parser.LocationError names its line) for a file that is not a Dockerfile at all; an instruction
// BuildKit refuses is File.Err instead.
func Parse(ctx context.Context, src []byte, opts Options) (*File, error) {
	lines := splitLines(src)
	if line, n, size := oversizedHeredoc(lines); line > 0 {
		return nil, &HeredocLimitError{Line: line, Lines: n, Bytes: size}
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	f := &File{AST: res, Lines: len(lines), Meta: map[string]string{}, Declared: map[string]bool{}}
	m := newModeller(f, opts)
	for i, n := range res.AST.Children {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		m.add(n)
	}
	for i, s := range f.Stages {
		if i+1 < len(f.Stages) {
			s.LastLine = f.Stages[i+1].FirstLine - 1
		} else {
			s.LastLine = f.Lines
		}
	}
	return f, nil
}

// Final is the last stage, the one built when no target is named; nil when there is none.
func (f *File) Final() *Stage {
	if len(f.Stages) == 0 {
		return nil
	}
	return f.Stages[len(f.Stages)-1]
}

// StageAt returns the stage that contains line, or nil for lines before the first FROM. Stages
// are in file order, so this is a binary search.
func (f *File) StageAt(line int) *Stage {
	i := sort.Search(len(f.Stages), func(i int) bool { return f.Stages[i].LastLine >= line })
	if i < len(f.Stages) && line >= f.Stages[i].FirstLine {
		return f.Stages[i]
	}
	return nil
}

// Chain returns s and the earlier stages it builds on, oldest first: their filesystem, users and
// ENTRYPOINT are what s has.
func (f *File) Chain(s *Stage) []*Stage {
	var out []*Stage
	seen := map[int]bool{}
	for st := s; st != nil && !seen[st.Index]; {
		seen[st.Index] = true
		out = append(out, st)
		if st.Parent < 0 {
			break
		}
		st = f.Stages[st.Parent]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// StageNames are the names of the stages that have one, in file order.
func (f *File) StageNames() []string {
	var out []string
	for _, s := range f.Stages {
		if s.Name != "" {
			out = append(out, s.Name)
		}
	}
	return out
}

// heredocMarker finds the heredoc openers of a line: <<EOF, <<-EOF, <<"EOF", <<'EOF'.
var heredocMarker = regexp.MustCompile(`<<(-?)\s*(?:"([^"\s]+)"|'([^'\s]+)'|([A-Za-z_][A-Za-z0-9_]*))`)

// oversizedHeredoc scans the file as BuildKit will, without joining anything: it returns the
// line of the first instruction whose heredoc body is over the limits, with the body's size.
func oversizedHeredoc(lines []string) (line, n, size int) {
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t == "" || t[0] == '#' || !strings.Contains(t, "<<") {
			continue
		}
		start := i
		for _, m := range heredocMarker.FindAllStringSubmatch(t, -1) {
			name := m[2] + m[3] + m[4]
			n, size = 0, 0
			for i++; i < len(lines); i++ {
				body := lines[i]
				if m[1] == "-" {
					body = strings.TrimLeft(body, "\t")
				}
				if body == name {
					break
				}
				n++
				size += len(lines[i]) + 1
				if n > MaxHeredocLines || size > MaxHeredocBytes {
					return start + 1, n, size
				}
			}
		}
	}
	return 0, 0, 0
}

// splitLines splits a Dockerfile into lines as BuildKit counts them: CRLF is one break, a BOM is
// not text, and a final newline does not start a line.
func splitLines(src []byte) []string {
	s := strings.TrimPrefix(strings.ReplaceAll(string(src), "\r\n", "\n"), "\ufeff")
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// SplitLines is how the model counts lines, for callers that show them.
func SplitLines(src []byte) []string { return splitLines(src) }
