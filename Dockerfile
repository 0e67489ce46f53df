# syntax=docker/dockerfile:1
# One image for the server, the workers and migrations; the command picks the role:
#   node server/dist/main.js      the HTTP + Socket.IO server (the default)
#   node worker/dist/main.js      a worker (health, readiness and metrics on HEALTH_PORT)
#   node server/dist/migrate.js   applies pending migrations, then exits
#   node server/dist/admin.js     creates or resets an admin (EMAIL, PASSWORD, NAME, or prompts)
# Compiled JavaScript and production dependencies only: no TypeScript at run time.
ARG NODE_IMAGE=node:24-bookworm-slim

# The package manifests alone, so that the dependency layers below are rebuilt
# only when a package.json or the lock file changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN node scripts/runtime-files.mjs manifests /manifests

# Every dependency, for the build.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# The UI into ui/dist, the server and worker into server/dist and worker/dist.
FROM deps AS build
COPY . .
RUN npm run build && node scripts/runtime-files.mjs dist /dist

# What the server and the workers import at run time, and nothing else.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --workspace=server --workspace=worker --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards signals to Node and reaps the processes that shell
# jobs leave behind.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    HEALTH_PORT=3001
WORKDIR /app
# Owned by root and read-only for the `node` user that runs the processes.
COPY --from=prod-deps /app/ ./
COPY --from=build /dist/ ./
COPY deploy/docker/healthcheck.mjs deploy/docker/healthcheck.mjs
USER node
EXPOSE 3000 3001
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "server/dist/main.js"]
