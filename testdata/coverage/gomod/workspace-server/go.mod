module github.com/Molecule-AI/molecule-monorepo/platform

go 1.22
