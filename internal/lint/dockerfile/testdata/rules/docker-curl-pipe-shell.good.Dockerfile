FROM debian:12-slim
RUN curl -fsSLo /tmp/setup.sh https://deb.nodesource.com/setup_22.x \
    && echo "0000000000000000000000000000000000000000000000000000000000000000  /tmp/setup.sh" | sha256sum -c - \
    && bash /tmp/setup.sh
RUN curl -fsSL https://cli.github.com/packages/githubcli-archive-keyring.gpg \
      | dd of=/usr/share/keyrings/githubcli-archive-keyring.gpg
RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin
RUN echo "curl https://example.com | sh is what we avoid"
USER nobody
