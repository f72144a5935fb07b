FROM alpine:3.20
RUN apk add --no-cache \
      curl \
      git
ENV A=1
EXPOSE 8080
HEALTHCHEK CMD ["true"]
USER nobody
