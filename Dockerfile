# Tributary: multi-stage build, runs as a non-root user, with a health check.
# Node 24 LTS: fastify's cookie@2 (and @redocly/cli, used to lint openapi.yaml) need Node 22 or later.
# test/e2e/container-recipe.e2e.test.ts runs this file's COPY, RUN and CMD lines in a temporary
# directory, so keep them plain: one command per RUN, no shell tricks across lines.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# One garbage-collector thread per isolate: the worker pool already keeps every core busy (see README).
CMD ["node", "--single-threaded-gc", "dist/main.js"]
