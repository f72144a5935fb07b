FROM node:20.11-bookworm
RUN npm install -g @example/cli
RUN command -v jq || (apt-get update && apt-get install -y jq && rm -rf /var/lib/apt/lists/*)
RUN pip install --no-cache-dir flask || { echo "flask failed" >&2; exit 1; }
RUN go build ./... || echo "build failed" && exit 1
RUN rm -rf /tmp/cache || true
RUN set -e; make all; true
RUN grep -q foo /etc/hosts || echo "no foo"
USER node
