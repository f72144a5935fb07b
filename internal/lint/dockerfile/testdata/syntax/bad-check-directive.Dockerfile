# check=skip-everything
FROM alpine:3.20
USER nobody
