# One image for every node. Config by file (/app/config/recgate.yaml, read-only: mount
# yours over config/recgate.container.yaml) and by environment ({ env: NAME } secret refs:
# the PostgreSQL store's URL, target passwords). docs/operations.md has the details.
#
# Build: compile TypeScript with the dev dependencies, then keep only what runs.
FROM node:20-bookworm-slim AS build
WORKDIR /src
# A C compiler for native/ (the store's page-cache advice, sealing through the system's
# OpenSSL); it stays in this stage.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY src ./src
COPY proxies ./proxies
COPY bench ./bench
COPY test ./test
COPY types ./types
COPY web ./web
COPY scripts ./scripts
COPY native ./native
# The TypeScript and the web console's page (esbuild bundle in dist/web), as npm run build does.
RUN node scripts/build.mjs && npm prune --omit=dev --ignore-scripts

# Run: no compilers, no dev dependencies, a non-root user owning only its data, its key
# and its spool. The config folder stays read-only; the signing key lives in its own
# volume, apart from the store.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# libssl3: native/openssl-aead.c opens libcrypto.so.3 to seal large chunks (without it libsodium seals them).
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system recgate && useradd --system --gid recgate --home-dir /app --shell /usr/sbin/nologin recgate \
 && mkdir -p /app/config /app/data /app/keys /app/spool \
 && chown recgate:recgate /app/data /app/keys /app/spool && chmod 0700 /app/data /app/keys /app/spool
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY config/recgate.example.yaml ./config/
COPY config/recgate.container.yaml ./config/recgate.yaml
USER recgate
# /app/spool: sealed chunks wait here while a PostgreSQL store is unreachable
# (store.spool.dir); a volume, so a restarted container drains what it spooled.
VOLUME ["/app/data", "/app/keys", "/app/spool"]
# ssh, postgres, mysql, console, metrics (/metrics, /healthz, /readyz)
EXPOSE 2222 6432 3307 8080 9464
# Liveness from the metrics listener (listen.metrics, port 9464 in the image's config);
# node's own fetch, as the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains: new connections are refused at once, running sessions go on for
# gateway.drainTimeout (30 s by default), then end with a message and every recording
# is flushed before exit. docker stop waits only 10 s before SIGKILL: give it more than
# the drain (docker stop -t 45, compose stop_grace_period: 45s, Kubernetes
# terminationGracePeriodSeconds: 45), or a killed node leaves its recordings to be
# marked interrupted at the next start.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--initial-old-space-size=64", "--heap-growing-percent=200", "--interrupt-budget=8192", "bin/recgate.js"]
CMD ["start"]
