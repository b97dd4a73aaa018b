/**
 * The console listener. It serves `GET /healthz` (liveness and the number of
 * recordings being written); the web console is served from here too.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from './gateway.js';
import type { RunningProxy } from './proxy.js';

export async function startConsole(gateway: Gateway, at: { host: string; port: number }): Promise<RunningProxy> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', recording: gateway.activeRecordings }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  gateway.log.info({ address: server.address() }, 'console listening');
  return {
    address: server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
