FROM alpine:3.20
RUN apk add --no-cache su-exec
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]
