/**
 * `recgate start`: loads the config, prepares keys and the store, starts the
 * configured proxies, the control socket and the console listener, reloads
 * recipients, users and targets on SIGHUP, and on
 * SIGINT/SIGTERM tells every person their session is closing and ends every
 * running recording cleanly before it exits.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isInsideDir, loadConfig, resolveConfigPath, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../log.js';
import { formatSignerPublicLine } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { openStore } from '../store/index.js';
import { startCluster, type ClusterNode } from '../cluster/index.js';
import { loadProxy, protocols } from '../../proxies/index.js';
import { startConsole } from './console.js';
import { startControl } from './control.js';
import { Gateway } from './gateway.js';
import { ensureHostKey, ensureSigningKey, ensureTlsCertificate, SIGNER_COMMENT } from './gateway-keys.js';
import { startRetention } from './retention.js';

export async function startDaemon(options: { config?: string }): Promise<void> {
  const configPath = resolveConfigPath(options.config);
  const config = loadConfig(configPath);
  const log = createLogger(config.log);
  // From here SIGHUP never stops the gateway: before it is up it is ignored, afterwards it reloads.
  let gatewayUp: Gateway | undefined;
  const onHangup = (): void => {
    if (!gatewayUp) return void log.warn('SIGHUP before the gateway is up: ignored; send it again once "recgate started" is logged');
    log.info({ config: configPath }, 'SIGHUP: reloading the config');
    gatewayUp.reload(configPath).catch(() => undefined);
  };
  process.on('SIGHUP', onHangup);
  const sodium = defaultSodium();
  await mkdir(config.gateway.dataDir, { recursive: true, mode: 0o700 });
  const signer = await ensureSigningKey(sodium, config.gateway.signingKey, log);
  checkSigner(config, log, signer.publicKey, formatSignerPublicLine(sodium, signer.publicKey, SIGNER_COMMENT));
  await ensureHostKey(config.gateway.hostKey, log);
  if (protocols.some((p) => p.gatewayCertificate && config.listen[p.name]) || (config.console.tls && config.listen.console)) {
    await ensureTlsCertificate(config.gateway.tlsCert, config.gateway.tlsKey, log);
  }
  const store = openStore(config, log);
  const gateway = new Gateway(config, log, sodium, store, signer);
  const recovered = await store.recoverInterrupted(async (found) => {
    try {
      await gateway.journal.recovered(found);
    } catch (err) {
      log.error({ err, recording: found.id }, 'cannot log the recovery of a recording; it is left for the next start');
      throw err;
    }
  });
  if (recovered.length > 0) {
    log.warn({ recordings: recovered }, 'recordings left open by a stopped gateway marked interrupted (complete when their final checkpoint was written)');
  }
  if (config.recipients.length === 0) {
    log.warn('no recipients configured: recordings cannot be sealed, so every session will be refused (see recgate keys generate)');
  }

  const stopRetention = startRetention(config, store, gateway.journal, log);
  let listeners: Closable[];
  let cluster: ClusterNode | undefined;
  try {
    cluster = await startCluster(gateway, config, log);
    listeners = await startListeners(gateway, config);
  } catch (err) {
    log.error({ err }, 'cannot start');
    await cluster?.stop();
    stopRetention();
    await store.close();
    throw err;
  }

  // The handlers are in place before "started" is announced: a signal sent on that line must not kill the process.
  // They stay in place: a second signal during shutdown exits at once instead of waiting.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++received === 1) resolve(signal);
      else forceExit(log, signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  // SIGHUP reloads recipients, users and targets (as `recgate reload` does); a bad file is logged and changes nothing.
  gatewayUp = gateway;
  log.info({ config: configPath, dataDir: config.gateway.dataDir, store: store.kind }, 'recgate started');
  const signal = await stopSignal;
  log.info({ signal }, 'stopping (a second Ctrl-C or SIGTERM exits at once)');
  process.off('SIGHUP', onHangup);
  // Listeners stop accepting at once; a proxy's close may wait for its clients, whom endAll disconnects.
  const closed = Promise.allSettled(listeners.map((l) => l.close()));
  stopRetention();
  await gateway.endAll('gateway-shutdown');
  await closed;
  await cluster?.stop();
  await store.close();
  signer.secretKey.fill(0);
  log.info('stopped');
  await new Promise<void>((resolve) => log.flush(() => resolve()));
}

/**
 * A second stop signal during shutdown exits at once, as a person pressing
 * Ctrl-C again expects. Recordings still open are marked interrupted (and
 * verify up to their last checkpoint) on the next start.
 */
function forceExit(log: Logger, signal: NodeJS.Signals): void {
  log.warn({ signal }, 'second stop signal: exiting without waiting; open recordings will be marked interrupted on the next start');
  log.flush(() => process.exit(130));
  setTimeout(() => process.exit(130), 500).unref();
}

/** Says which key signs, and warns where verification would not believe it or the store could use it. */
function checkSigner(config: Config, log: Logger, publicKey: Uint8Array, line: string): void {
  const { signingKey, dataDir } = config.gateway;
  log.info({ signingKey, signer: line }, 'signing recordings and the log with this key; auditors pin this line under signers:');
  const legacy = join(dataDir, 'signing.key');
  if (isInsideDir(dataDir, signingKey)) {
    log.warn({ signingKey, dataDir }, 'the signing key lies inside the data directory: whoever can write the store can sign in the gateway\'s name; move it elsewhere (gateway.signingKey)');
  } else if (existsSync(legacy)) {
    log.warn({ legacy, signingKey }, 'an older signing key remains in the data directory: move it out, and pin its .pub under signers: so the recordings it signed still verify');
  }
  if (config.signers.length > 0 && !config.signers.some((s) => Buffer.compare(s.publicKey, publicKey) === 0)) {
    log.warn({ signer: line, signers: config.signers.map((s) => s.name) }, "signers does not include this gateway's own key: verification with this config will reject what it records");
  }
}

interface Closable {
  close(): Promise<void>;
}

/** Starts the configured proxies, the control socket and the console; on failure closes what it started. */
async function startListeners(gateway: Gateway, config: Config): Promise<Closable[]> {
  const started: Closable[] = [];
  try {
    for (const spec of protocols) {
      const at = config.listen[spec.name];
      if (!at) continue;
      const running = await (await loadProxy(spec)).listen(gateway, at);
      started.push(running);
      gateway.log.info({ proxy: spec.name, address: running.address }, 'listening');
    }
    started.push(await startControl(gateway, config));
    if (config.listen.console) started.push(await startConsole(gateway, config.listen.console));
    return started;
  } catch (err) {
    await Promise.allSettled(started.map((l) => l.close()));
    throw err;
  }
}
