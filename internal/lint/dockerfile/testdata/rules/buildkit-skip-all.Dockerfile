# check=skip=all
FROM alpine:3.20
MAINTAINER ops@example.com
ENV MODE prod
USER nobody
CMD echo "BuildKit checks are all skipped, our rules still run"
