/**
 * The listener for machines (`listen.metrics`): `GET /metrics` for
 * Prometheus, `/healthz` and `/readyz` for load balancers and orchestrators.
 * Plain node:http, apart from the console: scrapers and probes should not
 * share a port with a web console that people sign in to, and this listener
 * stays up through a drain (when /readyz says 503) until the process exits.
 *
 * Nothing here needs authentication, so nothing here may tell more than
 * counts, states and reasons: no user or target names, no addresses, no
 * secrets. Bind it to an address only scrapers reach.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { CONTENT_TYPE } from './exposition.js';
import type { Readiness } from './health.js';

export interface OpsSources {
  metrics(): string;
  /** The /healthz body besides its status. */
  health(): Record<string, unknown>;
  readiness(): Readiness;
}

export interface OpsListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startOpsListener(at: { host: string; port: number }, sources: OpsSources, log: Logger): Promise<OpsListener> {
  const server = createServer((req, res) => {
    try {
      answer(req, res, sources);
    } catch (err) {
      log.error({ err, url: req.url }, 'metrics request failed');
      send(res, 500, 'application/json', JSON.stringify({ error: 'internal error (see the gateway log)' }));
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.on('error', (err) => log.error({ err }, 'metrics listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  log.info({ address }, 'metrics and health listening');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep connections alive between scrapes.
        server.closeAllConnections();
      }),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, sources: OpsSources): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'application/json', JSON.stringify({ error: 'method not allowed' }));
  }
  switch (path) {
    case '/metrics':
      return send(res, 200, CONTENT_TYPE, sources.metrics());
    case '/healthz':
      return send(res, 200, 'application/json', JSON.stringify({ status: 'ok', ...sources.health() }));
    case '/readyz': {
      const r = sources.readiness();
      return send(res, r.ready ? 200 : 503, 'application/json', JSON.stringify(r.body));
    }
    default:
      return send(res, 404, 'application/json', JSON.stringify({ error: 'not found: /metrics, /healthz and /readyz are served here' }));
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
