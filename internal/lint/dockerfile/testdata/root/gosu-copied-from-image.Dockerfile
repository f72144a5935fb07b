FROM tianon/gosu:1.17 AS gosu
FROM debian:12-slim
COPY --from=gosu /gosu /usr/local/bin/
COPY entrypoint.sh /
ENTRYPOINT ["/entrypoint.sh"]
