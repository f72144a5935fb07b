FROM debian:12-slim
RUN curl -fsSL https://deb.nodesource.com/setup_22.x | bash -
RUN wget -qO- https://get.example.com/install.sh | sudo -E sh
RUN apt-get update && \
    curl -sSL https://install.python-poetry.org \
      | python3 - && \
    rm -rf /var/lib/apt/lists/*
RUN sh -c "$(curl -fsSL https://example.com/install.sh)"
USER nobody
