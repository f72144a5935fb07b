FROM --platform=$TARGETPLATFORM alpine:3.20 AS base
FROM --platform=linux/amd64 alpine:3.20
USER nobody
ENTRYPOINT ["sh"]
