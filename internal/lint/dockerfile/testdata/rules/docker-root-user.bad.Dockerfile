FROM node:20.11-alpine AS build
WORKDIR /src
COPY . .
RUN npm ci && npm run build

FROM node:20.11-alpine
COPY --from=build /src/dist /app
USER node
RUN chown -R node /app
USER root
ENTRYPOINT ["node", "/app/server.js"]
