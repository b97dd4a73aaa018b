# Build: compile TypeScript with the dev dependencies, then keep only what runs.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY src ./src
COPY proxies ./proxies
COPY bench ./bench
COPY test ./test
COPY types ./types
COPY web ./web
COPY scripts ./scripts
# The TypeScript and the web console's page (esbuild bundle in dist/web), as npm run build does.
RUN node scripts/build.mjs && npm prune --omit=dev --ignore-scripts

# Run: no compilers, no dev dependencies, a non-root user owning only its data and its key.
# The config folder stays read-only; the signing key lives in its own volume, apart from
# the store (set gateway.signingKey: /app/keys/signing.key in the config you mount).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system recgate && useradd --system --gid recgate --home-dir /app --shell /usr/sbin/nologin recgate \
 && mkdir -p /app/config /app/data /app/keys && chown recgate:recgate /app/data /app/keys && chmod 0700 /app/data /app/keys
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY config/recgate.example.yaml ./config/
USER recgate
VOLUME ["/app/data", "/app/keys"]
EXPOSE 2222 6432 3307 8080
ENTRYPOINT ["node", "bin/recgate.js"]
CMD ["start"]
