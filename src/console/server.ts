/**
 * The web console's HTTP side, on fastify: a well-kept framework with schema-
 * checked routes, a small core and first-party plugins for cookies and static
 * files, and light enough per request that a chunk download costs little
 * more than the bytes. The console is zero-knowledge: it serves the static
 * page, clear metadata, sealed record keys and ciphertext chunks exactly as
 * stored; the auditor's browser decrypts with the auditor's own key file.
 *
 * Every response carries a strict Content-Security-Policy: the page loads
 * only its own files, runs no inline script, and may compile WebAssembly
 * (libsodium) but talk to no other origin.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { FailureLimiter } from '../admission/limiter.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Readiness } from '../metrics/health.js';
import type { SigningKeyPair } from '../seal/signing.js';
import type { Sodium } from '../seal/sodium.js';
import type { SessionRegistry } from '../session/registry.js';
import type { RecordingStore } from '../store/types.js';
import { ConsoleAudit } from './audit.js';
import { registerAuditEvents } from './routes-audit-events.js';
import { registerAuth } from './routes-auth.js';
import { registerLive } from './routes-live.js';
import type { LiveCluster } from './live-remote.js';
import { registerRecordings } from './routes-recordings.js';
import { registerSigners } from './routes-signers.js';
import { SessionTable } from './sessions.js';
import { join } from 'node:path';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const PAGE_FILES = new Set(['/', '/index.html', '/app.js', '/app.js.map', '/app.css', '/asciinema-player.css']);

/** Where `npm run build` puts the bundled page: dist/web beside dist/src. */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface ConsoleDeps {
  /** The config in force (read on every request, so a reload applies). */
  config: () => Config;
  store: RecordingStore;
  sodium: Sodium;
  signer: SigningKeyPair;
  log: Logger;
  /** Extra JSON for GET /healthz. */
  health?: () => Record<string, unknown>;
  /** GET /readyz: 200 while the node accepts sessions, else 503 with the reason (as on the metrics listener). */
  readiness?: () => Readiness;
  webRoot?: string;
  /** The gateway's live sessions: watched, messaged and terminated from the console (src/console/routes-live.ts). */
  live?: SessionRegistry;
  /** With a PostgreSQL store: the other nodes' live sessions, and requests to them (src/console/live-remote.ts). */
  cluster?: () => LiveCluster | undefined;
  /** Serve HTTPS with this certificate and key (PEM); the session cookie is then Secure. */
  tls?: { cert: Buffer; key: Buffer };
}

export interface ConsoleContext extends ConsoleDeps {
  sessions: SessionTable;
  audit: ConsoleAudit;
  limiter: FailureLimiter;
}

export async function buildConsole(deps: ConsoleDeps): Promise<FastifyInstance> {
  const config = deps.config();
  const ctx: ConsoleContext = {
    ...deps,
    sessions: new SessionTable(() => deps.config().console.sessionIdle),
    audit: new ConsoleAudit(deps.sodium, deps.signer, join(config.gateway.dataDir, 'console-audit.jsonl')),
    limiter: new FailureLimiter({ maxFailures: config.admission.maxFailures, windowMs: config.admission.failureWindow }),
  };
  const options = { logger: false, bodyLimit: 64 * 1024, trustProxy: false } as const;
  const app = (deps.tls ? Fastify({ ...options, https: { ...deps.tls, minVersion: 'TLSv1.2' } }) : Fastify(options)) as unknown as FastifyInstance;
  await app.register(fastifyCookie);
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setErrorHandler((error: { statusCode?: number; message?: string }, req, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) deps.log.error({ err: error, url: req.url }, 'console request failed');
    void reply.code(status).send({ error: status === 500 ? 'internal error (see the gateway log)' : (error.message ?? 'bad request') });
  });
  app.get('/healthz', async () => ({ status: 'ok', ...(deps.health?.() ?? {}) }));
  const ready = deps.readiness;
  if (ready) {
    app.get('/readyz', async (_req, reply) => {
      const r = ready();
      return reply.code(r.ready ? 200 : 503).send(r.body);
    });
  }
  registerAuth(app, ctx);
  registerRecordings(app, ctx);
  registerAuditEvents(app, ctx);
  if (deps.live) registerLive(app, ctx, deps.live);
  registerSigners(app, ctx);
  const webRoot = deps.webRoot ?? WEB_ROOT;
  if (existsSync(webRoot)) {
    // Only the bundle: tsc's per-module output of web/ lies beside it in dist/web.
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], cacheControl: false, allowedPath: (path) => PAGE_FILES.has(path) });
  } else {
    deps.log.warn({ webRoot }, 'the console page is not built (npm run build): serving the API only');
  }
  return app;
}
