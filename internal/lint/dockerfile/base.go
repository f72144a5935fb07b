package dockerfile

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// checkBases reports FROM images that are not pinned. A base named by an ARG is judged by the
// ARG's default; with no default only --build-arg decides, so there is nothing to judge.
func (l *checker) checkBases() {
	for _, si := range l.file.Stages {
		if !si.BaseKnown || si.Parent >= 0 || strings.EqualFold(si.Base, "scratch") {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(si.Base)
		if err != nil {
			continue // BuildKit reports invalid references itself
		}
		if _, ok := ref.(reference.Digested); ok {
			continue
		}
		name := fmt.Sprintf("%q", si.Base)
		if si.BaseArg != "" {
			name += fmt.Sprintf(" (the default of ARG %s)", si.BaseArg)
		}
		var msg string
		if t, ok := ref.(reference.Tagged); !ok {
			msg = fmt.Sprintf("base image %s has no tag or digest, so each build may start from a different image", name)
		} else if t.Tag() == "latest" {
			msg = fmt.Sprintf("base image %s uses the moving :latest tag, so each build may start from a different image", name)
		} else {
			continue
		}
		f := l.at(si.Location, RuleUnpinnedBase, msg, "pin a version tag, ideally with its digest: FROM image:1.2.3@sha256:...")
		l.add(f)
	}
}
