FROM alpine:3.20
RUN echo ok
COPY app /app
USER nobody
