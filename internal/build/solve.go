package build

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/solver/pb"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
)

type gatewayResult = gateway.Result

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// solve builds one image in its own BuildKit session. Inside the build function it runs the
// Dockerfile frontend as soon as its bases' LLB is known, with that LLB as named-context inputs
// (BuildKit builds the steps the images share once), publishes its own LLB for its dependants,
// builds and smoke-checks the result, waits for its bases to have passed theirs, and keeps the
// session open until the images built on this one have built; BuildKit exports (pushes) the
// result when the function returns.
func (r *runner) solve(ctx context.Context, n *node, deps []*node) error {
	im := n.im
	attrs, err := r.frontendAttrs(im)
	if err != nil {
		return &ImageError{Image: im.Name, Dockerfile: im.Dockerfile, Err: err}
	}

	// The resolved paths discover confined to the repository: what was checked is what is sent.
	ctxDir, dfDir := im.ctxPath, filepath.Dir(im.dfPath)
	ctxFS, err := fsutil.NewFS(ctxDir)
	if err != nil {
		return &ImageError{Image: im.Name, Dockerfile: im.Dockerfile, Err: fmt.Errorf("context %s: %w", im.Context, err)}
	}
	dfFS, err := fsutil.NewFS(dfDir)
	if err != nil {
		return &ImageError{Image: im.Name, Dockerfile: im.Dockerfile, Err: err}
	}
	attachables, err := r.sessionAttachables()
	if err != nil {
		return &ImageError{Image: im.Name, Dockerfile: im.Dockerfile, Err: err}
	}
	so := client.SolveOpt{
		LocalMounts: map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Session:     attachables,
		SharedKey:   ctxDir,
	}
	if n.export {
		so.Exports, err = r.exports(n)
		if err != nil {
			return &ImageError{Image: im.Name, Dockerfile: im.Dockerfile, Err: err}
		}
		so.CacheImports, so.CacheExports, _ = r.cacheFor(im)
	} else {
		so.CacheImports, _, _ = r.cacheFor(im)
	}

	var (
		mu       sync.Mutex
		solveErr error // the error as the gateway returned it, with its Dockerfile source
		smokeErr *smokeFailure
		depErr   *depFailedError
		inputErr error
	)
	record := func(p *error, err error) error {
		mu.Lock()
		*p = err
		mu.Unlock()
		return err
	}
	// depFailed is a failure caused by a base that did not build or pass its smoke checks: the
	// image is skipped, not failed.
	depFailed := func(ctx context.Context) error {
		if d := failedDep(ctx, deps); d != nil {
			mu.Lock()
			depErr = &depFailedError{dep: d}
			mu.Unlock()
			return depErr
		}
		return nil
	}
	// The session and the gateway are set up at once; the frontend starts as soon as the bases'
	// LLB is known (not built), so a dependant's Dockerfile, context and conversion overlap its
	// base's build, and BuildKit builds the steps they share once.
	buildFunc := func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
		defer n.markDefined()
		inputs := map[string]*pb.Definition{}
		for _, d := range deps {
			select {
			case <-d.defined:
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
			if d.res == nil {
				if err := depFailed(ctx); err != nil {
					return nil, err
				}
				return nil, context.Cause(ctx)
			}
			if err := addInput(ctx, attrs, inputs, im.depRefs[d.im.Name], d.im.Name, d.res); err != nil {
				return nil, record(&inputErr, fmt.Errorf("hand over base %s: %w", d.im.Name, err))
			}
		}
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		held := true
		release := func() {
			if held {
				<-r.sem
				held = false
			}
		}
		defer release()
		res, err := gw.Solve(ctx, gateway.SolveRequest{
			Frontend:       "dockerfile.v0",
			FrontendOpt:    attrs,
			FrontendInputs: inputs,
		})
		if err == nil {
			n.res = res
			n.markDefined()
			err = evaluate(ctx, res)
		}
		// Built (or not): this image needs its bases' sessions no more.
		n.releaseDeps()
		if err != nil {
			if err := depFailed(ctx); err != nil {
				return nil, err
			}
			return nil, record(&solveErr, err)
		}
		if n.export && (len(im.Smoke) > 0 || im.SmokeImports != nil || im.SmokeBoot != nil) {
			notes, err := smoke(ctx, gw, res, im)
			n.result.Notes = notes
			if err != nil {
				mu.Lock()
				smokeErr = err
				mu.Unlock()
				return nil, err
			}
		}
		release()
		// Exported only on bases that passed all the way, smoke checks included.
		if err := depFailed(ctx); err != nil {
			return nil, err
		}
		n.markReady(true)
		n.users.Wait()
		return res, nil
	}

	statusCh := make(chan *client.SolveStatus)
	fwd := make(chan struct{})
	go func() {
		defer close(fwd)
		n.tracker.forward(statusCh, r.disp.ch)
	}()
	resp, err := r.c.Build(ctx, so, "molecule-ci", buildFunc, statusCh)
	<-fwd
	if err == nil {
		if n.export {
			n.result.Digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
			n.result.Pushed = r.opts.Push
		}
		return nil
	}
	if isUnavailable(err) && ctx.Err() == nil {
		return &DaemonUnreachableError{Addr: cmp.Or(r.opts.Addr, DefaultAddr), Err: err, InActions: r.opts.InActions}
	}
	mu.Lock()
	defer mu.Unlock()
	if depErr != nil {
		return depErr
	}
	if inputErr != nil {
		return &ImageError{Image: im.Name, Dockerfile: im.Dockerfile, Err: inputErr}
	}
	_, out := n.tracker.failedOutput()
	if smokeErr != nil {
		if o, ok := n.tracker.outputOf(smokeErr.step); ok && smokeErr.step != "" {
			out = o
		}
		return &SmokeError{Image: im.Name, Command: smokeErr.cmd, Output: r.redact(out), Err: nonEmpty(smokeErr.err)}
	}
	out = r.redact(out)
	if solveErr != nil {
		err = solveErr
	}
	return &ImageError{Image: im.Name, Dockerfile: im.Dockerfile, Line: sourceLine(err), Output: out, Err: nonEmpty(err)}
}

// redact masks the values of the run's build secrets and registry credentials in a step's
// output: a RUN that mounts a secret can print it, and the output is quoted in errors, the
// annotations and the job summary. (Credential-shaped strings are masked again at the output
// boundary; these values need not look like credentials.)
func (r *runner) redact(s string) string {
	for _, v := range r.secretValues {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// evaluate builds every platform's result of a frontend solve.
func evaluate(ctx context.Context, res *gateway.Result) error {
	g, ctx := errgroup.WithContext(ctx)
	_ = res.EachRef(func(ref gateway.Reference) error {
		if ref != nil {
			g.Go(func() error { return ref.Evaluate(ctx) })
		}
		return nil
	})
	return g.Wait()
}

// failedDep waits until each base is built and checked and returns the first that did not pass,
// or nil (also when ctx ends first: the caller reports the cancellation).
func failedDep(ctx context.Context, deps []*node) *node {
	for _, d := range deps {
		select {
		case <-d.ready:
		case <-ctx.Done():
			return nil
		}
		if !d.ok {
			return d
		}
	}
	return nil
}

// nonEmpty keeps an error that says nothing from reaching the user as "".
func nonEmpty(err error) error {
	if err != nil && strings.TrimSpace(err.Error()) == "" {
		return fmt.Errorf("BuildKit returned an error with no message (%T)", err)
	}
	return err
}

// frontendAttrs are the dockerfile.v0 options for one image: file, target, build args, labels,
// platforms.
func (r *runner) frontendAttrs(im *Image) (map[string]string, error) {
	attrs := map[string]string{"filename": filepath.Base(im.dfPath)}
	if im.Target != "" {
		attrs["target"] = im.Target
	}
	args := maps.Clone(r.args)
	maps.Copy(args, im.Args)
	for k, v := range args {
		attrs["build-arg:"+k] = v
	}
	labels := map[string]string{"org.opencontainers.image.created": r.created.UTC().Format(time.RFC3339)}
	if r.opts.Source != "" {
		labels["org.opencontainers.image.source"] = r.opts.Source
	}
	if r.opts.Commit != "" {
		labels["org.opencontainers.image.revision"] = r.opts.Commit
	}
	for k, v := range labels {
		attrs["label:"+k] = v
	}
	platforms := im.Platforms
	if len(platforms) == 0 {
		platforms = r.opts.Platforms
	}
	if len(platforms) == 0 {
		platforms = r.cfg.Platforms
	}
	if len(platforms) > 0 {
		attrs["platform"] = strings.Join(platforms, ",")
	}
	if r.opts.NoCache {
		attrs["no-cache"] = ""
	}
	return attrs, nil
}

// addInput hands a built base to a dependant the way buildx bake does for target: contexts:
// the base's LLB goes in as a frontend input and the named context the FROM line uses points at
// it, with the base's image config as input metadata (so ENV, WORKDIR and USER carry over).
func addInput(ctx context.Context, attrs map[string]string, inputs map[string]*pb.Definition, ctxName, key string, res *gateway.Result) error {
	if res == nil {
		return errors.New("no result")
	}
	add := func(ref gateway.Reference, ctxKey, inKey, cfgKey string) error {
		st, err := ref.ToState()
		if err != nil {
			return err
		}
		def, err := st.Marshal(ctx)
		if err != nil {
			return err
		}
		inputs[inKey] = def.ToPB()
		attrs["context:"+ctxKey] = "input:" + inKey
		if dt, ok := res.Metadata[cfgKey]; ok {
			md, err := json.Marshal(map[string][]byte{exptypes.ExporterImageConfigKey: dt})
			if err != nil {
				return err
			}
			attrs["input-metadata:"+inKey] = string(md)
		}
		return nil
	}
	if res.Ref != nil {
		return add(res.Ref, ctxName, key, exptypes.ExporterImageConfigKey)
	}
	for _, p := range slices.Sorted(maps.Keys(res.Refs)) {
		if err := add(res.Refs[p], ctxName+"::"+p, key+"::"+p, exptypes.ExporterImageConfigKey+"/"+p); err != nil {
			return err
		}
	}
	return nil
}

// exports lists where a built image goes: the registry (--push) and any --output.
func (r *runner) exports(n *node) ([]client.ExportEntry, error) {
	var out []client.ExportEntry
	refs := strings.Join(n.result.Refs, ",")
	if r.opts.Push {
		attrs := map[string]string{"name": refs, "push": "true"}
		if r.opts.Insecure {
			attrs["registry.insecure"] = "true"
		}
		out = append(out, client.ExportEntry{Type: client.ExporterImage, Attrs: attrs})
	}
	for _, o := range r.opts.Outputs {
		switch o.Type {
		case "oci":
			dest := filepath.Join(o.Dest, n.im.Name)
			if err := os.MkdirAll(dest, 0o755); err != nil {
				return nil, fmt.Errorf("output %s: %w", o.Dest, err)
			}
			out = append(out, client.ExportEntry{Type: client.ExporterOCI, Attrs: map[string]string{"name": refs, "tar": "false"}, OutputDir: dest})
		case "tar":
			if err := os.MkdirAll(o.Dest, 0o755); err != nil {
				return nil, fmt.Errorf("output %s: %w", o.Dest, err)
			}
			dest := filepath.Join(o.Dest, n.im.Name+".tar")
			out = append(out, client.ExportEntry{Type: client.ExporterDocker, Attrs: map[string]string{"name": refs}, Output: func(map[string]string) (io.WriteCloser, error) {
				return os.Create(dest)
			}})
		default:
			return nil, fmt.Errorf("unknown output type %q (valid: %s)", o.Type, strings.Join(outputTypes, ", "))
		}
	}
	return out, nil
}

// sessionAttachables gives the daemon, through the session, the secrets (for RUN
// --mount=type=secret; never build args) and the registry credentials.
func (r *runner) sessionAttachables() ([]session.Attachable, error) {
	secrets := map[string][]byte{}
	for _, s := range r.opts.Secrets {
		secrets[s.ID] = s.Value
	}
	cf := configfile.New("config.json")
	if r.opts.DockerConfigDir != "" {
		p := filepath.Join(r.opts.DockerConfigDir, "config.json")
		f, err := os.Open(p)
		switch {
		case err == nil:
			err = cf.LoadFromReader(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("docker config %s: %w", p, err)
			}
			cf.Filename = p
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("docker config: %w", err)
		}
	}
	if cf.AuthConfigs == nil {
		cf.AuthConfigs = map[string]types.AuthConfig{}
	}
	for _, a := range r.opts.RegistryAuth {
		cf.AuthConfigs[a.Host] = types.AuthConfig{ServerAddress: a.Host, Username: a.Username, Password: a.Password}
		delete(cf.CredentialHelpers, a.Host)
	}
	if len(r.opts.RegistryAuth) > 0 {
		// A credential store would be asked first and shadow the explicit token.
		cf.CredentialsStore = ""
	}
	return []session.Attachable{
		secretsprovider.FromMap(secrets),
		authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{ConfigFile: cf}),
	}, nil
}
