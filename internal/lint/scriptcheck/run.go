package scriptcheck

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// request is one script to check with one tool.
type request struct {
	tool  *tool
	args  []string // tool arguments after the executable's own leading arguments
	shell string
	stdin string
	// parse turns the tool's output into diagnostics; its errors are final (already in
	// actionlint's wording).
	parse func(out []byte) ([]diagnostic, error)
	// runErr wraps an error from running the process, in actionlint's wording.
	runErr func(err error) error
}

// check returns the diagnostics for r from the memory cache, the disk cache or a tool run, in
// that order. Identical scripts checked concurrently (common across files: `npm ci`) share one
// run. Only successful runs are cached.
func (c *Checker) check(r request) ([]diagnostic, error) {
	key := cacheKey(r.tool, r.args, r.shell, r.stdin)
	if v, ok := c.mem.Load(key); ok {
		c.hits.Add(1)
		return v.([]diagnostic), nil
	}
	if d, ok := c.readCache(r.tool, key); ok {
		c.mem.Store(key, d)
		c.hits.Add(1)
		return d, nil
	}

	// The memory cache is filled inside the flight, so a caller that missed it just before the
	// flight ended finds the result on its second look instead of running the tool again.
	executed := false
	v, err, _ := c.group.Do(key, func() (any, error) {
		if d, ok := c.mem.Load(key); ok {
			return outcome{diags: d.([]diagnostic)}, nil
		}
		if err := c.sema.Acquire(context.Background(), 1); err != nil {
			return nil, err
		}
		executed = true
		c.runs.Add(1)
		out, err := execute(r.tool, r.args, r.stdin)
		c.sema.Release(1)
		if err != nil {
			return nil, err
		}
		d, err := r.parse(out)
		if err != nil {
			// Not cached; every caller re-parses to get the error for its own script position.
			return outcome{out: out, bad: true}, nil
		}
		if d == nil {
			d = []diagnostic{}
		}
		c.mem.Store(key, d)
		if err := c.writeCache(r.tool, key, d); err != nil {
			c.writeErrs.Add(1)
		}
		return outcome{diags: d}, nil
	})
	if err != nil {
		return nil, r.runErr(err)
	}
	o := v.(outcome)
	if o.bad {
		_, err := r.parse(o.out)
		return nil, err
	}
	if !executed {
		c.hits.Add(1)
	}
	return o.diags, nil
}

// outcome is what one flight of a tool run hands to every caller waiting on the same key.
type outcome struct {
	diags []diagnostic
	out   []byte // the raw output when it could not be parsed (bad)
	bad   bool
}

// execute runs the tool with the script on stdin. A non-zero exit with output is success (the
// tools exit 1 when they find problems); the error messages are actionlint's.
func execute(t *tool, args []string, stdin string) ([]byte, error) {
	all := append(append([]string{}, t.args...), args...)
	cmd := exec.Command(t.exe, all...)
	cmd.Stdin = strings.NewReader(stdin)
	var out []byte
	var err error
	if t.combine {
		out, err = cmd.CombinedOutput()
	} else {
		out, err = cmd.Output()
	}
	if err == nil {
		return out, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return nil, err
	}
	stderr := exitErr.Stderr
	if t.combine {
		stderr = out
	}
	code := exitErr.ExitCode()
	if code < 0 {
		return nil, fmt.Errorf("%s was terminated. stderr: %q", t.exe, stderr)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s exited with status %d but stdout was empty. stderr: %q", t.exe, code, stderr)
	}
	return out, nil
}
