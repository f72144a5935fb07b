FROM alpine:3.20
RUN echo ok
COPPY app /app
USER nobody
