package secretscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/Molecule-AI/molecule-ci/internal/fsutil"
	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// DefaultMaxFileSize bounds each file the tree scan reads. Larger files (lockfiles of huge
// monorepos, data dumps) are reported as not scanned rather than read whole.
const DefaultMaxFileSize = 4 << 20

// binarySniff is how many leading bytes decide whether a file is binary (a NUL byte among them),
// git's own heuristic.
const binarySniff = 8000

// TreeOptions says what the tree scan covers.
type TreeOptions struct {
	// WorkDir is what finding paths are relative to (the repository root).
	WorkDir string
	// Paths are files or directories to scan (relative to WorkDir or absolute); none means WorkDir.
	Paths []string
	// SkipDirs are directory names never descended into (.git always is).
	SkipDirs []string
	// Ignored reports whether a slash path relative to WorkDir is excluded (lint.ignore globs).
	Ignored func(rel string) bool
	// Skip reports files another linter already scans for secrets (workflows, Dockerfiles).
	Skip func(rel string) bool
	// Post runs on the findings of each file that has any, with the file's text, so the caller can
	// apply suppression comments and per-rule configuration. It is called from several
	// goroutines at once.
	Post func(rel string, src []byte, fs []report.Finding) []report.Finding
	// MaxFileSize bounds a file's size; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Jobs is how many files are read at once; 0 means GOMAXPROCS.
	Jobs int
}

// Result is what a scan found and how many text files it read.
type Result struct {
	Findings []report.Finding
	Files    int
}

// ScanText is the scan of one text file: credential shapes everywhere, and in
// `.env.example`-style files, values that are not placeholders. Where both see the same value,
// the example-env finding, which says what the file is for, replaces Scan's.
func ScanText(rel string, src []byte) []report.Finding {
	fs := Scan(rel, src)
	if !IsExampleEnv(rel) {
		return fs
	}
	env := ScanExampleEnv(rel, src)
	at := map[[2]int]bool{}
	for _, f := range env {
		at[[2]int{f.Line, f.Col}] = true
	}
	kept := fs[:0]
	for _, f := range fs {
		if !at[[2]int{f.Line, f.Col}] {
			kept = append(kept, f)
		}
	}
	return append(kept, env...)
}

// Tree scans every text file under opts.Paths for credentials: any extension, since a token in
// config.yaml, adapter.py or a README leaks as surely as one in a workflow. Binary files,
// symlinks, .git and opts.SkipDirs are skipped.
func Tree(ctx context.Context, opts TreeOptions) (Result, error) {
	files, err := listFiles(opts)
	if err != nil {
		return Result{}, err
	}
	limit := opts.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	results := make([][]report.Finding, len(files))
	scanned := make([]bool, len(files))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, f := range files {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			src, err := fsutil.ReadRegular(f.abs, limit)
			var nr *fsutil.NotRegularError
			switch {
			case fsutil.IsLimit(err):
				results[i] = []report.Finding{{Path: f.rel, Line: 1, Col: 1, Rule: Rule, Severity: report.Info,
					Message: "not scanned for secrets: larger than " + size(limit)}}
				return nil
			case errors.As(err, &nr), errors.Is(err, fs.ErrNotExist):
				return nil // replaced by a FIFO or removed since the walk
			case err != nil:
				return fmt.Errorf("secret scan %s: %w", f.rel, err)
			}
			if bytes.IndexByte(src[:min(len(src), binarySniff)], 0) >= 0 {
				return nil
			}
			scanned[i] = true
			fs := ScanText(f.rel, src)
			if len(fs) > 0 && opts.Post != nil {
				fs = opts.Post(f.rel, src, fs)
			}
			results[i] = fs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	var res Result
	for i := range files {
		res.Findings = append(res.Findings, results[i]...)
		if scanned[i] {
			res.Files++
		}
	}
	return res, nil
}

type treeFile struct{ rel, abs string }

func listFiles(opts TreeOptions) ([]treeFile, error) {
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := map[string]bool{}
	var out []treeFile
	add := func(abs string) {
		rel := display(opts.WorkDir, abs)
		if seen[rel] || opts.Ignored != nil && opts.Ignored(rel) || opts.Skip != nil && opts.Skip(rel) {
			return
		}
		seen[rel] = true
		out = append(out, treeFile{rel: rel, abs: abs})
	}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(opts.WorkDir, p)
		}
		info, err := os.Lstat(abs)
		if err != nil {
			return nil, fmt.Errorf("secret scan %s: %w", p, err)
		}
		if !info.IsDir() {
			if info.Mode().IsRegular() {
				add(abs)
			}
			continue
		}
		err = filepath.WalkDir(abs, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if fp != abs && (d.Name() == ".git" || slices.Contains(opts.SkipDirs, d.Name()) ||
					opts.Ignored != nil && opts.Ignored(display(opts.WorkDir, fp))) {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				add(fp)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("secret scan %s: %w", p, err)
		}
	}
	slices.SortFunc(out, func(a, b treeFile) int { return strings.Compare(a.rel, b.rel) })
	return out, nil
}

func display(workDir, abs string) string {
	if rel, err := filepath.Rel(workDir, abs); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(abs)
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
