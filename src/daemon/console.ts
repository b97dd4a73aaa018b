/**
 * The console listener: `GET /healthz` (liveness and the number of recordings
 * being written) and `/readyz` (accepting sessions), the auditor web console and its JSON API (src/console),
 * with the gateway's live sessions. With `console.tls` it speaks HTTPS with
 * the gateway's certificate, the one the TLS proxies present.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { buildConsole } from '../console/server.js';
import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { defaultSodium } from '../seal/sodium.js';
import type { RecordingStore } from '../store/types.js';
import { ensureSigningKey } from './gateway-keys.js';
import type { Gateway } from './gateway.js';
import type { RunningProxy } from './proxy.js';

/** The gateway's certificate and key for the console, or a ConfigError naming the files. */
export function consoleTls(config: Config): { cert: Buffer; key: Buffer } {
  const { tlsCert, tlsKey } = config.gateway;
  try {
    return { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) };
  } catch (err) {
    throw new ConfigError(`console.tls: cannot read the gateway's TLS certificate ${tlsCert} or key ${tlsKey}: ${(err as Error).message}`);
  }
}

/** `store`: where the console reads recordings (the hot store, with the archive behind it when there is one). */
export async function startConsole(gateway: Gateway, at: { host: string; port: number }, store: RecordingStore = gateway.store): Promise<RunningProxy> {
  const sodium = defaultSodium();
  const log = gateway.log.child({ component: 'console' });
  // The gateway made this key at start; the console signs its audit log with it.
  const signer = await ensureSigningKey(sodium, gateway.config.gateway.signingKey, log);
  const tls = gateway.config.console.tls ? consoleTls(gateway.config) : undefined;
  let app;
  try {
    app = await buildConsole({
      config: () => gateway.config,
      store,
      sodium,
      signer,
      log,
      health: () => ({ recording: gateway.activeRecordings }),
      readiness: () => gateway.readiness(),
      live: gateway.sessions,
      cluster: () => gateway.cluster,
      ...(tls ? { tls } : {}),
    });
  } catch (err) {
    if (tls) throw new ConfigError(`console.tls: the gateway's TLS certificate or key is not usable: ${(err as Error).message}`);
    throw err;
  } finally {
    // The TLS context holds its own copy.
    tls?.key.fill(0);
  }
  await app.listen({ port: at.port, host: at.host });
  const address = app.server.address() as AddressInfo;
  gateway.log.info({ address, tls: tls !== undefined }, 'console listening');
  return { address, close: () => app.close() };
}
