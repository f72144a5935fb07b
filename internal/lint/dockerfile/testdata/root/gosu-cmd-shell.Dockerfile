FROM debian:12-slim
RUN useradd app
CMD exec gosu app /usr/local/bin/serve
