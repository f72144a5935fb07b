package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/Molecule-AI/molecule-ci/internal/report"
)

// Pinning policies: how actions and reusable workflows outside the trusted owners must be pinned.
const (
	PinSHA = "sha" // a full 40-character commit SHA
	PinTag = "tag" // a tag or a SHA; branches are still rejected
)

// What lint.pinning.major-tags says of the organisation's own actions and workflows called at a
// tag that every release moves (v1, v1.2).
const (
	MajorTagsAccept = "accept" // fixes arrive without a change in the caller (the default)
	MajorTagsRefuse = "refuse" // such a tag is judged like a branch: a full release or a SHA
)

// The defaults of the lint bounds: the largest file read, and the time and address space one
// shellcheck or pyflakes process may use.
const (
	DefaultLintMaxFileSize = 8 << 20
	DefaultLintToolTimeout = 5 * time.Second
	DefaultLintToolMemory  = 1 << 30
)

// Settings for an external checker (shellcheck, pyflakes) other than a path to it.
const (
	ToolAuto = "auto" // use it if it is on PATH, quietly do without otherwise
	ToolOff  = "off"  // never run it
)

// LintConfig is the `lint:` section of .molecule-ci.yml. Glob patterns are doublestar patterns
// matched against slash-separated paths relative to the repository root.
type LintConfig struct {
	// Org is "the organisation" of every rule that asks what is first party (unpinned-action,
	// floating-ref, overprovisioned-secrets): its actions, reusable workflows and checkouts.
	// Empty (the default) means the owner of the linted repository — GITHUB_REPOSITORY's owner,
	// else the owner in the origin remote's URL, else Molecule-AI — resolved by the CLI.
	Org string `yaml:"org" json:"org,omitempty"`
	// Repository says what lint cannot see offline about the linted repository.
	Repository RepositoryConfig `yaml:"repository" json:"repository,omitzero"`
	// Ignore lists files that are never linted.
	Ignore []string `yaml:"ignore" json:"ignore"`
	// RunnerLabels are extra self-hosted runner labels actionlint accepts in runs-on.
	RunnerLabels []string `yaml:"runner-labels" json:"runner-labels"`
	// Shellcheck and Pyflakes are ToolAuto (default), ToolOff, or a path to the executable
	// (containing a "/"; relative to Config.Dir, see Config.Resolve). A path inside the
	// repository is only run with --trust-repo-tools.
	Shellcheck string `yaml:"shellcheck" json:"shellcheck"`
	Pyflakes   string `yaml:"pyflakes" json:"pyflakes"`
	// CacheDir holds cached script-check results; "" leaves the choice to the CLI.
	CacheDir string `yaml:"cache-dir" json:"cache-dir"`
	// Jobs is how many files are linted at once; 0 means GOMAXPROCS.
	Jobs int `yaml:"jobs" json:"jobs"`
	// MaxFileSize is the largest file lint reads, in bytes; 0 means DefaultLintMaxFileSize.
	MaxFileSize int64 `yaml:"max-file-size" json:"max-file-size,omitempty"`
	// ToolTimeout bounds one shellcheck or pyflakes process; 0 means DefaultLintToolTimeout.
	ToolTimeout time.Duration `yaml:"tool-timeout" json:"tool-timeout,omitempty"`
	// ToolMemory bounds the address space of one shellcheck or pyflakes process in bytes
	// (applied on Linux through prlimit); 0 means DefaultLintToolMemory, -1 no limit.
	ToolMemory int64         `yaml:"tool-memory" json:"tool-memory,omitempty"`
	Pinning    PinningConfig `yaml:"pinning" json:"pinning"`
	// MergeQueueBranches are branches protected by a merge queue, whose required workflows must
	// also run on merge_group.
	MergeQueueBranches []string     `yaml:"merge-queue-branches" json:"merge-queue-branches"`
	Docker             DockerConfig `yaml:"docker" json:"docker"`
	// Rules adjusts individual rules by id. Ids are checked by the lint package, which knows
	// them; RuleConfig.Pos says where to report an unknown one.
	Rules map[string]RuleConfig `yaml:"rules" json:"rules"`

	// Contract is the repository contract checked by lint (contract.go); empty fields take the org's values.
	Contract ContractConfig `yaml:"contract" json:"contract,omitzero"`

	// Reusable says where the workflows a repository calls can be read (the reusable-call rule).
	Reusable ReusableConfig `yaml:"reusable" json:"reusable,omitzero"`
}

// ReusableConfig locates called reusable workflows.
type ReusableConfig struct {
	// Checkouts maps OWNER/REPO to a local checkout of that repository (a path relative to the
	// config file's directory), read at the ref each call pins from its git history.
	Checkouts map[string]string `yaml:"checkouts" json:"checkouts,omitempty"`
}

// RepositoryConfig describes the linted repository.
type RepositoryConfig struct {
	// Private says the repository is private, so that a pull request from outside cannot reach
	// its self-hosted runners. Nil (the default): the event payload's repository.private when
	// lint runs in Actions, else public — the safe assumption.
	Private *bool `yaml:"private" json:"private,omitempty"`
}

// PinningConfig says how `uses:` references must be pinned.
type PinningConfig struct {
	// Policy is PinSHA (default) or PinTag.
	Policy string `yaml:"policy" json:"policy"`
	// TrustedOwners may be referenced by tag even under PinSHA (default actions, github).
	TrustedOwners []string `yaml:"trusted-owners" json:"trusted-owners"`
	// MajorTags is MajorTagsAccept (default) or MajorTagsRefuse.
	MajorTags string `yaml:"major-tags" json:"major-tags"`
}

// DockerConfig tunes the Dockerfile checks.
type DockerConfig struct {
	// AllowRoot lists Dockerfiles (globs) whose final stage may run as root.
	AllowRoot []string `yaml:"allow-root" json:"allow-root"`
	// PrivilegeDrop are the commands that count as dropping root in an entrypoint (default gosu,
	// su-exec).
	PrivilegeDrop []string `yaml:"privilege-drop" json:"privilege-drop"`
}

// RuleConfig adjusts one rule.
type RuleConfig struct {
	// Severity replaces the rule's default; 0 keeps it.
	Severity report.Severity `yaml:"severity" json:"severity,omitempty"`
	// Disabled turns the rule off everywhere.
	Disabled bool `yaml:"disabled" json:"disabled"`
	// Ignore lists files (globs) the rule does not apply to.
	Ignore []string `yaml:"ignore" json:"ignore"`
	// Pos is where the rule id is written in the file, filled in by Parse.
	Pos Pos `yaml:"-" json:"-"`
}

// SetDefaults sets the values used when the file does not mention a key.
func (l *LintConfig) SetDefaults() {
	*l = LintConfig{
		Shellcheck: ToolAuto,
		Pyflakes:   ToolAuto,
		Pinning: PinningConfig{
			Policy:        PinSHA,
			TrustedOwners: []string{"actions", "github"},
			MajorTags:     MajorTagsAccept,
		},
		Docker: DockerConfig{
			PrivilegeDrop: []string{"gosu", "su-exec"},
		},
	}
}

// Validate checks what the Go types cannot: enumerations, globs and non-empty names.
func (l *LintConfig) Validate(v *Validation) {
	v.RequireString("shellcheck", "pyflakes", "cache-dir")
	if l.Org != "" && !validOwner(l.Org) {
		v.Errorf("org", "%q is not a GitHub owner name (letters, digits, hyphens; leave it out to use the repository's owner)", l.Org)
	}
	validateGlobs(v, "ignore", l.Ignore)
	validateNames(v, "runner-labels", l.RunnerLabels)
	validateTool(v, "shellcheck", l.Shellcheck)
	validateTool(v, "pyflakes", l.Pyflakes)
	if l.Jobs < 0 {
		v.Errorf("jobs", "must be 0 (one per CPU) or more, got %d", l.Jobs)
	}
	if l.MaxFileSize < 0 {
		v.Errorf("max-file-size", "must be a number of bytes, 0 for the default (%d), got %d", DefaultLintMaxFileSize, l.MaxFileSize)
	}
	if l.ToolTimeout < 0 {
		v.Errorf("tool-timeout", "must be a duration such as 10s, 0 for the default (%s), got %s", DefaultLintToolTimeout, l.ToolTimeout)
	}
	if l.ToolMemory < -1 || l.ToolMemory > 0 && l.ToolMemory < 128<<20 {
		v.Errorf("tool-memory", "must be at least 134217728 bytes (128 MiB: shellcheck's runtime needs 72 MiB to start), 0 for the default (%d) or -1 for no limit, got %d", DefaultLintToolMemory, l.ToolMemory)
	}
	switch l.Pinning.Policy {
	case PinSHA, PinTag:
	default:
		v.Errorf("pinning.policy", "unknown pinning policy %q (valid: %s, %s)", l.Pinning.Policy, PinSHA, PinTag)
	}
	validateNames(v, "pinning.trusted-owners", l.Pinning.TrustedOwners)
	switch l.Pinning.MajorTags {
	case MajorTagsAccept, MajorTagsRefuse:
	default:
		v.Errorf("pinning.major-tags", "unknown value %q (valid: %s, %s)", l.Pinning.MajorTags, MajorTagsAccept, MajorTagsRefuse)
	}
	validateNames(v, "merge-queue-branches", l.MergeQueueBranches)
	validateGlobs(v, "docker.allow-root", l.Docker.AllowRoot)
	validateNames(v, "docker.privilege-drop", l.Docker.PrivilegeDrop)
	for repo, dir := range l.Reusable.Checkouts {
		key := "reusable.checkouts." + repo
		switch {
		case !strings.Contains(repo, "/") || !ValidRepoRef(repo):
			v.KeyErrorf(key, "want OWNER/REPO, the repository a workflow calls into")
		case strings.TrimSpace(dir) == "":
			v.Errorf(key, "must be the path of a checkout of %s", repo)
		}
	}
	for id, rc := range l.Rules {
		if id == "" {
			*v.errs = append(*v.errs, v.cfg.at(v.cfg.KeyPos(v.full("rules.")), v.full("rules")+": empty rule id"))
			continue
		}
		validateGlobs(v, "rules."+id+".ignore", rc.Ignore)
	}
}

// validOwner accepts a GitHub user or organisation name (letters, digits and hyphens, up to 39)
// and the wider names of Gitea and GitLab (dots and underscores, up to 100).
func validOwner(s string) bool {
	if len(s) > 100 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func validateTool(v *Validation, key, setting string) {
	switch {
	case setting == ToolAuto, setting == ToolOff, strings.Contains(setting, "/"):
		return
	}
	v.Errorf(key, "unknown setting %q (valid: %s, %s, or a path to the executable such as ./bin/%s)",
		setting, ToolAuto, ToolOff, key)
}

func validateNames(v *Validation, key string, names []string) {
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			v.Errorf(fmt.Sprintf("%s[%d]", key, i), "must not be empty")
		}
	}
}

func validateGlobs(v *Validation, key string, globs []string) {
	for i, g := range globs {
		k := fmt.Sprintf("%s[%d]", key, i)
		switch {
		case g == "":
			v.Errorf(k, "must not be empty")
		case !doublestar.ValidatePattern(g):
			v.Errorf(k, "invalid glob pattern %q", g)
		case strings.HasPrefix(g, "./"), strings.HasPrefix(g, "/"):
			// Paths are matched repository-relative without a leading "./", so these never match.
			v.Errorf(k, "glob %q can never match: patterns are relative to the repository root, without a leading %q",
				g, g[:strings.IndexByte(g, '/')+1])
		}
	}
}
