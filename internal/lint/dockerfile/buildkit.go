package dockerfile

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// lintPlatform is fixed so that findings do not depend on the machine that lints.
var lintPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// placeholderArg stands in for a global ARG without a default: BuildKit's
// InvalidDefaultArgInFrom check already reports a FROM that needs one, and a real build gets it
// from --build-arg, so the conversion carries on to the checks that follow. The value is valid
// both as an image name and as a tag, the two places such ARGs are used.
const placeholderArg = "unset-build-arg"

// runBuildKit runs BuildKit's Dockerfile conversion for every stage, as the lint subrequest of
// `docker build --check` does, and turns its warnings into buildkit/* findings.
func (l *checker) runBuildKit() {
	cfg, err := linter.ParseLintOptions(checkDirective(l.src))
	asError := err == nil && cfg.ReturnAsError

	var mu sync.Mutex // BuildKit resolves stages concurrently and may warn from several goroutines
	var warnings []report.Finding
	warn := func(rule, _, url, msg string, loc []parser.Range) {
		f := l.at(loc, BuildKitPrefix+rule, msg, url)
		if f.Help == "" {
			f.Help = buildKitURL(rule)
		}
		f.Severity = report.Warning
		if asError {
			f.Severity = report.Error
		}
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, f)
	}

	err = convert(l.ctx, l.src, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			BuildPlatforms: []ocispecs.Platform{lintPlatform},
			BuildArgs:      l.placeholderArgs(),
		},
		MetaResolver: offlineResolver{},
		LLBCaps:      &allCaps,
		AllStages:    true,
		Warn:         warn,
	})
	for _, f := range warnings {
		if l.keepBuildKit(f) {
			l.add(f)
		}
	}
	if err != nil && !isLintViolation(err) {
		line := 1
		if s := l.file.Final(); s != nil {
			line = s.FirstLine
		}
		l.syntaxError(err, line)
	}
}

// allCaps lets the conversion use every LLB feature, as an up-to-date BuildKit daemon would.
var allCaps = pb.Caps.CapSet(pb.Caps.All())

// convert runs BuildKit's conversion. A panic inside BuildKit loses its warnings for this file
// but must not take down a lint of thousands of files.
func convert(ctx context.Context, src []byte, opt dockerfile2llb.ConvertOpt) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = nil
		}
	}()
	_, _, _, _, err = dockerfile2llb.Dockerfile2LLB(ctx, src, opt)
	return err
}

// placeholderArgs gives a value to every global ARG without a default, except those a FROM
// --platform uses, which must stay empty to be reported as BuildKit reports them.
func (l *checker) placeholderArgs() map[string]string {
	args := map[string]string{}
	var platforms strings.Builder
	for _, st := range l.file.Stages {
		platforms.WriteString(st.Platform)
		platforms.WriteByte(0)
	}
	for _, a := range l.file.MetaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				continue
			}
			if !strings.Contains(platforms.String(), kv.Key) {
				args[kv.Key] = placeholderArg
			}
		}
	}
	return args
}

var didYouMean = regexp.MustCompile(`\(did you mean \$([A-Za-z_][A-Za-z0-9_]*)\?\)`)

// keepBuildKit drops the UndefinedVar warnings that only exist because the base image's config
// (its ENV) was not fetched; see the package documentation.
func (l *checker) keepBuildKit(f report.Finding) bool {
	if f.Rule != BuildKitPrefix+linter.RuleUndefinedVar.Name {
		return true
	}
	si := l.file.StageAt(f.Line)
	if si == nil || !si.External {
		return true
	}
	// PATH is in every image's config, so a suggestion of PATH says nothing about a typo.
	m := didYouMean.FindStringSubmatch(f.Message)
	return m != nil && m[1] != "PATH" && l.file.Declared[m[1]]
}

// isLintViolation recognises the error `# check=error=true` makes BuildKit return after it has
// reported every warning; those warnings are already findings, raised to errors.
func isLintViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "lint violation found for rules")
}

// checkDirective returns the value of the `# check=` parser directive, as BuildKit reads it.
func checkDirective(src []byte) string {
	v, _, _, _ := parser.ParseDirective("check", src)
	return v
}

// buildKitURL is the documentation page of a BuildKit check, for warnings that carry none.
func buildKitURL(rule string) string {
	var b strings.Builder
	for i, r := range rule {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return "https://docs.docker.com/go/dockerfile/rule/" + b.String() + "/"
}

// offlineResolver answers BuildKit's image config lookups without a registry: every image is a
// one-layer linux image for the requested platform with only PATH in its environment.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := lintPlatform
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	img := ocispecs.Image{
		Platform: p,
		RootFS:   ocispecs.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString(ref)}},
		Config:   ocispecs.ImageConfig{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
	}
	dt, err := json.Marshal(img)
	if err != nil {
		return "", "", nil, fmt.Errorf("encode image config for %s: %w", ref, err)
	}
	return ref, "", dt, nil
}
