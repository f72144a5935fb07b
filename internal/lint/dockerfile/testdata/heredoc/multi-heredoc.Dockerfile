FROM alpine:3.20
RUN <<FIRST cat > /a && <<SECOND sh
pip install ignored-because-this-is-cat-input || true
FIRST
apk add --no-cache curl || true
SECOND
USER nobody
