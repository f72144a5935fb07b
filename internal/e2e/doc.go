// Package e2e owns the end-to-end tests of what molecule-ci ships to other repositories: the
// composite action (action.yml, `uses: Molecule-AI/molecule-ci@v1`), the reusable workflow
// (.github/workflows/lint.yml) and its caller template (workflows-shared/lint.yml). They run in
// the real workflow runner, nektos/act, on the host, against throwaway consumer repositories, with
// `Molecule-AI/molecule-ci@v1` resolved to this checkout, so a change that breaks a consumer's CI
// fails here first. The package has no code outside its tests.
package e2e
