package fleet

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Plan is how a fleet is split into shards for a GitHub Actions matrix: `fleet --plan` writes it
// (fromJSON(...) of it is a strategy.matrix), `fleet --shard I --plan FILE` lints shard I of it,
// and `fleet --merge --plan FILE` checks that the shards' reports hold every repository of it.
type Plan struct {
	Include []Shard `json:"include"`
}

// Shard is one matrix entry: its index and its repositories (OWNER/NAME). Branches, in the plan
// file only (not the matrix), holds the default branch of each repository read through the API,
// so that a shard job opens its repositories without listing the organisation again.
type Shard struct {
	Shard    int      `json:"shard"`
	Repos    []string `json:"repos"`
	Branches []string `json:"branches,omitempty"`
}

// MaxShards is GitHub's limit on the jobs of one matrix.
const MaxShards = 256

// MakePlan splits repos into n shards balanced by size: the largest repository first, each to
// the shard with the least so far (ties to the lowest index), so the plan is the same for the
// same repositories whatever order they were listed in. Every shard is present, even empty, so
// shard I of N always exists.
func MakePlan(repos []Repo, n int) (*Plan, error) {
	if n < 1 || n > MaxShards {
		return nil, fmt.Errorf("%d shards: want 1 to %d (GitHub runs at most %d jobs of a matrix)", n, MaxShards, MaxShards)
	}
	sorted := slices.Clone(repos)
	slices.SortFunc(sorted, func(a, b Repo) int {
		return cmp.Or(cmp.Compare(b.SizeKB, a.SizeKB), compareRepos(a, b))
	})
	seen := map[string]bool{}
	for _, r := range sorted {
		if seen[strings.ToLower(r.FullName())] {
			return nil, fmt.Errorf("two repositories are named %s: a plan names each repository once", r.FullName())
		}
		seen[strings.ToLower(r.FullName())] = true
	}
	p := &Plan{Include: make([]Shard, n)}
	load := make([]int64, n)
	for i := range p.Include {
		p.Include[i] = Shard{Shard: i, Repos: []string{}}
	}
	shardOf := make([][]Repo, n)
	for _, r := range sorted {
		i := 0
		for j := range load {
			if load[j] < load[i] {
				i = j
			}
		}
		load[i] += max(r.SizeKB, 1)
		shardOf[i] = append(shardOf[i], r)
	}
	for i, rs := range shardOf {
		slices.SortFunc(rs, func(a, b Repo) int {
			return cmp.Or(strings.Compare(strings.ToLower(a.FullName()), strings.ToLower(b.FullName())), strings.Compare(a.FullName(), b.FullName()))
		})
		branches := false
		for _, r := range rs {
			p.Include[i].Repos = append(p.Include[i].Repos, r.FullName())
			branches = branches || r.Branch != ""
		}
		if branches {
			p.Include[i].Branches = make([]string, len(rs))
			for j, r := range rs {
				p.Include[i].Branches[j] = r.Branch
			}
		}
	}
	return p, nil
}

// JSON writes the plan on one line, as the plan file keeps it.
func (p *Plan) JSON() ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Matrix writes the plan without the branches, on one line: a step output that fromJSON reads as
// the matrix (a job output is limited to 1 MB, and the matrix need not carry them).
func (p *Plan) Matrix() ([]byte, error) {
	m := Plan{Include: make([]Shard, len(p.Include))}
	for i, s := range p.Include {
		m.Include[i] = Shard{Shard: s.Shard, Repos: s.Repos}
	}
	return m.JSON()
}

// ParsePlan reads a plan written by Plan.JSON.
func ParsePlan(data []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a fleet plan: %w", err)
	}
	if len(p.Include) == 0 || len(p.Include) > MaxShards {
		return nil, fmt.Errorf("not a fleet plan: %d shards (want 1 to %d)", len(p.Include), MaxShards)
	}
	seen := map[string]int{}
	for i, s := range p.Include {
		if s.Shard != i {
			return nil, fmt.Errorf("not a fleet plan: entry %d is shard %d", i, s.Shard)
		}
		if s.Branches != nil && len(s.Branches) != len(s.Repos) {
			return nil, fmt.Errorf("not a fleet plan: shard %d has %d repositories and %d branches", i, len(s.Repos), len(s.Branches))
		}
		for _, r := range s.Repos {
			k := strings.ToLower(r)
			if j, ok := seen[k]; ok {
				return nil, fmt.Errorf("fleet plan: %s is in shards %d and %d", r, j, i)
			}
			seen[k] = i
		}
	}
	return &p, nil
}

// Planned reports whether shard i names its repositories' branches: then Select needs no listing.
func (p *Plan) Planned(i int) bool {
	return i >= 0 && i < len(p.Include) && p.Include[i].Branches != nil
}

// Select returns the repositories of shard i of the plan: as the plan file names them when it
// has their branches, else from the listing repos. A planned repository no longer listed is
// returned Unlisted, so that the report says it could not be read rather than dropping it.
func (p *Plan) Select(repos []Repo, i int) ([]Repo, error) {
	if i < 0 || i >= len(p.Include) {
		return nil, fmt.Errorf("shard %d: the plan has shards 0 to %d", i, len(p.Include)-1)
	}
	if p.Planned(i) {
		out := make([]Repo, len(p.Include[i].Repos))
		for j, name := range p.Include[i].Repos {
			owner, repo, _ := strings.Cut(name, "/")
			out[j] = Repo{Owner: owner, Name: repo, Path: name, Branch: p.Include[i].Branches[j]}
		}
		return out, nil
	}
	byName := map[string]Repo{}
	for _, r := range repos {
		byName[strings.ToLower(r.FullName())] = r
	}
	out := []Repo{}
	for _, name := range p.Include[i].Repos {
		r, ok := byName[strings.ToLower(name)]
		if !ok {
			owner, repo, _ := strings.Cut(name, "/")
			if repo == "" {
				owner, repo = "", name
			}
			r = Repo{Owner: owner, Name: repo, Path: name, Unlisted: true}
		}
		out = append(out, r)
	}
	return out, nil
}

// Check reports the repositories of the plan missing from a merged report (a shard whose job
// failed before it wrote its report) and those the plan does not have.
func (p *Plan) Check(d *Document) error {
	want := map[string]bool{}
	for _, s := range p.Include {
		for _, r := range s.Repos {
			want[strings.ToLower(r)] = true
		}
	}
	var extra []string
	for _, r := range d.Repos {
		k := strings.ToLower(Repo{Owner: r.Owner, Name: r.Name}.FullName())
		if !want[k] {
			extra = append(extra, r.Owner+"/"+r.Name)
		}
		delete(want, k)
	}
	var missing []string
	for k := range want {
		missing = append(missing, k)
	}
	slices.Sort(missing)
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%d repositories of the plan are in no shard's report (a shard did not finish?): %s", len(missing), listNames(missing)))
	}
	if len(extra) > 0 {
		errs = append(errs, fmt.Errorf("%d repositories are not in the plan: %s", len(extra), listNames(extra)))
	}
	return errors.Join(errs...)
}
