package githubtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The pull-request part of the fake, for the organisations' repositories of repos.go: the Git
// data API of each repository (read a ref or a commit, write trees, commits and refs, with
// GitHub's fast-forward rule), its pull requests (list by head and state, open — refused when
// one is already open for the head, as GitHub does — edit) and the check runs of a commit.
// Branches written here are branches of the repository like its others: its contents, commits
// and tarballs read them.

// Pull is a pull request as the fake stores it.
type Pull struct {
	Number      int
	Title, Body string
	Head, Base  string // branch names
	State       string // open or closed
	Merged      bool
}

// CheckRun is a check run the fake lists for a commit.
type CheckRun struct {
	Name, Status, Conclusion string
}

type pullState struct {
	pulls   map[string][]*Pull           // "owner/name" in lower case
	trees   map[string]map[string]string // tree → files, for trees written and not yet committed
	parents map[string][]string          // commit → parents, for commits written
	checks  map[string][]CheckRun        // "owner/name@sha"
}

func (f *Fake) pullsState() *pullState {
	if f.pulls == nil {
		f.pulls = &pullState{pulls: map[string][]*Pull{}, trees: map[string]map[string]string{}, parents: map[string][]string{}, checks: map[string][]CheckRun{}}
	}
	return f.pulls
}

// Pulls returns a copy of a repository's pull requests.
func (f *Fake) Pulls(owner, name string) []Pull {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Pull
	for _, p := range f.pullsState().pulls[strings.ToLower(owner+"/"+name)] {
		out = append(out, *p)
	}
	return out
}

// ClosePull closes a pull request, as a maintainer would.
func (f *Fake) ClosePull(owner, name string, number int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pullsState().pulls[strings.ToLower(owner+"/"+name)] {
		if p.Number == number {
			p.State = "closed"
		}
	}
}

// SetCheckRuns sets the check runs of a branch's head commit.
func (f *Fake) SetCheckRuns(owner, name, branch string, runs ...CheckRun) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.org().repos[strings.ToLower(owner+"/"+name)]
	if st == nil {
		return
	}
	f.pullsState().checks[strings.ToLower(owner+"/"+name)+"@"+st.commits[branch]] = runs
}

// BranchFiles returns the files of a repository's branch, and whether it exists.
func (f *Fake) BranchFiles(owner, name, branch string) (map[string]string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.org().repos[strings.ToLower(owner+"/"+name)]
	if st == nil {
		return nil, false
	}
	c, ok := st.commits[branch]
	if !ok {
		return nil, false
	}
	return maps.Clone(st.files[c]), true
}

var (
	reRepoGit    = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/git/(ref|refs|commits|trees)(?:/(.+))?$`)
	reRepoPulls  = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/pulls(?:/(\d+))?$`)
	reRepoChecks = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/commits/([0-9a-f]{40})/check-runs$`)
)

// servePulls answers the Git data, pull request and check run endpoints of the organisations'
// repositories; it reports whether the request was one. f.mu is held.
func (f *Fake) servePulls(w http.ResponseWriter, r *http.Request, body []byte) bool {
	p := r.URL.Path
	var m []string
	var kind string
	switch {
	case reRepoGit.MatchString(p):
		m, kind = reRepoGit.FindStringSubmatch(p), "git"
	case reRepoPulls.MatchString(p):
		m, kind = reRepoPulls.FindStringSubmatch(p), "pulls"
	case reRepoChecks.MatchString(p):
		m, kind = reRepoChecks.FindStringSubmatch(p), "checks"
	default:
		return false
	}
	key := strings.ToLower(m[1] + "/" + m[2])
	st := f.org().repos[key]
	if st == nil {
		return false // not an organisation's repository: fake.go's single-repository API answers
	}
	ps := f.pullsState()
	switch kind {
	case "git":
		ps.serveGit(w, r, st, m[3], m[4], body)
	case "pulls":
		ps.servePulls(w, r, st, key, m[3], body)
	case "checks":
		runs := []map[string]any{}
		for i, c := range ps.checks[key+"@"+m[3]] {
			runs = append(runs, map[string]any{"id": i + 1, "name": c.Name, "status": c.Status, "conclusion": nullable(c.Conclusion), "head_sha": m[3],
				"html_url": fmt.Sprintf("https://github.com/%s/%s/runs/%d", m[1], m[2], i+1)})
		}
		json.NewEncoder(w).Encode(map[string]any{"total_count": len(runs), "check_runs": runs})
	}
	return true
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// filesOfTree returns the files of a tree of the repository: one of its commits', or one written.
func (ps *pullState) filesOfTree(st *repoState, tree string) (map[string]string, bool) {
	if files, ok := ps.trees[tree]; ok {
		return files, true
	}
	for c, t := range st.trees {
		if t == tree {
			return st.files[c], true
		}
	}
	return nil, false
}

func (ps *pullState) serveGit(w http.ResponseWriter, r *http.Request, st *repoState, kind, rest string, body []byte) {
	switch {
	case r.Method == http.MethodGet && kind == "ref":
		branch, ok := strings.CutPrefix(rest, "heads/")
		c, exists := st.commits[branch]
		if !ok || !exists || st.spec.Branches[branch] == nil {
			writeErr(w, 404, "Not Found")
			return
		}
		fmt.Fprintf(w, `{"ref":"refs/heads/%s","object":{"sha":%q,"type":"commit"}}`, jsonEscape(branch), c)
	case r.Method == http.MethodGet && kind == "commits":
		tree, ok := st.trees[rest]
		if !ok {
			writeErr(w, 404, "Not Found")
			return
		}
		parents := []map[string]string{}
		for _, p := range ps.parents[rest] {
			parents = append(parents, map[string]string{"sha": p})
		}
		json.NewEncoder(w).Encode(map[string]any{"sha": rest, "tree": map[string]string{"sha": tree}, "parents": parents, "message": ""})
	case r.Method == http.MethodPost && kind == "trees":
		var req struct {
			BaseTree string `json:"base_tree"`
			Tree     []struct {
				Path    string  `json:"path"`
				Content *string `json:"content"`
				SHA     *string `json:"sha"`
			} `json:"tree"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeErr(w, 400, "Problems parsing JSON")
			return
		}
		files := map[string]string{}
		if req.BaseTree != "" {
			base, ok := ps.filesOfTree(st, req.BaseTree)
			if !ok {
				writeValidation(w, `[{"resource":"Tree","code":"invalid","field":"base_tree"}]`)
				return
			}
			files = maps.Clone(base)
		}
		for _, e := range req.Tree {
			switch {
			case e.Content != nil:
				files[e.Path] = *e.Content
			case e.SHA == nil:
				delete(files, e.Path)
			default:
				writeValidation(w, `[{"resource":"Tree","code":"invalid","field":"sha"}]`)
				return
			}
		}
		sha := treeHash(files)
		ps.trees[sha] = files
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"sha":%q,"truncated":false}`, sha)
	case r.Method == http.MethodPost && kind == "commits":
		var req struct {
			Message string   `json:"message"`
			Tree    string   `json:"tree"`
			Parents []string `json:"parents"`
		}
		json.Unmarshal(body, &req)
		files, ok := ps.filesOfTree(st, req.Tree)
		if !ok {
			writeValidation(w, `[{"resource":"Commit","code":"invalid","field":"tree"}]`)
			return
		}
		for _, p := range req.Parents {
			if _, ok := st.trees[p]; !ok {
				writeValidation(w, `[{"resource":"Commit","code":"invalid","field":"parents"}]`)
				return
			}
		}
		sha := hashOf("commit", fmt.Appendf(nil, "%s\n%v\n%s\n%d", req.Tree, req.Parents, req.Message, len(st.trees)))
		st.trees[sha], st.files[sha], ps.parents[sha] = req.Tree, files, req.Parents
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"sha":%q,"tree":{"sha":%q},"message":%q}`, sha, req.Tree, req.Message)
	case r.Method == http.MethodPost && kind == "refs" && rest == "":
		var req struct{ Ref, SHA string }
		json.Unmarshal(body, &req)
		branch, ok := strings.CutPrefix(req.Ref, "refs/heads/")
		if _, exists := st.commits[branch]; !ok || exists {
			writeValidation(w, `[{"resource":"Reference","code":"already_exists","field":"ref"}]`)
			return
		}
		if _, ok := st.files[req.SHA]; !ok {
			writeValidation(w, `[{"resource":"Reference","code":"invalid","field":"sha"}]`)
			return
		}
		st.setBranch(branch, req.SHA)
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"ref":%q,"object":{"sha":%q,"type":"commit"}}`, req.Ref, req.SHA)
	case r.Method == http.MethodPatch && kind == "refs" && strings.HasPrefix(rest, "heads/"):
		branch := strings.TrimPrefix(rest, "heads/")
		var req struct {
			SHA   string `json:"sha"`
			Force bool   `json:"force"`
		}
		json.Unmarshal(body, &req)
		cur, ok := st.commits[branch]
		if !ok {
			writeValidation(w, `[{"resource":"Reference","code":"missing","field":"ref"}]`)
			return
		}
		if !req.Force && !ps.descends(req.SHA, cur) {
			w.WriteHeader(422)
			fmt.Fprint(w, `{"message":"Update is not a fast forward","documentation_url":"https://docs.github.com/rest/git/refs#update-a-reference","status":"422"}`)
			return
		}
		st.setBranch(branch, req.SHA)
		fmt.Fprintf(w, `{"ref":"refs/heads/%s","object":{"sha":%q,"type":"commit"}}`, jsonEscape(branch), req.SHA)
	default:
		writeErr(w, 404, "Not Found")
	}
}

// setBranch points a branch at a commit, so that the repository's other endpoints see it.
func (st *repoState) setBranch(branch, commit string) {
	st.commits[branch] = commit
	branches := maps.Clone(st.spec.Branches)
	branches[branch] = st.files[commit]
	st.spec.Branches = branches
}

func (ps *pullState) descends(sha, ancestor string) bool {
	seen := map[string]bool{}
	for stack := []string{sha}; len(stack) > 0; {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s == ancestor {
			return true
		}
		if !seen[s] {
			seen[s] = true
			stack = append(stack, ps.parents[s]...)
		}
	}
	return false
}

func (ps *pullState) servePulls(w http.ResponseWriter, r *http.Request, st *repoState, key, number string, body []byte) {
	owner, name := st.spec.Owner, st.spec.Name
	prJSON := func(p *Pull) map[string]any {
		var merged any
		if p.Merged {
			merged = "2026-12-06T00:00:00Z"
		}
		return map[string]any{"number": p.Number, "title": p.Title, "body": p.Body, "state": p.State, "merged_at": merged,
			"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d", owner, name, p.Number),
			"head":     map[string]any{"ref": p.Head, "sha": st.commits[p.Head], "label": owner + ":" + p.Head},
			"base":     map[string]any{"ref": p.Base}}
	}
	switch {
	case r.Method == http.MethodGet && number == "":
		q := r.URL.Query()
		state := q.Get("state")
		if state == "" {
			state = "open"
		}
		out := []map[string]any{}
		for _, p := range ps.pulls[key] {
			if (state == "all" || p.State == state) && (q.Get("head") == "" || strings.EqualFold(q.Get("head"), owner+":"+p.Head)) {
				out = append(out, prJSON(p))
			}
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && number == "":
		var req struct{ Title, Head, Base, Body string }
		json.Unmarshal(body, &req)
		switch {
		case req.Title == "" || req.Head == "" || req.Base == "":
			writeValidation(w, `[{"resource":"PullRequest","code":"missing_field","field":"title"}]`)
			return
		case slices.ContainsFunc(ps.pulls[key], func(p *Pull) bool { return p.State == "open" && p.Head == req.Head }):
			w.WriteHeader(422)
			fmt.Fprintf(w, `{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for %s:%s."}],"documentation_url":"https://docs.github.com/rest/pulls/pulls#create-a-pull-request","status":"422"}`, owner, jsonEscape(req.Head))
			return
		case st.spec.Branches[req.Head] == nil || st.spec.Branches[req.Base] == nil:
			writeValidation(w, `[{"resource":"PullRequest","field":"head","code":"invalid"}]`)
			return
		}
		p := &Pull{Number: len(ps.pulls[key]) + 1, Title: req.Title, Head: req.Head, Base: req.Base, Body: req.Body, State: "open"}
		ps.pulls[key] = append(ps.pulls[key], p)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(prJSON(p))
	case r.Method == http.MethodPatch && number != "":
		n, _ := strconv.Atoi(number)
		i := slices.IndexFunc(ps.pulls[key], func(p *Pull) bool { return p.Number == n })
		if i < 0 {
			writeErr(w, 404, "Not Found")
			return
		}
		p := ps.pulls[key][i]
		var req struct {
			Title, Body, State *string
		}
		json.Unmarshal(body, &req)
		if req.Title != nil {
			p.Title = *req.Title
		}
		if req.Body != nil {
			p.Body = *req.Body
		}
		if req.State != nil {
			p.State = *req.State
		}
		json.NewEncoder(w).Encode(prJSON(p))
	default:
		writeErr(w, 404, "Not Found")
	}
}
