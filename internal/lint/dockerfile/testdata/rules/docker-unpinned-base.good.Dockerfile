ARG BASE=python:3.12-slim
FROM golang:1.23@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS build
RUN go version

FROM build AS test
FROM ${BASE} AS app
FROM scratch AS empty
FROM app
COPY --from=build /go/bin /usr/local/bin
USER nobody
