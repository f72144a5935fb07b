from alpine:3.20 AS Builder
MAINTAINER ops@example.com
ENV APP_HOME /srv/app
WORKDIR app
RUN echo building

FROM scratch AS final
ARG VERSION=1
COPY --from=Builder /srv/app /app
LABEL version=$VERSOIN
CMD /app/run
