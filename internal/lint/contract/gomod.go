package contract

import (
	"path"
	"strings"
	"unicode/utf8"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// goPlugin checks what validate-go-plugin.yml needs before any Go tool runs: a go.mod with a
// module path, and replace directives that `go mod tidy` can follow on a CI runner.
func (c *checker) goPlugin() {
	const file = "go.mod"
	src, ok := c.readOrReport(file, RuleGoModule)
	if !ok {
		if c.err == nil {
			c.add(RuleGoModule, report.Error, file, 1, 1, "", "go.mod is missing at the repository root")
		}
		return
	}
	hasModule := false
	inReplace := false
	for i, l := range strings.Split(string(src), "\n") {
		if j := strings.Index(l, "//"); j >= 0 {
			l = l[:j]
		}
		t := strings.TrimSpace(l)
		col := utf8.RuneCountInString(l[:len(l)-len(strings.TrimLeft(l, " \t"))]) + 1
		switch {
		case strings.HasPrefix(t, "module ") || strings.HasPrefix(t, "module\t"):
			hasModule = strings.TrimSpace(t[len("module"):]) != ""
		case t == "replace (":
			inReplace = true
			continue
		case inReplace && t == ")":
			inReplace = false
			continue
		}
		spec := ""
		switch {
		case inReplace:
			spec = t
		case strings.HasPrefix(t, "replace "):
			spec = strings.TrimSpace(t[len("replace"):])
		}
		if _, target, ok := strings.Cut(spec, "=>"); ok {
			fields := strings.Fields(target)
			if len(fields) > 0 && (strings.HasPrefix(fields[0], "./") || strings.HasPrefix(fields[0], "../")) {
				if p := path.Clean(fields[0]); p == ".." || strings.HasPrefix(p, "../") {
					c.add(RuleGoModule, report.Info, file, i+1, col,
						"call validate-go-plugin.yml with `skip-mod-tidy: true`, or drop the replace before CI",
						"replace points outside the repository (%s): `go mod tidy` cannot resolve it on a CI runner", quote(fields[0]))
				}
			}
		}
	}
	if !hasModule {
		c.add(RuleGoModule, report.Error, file, 1, 1, "", "go.mod has no module line")
	}
}
