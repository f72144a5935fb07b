FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl
RUN apt-get update \
 && apt-get -o Dpkg::Options::=--force-confnew install -y git \
 && apt-get clean
RUN rm -rf /var/lib/apt/lists/*
USER nobody
