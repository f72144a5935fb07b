package fleet

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/secrets"
)

//go:embed site.html.tmpl
var siteTemplate string

var siteTmpl = template.Must(template.New("site").Funcs(template.FuncMap{"plural": plural}).Parse(siteTemplate))

// SiteOptions are what the dashboard says about the run.
type SiteOptions struct {
	Title     string
	Generated time.Time
	Version   string
}

// siteMaxFindings is how many findings a repository's card lists; fleet.json has them all.
const siteMaxFindings = 50

type siteRepo struct {
	RepoDoc
	Word     string
	Calls    []string
	Findings []siteFinding
	More     bool
	Total    int
}

type siteFinding struct {
	Severity, Where, Message, Rule string
}

// WriteSite writes the organisation's dashboard into dir: index.html, a static page in the look
// of the status page (no script), and fleet.json, the report it shows. html/template encodes
// every name, path and message; credentials are masked before they get there.
func WriteSite(dir string, d *Document, opts SiteOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var jb bytes.Buffer
	if err := d.WriteJSON(&jb); err != nil {
		return err
	}
	html, err := RenderSite(d, opts)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, "fleet.json"), jb.Bytes(), 0o644); err != nil {
		return err
	}
	return fsutil.WriteFile(filepath.Join(dir, "index.html"), html, 0o644)
}

var statusWords = map[string]string{"ok": "Passing", "fail": "Failing", "unreadable": "Not read", "skipped": "Nothing to lint"}

// RenderSite renders the dashboard's index.html.
func RenderSite(d *Document, opts SiteOptions) ([]byte, error) {
	s := d.Summary
	data := struct {
		Title, Generated, GeneratedISO, Version string
		Banner, BannerClass                     string
		S                                       Summary
		Repos                                   []siteRepo
		Callees                                 []CalleeDoc
	}{
		Title: redact(opts.Title), Version: opts.Version, S: s, Callees: s.Callees,
		Generated: opts.Generated.UTC().Format("2006-01-02 15:04 UTC"), GeneratedISO: opts.Generated.UTC().Format(time.RFC3339),
	}
	if data.Title == "" {
		data.Title = "CI fleet"
	}
	switch {
	case s.Failing == 0 && s.Unreadable == 0:
		data.Banner, data.BannerClass = fmt.Sprintf("All %s pass", plural(s.Repos, "repository", "repositories")), "up"
	case s.Failing == 0:
		data.Banner, data.BannerClass = fmt.Sprintf("%d of %d repositories could not be read", s.Unreadable, s.Repos), "degraded"
	default:
		data.Banner, data.BannerClass = fmt.Sprintf("%d of %d repositories failing", s.Failing, s.Repos), "down"
		if s.Unreadable > 0 {
			data.Banner += fmt.Sprintf(", %d not read", s.Unreadable)
		}
	}
	for _, r := range d.Repos {
		r.Name, r.Path, r.Error, r.Skipped, r.Kind = redact(r.Name), redact(r.Path), redact(r.Error), redact(r.Skipped), redact(r.Kind)
		for i, n := range r.Notes {
			r.Notes[i] = redact(n)
		}
		sr := siteRepo{RepoDoc: r, Word: statusWords[r.Status()], Total: len(r.Findings)}
		for _, c := range r.calledWorkflows() {
			sr.Calls = append(sr.Calls, redact(c))
		}
		for i, f := range r.Findings {
			if i == siteMaxFindings {
				sr.More = true
				break
			}
			where := f.Path
			if f.Line > 0 {
				where += ":" + strconv.Itoa(f.Line)
			}
			sr.Findings = append(sr.Findings, siteFinding{Severity: f.Severity, Where: redact(where), Message: redact(f.Message), Rule: redact(f.Rule)})
		}
		data.Repos = append(data.Repos, sr)
	}
	var buf bytes.Buffer
	if err := siteTmpl.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// redact masks credentials and makes control characters visible: the page is read by people,
// and text from a repository must not hide what follows it.
func redact(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' || r == 0x7f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return '�'
		}
		return r
	}, secrets.Redact(s))
}
