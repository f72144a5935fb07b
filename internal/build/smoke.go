package build

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// importTimeout bounds one module's import (and the requires-import probe): importing runs the
// module's top-level code, which may wait forever on the network.
const importTimeout = 5 * time.Minute

// maxImportModules bounds the import check: a directory with more modules than this is not an
// application directory, and one exec per module would take the build hostage.
const maxImportModules = 500

// identRE is a module name Python can import by name; anything else in the directory (a file
// named "x;y.py") is refused rather than spliced into `python3 -c "import ..."`.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// timeoutExitCodes are the exit codes of `timeout` when it had to stop the command: coreutils
// exits 124, busybox 128+SIGTERM (143), and both 128+SIGKILL (137) after -k.
var timeoutExitCodes = []uint32{124, 137, 143}

// smoke runs the image's smoke checks inside the built image (an exec on top of its filesystem,
// with its ENV, WORKDIR and USER), by BuildKit, before anything is exported: the shell commands,
// then the import check, then the boot check, for each platform built.
func smoke(ctx context.Context, gw gateway.Client, res *gateway.Result, im *Image) (notes []string, _ *smokeFailure) {
	refs := map[string]gateway.Reference{}
	if res.Ref != nil {
		refs[""] = res.Ref
	}
	maps.Copy(refs, res.Refs)
	for _, p := range slices.Sorted(maps.Keys(refs)) {
		ref := refs[p]
		st, err := ref.ToState()
		if err != nil {
			return notes, &smokeFailure{cmd: "smoke", err: err}
		}
		cfgKey := exptypes.ExporterImageConfigKey
		if p != "" {
			cfgKey += "/" + p
		}
		imgCfg := res.Metadata[cfgKey]
		if imgCfg != nil {
			if st, err = st.WithImageConfig(imgCfg); err != nil {
				return notes, &smokeFailure{cmd: "smoke", err: err}
			}
		}
		if _, ok, _ := st.GetEnv(ctx, "PATH"); !ok {
			st = st.AddEnv("PATH", defaultPath)
		}
		label := func(s string) string {
			if p != "" {
				return "[smoke] (" + p + ") " + s
			}
			return "[smoke] " + s
		}
		exec := func(ctx context.Context, cmd, step string, run llb.ExecState) *smokeFailure {
			def, err := run.Root().Marshal(ctx)
			if err != nil {
				return &smokeFailure{cmd: cmd, err: err}
			}
			if _, err := gw.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true}); err != nil {
				return &smokeFailure{cmd: cmd, step: step, err: err}
			}
			return nil
		}
		for _, cmd := range im.Smoke {
			if f := exec(ctx, cmd, label(cmd), st.Run(llb.Args([]string{"/bin/sh", "-c", cmd}), llb.WithCustomName(label(cmd)))); f != nil {
				return notes, f
			}
		}
		if c := im.SmokeImports; c != nil {
			mods, f := importModules(ctx, ref, c.Dir, c.Exclude)
			if f != nil {
				return notes, f
			}
			py := cmp.Or(c.Python, DefaultPython)
			dir := cmp.Or(c.Dir, DefaultImportDir)
			for _, m := range mods {
				cmd := "import " + m
				step := label(cmd + " (in " + dir + ")")
				run := st.Dir(dir).Run(llb.Args([]string{py, "-c", cmd}), llb.WithCustomName(step))
				ictx, cancel := context.WithTimeout(ctx, importTimeout)
				f := exec(ictx, cmd, step, run)
				if f != nil && ctx.Err() == nil && ictx.Err() != nil {
					f.err = fmt.Errorf("did not finish within %s (an import that hangs): %w", importTimeout, f.err)
				}
				cancel()
				if f != nil {
					return notes, f
				}
			}
		}
		if b := im.SmokeBoot; b != nil {
			if b.RequiresImport != "" {
				py := DefaultPython
				if im.SmokeImports != nil {
					py = cmp.Or(im.SmokeImports.Python, py)
				}
				ok, f := probeImport(ctx, gw, st, py, b.RequiresImport, label)
				if f != nil {
					return notes, f
				}
				if !ok {
					notes = append(notes, fmt.Sprintf("boot check skipped: %s does not import in the image (a runtime that predates smoke mode would serve forever)", b.RequiresImport))
					continue
				}
			}
			if f := boot(ctx, gw, st, imgCfg, b, im, label, exec); f != nil {
				return notes, f
			}
		}
	}
	return notes, nil
}

// moduleRE is a dotted Python module name.
var moduleRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// probeImport reports whether module imports in the image. The answer is written to a scratch
// mount and read back, so a module that does not import is an answer, not a failed step.
func probeImport(ctx context.Context, gw gateway.Client, st llb.State, py, module string, label func(string) string) (bool, *smokeFailure) {
	cmd := "probe import " + module
	if !moduleRE.MatchString(module) {
		return false, &smokeFailure{cmd: cmd, err: fmt.Errorf("smoke-boot.requires-import %q is not a Python module name", safeName(module))}
	}
	const dir = "/.molecule-ci-probe"
	script := `if "$0" -c "import $1" >/dev/null 2>&1; then echo yes; else echo no; fi > ` + dir + `/answer`
	run := st.Run(llb.Args([]string{"/bin/sh", "-c", script, py, module}), llb.User("0:0"), llb.WithCustomName(label(cmd)))
	out := run.AddMount(dir, llb.Scratch())
	def, err := out.Marshal(ctx)
	if err != nil {
		return false, &smokeFailure{cmd: cmd, err: err}
	}
	pctx, cancel := context.WithTimeout(ctx, importTimeout)
	defer cancel()
	res, err := gw.Solve(pctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return false, &smokeFailure{cmd: cmd, step: label(cmd), err: err}
	}
	ref, err := res.SingleRef()
	if err != nil {
		return false, &smokeFailure{cmd: cmd, err: err}
	}
	dt, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: "answer"})
	if err != nil {
		return false, &smokeFailure{cmd: cmd, err: fmt.Errorf("read the probe's answer: %w", err)}
	}
	return strings.TrimSpace(string(dt)) == "yes", nil
}

// importModules lists the modules the import check imports: the *.py files of dir, sorted,
// without the excluded names. None is a failure: a check that imports nothing proves nothing.
func importModules(ctx context.Context, ref gateway.Reference, dir string, exclude []string) ([]string, *smokeFailure) {
	dir = cmp.Or(dir, DefaultImportDir)
	if exclude == nil {
		exclude = []string{"__init__"}
	}
	cmd := "import check of " + dir
	entries, err := ref.ReadDir(ctx, gateway.ReadDirRequest{Path: dir, IncludePattern: "*.py"})
	if err != nil {
		return nil, &smokeFailure{cmd: cmd, err: fmt.Errorf("list %s/*.py in the image: %w", dir, err)}
	}
	var mods []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := strings.TrimSuffix(path.Base(e.GetPath()), ".py")
		if slices.Contains(exclude, m) {
			continue
		}
		if !identRE.MatchString(m) {
			return nil, &smokeFailure{cmd: cmd, err: fmt.Errorf("%s/%s.py: %q is not an importable module name", dir, safeName(m), safeName(m))}
		}
		mods = append(mods, m)
	}
	if len(mods) == 0 {
		return nil, &smokeFailure{cmd: cmd, err: fmt.Errorf("no Python modules (*.py) in %s to import", dir)}
	}
	if len(mods) > maxImportModules {
		return nil, &smokeFailure{cmd: cmd, err: fmt.Errorf("%d modules in %s: more than %d is not an application directory", len(mods), dir, maxImportModules)}
	}
	slices.Sort(mods)
	return mods, nil
}

// safeName keeps a hostile file name printable in a message.
func safeName(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// boot runs the image's own ENTRYPOINT and CMD with the check's env, under `timeout`, with the
// check's files from the build context mounted.
func boot(ctx context.Context, gw gateway.Client, st llb.State, imgCfg []byte, b *config.BootCheck, im *Image, label func(string) string, exec func(context.Context, string, string, llb.ExecState) *smokeFailure) *smokeFailure {
	argv, err := bootArgs(imgCfg)
	if err != nil {
		return &smokeFailure{cmd: "boot", err: err}
	}
	limit := cmp.Or(b.Timeout, DefaultBootTimeout)
	secs := int(math.Ceil(limit.Seconds()))
	envNames := slices.Sorted(maps.Keys(b.Env))
	for _, k := range envNames {
		st = st.AddEnv(k, b.Env[k])
	}
	desc := strings.Join(argv, " ")
	if len(envNames) > 0 {
		desc += " with " + strings.Join(envNames, ", ")
	}
	cmd := fmt.Sprintf("boot %s (timeout %s)", desc, limit)
	// sh stays PID 1 and runs `timeout` as its child: busybox's timeout execs the command in its
	// own process, and as PID 1 of the container that process would ignore the signal.
	// "; exit" keeps sh from exec'ing timeout in its place.
	script := "timeout -k 10 " + strconv.Itoa(secs) + ` "$@"; exit $?`
	opts := []llb.RunOption{
		llb.Args(append([]string{"/bin/sh", "-c", script, "boot"}, argv...)),
		llb.WithCustomName(label(cmd)),
	}
	if len(b.Files) > 0 {
		local := llb.Local("context",
			llb.SessionID(gw.BuildOpts().SessionID),
			llb.IncludePatterns(b.Files),
			llb.SharedKeyHint(im.Context),
			llb.WithCustomName("[smoke] boot files "+strings.Join(b.Files, ", ")),
		)
		opts = append(opts, llb.AddMount(cmp.Or(b.Mount, DefaultBootMount), local))
	}
	// A backstop in case the image's timeout does not stop the process: cancelling the solve
	// makes BuildKit kill the container.
	bctx, cancel := context.WithTimeout(ctx, limit+bootGrace)
	defer cancel()
	f := exec(bctx, cmd, label(cmd), st.Run(opts...))
	if f == nil {
		return nil
	}
	var ee *gwpb.ExitError
	switch {
	case errors.As(f.err, &ee) && slices.Contains(timeoutExitCodes, ee.ExitCode):
		f.err = &BootTimeoutError{Limit: limit, ExitCode: int(ee.ExitCode), Err: f.err}
	case ctx.Err() == nil && bctx.Err() != nil:
		f.err = &BootTimeoutError{Limit: limit, ExitCode: -1, Err: fmt.Errorf("the image's timeout did not stop it; BuildKit stopped it after %s more: %w", bootGrace, f.err)}
	}
	return f
}

// bootGrace is how long past its limit a boot may run before the solve is cancelled.
const bootGrace = 30 * time.Second

// BootTimeoutError is a boot check stopped by its time limit.
type BootTimeoutError struct {
	Limit    time.Duration
	ExitCode int
	Err      error
}

func (e *BootTimeoutError) Error() string {
	if e.ExitCode < 0 {
		return fmt.Sprintf("did not finish within %s: %v", e.Limit, e.Err)
	}
	return fmt.Sprintf("did not finish within %s (timeout exited %d): %v", e.Limit, e.ExitCode, e.Err)
}

func (e *BootTimeoutError) Unwrap() error { return e.Err }

// bootArgs is the image's ENTRYPOINT followed by its CMD, from its config.
func bootArgs(imgCfg []byte) ([]string, error) {
	if imgCfg == nil {
		return nil, errors.New("the built image has no config to read its ENTRYPOINT/CMD from")
	}
	var img ocispecs.Image
	if err := json.Unmarshal(imgCfg, &img); err != nil {
		return nil, fmt.Errorf("read the image config: %w", err)
	}
	argv := append(slices.Clone(img.Config.Entrypoint), img.Config.Cmd...)
	if len(argv) == 0 {
		return nil, errors.New("the image has no ENTRYPOINT or CMD to boot")
	}
	return argv, nil
}
