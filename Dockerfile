# syntax=docker/dockerfile:1
# One image for every process: `serve` (default), `serve --no-worker`, `worker`, `migrate`.
# The final stage holds only `bun run bundle`'s output (scripts/bundle.ts), the same folder the
# test suite starts from a clean directory (apps/server/test/bundle.int.test.ts).
ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION} AS build
WORKDIR /src
# Manifests first, so the dependency layer is cached until a manifest or the lockfile changes.
COPY package.json bun.lock ./
COPY apps/server/package.json apps/server/
COPY packages/graphs/package.json packages/graphs/
COPY packages/infra/package.json packages/infra/
COPY packages/runtime/package.json packages/runtime/
COPY tooling/tsconfig/package.json tooling/tsconfig/
COPY bench/package.json bench/
COPY scripts/install-hooks.sh scripts/
RUN bun install --frozen-lockfile
COPY . .
RUN bun run bundle --out /out

FROM oven/bun:${BUN_VERSION}-slim AS runtime
LABEL org.opencontainers.image.title="fractal-agents-runtime" \
      org.opencontainers.image.description="Self-hosted agent server for LangGraph graphs (LangGraph Platform API)"
WORKDIR /app
COPY --from=build --chown=root:root /out /app
# The embedded database's data dir, for single-container use; with DATABASE_URL nothing is written.
RUN mkdir -p /data && chown bun:bun /data
USER bun
ENV NODE_ENV=production HOST=0.0.0.0 PORT=2024 FRACTAL_DATA_DIR=/data
EXPOSE 2024
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 2024) + '/ok').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["bun", "/app/fractal.js"]
CMD ["serve"]
