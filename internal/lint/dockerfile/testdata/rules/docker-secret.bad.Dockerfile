ARG NPM_TOKEN
FROM node:20.11-alpine
ARG NPM_TOKEN
ARG GITHUB_TOKEN
ENV DB_PASSWORD=changeme \
    OPENAI_API_KEY=placeholder
ENV SETTINGS="ghp_0123456789abcdefghijABCDEFGHIJ012345"
ARG awsKey=AKIAABCDEFGHIJKLMNOP
COPY .npmrc /root/.npmrc
COPY .env config/id_rsa /app/
ADD certs/server.key /etc/ssl/private/
COPY <<EOF /root/.pypirc
[pypi]
EOF
USER node
ARG NEXT_PUBLIC_API_TOKEN
ENV VITE_STRIPE_SECRET_KEY=placeholder
