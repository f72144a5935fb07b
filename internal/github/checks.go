package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// GitHub's limits for check run output, from the REST API reference.
const (
	annotationsPerRequest = 50    // "The Checks API limits the number of annotations to a maximum of 50 per API request."
	maxOutputText         = 65535 // output.summary and output.text: "Maximum length: 65535 characters."
	maxAnnotationText     = 65536 // annotation message and raw_details: "The maximum size is 64 KB."
	maxAnnotationTitle    = 255   // annotation title: "The maximum size is 255 characters."
)

// Check run conclusions this package sends.
var conclusions = []string{"success", "failure", "neutral"}

// CheckRun is a check run to publish: a name on a commit, a conclusion, and the findings as
// annotations.
type CheckRun struct {
	Owner, Repo string
	// HeadSHA is the commit the run belongs to. On pull_request events use the pull request's head
	// commit (ghaction.Context.HeadSHA), not GITHUB_SHA's merge commit, or the PR page will not
	// show the run.
	HeadSHA string
	Name    string // e.g. "molecule-ci lint"
	// Title and Summary (markdown) head the run's page; Title defaults to Name and Summary to the
	// counts of findings. Text is optional further markdown. Summary and Text are cut to GitHub's
	// 65535 characters.
	Title, Summary, Text string
	// DetailsURL is optional: where "Details" links to, e.g. the workflow run.
	DetailsURL string
	Findings   []report.Finding
	// Conclusion is success, failure or neutral; "" means failure when a finding is an error and
	// success otherwise.
	Conclusion string
}

// PublishResult is what a published check run is.
type PublishResult struct {
	ID  int64
	URL string // the run's page (html_url)
	// Annotations is how many findings were sent as annotations; Skipped how many could not be
	// (no path: GitHub anchors every annotation to a file).
	Annotations, Skipped int
}

// PublishCheckRun creates the check run (in_progress), adds the findings as annotations 50 per
// request (GitHub's limit), and completes it with the conclusion in the last request. A 403 that
// is not a rate limit returns a *PermissionError (errors.Is ErrNoPermission): the caller should
// fall back to workflow commands and say so.
//
// If a request fails after the run was created, the run is marked completed (best effort) so it
// does not stay "in progress" on the pull request forever, and the result says how far it got.
func (c *Client) PublishCheckRun(ctx context.Context, run CheckRun) (PublishResult, error) {
	if err := run.validate(); err != nil {
		return PublishResult{}, err
	}
	findings := report.Sort(slices.Clone(run.Findings))
	var anns []*gh.CheckRunAnnotation
	var res PublishResult
	for _, f := range findings {
		if a := annotation(f); a != nil {
			anns = append(anns, a)
		} else {
			res.Skipped++
		}
	}
	conclusion := run.Conclusion
	if conclusion == "" {
		conclusion = "success"
		if slices.ContainsFunc(findings, func(f report.Finding) bool { return f.Severity == report.Error }) {
			conclusion = "failure"
		}
	}
	output := func(batch []*gh.CheckRunAnnotation) *gh.CheckRunOutput {
		o := &gh.CheckRunOutput{
			Title:       gh.String(truncateRunes(cmpOr(run.Title, run.Name), maxOutputText)),
			Summary:     gh.String(truncateRunes(cmpOr(run.Summary, countsSummary(findings)), maxOutputText)),
			Annotations: batch,
		}
		if run.Text != "" {
			o.Text = gh.String(truncateRunes(run.Text, maxOutputText))
		}
		return o
	}
	where := fmt.Sprintf("check run %q on %s/%s@%s", run.Name, run.Owner, run.Repo, run.HeadSHA)

	create := gh.CreateCheckRunOptions{Name: run.Name, HeadSHA: run.HeadSHA, Status: gh.String("in_progress")}
	if run.DetailsURL != "" {
		create.DetailsURL = gh.String(run.DetailsURL)
	}
	cr, _, err := c.gh.Checks.CreateCheckRun(ctx, run.Owner, run.Repo, create)
	if err != nil {
		return res, redact(fmt.Errorf("create %s: %w", where, c.classify(err)), c.token)
	}
	res.ID, res.URL = cr.GetID(), cr.GetHTMLURL()

	for i := 0; ; i += annotationsPerRequest {
		batch := anns[i:min(i+annotationsPerRequest, len(anns))]
		last := i+annotationsPerRequest >= len(anns)
		upd := gh.UpdateCheckRunOptions{Name: run.Name, Output: output(batch)}
		if last {
			upd.Status = gh.String("completed")
			upd.Conclusion = gh.String(conclusion)
			upd.CompletedAt = &gh.Timestamp{Time: c.now().UTC()}
		}
		ur, _, err := c.gh.Checks.UpdateCheckRun(ctx, run.Owner, run.Repo, res.ID, upd)
		if err != nil {
			step := "complete"
			if len(batch) > 0 {
				step = fmt.Sprintf("add annotations %d-%d of %d to", i+1, i+len(batch), len(anns))
			}
			err = fmt.Errorf("%s %s (id %d): %w", step, where, res.ID, c.classify(err))
			return res, redact(c.abandon(ctx, run, res, conclusion, output(nil), err), c.token)
		}
		res.Annotations += len(batch)
		if u := ur.GetHTMLURL(); u != "" {
			res.URL = u
		}
		if last {
			return res, nil
		}
	}
}

// abandon completes a check run whose annotations could not all be sent, saying so in its
// summary, and returns cause (with the cleanup's own failure, if any).
func (c *Client) abandon(ctx context.Context, run CheckRun, res PublishResult, conclusion string, out *gh.CheckRunOutput, cause error) error {
	if ctx.Err() != nil {
		return cause
	}
	note := fmt.Sprintf("\n\n> **Note:** only %d annotations could be sent: %s", res.Annotations, strings.ReplaceAll(cause.Error(), c.token, "***"))
	out.Summary = gh.String(truncateRunes(out.GetSummary(), maxOutputText-len(note)) + note)
	_, _, err := c.gh.Checks.UpdateCheckRun(ctx, run.Owner, run.Repo, res.ID, gh.UpdateCheckRunOptions{
		Name:        run.Name,
		Status:      gh.String("completed"),
		Conclusion:  gh.String(conclusion),
		CompletedAt: &gh.Timestamp{Time: c.now().UTC()},
		Output:      out,
	})
	if err != nil {
		return fmt.Errorf("%w; marking it completed also failed: %v", cause, c.classify(err))
	}
	return cause
}

func (r CheckRun) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"owner", r.Owner}, {"repo", r.Repo}, {"head SHA", r.HeadSHA}, {"name", r.Name}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("check run: missing %s", strings.Join(missing, ", "))
	}
	if r.Conclusion != "" && !slices.Contains(conclusions, r.Conclusion) {
		return fmt.Errorf("check run %q: unknown conclusion %q (valid: %s)", r.Name, r.Conclusion, strings.Join(conclusions, ", "))
	}
	var errs []error
	for i, f := range r.Findings {
		if _, ok := levels[f.Severity]; !ok {
			errs = append(errs, fmt.Errorf("finding %d (%s): invalid %v", i, f, f.Severity))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("check run %q: %w", r.Name, errors.Join(errs...))
	}
	return nil
}

// levels maps severities to annotation_level.
var levels = map[report.Severity]string{report.Error: "failure", report.Warning: "warning", report.Info: "notice"}

// annotation converts one finding, or returns nil when it has no file to anchor to.
func annotation(f report.Finding) *gh.CheckRunAnnotation {
	path := strings.TrimPrefix(f.Path, "./")
	if path == "" {
		return nil
	}
	start := max(f.Line, 1) // GitHub requires start_line >= 1; line 0 means the whole file
	end := max(f.EndLine, start)
	msg := cmpOr(f.Message, f.Rule)
	a := &gh.CheckRunAnnotation{
		Path:            gh.String(path),
		StartLine:       gh.Int(start),
		EndLine:         gh.Int(end),
		AnnotationLevel: gh.String(levels[f.Severity]),
		Message:         gh.String(truncateBytes(msg, maxAnnotationText)),
	}
	// "Annotations only support start_column and end_column on the same line."
	if f.Line > 0 && start == end && f.Col > 0 {
		a.StartColumn, a.EndColumn = gh.Int(f.Col), gh.Int(f.Col)
	}
	if f.Rule != "" {
		a.Title = gh.String(truncateRunes(f.Rule, maxAnnotationTitle))
	}
	if f.Help != "" {
		a.RawDetails = gh.String(truncateBytes(f.Help, maxAnnotationText))
	}
	return a
}

func countsSummary(fs []report.Finding) string {
	r := report.Report{Findings: fs}
	e, w, i := r.Counts()
	return fmt.Sprintf("%d errors, %d warnings, %d notices", e, w, i)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

const truncated = "\n\n… (truncated)"

// truncateRunes cuts s to at most n characters, marking the cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(truncated)
	i := 0
	for range keep {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + truncated
}

// truncateBytes cuts s to at most n bytes on a character boundary, marking the cut.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len(truncated)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + truncated
}
