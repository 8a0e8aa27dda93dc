# syntax=docker/dockerfile:1
# One image for the revocation service (the default command) and the example
# web app (command: node examples/web-app/dist/main.js). See docs/container.md.

# A maintained Node.js LTS line, pinned to one release so a rebuild gets the same runtime;
# bump it deliberately (the packages themselves still support Node.js 20.19 and later).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# 1. Build: every dependency, then TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY verifier-sdk/package.json verifier-sdk/
COPY revocation-service/package.json revocation-service/
COPY examples/web-app/package.json examples/web-app/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY verifier-sdk/ verifier-sdk/
COPY revocation-service/ revocation-service/
COPY examples/web-app/ examples/web-app/
RUN npm run build

# 2. Production dependencies only (no TypeScript, no test tools).
FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY verifier-sdk/package.json verifier-sdk/
COPY revocation-service/package.json revocation-service/
COPY examples/web-app/package.json examples/web-app/
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# 3. Runtime: compiled code and production dependencies, as the unprivileged "node" user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
# Files stay owned by root: the service cannot rewrite its own code.
COPY --from=production-deps /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/verifier-sdk/package.json verifier-sdk/
COPY --from=build /app/verifier-sdk/dist verifier-sdk/dist
COPY --from=build /app/revocation-service/package.json revocation-service/
COPY --from=build /app/revocation-service/dist revocation-service/dist
COPY --from=build /app/examples/web-app/package.json examples/web-app/
COPY --from=build /app/examples/web-app/dist examples/web-app/dist
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The service handles SIGTERM itself: stops accepting, finishes requests in flight (up to 10 s), closes Redis.
STOPSIGNAL SIGTERM
CMD ["node", "revocation-service/dist/main.js"]
