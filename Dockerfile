# One image for the server and the workers; the command picks the role.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY core/package.json core/
COPY server/package.json server/
COPY worker/package.json worker/
COPY ui/package.json ui/
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run build --workspace ui

FROM node:22-bookworm-slim
ENV NODE_ENV=production
# Inside a container the published port is the boundary: listen on every interface of the container.
# JWT_SECRET has no default: the server refuses to start without one.
ENV HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 3000
CMD ["npx", "tsx", "server/src/main.ts"]
