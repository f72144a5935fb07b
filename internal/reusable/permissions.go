package reusable

import (
	"maps"
	"slices"
	"strings"

	"github.com/rhysd/actionlint"
)

// Permission levels of a GITHUB_TOKEN scope, as workflows write them.
const (
	PermNone  = "none"
	PermRead  = "read"
	PermWrite = "write"
)

// AllScopes is the scope name Permissions uses for read-all and write-all.
const AllScopes = "*"

var permRank = map[string]int{PermNone: 0, PermRead: 1, PermWrite: 2}

// PermissionCovers reports whether a granted level is at least the needed one.
func PermissionCovers(granted, needed string) bool {
	return permRank[granted] >= permRank[needed]
}

// permissionsOf reads what the callee's jobs ask of the GITHUB_TOKEN: for each job its own
// permissions:, else the workflow's, merged scope by scope at the highest level. A called
// workflow's token can only be narrowed from the caller's, so a caller must grant at least
// this, or GitHub refuses to start the run ("The nested job ... is requesting 'packages: write',
// but is only allowed 'packages: none'"). Jobs that ask nothing explicitly ask nothing here.
func permissionsOf(w *actionlint.Workflow) map[string]string {
	out := map[string]string{}
	add := func(p *actionlint.Permissions) {
		if p == nil {
			return
		}
		if p.All != nil {
			switch strings.TrimSpace(p.All.Value) {
			case "write-all":
				raise(out, AllScopes, PermWrite)
			case "read-all":
				raise(out, AllScopes, PermRead)
			}
			return
		}
		for name, s := range p.Scopes {
			if s != nil && s.Value != nil {
				if _, ok := permRank[s.Value.Value]; ok && s.Value.Value != PermNone {
					if s.Name != nil {
						name = s.Name.Value
					}
					raise(out, name, s.Value.Value)
				}
			}
		}
	}
	for _, j := range w.Jobs {
		if j == nil {
			continue
		}
		if j.Permissions != nil {
			add(j.Permissions)
		} else {
			add(w.Permissions)
		}
	}
	return out
}

func raise(m map[string]string, scope, level string) {
	if permRank[level] > permRank[m[scope]] {
		m[scope] = level
	}
}

// Scopes returns permission scope names sorted, for stable output.
func Scopes(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
