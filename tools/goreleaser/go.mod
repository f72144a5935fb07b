// Module goreleaser pins goreleaser for the release (see tools.go). A separate module, so its
// many dependencies stay out of molecule-ci's go.mod.
module github.com/Molecule-AI/molecule-ci/tools/goreleaser

go 1.26.0
