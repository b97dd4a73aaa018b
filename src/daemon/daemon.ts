/**
 * `recgate start`: loads the config, prepares keys and the store, starts the
 * configured proxies and the console listener, and on SIGINT/SIGTERM ends
 * every running recording cleanly before it exits.
 */
import { mkdir } from 'node:fs/promises';
import { loadConfig, resolveConfigPath } from '../config/index.js';
import { createLogger } from '../log.js';
import { defaultSodium } from '../seal/sodium.js';
import { openStore } from '../store/index.js';
import { proxies } from '../../proxies/index.js';
import { startConsole } from './console.js';
import { Gateway } from './gateway.js';
import { ensureHostKey, ensureSigningKey } from './gateway-keys.js';
import type { RunningProxy } from './proxy.js';
import { startRetention } from './retention.js';

export async function startDaemon(options: { config?: string }): Promise<void> {
  const configPath = resolveConfigPath(options.config);
  const config = loadConfig(configPath);
  const log = createLogger(config.log);
  const sodium = defaultSodium();
  await mkdir(config.gateway.dataDir, { recursive: true, mode: 0o700 });
  const signer = await ensureSigningKey(sodium, config.gateway.signingKey, log);
  await ensureHostKey(config.gateway.hostKey, log);
  const store = openStore(config, log);
  const recovered = await store.recoverInterrupted();
  if (recovered.length > 0) log.warn({ recordings: recovered }, 'recordings left open by a stopped gateway marked interrupted');
  if (config.recipients.length === 0) {
    log.warn('no recipients configured: recordings cannot be sealed, so every session will be refused (see recgate keys generate)');
  }

  const gateway = new Gateway(config, log, sodium, store, signer);
  const running: RunningProxy[] = [];
  const stopRetention = startRetention(config, store, log);
  try {
    for (const proxy of proxies) {
      const at = (config.listen as Record<string, { host: string; port: number } | null | undefined>)[proxy.listenKey];
      if (!at) continue;
      running.push(await proxy.listen(gateway, at));
      log.info({ proxy: proxy.name, address: running.at(-1)!.address }, 'listening');
    }
    if (config.listen.console) running.push(await startConsole(gateway, config.listen.console));
  } catch (err) {
    log.error({ err }, 'cannot start');
    await Promise.allSettled(running.map((r) => r.close()));
    stopRetention();
    await store.close();
    throw err;
  }

  log.info({ config: configPath, dataDir: config.gateway.dataDir, store: store.kind }, 'recgate started');
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ signal }, 'stopping');
  await Promise.allSettled(running.map((r) => r.close()));
  stopRetention();
  await gateway.endAll('gateway-shutdown');
  await store.close();
  signer.secretKey.fill(0);
  log.info('stopped');
  await new Promise<void>((resolve) => log.flush(() => resolve()));
}
