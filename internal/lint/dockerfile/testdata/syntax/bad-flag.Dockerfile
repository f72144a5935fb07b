FROM alpine:3.20
COPY --chmod=644 a /a
COPY --owner=nobody b /b
USER nobody
