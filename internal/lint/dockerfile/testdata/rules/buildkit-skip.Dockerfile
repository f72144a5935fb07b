# check=skip=JSONArgsRecommended,MaintainerDeprecated
FROM alpine:3.20
MAINTAINER ops@example.com
ENV MODE prod
USER nobody
CMD echo "JSONArgsRecommended and MaintainerDeprecated are skipped; LegacyKeyValueFormat is not"
