FROM alpine:3.20 AS builder
LABEL org.opencontainers.image.authors="ops@example.com"
ENV APP_HOME=/srv/app
WORKDIR /srv/app
RUN echo building

FROM scratch AS final
ARG VERSION=1
COPY --from=builder /srv/app /app
LABEL version=$VERSION
USER 65532
CMD ["/app/run"]
