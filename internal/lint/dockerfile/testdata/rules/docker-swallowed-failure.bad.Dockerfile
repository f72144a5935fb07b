FROM node:20.11-bookworm
RUN npm install -g @example/cli 2>/dev/null || true
RUN apt-get update && apt-get install -y jq || : \
    ; rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir flask || echo "flask failed"
RUN go build ./... || exit 0
RUN make all; true
RUN npm install -g tool-a 2>/dev/null || true && \
    cd /usr/lib/node_modules/tool-a && \
    npm install extra-plugin 2>/dev/null || true
RUN yarn install || (echo "install failed, continuing"; true)
USER node
