package coverage

import (
	"fmt"
	"strconv"
)

// ParseError is a report (or baseline) that cannot be read as coverage data: truncated,
// malformed, contradictory or implausible. Line is 1-based, 0 when the format has no useful line
// (e.g. a semantic problem deep inside a single-line JSON document is reported at the line where
// the offending file's entry starts).
type ParseError struct {
	Path string
	Line int
	Msg  string
	// Err is the underlying cause when there is one (an XML or JSON syntax error, an I/O error).
	Err error
}

func (e *ParseError) Error() string {
	s := e.Path
	if s == "" {
		s = "<input>"
	}
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	return s + ": " + e.Msg
}

func (e *ParseError) Unwrap() error { return e.Err }

func parseErrorf(path string, line int, format string, args ...any) *ParseError {
	return &ParseError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
}
