FROM node:20.11-alpine AS build
WORKDIR /src
COPY . .
RUN npm ci && npm run build

FROM node:20.11-alpine
COPY --from=build /src/dist /app
USER root
RUN chown -R node /app
USER node
ENTRYPOINT ["node", "/app/server.js"]
