# The molecule-ci image: the static binary plus the script checkers lint runs (shellcheck, pyflakes).
#   molecule-ci build --config .github/image.molecule-ci.yml   (what release.yml does)
#   docker build -t molecule-ci .  &&  docker run --rm -v "$PWD:/work" molecule-ci lint
# Base images are pinned by digest (Dependabot's docker ecosystem moves them). No `# syntax=`
# line: BuildKit's built-in Dockerfile frontend has everything used here, and an offline daemon
# (the tests) cannot pull a frontend image.
ARG GO_IMAGE=golang:1.26-bookworm@sha256:9fdc884aacc3bec89b20ffc69f4bb369c78210e3e4f600387b5128b12c199f81
ARG RUNTIME_IMAGE=debian:bookworm-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c

# The binary, cross-compiled on the build platform for each target platform.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=devel
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS="$TARGETOS" GOARCH="$TARGETARCH" go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/Molecule-AI/molecule-ci/internal/cli.version=${VERSION}" \
      -o /out/molecule-ci ./cmd/molecule-ci

# The runtime: what lint runs besides itself.
FROM ${RUNTIME_IMAGE} AS tools
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git shellcheck pyflakes3 \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*' \
 && ln -s /usr/bin/pyflakes3 /usr/local/bin/pyflakes
# (safe.directory: git must accept a mounted repository owned by another uid; coverage --base and
# build --changed-since run git. Debian names pyflakes `pyflakes3`; lint looks for `pyflakes`.)

FROM tools
ARG VERSION=devel
LABEL org.opencontainers.image.title="molecule-ci" \
      org.opencontainers.image.description="The Molecule-AI organisation's CI tool: lint, build, coverage, probe." \
      org.opencontainers.image.source="https://github.com/Molecule-AI/molecule-ci" \
      org.opencontainers.image.url="https://github.com/Molecule-AI/molecule-ci" \
      org.opencontainers.image.vendor="Molecule-AI" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/molecule-ci /usr/local/bin/molecule-ci
# A HOME and cache dir any user can write (the image runs as 65532, and `docker run --user` may
# pick another uid): lint caches shellcheck/pyflakes results there.
ENV HOME=/home/molecule-ci \
    XDG_CACHE_HOME=/home/molecule-ci/.cache
RUN mkdir -p /home/molecule-ci/.cache \
 && chown -R 65532:65532 /home/molecule-ci \
 && chmod 1777 /home/molecule-ci /home/molecule-ci/.cache
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/molecule-ci"]
CMD ["lint"]
