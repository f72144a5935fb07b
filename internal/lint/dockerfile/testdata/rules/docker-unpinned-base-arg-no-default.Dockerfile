# An ARG without a default names the base: only --build-arg decides it, so docker-unpinned-base
# says nothing; BuildKit's own check warns that the default is empty.
ARG RUNTIME
FROM ${RUNTIME}
USER nobody
