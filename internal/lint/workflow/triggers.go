package workflow

// privilegedEvents are the events whose runs hold the base repository's token (with write
// scopes unless permissions: says otherwise) and its secrets while someone outside the
// repository controls what they read: a pull request's title, branch and code
// (pull_request_target), the triggering run and its artifacts (workflow_run), the text of an
// issue, a comment or a discussion. Opening a pull request or writing a comment is all it takes
// to start them.
var privilegedEvents = []string{"pull_request_target", "workflow_run", "issue_comment", "issues", "discussion", "discussion_comment"}

// privilegedTrigger returns the first privileged event the workflow runs on, or "".
func (f *File) privilegedTrigger() string {
	for _, e := range f.Workflow.On {
		for _, p := range privilegedEvents {
			if e.EventName() == p {
				return p
			}
		}
	}
	return ""
}

// unknownCaller reports whether the file runs for events it does not name: an action, or a
// reusable workflow (workflow_call), whose caller's trigger decides what an attacker controls.
func (f *File) unknownCaller() bool {
	return f.Kind == KindAction || f.On("workflow_call")
}
