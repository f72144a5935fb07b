# A bake target that only validates generated files: never shipped, so root is fine.
FROM golang:1.22-alpine AS gen
RUN go generate ./...

FROM gen AS validate
RUN git diff --exit-code
