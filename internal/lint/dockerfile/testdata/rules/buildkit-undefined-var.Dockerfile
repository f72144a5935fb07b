FROM golang:1.23 AS build
ARG TARGET_DIR=/out
# GOPATH comes from the golang image's config, which is not fetched: no finding.
ENV PATH=$GOPATH/bin:$PATH
# A typo of an ARG this file declares is still reported.
LABEL dir=$TARGET_DIRR

FROM scratch
ARG TARGET_DIR=/out
# In a scratch stage every variable is known, so any undefined one is reported.
COPY --from=build $TARGET_DIR/app $APP_DIR/app
USER 65532
ENTRYPOINT ["/app"]
