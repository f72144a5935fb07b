package workflow

import "github.com/rhysd/actionlint"

// jobWorkflowIdentity are the job context's workflow-identity properties (actions/runner#4335,
// documented under "job context"): for a job of a reusable workflow they name the reusable
// workflow's own repository, ref, commit and file, where github.* names the caller. molecule-ci's
// reusable workflows check themselves out with job.workflow_repository and job.workflow_sha.
// actionlint v1.7.12 predates them (rhysd/actionlint#647) and would report each use as an
// undefined property, so they are added to its builtin job type once, before any linting.
var jobWorkflowIdentity = []string{"workflow_ref", "workflow_sha", "workflow_repository", "workflow_file_path"}

func init() {
	job, ok := actionlint.BuiltinGlobalVariableTypes["job"].(*actionlint.ObjectType)
	if !ok || job.Props == nil {
		return
	}
	for _, p := range jobWorkflowIdentity {
		if _, exists := job.Props[p]; !exists {
			job.Props[p] = actionlint.StringType{}
		}
	}
}
