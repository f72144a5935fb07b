# An intermediate build stage: only its binary is copied out, its layers never ship.
FROM debian:12.5-slim AS builder
RUN apt-get update && apt-get install -y --no-install-recommends gcc

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/var/lib/apt,sharing=locked \
    --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -y git
RUN apt-get update && apt install -y jq; rm -rf /var/lib/apt/lists
COPY --from=builder /usr/bin/gcc /usr/local/bin/gcc
USER nobody
