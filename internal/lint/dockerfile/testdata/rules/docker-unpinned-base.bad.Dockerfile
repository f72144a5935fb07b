ARG BASE=python
FROM golang AS build
RUN go version

FROM alpine:latest AS tools
FROM ${BASE}
COPY --from=build /go/bin /usr/local/bin
USER nobody
