/**
 * The console listener: `GET /healthz` (liveness and the number of recordings
 * being written), the auditor web console and its JSON API (src/console).
 */
import type { AddressInfo } from 'node:net';
import { buildConsole } from '../console/server.js';
import { defaultSodium } from '../seal/sodium.js';
import { ensureSigningKey } from './gateway-keys.js';
import type { Gateway } from './gateway.js';
import type { RunningProxy } from './proxy.js';

export async function startConsole(gateway: Gateway, at: { host: string; port: number }): Promise<RunningProxy> {
  const sodium = defaultSodium();
  const log = gateway.log.child({ component: 'console' });
  // The gateway made this key at start; the console signs its audit log with it.
  const signer = await ensureSigningKey(sodium, gateway.config.gateway.signingKey, log);
  const app = await buildConsole({
    config: () => gateway.config,
    store: gateway.store,
    sodium,
    signer,
    log,
    health: () => ({ recording: gateway.activeRecordings }),
  });
  await app.listen({ port: at.port, host: at.host });
  const address = app.server.address() as AddressInfo;
  gateway.log.info({ address }, 'console listening');
  return { address, close: () => app.close() };
}
