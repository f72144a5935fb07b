package report

import (
	"path/filepath"
	"strings"
)

// Scope is what a run checked: the files it read and the rules it ran. A baseline entry outside
// it is one the run could not have found, so it is neither known nor stale: the contract-only
// run of a validate-* workflow does not list a full baseline's workflow entries as no longer
// matching, nor does `lint FILE` list the entries of every other file.
type Scope struct {
	// Paths are the files and directories the run read, absolute and clean.
	Paths []string
	// Rules are the rules the run checked everywhere in Paths: ids, or a family as
	// "actionlint/*". Nil: every rule.
	Rules []string
	// Partial are rules the run checked only in part (the secret scan of --diff reads added
	// lines only): what it found of them is matched, an entry of one it did not find proves
	// nothing.
	Partial []string
}

// Covers reports whether the run would have found a finding of rule in the file at path
// (absolute; "" for a finding of no file) had it been there. A nil scope covers everything.
func (s *Scope) Covers(rule, path string) bool {
	if s == nil {
		return true
	}
	if ruleIn(rule, s.Partial) || s.Rules != nil && !ruleIn(rule, s.Rules) {
		return false
	}
	if path == "" {
		return true
	}
	path = filepath.Clean(path)
	for _, p := range s.Paths {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// ruleIn reports whether rule is one of ids, or of a family ("actionlint/*") among them.
func ruleIn(rule string, ids []string) bool {
	for _, id := range ids {
		if id == rule || strings.HasSuffix(id, "/*") && strings.HasPrefix(rule, id[:len(id)-1]) {
			return true
		}
	}
	return false
}

// Merge returns the scope of two runs made with the same flags over different paths: the paths
// of both, the rules of either (the same). A nil scope (everything) absorbs the other.
func (s *Scope) Merge(o *Scope) *Scope {
	if s == nil || o == nil {
		return nil
	}
	m := *s
	m.Paths = append(append([]string(nil), s.Paths...), o.Paths...)
	return &m
}
