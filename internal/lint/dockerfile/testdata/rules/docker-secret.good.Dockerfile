# check=skip=SecretsUsedInArgOrEnv
# BuildKit's SecretsUsedInArgOrEnv matches name parts alone (AUTH_URL, *_PASSWORD_FILE);
# docker-secret does not, so this file skips the BuildKit check to show our rule clean.
FROM node:20.11-alpine
ENV TOKENIZERS_PARALLELISM=false \
    POSTGRES_PASSWORD_FILE=/run/secrets/db_password \
    AUTH_URL=https://auth.example.com \
    GIT_AUTHOR_NAME="Molecule AI" \
    PUBLIC_KEY_PATH=/etc/keys/public.pem.pub \
    NEXT_PUBLIC_SUPABASE_ANON_KEY=anon \
    NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk \
    NEXT_PUBLIC_SITE_URL=https://example.com
ARG PATH_PREFIX=/opt
COPY .env.example /app/.env.example
COPY package.json .npmrc.template /app/
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
USER node
