FROM alpine:3.20
USER nobody
RUN <<EOF
echo one
echo two
