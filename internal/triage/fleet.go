package triage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// FleetError is a fleet report that cannot be read, at a 1-based line and column when known.
type FleetError struct {
	Line, Col int
	Msg       string
}

func (e *FleetError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return e.Msg
}

// fleetReport is the part of `molecule-ci fleet --format json` that triage reads: each
// repository's calls into reusable workflows, `workflow` being the `uses:` value before "@"
// (OWNER/REPO/.github/workflows/FILE).
type fleetReport struct {
	Repos *[]struct {
		Name  string `json:"name"`
		Calls []struct {
			Workflow string `json:"workflow"`
		} `json:"calls"`
	} `json:"repos"`
}

// ParseFleet reads a fleet report and counts, for each repository of org, how many other
// repositories call a workflow of it: the ones whose breakage reaches furthest. Keys are
// repository names in lower case. Local calls (./.github/workflows/...) and calls into other
// owners' repositories do not count.
func ParseFleet(data []byte, org string) (map[string]int, error) {
	var doc fleetReport
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, jsonError(data, err)
	}
	if dec.More() {
		return nil, &FleetError{Msg: "more than one JSON document; want the one `molecule-ci fleet --format json` writes"}
	}
	if doc.Repos == nil {
		return nil, &FleetError{Line: 1, Col: 1, Msg: `no "repos" list: want the JSON document of molecule-ci fleet --format json`}
	}
	callers := map[string]map[string]bool{}
	for i, r := range *doc.Repos {
		if r.Name == "" {
			return nil, &FleetError{Msg: fmt.Sprintf("repos[%d]: no name", i)}
		}
		caller := strings.ToLower(r.Name)
		for _, c := range r.Calls {
			owner, rest, ok := strings.Cut(c.Workflow, "/")
			if !ok || !strings.EqualFold(owner, org) {
				continue
			}
			callee, _, ok := strings.Cut(rest, "/")
			callee = strings.ToLower(callee)
			if !ok || callee == "" || callee == caller {
				continue
			}
			if callers[callee] == nil {
				callers[callee] = map[string]bool{}
			}
			callers[callee][caller] = true
		}
	}
	out := make(map[string]int, len(callers))
	for callee, set := range callers {
		out[callee] = len(set)
	}
	return out, nil
}

// jsonError places a decoding error at its line and column.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		msg = fmt.Sprintf("%s: want %s, got JSON %s", te.Field, jsonKind(te.Type), te.Value)
	}
	if off < 0 {
		return &FleetError{Msg: msg}
	}
	// The offset is just past the offending byte (a syntax error) or value (a type error):
	// point at that byte, the value's last.
	off = min(max(off-1, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return &FleetError{Line: line, Col: col, Msg: msg}
}

// jsonKind names a Go type as the JSON it reads.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a number"
}
