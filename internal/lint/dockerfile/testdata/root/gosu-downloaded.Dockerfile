FROM debian:12-slim
RUN set -eux; \
    curl -fsSLo /usr/local/bin/gosu "https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64"; \
    chmod +x /usr/local/bin/gosu; \
    gosu nobody true
COPY entrypoint.sh /
ENTRYPOINT ["/entrypoint.sh"]
