package config

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Reading the file into yaml.Node trees, and the errors of doing so. libyaml's messages come
// without a column, with a line off by one for its parser's problems and none at all on the
// first line, for bad characters and for unknown anchors; syntaxError finds the position they
// lack, so a YAML mistake is reported like any other config error, at file:line:col.

// yamlMessage strips the "yaml: " prefix yaml.v3 puts on its errors, and the line when it is
// the node's own, which the position already says.
func yamlMessage(err error, n *yaml.Node) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n  ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", n.Line))
	return strings.ReplaceAll(msg, "\n  ", "; ")
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseYAML reads the single document in data. It returns nil for an empty document (only
// comments or whitespace), which means "all defaults".
func parseYAML(path string, data []byte) (root *yaml.Node, err error) {
	// yaml.v3 reports panics from its own code as errors, but not every input has been fuzzed;
	// a config file must not crash the binary.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{Path: path, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(path, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(path, data, err)
	default:
		return nil, &Error{Path: path, Line: next.Line, Col: next.Column,
			Msg: "a second YAML document; the config file must hold exactly one"}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil
	}
	return &doc, nil
}

// parserProblems are the messages of libyaml's parser (as opposed to its scanner). yaml.v3 prints
// the parser's 0-based line for them but the scanner's 1-based line for the others.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// syntaxError turns a yaml.v3 parse error into an *Error. yaml.v3 gives no column, a line that is
// off by one for parser errors and none at all on the first line or for bad characters and
// unknown anchors, so the line is corrected and the others are found here.
func syntaxError(path string, data []byte, err error) *Error {
	e := &Error{Path: path, Err: err}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = err.Error()[len(m[0]):]
	}
	switch {
	case line > 0:
		e.Line = line
		if parserProblems[msg] {
			e.Line++
		}
	case unknownAnchor.MatchString(msg):
		name := unknownAnchor.FindStringSubmatch(msg)[1]
		if i := strings.Index(string(data), "*"+name); i >= 0 {
			e.Line, e.Col = lineCol(data, i)
		}
	default:
		if l, c, what, ok := badChar(data); ok {
			e.Line, e.Col, msg = l, c, what
		} else if !strings.Contains(msg, "end of stream") {
			// No line means both of libyaml's marks were on the first line.
			e.Line = 1
		}
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// lineCol converts a byte offset to a 1-based line and a column counted in characters, as
// yaml.Node positions are.
func lineCol(data []byte, off int) (line, col int) {
	before := data[:off]
	line = 1 + strings.Count(string(before), "\n")
	if i := strings.LastIndexByte(string(before), '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, 1 + utf8.RuneCount(before)
}

// badChar finds the first byte sequence YAML does not allow: invalid UTF-8 or a character outside
// the printable set of YAML 1.2 section 5.1 (the same check yaml.v3's reader makes).
func badChar(data []byte) (line, col int, what string, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		r, w := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && w <= 1:
			return line, col, "invalid UTF-8", true
		case r == '\n':
			line, col = line+1, 0
		case r == '\t', r == '\r', r >= 0x20 && r <= 0x7E, r == 0x85,
			r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000:
		default:
			return line, col, fmt.Sprintf("control character %U is not allowed", r), true
		}
		i += w
		col++
	}
	return 0, 0, "", false
}
