// Package e2e owns the end-to-end tests of what molecule-ci ships to other repositories: the
// composite action (action.yml, `uses: Molecule-AI/molecule-ci@v1`) on both its paths (a release
// commit's verified binary from a loopback release server, tampered assets refused; a source
// build elsewhere), the reusable workflows (.github/workflows/{lint,build-images,coverage}.yml),
// their caller templates (workflows-shared/, the Gitea caller included), and the image the
// Dockerfile builds. Workflows run in the real runner, nektos/act, on the host, against throwaway
// consumer repositories, with `Molecule-AI/molecule-ci@v1` resolved to this checkout and the
// pinned third-party actions to offline stand-ins (testdata/stubs); builds go through the test
// BuildKit daemon and a loopback OCI registry. A change that breaks a consumer's CI fails here
// first. The package has no code outside its tests.
package e2e
