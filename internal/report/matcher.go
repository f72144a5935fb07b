package report

import _ "embed"

// ProblemMatcher is a GitHub problem matcher for the canonical text form
// (path:line:col: message [rule]), for the action to register with ::add-matcher:: when it prints
// the human format, so plain output still becomes annotations.
//
// Known limits of matching text: every match is an error annotation (the canonical form carries
// no severity); a path that itself contains
// ":<digits>:<digits>: " is split there, because the path is matched lazily (other colons in paths
// are fine); and GitHub's per-step annotation limits apply. Do not register it while printing the
// github format, or each finding would be annotated twice.
//
//go:embed problem-matcher.json
var ProblemMatcher []byte
