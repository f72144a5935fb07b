# syntax=docker/dockerfile:1
# The molecule-ci image: the static binary plus the script checkers lint runs.
#   docker build -t ghcr.io/molecule-ai/molecule-ci .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
ARG VERSION=devel
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/Molecule-AI/molecule-ci/internal/cli.version=${VERSION}" \
      -o /out/molecule-ci ./cmd/molecule-ci

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git shellcheck pyflakes3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/molecule-ci /usr/local/bin/molecule-ci
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/molecule-ci"]
CMD ["lint"]
